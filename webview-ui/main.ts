import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { onGlobalKey } from './asking';
import { h } from './dom';
import { render, renderModelBadge } from './layout';
import { onPairChanged } from './pairStatus';
import { renderQueryError } from './results';
import { onMessage, ready } from './rpc';
import { panel, restore } from './state';
import { app } from './ui';

/**
 * The Ask panel. It draws itself at once from the state the host put in the page (and the draft
 * VS Code kept for it), then follows what the host tells it: the pair's file changed, the model
 * came or went. The modules: state (the one state object), layout, asking, results, decisions,
 * pairStatus, saw ("what the model saw").
 */

const problem = restore();
if (problem) {
  app.removeAttribute('aria-busy');
  app.replaceChildren(h('p', { class: 'error', role: 'alert' }, `This panel could not be drawn. ${problem} Close it and open it again.`));
} else {
  render();
  onMessage((message) => {
    switch (message.type) {
      case 'pairChanged':
        panel.pair = message.pair;
        // A page written before this panel's answer became a pair, loaded again while shown: the
        // host knows it as that pair's. Nothing of the question's is lost (it was saved as the pair).
        if (panel.layout === 'question' && message.pair) render();
        else onPairChanged();
        break;
      case 'modelChanged':
        panel.model = message.model;
        renderModelBadge();
        renderQueryError();
        break;
    }
  });
  document.addEventListener('keydown', onGlobalKey);
  ready();
}
