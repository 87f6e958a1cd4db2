/**
 * Background WAL checkpoints. Left to itself SQLite checkpoints inside whichever commit pushes the
 * WAL past 1000 pages, with an fsync, on the event loop: in a burst of logouts that made one commit
 * in ten cost ~16 ms. Here a worker thread with its own connection runs PASSIVE checkpoints every
 * `intervalMs` (a passive checkpoint never blocks writers), and the main connection's automatic
 * checkpoint is raised to a safety net that only matters if the thread stops.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** Pages the WAL may reach before the main connection checkpoints by itself (≈ 64 MiB at 4 KiB pages). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;

const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ error: String(error) }); }
}, workerData.intervalMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); db.close(); process.exit(0); } });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(db: BetterSqlite3.Database, file: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { file, intervalMs, driver: require_resolve('better-sqlite3') } });
  worker.unref();
  worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
  worker.on('error', (error) => onError(String(error)));
  return {
    async stop() {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      await exited;
    },
  };
}

function require_resolve(name: string): string {
  return fileURLToPath(import.meta.resolve(name));
}
