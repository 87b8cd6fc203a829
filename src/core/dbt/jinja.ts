import { evaluate, type Expr } from './jinjaExpr';
import { applyFilter, callable, isCallable, isObject, isUndefined, isUnknown, toText, truthy, Unknown, UNKNOWN, type JCallable, type JValue, type UnknownReason } from './jinjaValues';
import type { MacroNode, Node, Template } from './jinjaParse';

export { parseTemplate, type JinjaWarning, type MacroNode, type Node, type Template } from './jinjaParse';

/**
 * A tolerant renderer for the Jinja in dbt files. It renders what it can know without a database
 * (refs, sources, vars, loops over known lists, macros of the project and its packages) and keeps
 * going past what it cannot: each such place is recorded as a problem with its line and reason, so
 * that the index can say what is missing and count it, instead of failing the whole file.
 * (A general Jinja engine stops at the first unknown name; see the renderer comparison in bench/.)
 * jinjaParse.ts reads the text into nodes; this file renders them.
 */

/** Thrown by dbt's `return()` inside a macro; carries the macro's value out. */
export class JinjaReturn {
  constructor(readonly value: JValue) {}
}

class LoopControl {
  constructor(readonly kind: 'break' | 'continue') {}
}

/** A place the renderer could not render: a value it cannot know, and why. */
export interface RenderProblem {
  /** Line in the rendered file (for a macro's problem: the line of the file's tag that called it). */
  line: number;
  where: 'output' | 'loop' | 'statement';
  /** The Jinja as written. */
  src: string;
  reason?: UnknownReason;
  /** The macro in which it happened, as `package.macro`. */
  macro?: string;
}

/** How names resolve: the dbt layer knows macros by package, the context, and what is missing. */
export type Resolve = (name: string, pkg: string | undefined) => JValue;

/** Macro calls nested deeper than this are taken as a recursion that does not end (Python's own limit stops dbt near here). */
const MAX_DEPTH = 100;
/**
 * Work (macro calls, loop turns) one top-level tag of a file may take, and the whole file: a macro
 * that fans out or loops without end stops here with a warning instead of hanging the index.
 */
const STEPS_PER_TAG = 200_000;
const STEPS_PER_FILE = 2_000_000;

class StepLimit {
  constructor(readonly what: string) {}
}

/**
 * Renders templates against dbt's names. `pkg` is the package whose code is running (the file's own
 * package for the file, the macro's package inside a macro): it decides how bare names resolve.
 */
export class Renderer {
  readonly problems: RenderProblem[] = [];
  /** The line of the rendered file's tag being rendered; problems inside macros are reported there. */
  private line = 1;
  private depth = 0;
  /** Inside a branch taken only because its condition could not be known: what happens there may not. */
  private guessing = 0;
  private readonly macroStack: string[] = [];
  private readonly callables = new Map<MacroNode, JCallable>();
  /** Steps taken by the current top-level tag, and by the file. */
  private steps = 0;
  private fileSteps = 0;
  /** True while the file itself renders: a template rendered from inside it (a var's Jinja) is part of its tag. */
  private rendering = false;

  constructor(private readonly resolve: Resolve) {}

  render(template: Template, pkg: string | undefined): string {
    const out: string[] = [];
    const root = new Map<string, JValue>();
    for (const [name, node] of template.macros) root.set(name, this.macro(node, pkg));
    if (this.rendering) {
      this.nodes(template.nodes, [root], out, pkg, false);
      return out.join('');
    }
    this.rendering = true;
    try {
      // Each top-level tag is rendered on its own: what goes wrong in one costs that one only.
      for (const node of template.nodes) {
        if ('line' in node) this.line = node.line;
        this.steps = 0;
        try {
          this.nodes([node], [root], out, pkg, true);
        } catch (e) {
          if (e instanceof JinjaReturn) throw e;
          if (e instanceof LoopControl) continue;
          this.stopped(node, e);
        }
      }
    } finally {
      this.rendering = false;
    }
    return out.join('');
  }

  /** A top-level tag that could not be finished: said, and left out. */
  private stopped(node: Node, e: unknown): void {
    this.depth = 0;
    this.guessing = 0;
    this.macroStack.length = 0;
    const src = node.k === 'out' ? node.src : node.k === 'for' ? `for … in ${node.src}` : `{% ${node.k} %}`;
    const where: RenderProblem['where'] = node.k === 'out' ? 'output' : node.k === 'for' ? 'loop' : 'statement';
    if (e instanceof StepLimit) this.problems.push({ line: this.line, where, src, reason: { kind: 'limit', what: e.what } });
    else this.problems.push({ line: this.line, where, src, reason: { kind: 'construct', what: `something Ask Data's renderer failed on (${(e as Error)?.message ?? String(e)})` } });
  }

