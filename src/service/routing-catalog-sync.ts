/**
 * Catalogue changes across nodes. Each node keeps in memory what routing reads on every decision:
 * the parsed queues and workflows, the workers with their channels, the routed workspaces and their
 * routing hold (routing-view.ts). A node that commits a catalogue change publishes a `catalog`
 * message and re-reads its own view; the other nodes hear it on the bus (pg-bus.ts) and re-read the
 * same part from the store. Nothing travels but the workspace and the part: the store stays the
 * only source, so two changes heard in any order leave every node with what was committed last.
 *
 * Notifications are not durable: a node that dies between its commit and its notification, or a
 * LISTEN connection that is down, loses one. So with several nodes every `pollMs` each node also
 * re-reads the routed workspaces and their queues and workflows (three small reads per workspace;
 * rows equal to what the view was built from rebuild nothing), and at once when the bus says it
 * may have missed messages (`resync`: its link to the others came back). Worker channels are
 * re-read with the workers whenever a worker changes, and by the `channels` message.
 */
import type { Bus, Cancel, CatalogChange, Log } from './ports.js';
import type { RoutingViews } from './routing-view.js';

/** Re-reads one part of a workspace's view after another node changed it. */
async function follow(views: RoutingViews, change: CatalogChange): Promise<void> {
  if (change.part === 'routing') return views.reloadCatalog(change.workspaceSid);
  if (change.part === 'channels') return views.reloadWorkers(change.workspaceSid);
  return views.resyncWorkspaces();
}

/** The routed workspaces and, for each, its queues and workflows. */
async function resyncAll(views: RoutingViews): Promise<void> {
  await views.resyncWorkspaces();
  for (const workspaceSid of views.workspaceSids()) await views.reloadCatalog(workspaceSid);
}

export interface CatalogSyncOptions {
  readonly bus: Bus;
  readonly views: RoutingViews;
  readonly log: Log;
  /** A workspace's view changed: a routing pass may now offer something. */
  readonly changed: (workspaceSid: string) => void;
  /** Several nodes: how often to re-read the catalogue whatever the bus brought. Absent: never (one node). */
  readonly pollMs?: number;
}

/** Follows other nodes' catalogue changes until the returned cancel is called. */
export function followOtherNodesCatalog(options: CatalogSyncOptions): Cancel {
  const { bus, views, log } = options;
  let resyncing: Promise<void> | null = null;
  const resync = (): Promise<void> => {
    resyncing ??= resyncAll(views).finally(() => (resyncing = null));
    return resyncing;
  };
  const unsubscribe = bus.subscribe((message) => {
    if (message.resync) {
      void resync().catch((error: unknown) => log.error({ err: error }, 'routing could not re-read the catalogue after the bus came back'));
      return;
    }
    const change = message.catalog;
    // This node's own changes are re-read where they are made.
    if (!change || message.remote !== true) return;
    void follow(views, change).then(
      () => options.changed(change.workspaceSid),
      (error: unknown) => log.error({ err: error, workspaceSid: change.workspaceSid, part: change.part }, 'routing could not re-read a catalogue another node changed'),
    );
  });
  const timer = options.pollMs === undefined ? null : setInterval(() => {
    void resync().catch((error: unknown) => log.warn({ err: error }, 'routing could not re-read the catalogue; next try at the next interval'));
  }, options.pollMs);
  timer?.unref();
  return () => {
    unsubscribe();
    if (timer) clearInterval(timer);
  };
}

/** What a node publishes once it committed a catalogue change. */
export function catalogChanged(bus: Bus, workspaceSid: string, part: CatalogChange['part']): void {
  bus.publish({ catalog: { workspaceSid, part } });
}
