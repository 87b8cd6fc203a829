import Mocha from 'mocha';

/** Entry point VS Code calls inside the extension host (see runTest.ts). */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: true, timeout: 60_000 });
  mocha.suite.emit('pre-require', globalThis, 'host', mocha);
  // Loaded after pre-require so that describe/it exist when the suite module runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./hostSuite');
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