  /** One unit of work; past the budget the current tag stops. */
  private step(): void {
    if (++this.steps > STEPS_PER_TAG) throw new StepLimit(`more than ${STEPS_PER_TAG.toLocaleString('en')} macro calls and loop turns in one tag`);
    if (++this.fileSteps > STEPS_PER_FILE) throw new StepLimit(`more than ${STEPS_PER_FILE.toLocaleString('en')} macro calls and loop turns in the file`);
  }

  /** A macro as a callable value, bound to the package it was defined in. */
  macro(node: MacroNode, pkg: string | undefined): JCallable {
    const known = this.callables.get(node);
    if (known) return known;
    const label = pkg ? `${pkg}.${node.name}` : node.name;
    const fn = callable((args, kwargs) => {
      if (this.depth >= MAX_DEPTH) return new Unknown({ kind: 'recursion', what: `macro ${label}` });
      this.step();
      this.depth++;
      this.macroStack.push(label);
      try {
        const frame = new Map<string, JValue>();
        const lookup = this.lookup([frame], pkg);
        const extra = { ...kwargs };
        node.params.forEach((p, k) => {
          let v: JValue;
          if (k < args.length) v = args[k]!;
          else if (p.name in extra) {
            v = extra[p.name]!;
            delete extra[p.name];
          } else v = p.default ? evaluate(p.default, lookup) : new Unknown({ kind: 'name', what: p.name });
          frame.set(p.name, v);
        });
        frame.set('varargs', args.slice(node.params.length));
        frame.set('kwargs', extra);
        if (!frame.has('caller') && 'caller' in kwargs) frame.set('caller', kwargs.caller);
        const sub: string[] = [];
        try {
          this.nodes(node.body, [frame], sub, pkg, false);
        } catch (e) {
          if (e instanceof JinjaReturn) return e.value;
          throw e;
        }
        return sub.join('');
      } finally {
        this.macroStack.pop();
        this.depth--;
      }
    });
    this.callables.set(node, fn);
    return fn;
  }

  /** Where rendering is now: the file's line, and the macro running (if any). */
  here(): { line: number; macro?: string; guessing: boolean } {
    const macro = this.macroStack[this.macroStack.length - 1];
    return { line: this.line, ...(macro ? { macro } : {}), guessing: this.guessing > 0 };
  }

  private problem(where: RenderProblem['where'], src: string, v: JValue | undefined): void {
    const reason = isUnknown(v) ? v.reason : undefined;
    const macro = this.macroStack[this.macroStack.length - 1];
    this.problems.push({ line: this.line, where, src, ...(reason ? { reason } : {}), ...(macro ? { macro } : {}) });
  }

  private lookup(stack: Array<Map<string, JValue>>, pkg: string | undefined): (name: string) => JValue {
    return (name) => {
      for (let k = stack.length - 1; k >= 0; k--) {
        const v = stack[k]!.get(name);
        if (v !== undefined) return v;
      }
      return this.resolve(name, pkg);
    };
  }

  private nodes(nodes: Node[], stack: Array<Map<string, JValue>>, sink: string[], pkg: string | undefined, own: boolean): void {
    const get = this.lookup(stack, pkg);
    for (const node of nodes) {
      if (own && 'line' in node) this.line = node.line;
      switch (node.k) {
        case 'text':
          sink.push(node.text);
          break;
        case 'out': {
          const v = node.expr ? evaluate(node.expr, get) : UNKNOWN;
          if (isUnknown(v)) {
            if (node.expr) this.problem('output', node.src, v);
            sink.push(`/* {{ ${node.src.replace(/\*\//g, '* /')} }} */`);
          } else sink.push(toText(v));
          break;
        }
        case 'if': {
          for (const b of node.branches) {
            const test = b.test ? evaluate(b.test, get) : true;
            // Unknown conditions take their branch: the first branch is usually the production path.
            if (isUnknown(test)) {
              this.guessing++;
              try {
                this.nodes(b.body, stack, sink, pkg, own);
              } finally {
                this.guessing--;
              }
              break;
            }
            if (truthy(test)) {
              this.nodes(b.body, stack, sink, pkg, own);
              break;
            }
          }
          break;
        }
        case 'for':
          this.loop(node, stack, sink, pkg, own, get);
          break;
        case 'set': {
          let value: JValue;
          if (node.body) {
            const sub: string[] = [];
            this.nodes(node.body, stack, sub, pkg, own);
            value = sub.join('');
          } else value = node.value ? evaluate(node.value, get) : UNKNOWN;
          const frame = stack[stack.length - 1]!;
          if (node.targets.length === 1) assign(frame, node.targets[0]!, value, get);
          else node.targets.forEach((t, k) => assign(frame, t, Array.isArray(value) ? (value[k] ?? UNKNOWN) : value, get));
          break;
        }
        case 'do':
          if (node.expr) evaluate(node.expr, get);
          break;
        case 'callblock': {
          if (!node.expr) break;
          const body = node.body;
          const caller = callable((args) => {
            const frame = new Map<string, JValue>();
            node.params.forEach((p, k) => frame.set(p.name, args[k] ?? (p.default ? evaluate(p.default, get) : UNKNOWN)));
            const sub: string[] = [];
            this.nodes(body, [...stack, frame], sub, pkg, own);
            return sub.join('');
          });
          const call = node.expr.t === 'call' ? { ...node.expr, kwargs: [...node.expr.kwargs, ['caller', { t: 'lit', v: caller }] as [string, Expr]] } : node.expr;
          const v = evaluate(call, get);
          if (isUnknown(v)) this.problem('output', `call ${node.expr.t === 'call' ? node.expr.src : ''}`, v);
          else sink.push(toText(v));
          break;
        }
        case 'filterblock': {
          const sub: string[] = [];
          this.nodes(node.body, stack, sub, pkg, own);
          let v: JValue = sub.join('');
          for (const f of node.filters) if (f.t === 'filter') v = applyFilter(f.name, v, f.args.map((a) => evaluate(a, get)), {}, () => UNKNOWN) ?? v;
          sink.push(toText(v));
          break;
        }
        case 'with': {
          const frame = new Map<string, JValue>();
          const inner = [...stack, frame];
          const at = this.lookup(inner, pkg);
          for (const a of node.assigns) {
            const value = a.value ? evaluate(a.value, at) : UNKNOWN;
            if (a.targets.length === 1) frame.set(a.targets[0]!, value);
            else a.targets.forEach((t, k) => frame.set(t, Array.isArray(value) ? (value[k] ?? UNKNOWN) : value));
          }
          this.nodes(node.body, inner, sink, pkg, own);
          break;
        }
        case 'break':
        case 'continue':
          throw new LoopControl(node.k);
        case 'unsupported':
          this.problem('statement', node.what, new Unknown({ kind: 'construct', what: node.what }));
          break;
        case 'macro':
          break;
      }
    }
  }

