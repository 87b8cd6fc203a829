import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { sampleWithDatabase } from './sampleDb';
import { tempDir } from './tempDir';

/** `askdata …` in this process: its exit code and what it printed. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

/** A copy of the sample with its database, made a git repository with an identity of its own (Dana's, whom no policy restricts). */
export async function sampleRepo(prefix = 'askdata-sample-repo-'): Promise<string> {
  const { project: built } = await sampleWithDatabase();
  const project = path.join(await tempDir(prefix), 'shop');
  await fs.cp(built, project, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: project, stdio: 'pipe' });
  git('init', '-q');
  git('config', 'user.name', 'Dana Analyst');
  git('config', 'user.email', 'dana@shop.example');
  return project;
}
