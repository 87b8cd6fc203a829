import { requiredDataDir } from '../support/dataDir';

/** Root hook: without ASKDATA_DATA the data suite stops at once, saying what to set. */
export const mochaHooks = {
  beforeAll(): void {
    requiredDataDir();
  },
};