  private loop(node: Extract<Node, { k: 'for' }>, stack: Array<Map<string, JValue>>, sink: string[], pkg: string | undefined, own: boolean, get: (name: string) => JValue): void {
    const iter = node.iter ? evaluate(node.iter, get) : UNKNOWN;
    // Jinja loops over an undefined name zero times; dbt renders it so, and so do we.
    if (isUndefined(iter)) {
      this.nodes(node.empty, stack, sink, pkg, own);
      return;
    }
    if (isUnknown(iter) || (!Array.isArray(iter) && !isObject(iter) && typeof iter !== 'string')) {
      // Rendering the body once with unknown items would leave stray fragments; the loop is left out and said.
      this.problem('loop', `for … in ${node.src}`, isUnknown(iter) ? iter : new Unknown({ kind: 'construct', what: `a loop over ${toText(iter) || 'a value that is not a list'}` }));
      return;
    }
    let items: JValue[] = Array.isArray(iter) ? iter : typeof iter === 'string' ? [...iter] : Object.keys(iter);
    if (node.filter) {
      const filter = node.filter;
      items = items.filter((it) => {
        const frame = new Map<string, JValue>();
        bindTargets(frame, node.targets, it);
        return truthy(evaluate(filter, this.lookup([...stack, frame], pkg)));
      });
    }
    if (items.length === 0) {
      this.nodes(node.empty, stack, sink, pkg, own);
      return;
    }
    for (let index = 0; index < items.length; index++) {
      this.step();
      const frame = new Map<string, JValue>();
      bindTargets(frame, node.targets, items[index]!);
      frame.set('loop', loopObject(items, index));
      try {
        this.nodes(node.body, [...stack, frame], sink, pkg, own);
      } catch (e) {
        if (!(e instanceof LoopControl)) throw e;
        if (e.kind === 'break') break;
      }
    }
  }
}

function bindTargets(frame: Map<string, JValue>, targets: string[], item: JValue): void {
  if (targets.length === 1) frame.set(targets[0]!, item);
  else targets.forEach((t, k) => frame.set(t, Array.isArray(item) ? (item[k] ?? UNKNOWN) : UNKNOWN));
}

function loopObject(items: JValue[], index: number): JValue {
  const n = items.length;
  return {
    index: index + 1,
    index0: index,
    revindex: n - index,
    revindex0: n - index - 1,
    first: index === 0,
    last: index === n - 1,
    length: n,
    ...(index > 0 ? { previtem: items[index - 1]! } : {}),
    ...(index < n - 1 ? { nextitem: items[index + 1]! } : {}),
    cycle: callable((args) => args[index % Math.max(1, args.length)] ?? UNKNOWN),
  };
}

/** `{% set x = … %}`, or `{% set ns.x = … %}` on a namespace. */
function assign(frame: Map<string, JValue>, target: string, value: JValue, get: (name: string) => JValue): void {
  const dot = target.indexOf('.');
  if (dot < 0) {
    frame.set(target, value);
    return;
  }
  const obj = get(target.slice(0, dot));
  if (isObject(obj)) obj[target.slice(dot + 1)] = value;
}

export { isCallable };
