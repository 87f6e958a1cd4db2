import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeStoreContract, type StoreFactory } from '../contract.js';
import { describeOutageHoldContract } from '../outage-hold-contract.js';
import { describeRoutingContract } from '../routing-contract.js';
import { createSqliteStore } from './sqlite-store.js';

const realFile: StoreFactory = async (clock) => {
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
};

describeStoreContract('SQLite (a real file per test)', realFile);
describeOutageHoldContract('SQLite (a real file per test)', realFile);

describeRoutingContract('SQLite (a real file per test)', async (clock) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollcall-routing-'));
  const store = createSqliteStore({ file: path.join(dir, 'rollcall.sqlite'), clock });
  return {
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
