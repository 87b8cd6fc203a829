import * as vscode from 'vscode';
import { formatIdentity, gitIdentity, IdentityCache } from '../adapters/gitIdentity';

/**
 * Who is approving and asking, per project: read once (a few `git` calls) and kept until the
 * identity settings change or a git configuration file it may come from does — told by stat on
 * every use (adapters/gitIdentity), not by a file watcher, whose event comes late and which sees
 * nothing outside the workspace (the .git of a repository the project is a folder of, say).
 */
const known = new IdentityCache(readIdentity);

export function whoAmI(projectRoot: string): Promise<string | undefined> {
  return known.get(projectRoot);
}

/** Forgets what whoAmI read when the identity settings change. */
export function watchIdentity(): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('askData.identity') && known.forget()),
    { dispose: () => known.forget() },
  );
}

/**
 * The askData.identity settings, else git's user.name and user.email as seen from the project.
 * Undefined when neither says; callers then ask the person to set one.
 */
async function readIdentity(projectRoot: string): Promise<string | undefined> {
  const config = vscode.workspace.getConfiguration('askData.identity');
  const name = config.get<string>('name')?.trim();
  const email = config.get<string>('email')?.trim();
  if (name || email) {
    if (name && email) return formatIdentity(name, email);
    const git = await gitIdentity(projectRoot);
    const gitEmail = /<([^>]*)>/.exec(git ?? '')?.[1];
    const gitName = git?.replace(/\s*<[^>]*>$/, '');
    return formatIdentity(name || gitName, email || gitEmail);
  }
  return gitIdentity(projectRoot);
}

/** whoAmI, or an explanation with a way to fix it. */
export async function requireIdentity(projectRoot: string): Promise<string | undefined> {
  // Asked on purpose (an approval): read afresh, in case it was just set outside the editor.
  known.forget(projectRoot);
  const who = await whoAmI(projectRoot);
  if (who) return who;
  const open = 'Open Settings';
  const choice = await vscode.window.showErrorMessage(
    'Ask Data records who approves each pair, but no identity is set. Set git\'s user.name and user.email (git config --global user.email you@example.com), or the Ask Data identity settings.',
    open,
  );
  if (choice === open) await vscode.commands.executeCommand('workbench.action.openSettings', 'askData.identity');
  return undefined;
}
