import { execFile } from 'node:child_process';

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
  return new Promise((resolve) => {
    execFile('git', ['config', '--get', key], { cwd, timeout: 5000 }, (err, stdout) => {
      resolve(err ? undefined : stdout.trim() || undefined);
    });
  });
}

/** The email of a "Name <email>" identity: what access policies match askers by. */
export function emailOf(identity: string | undefined): string | undefined {
  return /<([^>]+)>/.exec(identity ?? '')?.[1];
}
