import * as os from 'node:os';
import * as vscode from 'vscode';
import { formatIdentity, gitIdentity } from '../adapters/gitIdentity';

/**
 * Who is approving and asking, per project: read once (two `git config` calls) and kept until the
 * identity settings or a git configuration file change, so that typing in the panel, hovering a
 * model and asking do not start git every time.
 */
const known = new Map<string, Promise<string | undefined>>();

export function whoAmI(projectRoot: string): Promise<string | undefined> {
  let who = known.get(projectRoot);
  if (!who) {
    who = readIdentity(projectRoot);
    known.set(projectRoot, who);
  }
  return who;
}

/** Forgets what whoAmI read when the settings or git's configuration (the repo's, the user's) change. */
export function watchIdentity(): vscode.Disposable {
  const forget = () => known.clear();
  const watchers = [
    vscode.workspace.createFileSystemWatcher('**/.git/config'),
    vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(os.homedir()), '{.gitconfig,.config/git/config}')),
  ];
  for (const w of watchers) {
    w.onDidChange(forget);
    w.onDidCreate(forget);
    w.onDidDelete(forget);
  }
  return vscode.Disposable.from(
    ...watchers,
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('askData.identity') && forget()),
    { dispose: forget },
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
  known.delete(projectRoot);
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
