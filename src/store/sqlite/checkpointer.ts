/**
 * Background WAL checkpoints. Left to itself SQLite checkpoints inside whichever commit pushes the
 * WAL past 1000 pages, with an fsync, on the event loop: in a burst of logouts that made one commit
 * in ten cost ~16 ms. Here a worker thread with its own connection runs PASSIVE checkpoints every
 * `intervalMs` (a passive checkpoint never blocks writers), and the main connection's automatic
 * checkpoint is raised to a safety net that only matters if the thread stops.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type * as TypeScript from 'typescript';
import type { CheckpointThreadCommand, CheckpointThreadData, CheckpointThreadReport } from './checkpoint-thread.js';

/** Pages the WAL may reach before the main connection checkpoints by itself (≈ 64 MiB at 4 KiB pages). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;

/**
 * Starts checkpoint-thread: the compiled module beside this one (dist/, `npm start`), or, when
 * running from the TypeScript source (vitest), that source compiled on the spot by the TypeScript
 * compiler (a dev dependency, present wherever the source is run).
 */
function startThread(data: CheckpointThreadData): Worker {
  const compiled = new URL('./checkpoint-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData: data });
  const source = readFileSync(new URL('./checkpoint-thread.ts', import.meta.url), 'utf8');
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  return new Worker(outputText, { eval: true, workerData: data });
}

export interface Checkpointer {
  /** Resolves when the thread has ended, whether stopped or dead. */
  readonly exited: Promise<void>;
  /** Stops the thread and closes its connection; returns even if the thread died before, or hangs. */
  stop(): Promise<void>;
}

/** How long `stop` waits for the thread to finish its checkpoint and exit before terminating it. */
const STOP_WAIT_MS = 2000;

export function startCheckpointer(db: BetterSqlite3.Database, file: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const worker = startThread({ file, intervalMs });
  // Unref'd so a forgotten store never keeps a process alive; `stop` refs it while it waits.
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => {
    exited = true;
    resolve();
  }));
  worker.on('message', (m: CheckpointThreadReport) => onError(m.error));
  worker.on('error', (error) => onError(String(error)));
  return {
    exited: exit,
    async stop() {
      if (exited) return;
      // Without this ref, awaiting an unref'd thread lets the event loop run empty: the process
      // ends under the caller (an ESM entry awaiting store.close() exited with code 13).
      worker.ref();
      const stop: CheckpointThreadCommand = 'stop';
      worker.postMessage(stop);
      const timer = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}
