import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeStoreContracts } from '../contracts/index.js';
import { createSqliteStore } from './sqlite-store.js';

describeStoreContracts('SQLite (a real file per test)', async (clock) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-store-'));
  const file = path.join(dir, 'rollcall.sqlite');
  let store = createSqliteStore({ file, clock });
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = createSqliteStore({ file, clock });
      return store;
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
