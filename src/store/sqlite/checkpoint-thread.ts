/**
 * The checkpointer's thread (see checkpointer.ts): its own connection to the database file, a
 * PASSIVE checkpoint every `intervalMs` (never blocks writers), failures posted to the main thread,
 * and a clean close on `stop`. Runs only inside a worker thread; the main thread imports its types
 * only, never the module.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointThreadData {
  readonly file: string;
  readonly intervalMs: number;
}

/** What the thread tells the main thread: a checkpoint that failed. */
export interface CheckpointThreadReport {
  readonly error: string;
}

/** What the main thread tells the thread: finish and close. */
export type CheckpointThreadCommand = 'stop';

function run(port: MessagePort, data: CheckpointThreadData): void {
  const db = new Database(data.file);
  db.pragma('busy_timeout = 1000');
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      const report: CheckpointThreadReport = { error: String(error) };
      port.postMessage(report);
    }
  }, data.intervalMs);
  port.on('message', (message: CheckpointThreadCommand) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    db.close();
    process.exit(0);
  });
}

if (parentPort) run(parentPort, workerData as CheckpointThreadData);
