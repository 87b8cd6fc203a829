import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './tempDir';

/**
 * The one place that knows where the real corpora written by others live (Spider, DuckDB-NSQL,
 * real dbt projects). They are never part of the repo: `npm test` must pass on a clone with
 * nothing beside it, so only `npm run test:data` and the benchmarks read them.
 *
 * `ASKDATA_DATA` names the folder; the benchmarks also look beside the repo, where this
 * project's CI keeps it, and skip what is not there.
 */
export const DATA_ENV = 'ASKDATA_DATA';

export class DataMissingError extends Error {}

/** The data folder for `npm run test:data`: it must be named, and hold `what`. */
export function requiredDataDir(...what: string[]): string {
  const named = process.env[DATA_ENV];
  if (!named) {
    throw new DataMissingError(
      `${DATA_ENV} is not set. npm run test:data checks Ask Data against real corpora kept outside the repo; set ${DATA_ENV} to the folder that holds spider-dev/, duckdb-nsql/ and dbt-real.tgz, e.g.\n  ${DATA_ENV}=../shared/data npm run test:data`,
    );
  }
  const dir = path.resolve(named);
  const target = path.join(dir, ...what);
  if (!existsSync(target)) throw new DataMissingError(`${DATA_ENV}=${named}, but ${target} is not there.`);
  return target;
}

/** For benchmarks: the named folder, else the one beside the repo; undefined when neither has `what`. */
export function optionalDataDir(...what: string[]): string | undefined {
  const candidates = [process.env[DATA_ENV], path.join(repoRoot, '..', 'shared', 'data')].filter((d): d is string => !!d);
  for (const dir of candidates) {
    const target = path.join(path.resolve(dir), ...what);
    if (existsSync(target)) return target;
  }
  return undefined;
}
