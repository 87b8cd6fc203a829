import tseslint from 'typescript-eslint';

// The layers of ARCHITECTURE.md ("Layers"), enforced: each folder may import only the layers below it.
const restrict = (group, message) => ['error', { patterns: [{ group, message }] }];
const nodeIo = ['fs', 'node:fs', 'fs/*', 'node:fs/*', 'child_process', 'node:child_process', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', 'samples/**', '.vscode-test/**'] },
  ...tseslint.configs.recommended,
  // The shipped code is held to the type-checked rules in full; tests and benchmarks, which read
  // the JSON they print themselves, keep the rules above and the two below.
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['src/**/*.ts', 'webview-ui/**/*.ts'] })),
  {
    files: ['src/**/*.ts'],
    rules: {
      // The Jinja renderer unwinds a macro's return, a loop's break and its step limit by throwing
      // values that are signals, not errors.
      '@typescript-eslint/only-throw-error': ['error', { allow: [{ from: 'file', name: ['JinjaReturn', 'LoopControl', 'StepLimit'], path: 'src/core/dbt/jinja.ts' }] }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits loses its error; a switch over a union says what it does with each member.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // An async function that awaits nothing still turns a throw into a rejection, which callers of
      // an interface that returns a promise (Engine, the handler table) rely on.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        ['vscode', ...nodeIo, '**/adapters/**', '**/usecases/**', '**/host/**', '**/cli/**', '**/webview-ui/**', '@duckdb/*', 'sql.js', 'ollama', 'pg', 'libpg-query'],
        'src/core is pure: no vscode, no I/O of its own, no adapters (ARCHITECTURE.md, "Layers").',
      ),
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['vscode', '**/core/**', '**/adapters/**', '**/usecases/**', '**/host/**', '**/cli/**', '**/webview-ui/**', ...nodeIo], 'src/protocol is shared with the webview: zod and plain types only.'),
    },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['vscode', '**/usecases/**', '**/host/**', '**/cli/**', '**/webview-ui/**'], 'adapters are drivers: they work outside VS Code and know nothing of the use cases above them.'),
    },
  },
  {
    files: ['src/usecases/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['vscode', '**/host/**', '**/cli/**', '**/webview-ui/**'], 'use cases are shared by the editor and the CLI: no vscode, no front end.'),
    },
  },
  {
    files: ['src/host/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['**/cli/**', '**/webview-ui/**'], 'the editor calls the use cases, never the CLI; the panel is reached only through src/protocol.'),
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['vscode', '**/host/**', '**/webview-ui/**'], 'the CLI runs without VS Code.'),
    },
  },
  {
    files: ['webview-ui/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['vscode', '**/src/core/**', '**/src/adapters/**', '**/src/host/**', '**/src/cli/**', 'node:*', ...nodeIo], 'webview-ui imports only src/protocol (and browser libraries).'),
    },
  },
);
