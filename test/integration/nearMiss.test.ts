import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { OllamaClient } from '../../src/adapters/ollama';
import { openAskProject } from '../../src/usecases/project';
import { answerQuestion } from '../../src/core/answer/answer';
import { buildChat } from '../../src/core/answer/prompt';
import { SHOP_CASES } from '../support/nearMiss/cases';
import { INDEPENDENT_SHOP_CASES } from '../support/nearMiss/independent';
import { THIRD_HELD_BACK_CASES, THIRD_JAFFLE_CASES, THIRD_SHOP_CASES } from '../support/nearMiss/third';
import { jaffleLikeProject } from '../support/jaffleLike';
import { judgeCases, tally, type Verdict } from '../support/nearMiss/judge';
import { FakeOllama } from '../support/fakeOllama';
import { sampleWithDatabase } from '../support/sampleDb';
import { tempDir } from '../support/tempDir';

// Near-miss questions on the sample, judged by running each case's correct SQL against the answer.
describe('near-miss questions on the sample, judged by execution', function () {
  this.timeout(180_000);
  let project: string;
  let open: Verdict[];
  let heldBack: Verdict[];
  before(async () => {
    ({ project } = await sampleWithDatabase());
    open = await judgeCases(project, SHOP_CASES.filter((c) => !c.heldBack));
    heldBack = await judgeCases(project, SHOP_CASES.filter((c) => c.heldBack));
  });

  const describeWrong = (vs: Verdict[]) => vs.filter((v) => v.outcome === 'wrong').map((v) => `${v.case.question} → ${v.pair}: ${v.sql}`).join('\n');

  it('gives no wrong answer from recall, on the open and the held-back cases', () => {
    assert.equal(tally(open).wrong, 0, describeWrong(open));
    assert.equal(tally(heldBack).wrong, 0, describeWrong(heldBack));
  });

  it('answers the safe adaptations and paraphrases of the open set, each right by execution', () => {
    const missed = open.filter((v) => v.case.adapt && v.outcome !== 'right');
    assert.deepEqual(missed.map((v) => `${v.case.question}: ${v.reason}`), []);
  });

  it('says what differs, in the asker\'s words, on every abstention', () => {
    for (const v of [...open, ...heldBack].filter((x) => x.outcome === 'abstained')) {
      assert.ok(v.reason && v.reason.length > 20, v.case.question);
      assert.ok(v.answer.match, v.case.question);
    }
    const total = open.find((v) => v.case.question === 'How many orders did we get in the last 7 days?')!;
    assert.match(total.reason!, /"How many orders did we get each day in the last 7 days\?"[\s\S]*per day[\s\S]*one total/);
  });

  it('does not answer "How many customers do we have?" from the active-customers pair, and shows the rejection', async () => {
    const v = open.find((x) => x.case.question === 'How many customers do we have?')!;
    assert.equal(v.outcome, 'abstained');
    assert.notEqual(v.pair, 'askdata/pairs/active-customers.yml');
    assert.match(v.reason!, /rejected: counts orders, not customers/);
    assert.equal(v.answer.rejected?.file, 'askdata/pairs/how-many-customers-do-we-have.yml');
    assert.ok(v.answer.match!.differences.some((d) => /active/.test(d.pair)), JSON.stringify(v.answer.match));
  });

  it('answers "Who are our top 3 customers in Germany?" and "… in France?" by adapting the approved pair', () => {
    for (const [q, country] of [['Who are our top 3 customers in Germany?', 'DE'], ['Who are our top 3 customers in France?', 'FR']] as const) {
      const v = open.find((x) => x.case.question === q)!;
      assert.equal(v.outcome, 'right', `${q}: ${v.reason}`);
      assert.equal(v.pair, 'askdata/pairs/top-customers-in-germany.yml');
      assert.match(v.sql!, new RegExp(`country = '${country}'[\\s\\S]*limit 3$`));
      assert.ok(v.answer.adaptations.some((a) => a.kind === 'top'), q);
      assert.ok(v.answer.match!.matched.some((m) => m.adapted), q);
    }
  });

  it('shows the model the rejected SQL and its reason, and the nearest pair first with what differs', async () => {
    const ask = await openAskProject(project, {});
    try {
      const g = ask.context.ground('How many customers do we have?');
      const system = buildChat(g, g.question)[0]!.content;
      assert.match(system, /do not answer like this[\s\S]*select count\(customer_id\) as customers[\s\S]*counts orders, not customers/);
      const near = await answerQuestion('How many orders were placed per week?', ask.context, ask.run, { engine: 'recall' });
      assert.equal(near.abstained, true);
      const recalled = ask.context.recall.answer('How many orders were placed per week?');
      assert.ok(recalled.abstained && recalled.nearest);
      const chat = buildChat(ask.context.ground('How many orders were placed per week?'), 'How many orders were placed per week?', [], { id: recalled.nearest!.pair.id, question: recalled.nearest!.pair.question, sql: recalled.nearest!.pair.sql, differences: ['per day, this question asks per week'] });
      assert.equal(chat[1]!.content, recalled.nearest!.pair.question);
      assert.match(chat[0]!.content, /not the same question: per day, this question asks per week/);
      assert.equal(chat.at(-1)!.content, 'How many orders were placed per week?');
    } finally {
      ask.close();
    }
  });
});

