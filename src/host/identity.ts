import * as vscode from 'vscode';
import { formatIdentity, gitIdentity } from '../adapters/gitIdentity';

/**
 * Who is approving: the askData.identity settings, else git's user.name and user.email as seen
 * from the project. Undefined when neither says; callers then ask the person to set one.
 */
export async function whoAmI(projectRoot: string): Promise<string | undefined> {
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
