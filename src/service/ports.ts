/**
 * The ports the service layer owns. Adapters (store/sqlite, bus/local, the system clock) implement
 * them; only src/main.ts chooses which.
 */
import type { AgentPush } from './routing-ports.js';
import type { LogoutSettings, Worker, WorkspaceEvent } from '../core/resources.js';
import type { AdminStore } from './admin-ports.js';
import type { EventStore } from './event-ports.js';
import type { NodeStore, OutageHoldStore, PresenceStore } from './presence-ports.js';

export type * from './admin-ports.js';
export type * from './event-ports.js';
export type * from './presence-ports.js';

export type Cancel = () => void;

/**
 * Time. `now()` is epoch milliseconds and never goes backwards in tests (ManualClock); `at()`
 * calls `fn` once at or after `dueAt` unless cancelled first.
 */
export interface Clock {
  now(): number;
  at(dueAt: number, fn: () => void): Cancel;
}

/** The logger shape the service uses (pino's); bindings name the node, worker and connection. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}

/**
 * Fan-out of committed events to whatever holds the sockets. Publishing happens only after the
 * store committed the change; a subscriber never sees an event the store could still lose.
 */
export interface Bus {
  publish(message: BusMessage): void;
  subscribe(listener: (message: BusMessage) => void): Cancel;
}

export interface BusMessage {
  /** The committed event; absent for pushes that are not workspace events of their own. */
  readonly event?: WorkspaceEvent;
  /** A message for one worker's agent sessions (reservations, tasks, channels). */
  readonly push?: AgentPush;
  /** The worker after the change, for pushes to its sessions (absent for non-worker events). */
  readonly worker?: Worker;
  /** A workspace's logout settings after a change to them (Flex Configuration or the console). */
  readonly settings?: LogoutSettings;
  /**
   * A catalogue change committed (queues and workflows, task channels, or the workspace itself:
   * created, deleted, its routing hold). Not an event (nothing is recorded): it tells other nodes
   * to re-read what they keep of that catalogue in memory (routing-catalog-sync.ts).
   */
  readonly catalog?: CatalogChange;
  /**
   * The bus may have missed messages (its link to the other nodes was down and is back): whatever
   * a subscriber keeps from other nodes' messages should be read again. Local, never sent.
   */
  readonly resync?: boolean;
  /** Published by another node (pg-bus.ts): its side effects that count or own (metrics) were that node's. */
  readonly remote?: boolean;
}

export interface CatalogChange {
  readonly workspaceSid: string;
  /** `routing`: queues or workflows; `channels`: task channels; `workspace`: created, deleted, routing hold. */
  readonly part: 'routing' | 'channels' | 'workspace';
}

/**
 * The system of record, split by capability so a service depends only on what it uses and an
 * engine can be checked one part at a time (src/store/contracts/):
 * - PresenceStore (presence-ports.ts): workers, connections, activity changes, logout deadlines;
 * - NodeStore (presence-ports.ts): server processes and the connections they hold;
 * - AdminStore (admin-ports.ts): accounts, keys, workspaces, activities, worker removal;
 * - EventStore (event-ports.ts): events, activity log, episodes, statistics reads;
 * - RoutingStore, ReportStore, ConsoleStore, CallbackStore, RetentionStore, PresenceGaugeStore
 *   in their own files.
 *
 * Every method of every part is one atomic unit in its engine (one transaction): it either commits
 * entirely or changes nothing. Time comes from the store's clock (rule 12), never from the caller.
 * No connection, statement or transaction type is exposed; callers cannot compose two methods into
 * one transaction, so each verb is complete on its own. Every answer is a promise and callers must
 * be correct when it settles later (another request may commit in between).
 */
export interface Store extends PresenceStore, NodeStore, OutageHoldStore, AdminStore, EventStore {
  close(): Promise<void>;
}