// The second, independently written set (test/support/nearMiss/independent.ts), same judge.
describe('independent near-miss questions on the sample, judged by execution', function () {
  this.timeout(180_000);
  let verdicts: Verdict[];
  before(async () => {
    const { project } = await sampleWithDatabase();
    verdicts = await judgeCases(project, INDEPENDENT_SHOP_CASES);
  });
  const line = (v: Verdict) => `${v.case.question} (${v.case.differs}) → ${v.pair}: ${v.sql ?? v.reason}`;

  it('gives no wrong answer from recall, open and held back', () => {
    assert.deepEqual(verdicts.filter((v) => v.outcome === 'wrong').map(line), []);
  });

  it('answers every safe adaptation and paraphrase, right by execution', () => {
    assert.deepEqual(verdicts.filter((v) => v.case.adapt && v.outcome !== 'right').map(line), []);
    assert.ok(verdicts.filter((v) => v.case.adapt).length >= 20);
  });

  it('says what differs on every abstention, and names the rejected pair a reworded question is close to', () => {
    for (const v of verdicts.filter((x) => x.outcome === 'abstained')) assert.ok(v.reason && v.reason.length > 20 && v.answer.match, v.case.question);
    for (const v of verdicts.filter((x) => x.case.class === 'rejected')) {
      assert.equal(v.outcome, 'abstained', v.case.question);
      assert.equal(v.answer.rejected?.file, 'askdata/pairs/how-many-customers-do-we-have.yml', v.case.question);
      assert.match(v.reason!, /rejected: counts orders, not customers/, v.case.question);
    }
  });
});

// The third round's set (test/support/nearMiss/third.ts): other classes, on the sample and on a
// jaffle_shop-like project with five hand-written pairs; same judge.
describe('third-round near-miss questions on the sample and a jaffle_shop-like project, judged by execution', function () {
  this.timeout(180_000);
  let verdicts: Verdict[];
  before(async () => {
    const { project } = await sampleWithDatabase();
    const held = (p: string) => THIRD_HELD_BACK_CASES.filter((c) => c.project === p);
    verdicts = [...(await judgeCases(project, [...THIRD_SHOP_CASES, ...held('shop')])), ...(await judgeCases(await jaffleLikeProject(), [...THIRD_JAFFLE_CASES, ...held('jaffle')]))];
  });
  const line = (v: Verdict) => `${v.case.project}: ${v.case.question} (${v.case.differs}) → ${v.pair}: ${v.sql ?? v.reason}`;

  it('gives no wrong answer from recall', () => {
    assert.deepEqual(verdicts.filter((v) => v.outcome === 'wrong').map(line), []);
  });

  it('answers every safe adaptation and paraphrase right by execution, but for one it knows recall cannot read', () => {
    // Known miss (held back, counted in the bench): "…, highest first" appended to a pair sorted
    // highest first, which recall reads as a ranking by the breakdown's "by marketing channel".
    const known = ['What is the average order value by marketing channel, highest first?'];
    const missed = verdicts.filter((v) => v.case.adapt && v.outcome !== 'right');
    assert.deepEqual(missed.filter((v) => !known.includes(v.case.question)).map(line), []);
    assert.deepEqual(missed.map((v) => v.case.question), known, 'a known miss is answered now: take it off the list');
    assert.ok(verdicts.filter((v) => v.case.adapt).length >= 12);
  });

  it('says what differs on every abstention, quoting the words a question puts into an approved one', () => {
    for (const v of verdicts.filter((x) => x.outcome === 'abstained')) assert.ok(v.reason && v.reason.length > 20 && v.answer.match, v.case.question);
    const appended = verdicts.find((v) => v.case.question === 'How many orders did we get each day in the last 7 days, cumulatively?')!;
    assert.match(appended.reason!, /"How many orders did we get each day in the last 7 days\?"[\s\S]*without "cumulatively"/);
    const inactive = verdicts.find((v) => v.case.question === 'Top 5 customers in Germany, leaving out the inactive ones')!;
    assert.match(inactive.reason!, /negation[\s\S]*inactive/);
  });
});

