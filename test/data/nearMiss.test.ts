import * as assert from 'node:assert/strict';
import { SPIDER_CASES } from '../support/nearMiss/cases';
import { INDEPENDENT_SPIDER_CASES } from '../support/nearMiss/independent';
import { THIRD_HELD_BACK_CASES, THIRD_SPIDER_CASES } from '../support/nearMiss/third';
import { judgeCases, spiderProject, tally, type Verdict } from '../support/nearMiss/judge';
import { openAskProject } from '../../src/usecases/project';
import { requiredDataDir } from '../support/dataDir';

// Near-miss questions over Spider databases in which every gold query is approved: the setting
// in which a pair sharing a literal value misleads. Judged by running each case's correct SQL.
describe('real data: near-miss questions on Spider databases, judged by execution', function () {
  this.timeout(300_000);
  const verdicts: Verdict[] = [];
  before(async () => {
    const spiderDir = requiredDataDir('spider-dev');
    // The three sets: the first one's, the independently written one (independent.ts) and the third round's (third.ts).
    const cases = [...SPIDER_CASES, ...INDEPENDENT_SPIDER_CASES, ...THIRD_SPIDER_CASES, ...THIRD_HELD_BACK_CASES.filter((c) => c.project !== 'shop' && c.project !== 'jaffle')];
    for (const db of [...new Set(cases.map((c) => c.project))]) {
      verdicts.push(...(await judgeCases(await spiderProject(spiderDir, db), cases.filter((c) => c.project === db))));
    }
  });

  it('gives no wrong answer from recall, open and held back', () => {
    const wrong = verdicts.filter((v) => v.outcome === 'wrong');
    assert.deepEqual(wrong.map((v) => `${v.case.question} → ${v.pair}: ${v.sql}`), []);
  });

  it('answers the safe adaptations right, but for four the sets know recall cannot read', () => {
    // Known misses (abstentions, counted in the bench): "female"/"male" for Spider's sex = 'F'/'M',
    // and a department name not among the database's sampled values, next to an approved question
    // that writes its own value differently from its SQL ("engineering" for 'engineer').
    // The third set's: a range whose lower bound moves ("2 to 3 paragraphs" from "1 to 2"), which
    // adaptSql reads as a value beside a count.
    const known = ['How many cat pets are raised by female students?', 'How many dog pets are raised by male students?', 'How many degrees does the history department offer?', 'What is the document id with 2 to 3 paragraphs?'];
    const missed = verdicts.filter((v) => v.case.adapt && v.outcome !== 'right');
    assert.deepEqual(missed.filter((v) => !known.includes(v.case.question)).map((v) => `${v.case.question}: ${v.reason}`), []);
    assert.deepEqual(missed.map((v) => v.case.question).sort(), [...known].sort(), 'a known miss is answered now: take it off the list');
    for (const v of missed) assert.equal(v.outcome, 'abstained', v.case.question);
    assert.ok(tally(verdicts).right >= SPIDER_CASES.filter((c) => c.adapt).length);
  });

  // flight_2's airport codes carry spaces, so its joins return nothing and execution cannot tell
  // departures from arrivals: the end of the trip the answer reads is checked in its SQL instead.
  it('answers a question about arrivals only from a pair reading arrivals, and departures from departures', async () => {
    const ask = await openAskProject(await spiderProject(requiredDataDir('spider-dev'), 'flight_2'), {});
    try {
      for (const [q, end, other] of [['How many flights land in Aberdeen?', /DestAirport/, /SourceAirport/], ['How many flights leave from Aberdeen?', /SourceAirport/, /DestAirport/], ['How many flights depart from City Aberdeen, in hours?', /SourceAirport/, /DestAirport/]] as const) {
        const a = ask.context.recall.answer(q);
        if (!a.abstained) {
          assert.match(a.sql, end, q);
          assert.doesNotMatch(a.sql, other, q);
        }
      }
      assert.equal(ask.context.recall.answer('How many flights land in Aberdeen?').abstained, false, 'an arrival question with an arrival pair is answered');
    } finally {
      ask.close();
    }
  });
});
