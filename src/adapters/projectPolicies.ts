import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ExecutionError } from '../core/execution/errors';
import { decideAccess, type AccessDecision } from '../core/policies/access';
import { parsePolicyFile, type PolicyFile } from '../core/policies/policySchema';

/**
 * The project's askdata/policies.yml, or undefined when it has none. An invalid file fails closed:
 * no query runs until it is fixed, because guessing what it meant could show what it hides.
 */
export async function readProjectPolicies(project: string): Promise<PolicyFile | undefined> {
  const file = path.join(project, 'askdata', 'policies.yml');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    // Only a file that is not there means "no policies". One that is there but cannot be read
    // (a folder, a link to nowhere, no permission) may restrict someone: refuse until it reads.
    const there = await fs.lstat(file).then(() => true, () => false);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !there) return undefined;
    throw new ExecutionError('permission-denied', `askdata/policies.yml cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). No query runs until the access policies can be read.`, 'permission denied: unreadable policies.yml');
  }
  const parsed = parsePolicyFile(text);
  if (!parsed.ok) {
    const p = parsed.problems[0]!;
    throw new ExecutionError('permission-denied', `askdata/policies.yml:${p.line}:${p.column}: ${p.message}. No query runs until the access policies are valid.`, 'permission denied: invalid policies.yml');
  }
  return parsed.value;
}

export async function projectAccess(project: string, askerEmail: string | undefined): Promise<AccessDecision> {
  return decideAccess(await readProjectPolicies(project), askerEmail);
}
