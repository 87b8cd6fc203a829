import * as vscode from 'vscode';
import { emailOf } from '../adapters/gitIdentity';
import { projectAccess } from '../adapters/projectPolicies';
import { visibleRelations } from '../core/grounding/grounding';
import { approvedPairsUsing } from '../core/queue/approvalQueue';
import type { IndexedRelation } from '../core/index/workspaceIndex';
import { whoAmI } from './identity';
import type { IndexService } from './indexService';
import { escapeMarkdown as escape } from './markdown';
import type { Projects } from './projects';

const MAX_COLUMNS = 20;
const MAX_QUESTIONS = 5;

/** Hovering a model, seed, source or table name in SQL: what it is, its columns, and the approved questions that use it. */
export class RelationHover implements vscode.HoverProvider {
  constructor(private readonly index: IndexService, private readonly projects: Projects) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const range = document.getWordRangeAtPosition(position, /[A-Za-z_][\w$]*/);
    if (!range) return undefined;
    const word = document.getText(range);
    await this.index.initialize();
    const rel = this.index.relation(document.uri.fsPath, word);
    if (!rel) return undefined;
    return new vscode.Hover(this.describe(document, await this.asSeenBy(document, rel)), range);
  }

  /**
   * The relation as the person hovering may see it under askdata/policies.yml: the file is theirs
   * to read, but known values and columns come from the database. A relation they may not read
   * keeps its name, kind and description (all in the repo) and loses its columns.
   */
  private async asSeenBy(document: vscode.TextDocument, rel: IndexedRelation): Promise<IndexedRelation> {
    const project = this.projects.projectOf(document.uri.fsPath);
    if (!project) return rel;
    let access;
    try {
      access = await projectAccess(project.root, emailOf(await whoAmI(project.root)));
    } catch {
      return { ...rel, columns: [] };
    }
    const [seen] = visibleRelations([rel], access).relations;
    return seen ?? { ...rel, columns: [] };
  }

  private describe(document: vscode.TextDocument, rel: IndexedRelation): vscode.MarkdownString {
    const md = new vscode.MarkdownString();
    md.supportThemeIcons = true;
    const where = [rel.kind, rel.materialized, rel.package ? `package ${rel.package}` : undefined, rel.relation].filter(Boolean).join(' · ');
    md.appendMarkdown(`**${escape(rel.name)}** — ${escape(where)}\n\n`);
    if (rel.description) md.appendMarkdown(`${escape(rel.description)}\n\n`);
    // The questions first: the column list can be long and the hover scrolls.
    const project = this.projects.projectOf(document.uri.fsPath);
    if (project) {
      const using = approvedPairsUsing(project.store.pairs, rel.key);
      if (using.length) {
        md.appendMarkdown(`**${using.length} approved question${using.length === 1 ? '' : 's'}**\n`);
        for (const pair of using.slice(0, MAX_QUESTIONS)) {
          const stale = this.index.staleness(project.root, pair);
          md.appendMarkdown(`- ${stale ? '$(warning) ' : ''}${escape(pair.question)}${stale ? ` — _may be stale: ${escape(stale.reason)}_` : ''}\n`);
        }
        if (using.length > MAX_QUESTIONS) md.appendMarkdown(`- … ${using.length - MAX_QUESTIONS} more\n`);
        md.appendMarkdown('\n');
      }
    }
    if (rel.columns.length) {
      const lines = rel.columns.slice(0, MAX_COLUMNS).map((c) => {
        const bits = [c.type && `\`${c.type}\``, c.tests?.includes('unique') && 'unique', c.references && `→ ${c.references.relation}.${c.references.column}`].filter(Boolean).join(' ');
        const values = c.values?.length ? ` (${c.values.slice(0, 8).map(escape).join(', ')}${c.values.length > 8 ? ', …' : ''})` : '';
        return `- \`${c.name}\`${bits ? ` ${bits}` : ''}${c.description ? ` — ${escape(c.description)}` : ''}${values}`;
      });
      md.appendMarkdown(`**Columns**\n${lines.join('\n')}${rel.columns.length > MAX_COLUMNS ? `\n- … ${rel.columns.length - MAX_COLUMNS} more` : ''}\n\n`);
    }
    return md;
  }
}