describe('the answer path around recall, on the sample', function () {
  this.timeout(180_000);

  it('auto mode skips the model exactly when recall matched every component as it is, over the independent set', async () => {
    const { project } = await sampleWithDatabase();
    const ask = await openAskProject(project, {});
    const fake = new FakeOllama();
    try {
      const model = new OllamaClient({ host: await fake.start(), model: 'qwen2.5-coder:1.5b' });
      fake.reply = () => ({ content: '```sql\nselect 1 as one\n```' });
      let skipped = 0;
      let asked = 0;
      for (const c of INDEPENDENT_SHOP_CASES) {
        const recalled = ask.context.recall.answer(c.question);
        const before = fake.calls('/api/chat').length;
        const a = await answerQuestion(c.question, ask.context, ask.run, { engine: 'auto', model });
        const calledModel = fake.calls('/api/chat').length > before;
        const exact = !recalled.abstained && recalled.exact;
        assert.equal(calledModel, !exact, `${c.question}: ${recalled.abstained ? 'abstained' : JSON.stringify(recalled.adaptations)}`);
        assert.equal(a.source, exact ? 'recall' : 'model', c.question);
        if (exact) {
          skipped++;
          assert.equal(recalled.adaptations.length, 0, c.question);
        } else asked++;
      }
      // Both sides happen: paraphrases that match as they are, and adaptations the model is asked about.
      assert.ok(skipped > 0 && asked > skipped, `${skipped} skipped, ${asked} asked`);
    } finally {
      await fake.stop();
      ask.close();
    }
  });

  it('says a question asks what a rejected pair asked, by meaning as well as by words', async () => {
    const { project } = await sampleWithDatabase();
    const ask = await openAskProject(project, {});
    try {
      for (const q of ['How many customers have we got in total?', 'What is our customer count?', 'How many customers do we have?']) {
        const a = await answerQuestion(q, ask.context, ask.run, { engine: 'recall' });
        assert.equal(a.abstained, true, q);
        assert.equal(a.rejected?.file, 'askdata/pairs/how-many-customers-do-we-have.yml', q);
        assert.match(a.reason!, /rejected: counts orders, not customers/, q);
      }
      // Not the same question: a breakdown, a filter. No rejection is claimed for them.
      for (const q of ['How many customers do we have in each country?', 'How many customers do we have in Germany?']) {
        assert.equal((await answerQuestion(q, ask.context, ask.run, { engine: 'recall' })).rejected, null, q);
      }
    } finally {
      ask.close();
    }
  });

  it('never quotes to an asker a rejected pair that reads a column or table hidden from them', async () => {
    const { project: sample } = await sampleWithDatabase();
    const project = await tempDir('askdata-rejected-policies-');
    await fs.cp(sample, project, { recursive: true });
    const rejected = (file: string, question: string, sql: string, reason: string) =>
      fs.writeFile(path.join(project, 'askdata', 'pairs', file), `version: 1\nquestion: ${JSON.stringify(question)}\nsql: ${JSON.stringify(sql)}\nstatus: rejected\nrejected: { by: "Jonas Weber <jonas@shop.example>", at: 2026-10-25T14:05:00Z, reason: ${JSON.stringify(reason)} }\n`);
    await rejected('emails.yml', 'How many customers have an email address?', 'select count(email) from customers', 'emails are personal data');
    await rejected('clicks.yml', 'What is our total marketing spend?', 'select sum(clicks) from marketing_daily', 'sums clicks, not spend');
    // Sam (marketing) may not see customers.email; Lena (country manager) may not read marketing_daily.
    const cases = [
      { asker: 'sam.okafor@shop.example', question: 'How many customers have an email address?', file: 'askdata/pairs/emails.yml', visible: false },
      { asker: 'sam.okafor@shop.example', question: 'What is our total marketing spend?', file: 'askdata/pairs/clicks.yml', visible: true },
      { asker: 'lena.fischer@country.shop.example', question: 'What is our total marketing spend?', file: 'askdata/pairs/clicks.yml', visible: false },
      { asker: 'lena.fischer@country.shop.example', question: 'How many customers have an email address?', file: 'askdata/pairs/emails.yml', visible: true },
      { asker: 'jonas@shop.example', question: 'How many customers have an email address?', file: 'askdata/pairs/emails.yml', visible: true },
    ];
    for (const c of cases) {
      const ask = await openAskProject(project, { asker: c.asker });
      try {
        const a = await answerQuestion(c.question, ask.context, ask.run, { engine: 'recall' });
        const system = buildChat(a.grounding, c.question)[0]!.content;
        const quoted = a.rejected?.file === c.file || a.reason!.includes(c.file) || system.includes(c.file.replace('askdata/pairs/', '')) || /count\(email\)|sum\(clicks\)/.test(system);
        assert.equal(quoted, c.visible, `${c.asker}: ${c.question}`);
        if (c.visible) assert.equal(a.rejected?.file, c.file, `${c.asker}: ${c.question}`);
      } finally {
        ask.close();
      }
    }
  });
});
