/**
 * The SQLite store (single node): better-sqlite3 12, WAL, synchronous=NORMAL. Every method is one
 * IMMEDIATE transaction, so a verb either commits entirely or leaves nothing behind. Time is the
 * process clock handed in (rule 12); one process owns the file.
 */
import Database from 'better-sqlite3';
import type { CallbackStore } from '../../service/callback-ports.js';
import type { ConsoleStore } from '../../service/console-ports.js';
import type { PresenceGaugeStore } from '../../service/metrics.js';
import type { Clock, RetentionStore, Store } from '../../service/ports.js';
import type { ReportStore } from '../../service/report-ports.js';
import type { RoutingStore } from '../../service/routing-ports.js';
import { createAccountQueries } from './account-queries.js';
import { createAdminQueries } from './admin-queries.js';
import { CallbackOutbox, createCallbackQueries } from './callback-outbox.js';
import { startCheckpointer } from './checkpointer.js';
import { createConsoleQueries } from './console-queries.js';
import { createOwnerOnly, restrictToOwner } from './file-mode.js';
import { createGaugeQueries } from './gauge-queries.js';
import { createHistoryQueries } from './history-queries.js';
import { migrate } from './migrations.js';
import { createOutageHoldVerbs, OutageHolds } from './outage-hold.js';
import { createNodeVerbs } from './node-verbs.js';
import { connectionEnder, createPresenceVerbs } from './presence-verbs.js';
import { PresenceWriter } from './presence-writer.js';
import { createReportQueries } from './report-queries.js';
import { createRetentionQueries } from './retention-queries.js';
import { createRoutingCatalog } from './routing-catalog.js';
import { createRoutingDecisions } from './routing-decisions.js';
import { createRoutingTasks } from './routing-tasks.js';
import { createTransferVerbs, TransferWriter } from './routing-transfers.js';
import { RoutingWriter } from './routing-writer.js';
import { createTaskListing } from './task-listing.js';
import { createWorkerChange } from './worker-change.js';
import { createWorkspaceQueries } from './workspace-queries.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for throwaway stores. */
  readonly file: string;
  readonly clock: Clock;
  /** Background WAL checkpoints every so often (see checkpointer.ts); 0 leaves them to SQLite. Default 1000. */
  readonly checkpointIntervalMs?: number;
  /** Told when a background checkpoint fails (the fallback automatic checkpoint still bounds the WAL). */
  readonly onCheckpointError?: (message: string) => void;
  /**
   * How long one claim of due deadlines may run before it commits what it has (ms, default 40).
   * SQLite runs on the event loop: a count alone bounds a stall only on a fast, quiet machine.
   */
  readonly claimBudgetMs?: number;
}

/** The whole system of record on SQLite: presence, administration, routing, the console, reports, callbacks, retention and gauges. */
export type SqliteStore = Store & RoutingStore & ConsoleStore & ReportStore & CallbackStore & RetentionStore & PresenceGaugeStore;

export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  createOwnerOnly(options.file);
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  restrictToOwner(options.file);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const interval = options.checkpointIntervalMs ?? 1000;
  const checkpointer = interval > 0 && options.file !== ':memory:' ? startCheckpointer(db, options.file, interval, options.onCheckpointError ?? (() => undefined)) : null;
  const clock = options.clock;
  const writer = new PresenceWriter(db);
  const routingWriter = new RoutingWriter(db, (event) => writer.recordEvent(event));
  writer.attachRouting(routingWriter);
  const transferWriter = new TransferWriter(db, routingWriter);
  routingWriter.attachTransfers(transferWriter);
  writer.attachOutbox(new CallbackOutbox(db));
  const endOne = connectionEnder(db, writer);
  const holds = new OutageHolds(db, (event) => writer.recordEvent(event));

  const store: SqliteStore = {
    ...createAdminQueries(db, clock, writer, holds),
    ...createRoutingCatalog(db, clock, routingWriter),
    ...createRoutingTasks(db, clock, writer, routingWriter),
    ...createRoutingDecisions(db, clock, writer, routingWriter),
    ...createTransferVerbs(db, clock, routingWriter, transferWriter),
    ...createConsoleQueries(db, clock),
    ...createReportQueries(db),
    ...createWorkspaceQueries(db, clock),
    ...createWorkerChange(db, clock, writer),
    ...createRetentionQueries(db),
    ...createTaskListing(db),
    ...createCallbackQueries(db, clock),
    ...createGaugeQueries(db),
    ...createAccountQueries(db, clock),
    ...createPresenceVerbs(db, clock, writer, holds, { claimBudgetMs: options.claimBudgetMs ?? 40 }),
    ...createNodeVerbs(db, clock, endOne, holds),
    ...createOutageHoldVerbs(db, clock, holds),
    ...createHistoryQueries(db),
    async close() {
      await checkpointer?.stop();
      db.close();
    },
  };
  return store;
}

