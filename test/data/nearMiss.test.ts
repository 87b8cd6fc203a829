import * as assert from 'node:assert/strict';
import { SPIDER_CASES } from '../support/nearMiss/cases';
import { judgeCases, spiderProject, tally, type Verdict } from '../support/nearMiss/judge';
import { requiredDataDir } from '../support/dataDir';

// Near-miss questions over Spider databases in which every gold query is approved: the setting
// in which a pair sharing a literal value misleads. Judged by running each case's correct SQL.
describe('real data: near-miss questions on Spider databases, judged by execution', function () {
  this.timeout(300_000);
  const verdicts: Verdict[] = [];
  before(async () => {
    const spiderDir = requiredDataDir('spider-dev');
    for (const db of [...new Set(SPIDER_CASES.map((c) => c.project))]) {
      verdicts.push(...(await judgeCases(await spiderProject(spiderDir, db), SPIDER_CASES.filter((c) => c.project === db))));
    }
  });

  it('gives no wrong answer from recall, open and held back', () => {
    const wrong = verdicts.filter((v) => v.outcome === 'wrong');
    assert.deepEqual(wrong.map((v) => `${v.case.question} → ${v.pair}: ${v.sql}`), []);
  });

  it('answers the safe adaptations right', () => {
    const missed = verdicts.filter((v) => v.case.adapt && v.outcome !== 'right');
    assert.deepEqual(missed.map((v) => `${v.case.question}: ${v.reason}`), []);
    assert.ok(tally(verdicts).right >= SPIDER_CASES.filter((c) => c.adapt).length);
  });
});
