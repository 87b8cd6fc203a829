import type { AnswerView } from '../src/protocol/messages';
import { h, present } from './dom';
import { request } from './rpc';
import { showError, ui } from './ui';

/** "What the model saw": the tables, joins, examples, rules and schema an answer was grounded in. */
export function renderSaw(answer: AnswerView): void {
  const g = answer.grounding;
  ui.saw.hidden = false;
  const hidden = g.hidden.tables + g.hidden.columns > 0
    ? h('p', { class: 'muted' }, `Your access policies hide ${g.hidden.tables} table${g.hidden.tables === 1 ? '' : 's'} and ${g.hidden.columns} column${g.hidden.columns === 1 ? '' : 's'}; they were not shown.`)
    : null;
  ui.saw.replaceChildren(...present(
    h('summary', {}, `What the model saw · ${g.tables.length} of ${g.tablesAvailable} tables, ${g.examples.length} example${g.examples.length === 1 ? '' : 's'}, about ${g.tokens.total} tokens`),
    h('h3', {}, 'Tables'),
    h('ul', { class: 'saw-tables' }, ...g.tables.map((t) => h('li', {},
      h('code', {}, t.name),
      h('span', { class: 'muted' }, ` ${t.columns} column${t.columns === 1 ? '' : 's'}${t.omittedColumns ? ` (+${t.omittedColumns} left out)` : ''} — ${t.reasons.join('; ')}`),
    ))),
    hidden,
    g.joins.length ? h('h3', {}, 'Join paths') : null,
    g.joins.length ? h('ul', {}, ...g.joins.map((j) => h('li', {}, h('code', {}, j)))) : null,
    h('h3', {}, 'Approved examples'),
    g.examples.length
      ? h('ol', { class: 'saw-examples', id: 'saw-examples' }, ...g.examples.map((e) => h('li', {},
        h('button', { class: 'link', onclick: () => void request({ method: 'openPair', pairId: e.id }).catch(showError) }, e.question),
        h('span', { class: 'muted' }, ` ${Math.round(e.score * 100)}%`),
      )))
      : h('p', { class: 'muted' }, 'None yet: approve answers and they become examples for the next questions.'),
    g.rules ? h('h3', {}, 'Business rules (askdata/rules.md)') : null,
    g.rules ? h('pre', { class: 'saw-text' }, g.rules) : null,
    h('h3', {}, 'Schema as the model saw it'),
    h('pre', { class: 'saw-text' }, g.schema || '(no tables)'),
  ));
}
