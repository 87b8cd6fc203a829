import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileSignature } from './fileSignature';

/** "Name <email>" from git's configuration as seen from `cwd`, or undefined when git has none. */
export async function gitIdentity(cwd: string): Promise<string | undefined> {
  const [name, email] = await Promise.all([gitConfig(cwd, 'user.name'), gitConfig(cwd, 'user.email')]);
  return formatIdentity(name, email);
}

export function formatIdentity(name: string | undefined, email: string | undefined): string | undefined {
  const n = name?.trim();
  const e = email?.trim();
  if (n && e) return `${n} <${e}>`;
  if (e) return `<${e}>`;
  return n || undefined;
}

function gitConfig(cwd: string, key: string): Promise<string | undefined> {
  return git(cwd, ['config', '--get', key]).then((out) => out?.trim() || undefined);
}

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The email of a "Name <email>" identity: what access policies match askers by. */
export function emailOf(identity: string | undefined): string | undefined {
  return /<([^>]+)>/.exec(identity ?? '')?.[1];
}

/**
 * The files git's identity for `cwd` may come from, including those not there yet that would
 * take precedence once written: the repository's config (wherever its .git is: above a project
 * in a larger repository, or a worktree's common folder), the worktree's config.worktree, the
 * user's (GIT_CONFIG_GLOBAL, ~/.gitconfig, the XDG one), every file git reads now (system,
 * includes), and the project's own .git (for a `git init` there later).
 */
export async function gitConfigFiles(cwd: string): Promise<string[]> {
  const home = os.homedir();
  const files = new Set<string>([path.join(cwd, '.git')]);
  const global = process.env.GIT_CONFIG_GLOBAL;
  if (global) files.add(path.resolve(cwd, global));
  else {
    files.add(path.join(home, '.gitconfig'));
    files.add(path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'config'));
  }
  const [dirs, origins] = await Promise.all([
    git(cwd, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']),
    git(cwd, ['config', '--list', '--show-origin', '-z']),
  ]);
  const [gitDir, commonDir] = dirs?.split('\n').map((l) => l.trim()) ?? [];
  if (commonDir) files.add(path.join(commonDir, 'config'));
  if (gitDir) {
    files.add(path.join(gitDir, 'config.worktree'));
    files.add(path.join(gitDir, 'commondir'));
  }
  // -z: "file:<path>\0<key>\n<value>\0" per entry.
  for (const [i, field] of (origins ?? '').split('\0').entries()) {
    if (i % 2 === 0 && field.startsWith('file:')) files.add(path.resolve(cwd, field.slice('file:'.length)));
  }
  return [...files].sort();
}

/**
 * Who is asking, per project, read once and kept until one of the files it may come from changes
 * (told by their signature, which reads no file and runs no git) or `forget` is called (the
 * editor's identity settings changed): typing in the panel checks, without starting git each time.
 */
export class IdentityCache {
  private readonly known = new Map<string, Promise<{ who: string | undefined; files: string[]; signature: string }>>();

  constructor(private readonly read: (root: string) => Promise<string | undefined> = gitIdentity) {}

  async get(root: string): Promise<string | undefined> {
    const known = await this.known.get(root)?.catch(() => undefined);
    if (known && (await fileSignature(known.files)) === known.signature) return known.who;
    const fresh = (async () => {
      const files = await gitConfigFiles(root);
      // The signature before the read: a change while reading is seen next time.
      const signature = await fileSignature(files);
      return { who: await this.read(root), files, signature };
    })();
    this.known.set(root, fresh);
    fresh.catch(() => this.known.get(root) === fresh && this.known.delete(root));
    return (await fresh).who;
  }

  forget(root?: string): void {
    if (root === undefined) this.known.clear();
    else this.known.delete(root);
  }
}
