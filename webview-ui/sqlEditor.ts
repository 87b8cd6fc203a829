import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { PostgreSQL, sql, SQLite } from '@codemirror/lang-sql';
import { bracketMatching, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';

/**
 * The SQL editor: CodeMirror 6 with its SQL language, coloured from the editor theme's own
 * variables (so it follows light, dark and high-contrast themes), Ctrl+Enter to run. Tab is left
 * to move focus, as keyboard users expect in a form; indentation comes with Enter.
 */
const theme = EditorView.theme({
  '&': {
    color: 'var(--vscode-editor-foreground)',
    backgroundColor: 'var(--vscode-input-background, var(--vscode-editor-background))',
    border: '1px solid var(--vscode-input-border, var(--vscode-widget-border, transparent))',
    borderRadius: '2px',
    fontSize: 'var(--vscode-editor-font-size)',
  },
  '&.cm-focused': { outline: '1px solid var(--vscode-focusBorder)', outlineOffset: '-1px' },
  '.cm-scroller': { fontFamily: 'var(--vscode-editor-font-family)', lineHeight: '1.5', maxHeight: '360px', overflow: 'auto' },
  '.cm-content': { caretColor: 'var(--vscode-editorCursor-foreground)', padding: '6px 0' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--vscode-editorCursor-foreground)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'var(--vscode-editor-selectionBackground)' },
  '.cm-activeLine': { backgroundColor: 'var(--vscode-editor-lineHighlightBackground, transparent)' },
  '.cm-gutters': { backgroundColor: 'transparent', color: 'var(--vscode-editorLineNumber-foreground)', border: 'none' },
  '.cm-activeLineGutter': { backgroundColor: 'transparent', color: 'var(--vscode-editorLineNumber-activeForeground)' },
  '.cm-matchingBracket': { outline: '1px solid var(--vscode-editorBracketMatch-border, var(--vscode-focusBorder))', backgroundColor: 'transparent' },
  '.cm-placeholder': { color: 'var(--vscode-input-placeholderForeground)' },
});

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.operatorKeyword, t.modifier], color: 'var(--vscode-symbolIcon-keywordForeground, var(--vscode-textLink-foreground))', fontWeight: '600' },
  { tag: [t.string, t.special(t.string)], color: 'var(--vscode-debugTokenExpression-string)' },
  { tag: [t.number, t.bool, t.null], color: 'var(--vscode-debugTokenExpression-number)' },
  { tag: [t.lineComment, t.blockComment, t.comment], color: 'var(--vscode-descriptionForeground)', fontStyle: 'italic' },
  { tag: [t.function(t.variableName), t.standard(t.name)], color: 'var(--vscode-symbolIcon-functionForeground, var(--vscode-foreground))' },
  { tag: [t.typeName], color: 'var(--vscode-symbolIcon-classForeground, var(--vscode-foreground))' },
  { tag: [t.special(t.name), t.special(t.variableName)], color: 'var(--vscode-debugTokenExpression-name)' },
]);

export interface SqlEditorOptions {
  nonce: string;
  label: string;
  onRun(): void;
  onChange(): void;
}

export class SqlEditor {
  private readonly view: EditorView;
  private readonly language = new Compartment();
  private readonly editable = new Compartment();

  constructor(parent: HTMLElement, initial: string, options: SqlEditorOptions) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: initial,
        extensions: [
          // CodeMirror adds its styles in <style> elements: they need the panel's CSP nonce.
          EditorView.cspNonce.of(options.nonce),
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          this.language.of(sql({ dialect: PostgreSQL })),
          syntaxHighlighting(highlight),
          theme,
          placeholder('SQL appears here; you can also write it yourself.'),
          EditorView.lineWrapping,
          this.editable.of(EditorView.editable.of(true)),
          EditorView.contentAttributes.of({ 'aria-label': options.label, 'aria-multiline': 'true' }),
          keymap.of([{ key: 'Mod-Enter', run: () => (options.onRun(), true) }, ...historyKeymap, ...defaultKeymap]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && u.transactions.some((tr) => tr.isUserEvent('input') || tr.isUserEvent('delete') || tr.isUserEvent('undo') || tr.isUserEvent('redo') || tr.isUserEvent('move'))) options.onChange();
          }),
        ],
      }),
    });
  }

  get value(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the text (an answer arrived); not an edit by the person, so no change event. */
  set value(text: string) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Highlighting: SQLite's, else PostgreSQL's (close enough for DuckDB and the warehouses). */
  setDialect(dialect: string): void {
    this.view.dispatch({ effects: this.language.reconfigure(sql({ dialect: dialect === 'sqlite' ? SQLite : PostgreSQL })) });
  }

  /** Read-only while the model streams into it. */
  setEditable(editable: boolean): void {
    this.view.dispatch({ effects: this.editable.reconfigure(EditorView.editable.of(editable)) });
  }

  focus(): void {
    this.view.focus();
  }

  get dom(): HTMLElement {
    return this.view.dom;
  }
}
