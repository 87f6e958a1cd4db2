/**
 * What the routing loop knows of each workspace: every worker as routing sees it, the parsed
 * queues (with their ready members, longest idle first) and workflows. Refreshed from the store
 * after each commit that touches a worker or the catalog. The store may answer late and in any
 * order: every read is numbered when asked, and an answer never replaces what a read asked later
 * already put in the view.
 */
import { parseExpression, referencedScopes, type Expression } from '../core/expressions.js';
import { IdleOrder } from '../core/idle-order.js';
import type { CandidateWorker } from '../core/routing.js';
import { parseWorkflowConfig, type WorkflowConfig } from '../core/workflow-config.js';
import type { PresenceCommit } from './presence-ports.js';
import type { RoutingStore } from './routing-ports.js';
import { landed, updateMembership } from './routing-view-members.js';

export interface QueueView {
  readonly targetWorkers: Expression;
  readonly lifo: boolean;
  /** Workers matching TargetWorkers, longest idle first; null when TargetWorkers reads the task. */
  readonly members: IdleOrder | null;
}

export interface WorkspaceView {
  holdDisconnected: boolean;
  readonly workers: Map<string, CandidateWorker>;
  queues: Map<string, QueueView>;
  workflows: Map<string, WorkflowConfig>;
  /** Per worker, the number of the read its entry came from. */
  readonly readSeq: Map<string, number>;
  /** Per worker, the number given to the last presence commit applied without a read. */
  readonly presenceSeq: Map<string, number>;
  /** Workers another node changed, to be read before the next decisions (see `markStale`). */
  readonly stale: Set<string>;
  /** The number of the catalog read the queues and workflows came from. */
  catalogSeq: number;
  /** The number of the read (or local change) the routing hold came from. */
  holdSeq: number;
  /** The queue and workflow rows the catalogue was built from: a re-read that finds the same rows rebuilds nothing. */
  catalogRows: string;
  passQueued: boolean;
  passRunning: boolean;
  passAgain: boolean;
}

type ViewStore = Pick<RoutingStore, 'routingWorkspaces' | 'ensureChannels' | 'routingCandidates' | 'routingCandidatesOf' | 'listTaskQueues' | 'listWorkflows'>;

const MATCH_NOTHING: Expression = { kind: 'or', operands: [] };

export class RoutingViews {
  private readonly views = new Map<string, WorkspaceView>();
  private readonly adding = new Map<string, Promise<void>>();
  /** Numbers every read, in the order asked (answers may land in any order). */
  private reads = 0;
  private stopped = false;

  /** `changed` is told when a workspace's view changed in a way that may allow new offers. */
  constructor(private readonly store: ViewStore, private readonly changed: (workspaceSid: string) => void) {}

  get(workspaceSid: string): WorkspaceView | undefined {
    return this.views.get(workspaceSid);
  }

  /** Workspaces whose view holds the worker. */
  holding(workerSid: string): string[] {
    return [...this.views].filter(([, view]) => view.workers.has(workerSid)).map(([sid]) => sid);
  }

  /** No more reads; answers still in flight land nowhere that matters. */
  stop(): void {
    this.stopped = true;
  }

  /** Starts routing a workspace (at start, and when one is created); a known one is left as it is. */
  async add(workspaceSid: string): Promise<void> {
    if (this.views.has(workspaceSid)) return;
    // Two callers at once (start, and the workspace's creation) share one load.
    const pending = this.adding.get(workspaceSid) ?? this.load(workspaceSid).finally(() => this.adding.delete(workspaceSid));
    this.adding.set(workspaceSid, pending);
    await pending;
  }

  /** Forgets a deleted workspace; a pass already running for it finds nothing left to offer. */
  remove(workspaceSid: string): void {
    this.views.delete(workspaceSid);
  }

  /** The routing hold was committed: route by it now. */
  async setHold(workspaceSid: string, on: boolean, seq = ++this.reads): Promise<void> {
    const view = this.views.get(workspaceSid);
    if (!view || view.holdSeq > seq) return;
    view.holdSeq = seq;
    if (view.holdDisconnected === on) return;
    view.holdDisconnected = on;
    await this.reloadWorkers(workspaceSid);
  }

  /** The workspaces routed here. */
  workspaceSids(): string[] {
    return [...this.views.keys()];
  }

  /**
   * Follows the routed workspaces as the store has them now (another node created or deleted one,
   * or changed its routing hold): starts or stops routing them, and routes by the holds read.
   */
  async resyncWorkspaces(): Promise<void> {
    if (this.stopped) return;
    const seq = ++this.reads;
    const settings = await this.store.routingWorkspaces();
    const routed = new Set(settings.map((w) => w.workspaceSid));
    for (const sid of this.views.keys()) if (!routed.has(sid)) this.remove(sid);
    for (const { workspaceSid, holdDisconnected } of settings) {
      if (!this.views.has(workspaceSid)) await this.add(workspaceSid);
      else await this.setHold(workspaceSid, holdDisconnected, seq);
    }
  }

  isHoldingDisconnected(workspaceSid: string): boolean {
    return this.views.get(workspaceSid)?.holdDisconnected ?? true;
  }

  /** Re-reads queues and workflows (after any change to them). */
  async reloadCatalog(workspaceSid: string): Promise<void> {
    if (!this.views.has(workspaceSid) || this.stopped) return;
    const seq = ++this.reads;
    const queueRows = await this.store.listTaskQueues(workspaceSid);
    const workflowRows = await this.store.listWorkflows(workspaceSid);
    const view = this.views.get(workspaceSid);
    if (!view || view.catalogSeq > seq) return;
    view.catalogSeq = seq;
    const rows = JSON.stringify([queueRows, workflowRows]);
    if (rows === view.catalogRows) return;
    view.catalogRows = rows;
    const queues = new Map<string, QueueView>();
    for (const q of queueRows) {
      const parsed = parseExpression(q.targetWorkers);
      const targetWorkers = parsed.ok ? parsed.value : MATCH_NOTHING;
      const members = referencedScopes(targetWorkers, 'worker').has('task') ? null : new IdleOrder();
      const queue: QueueView = { targetWorkers, lifo: q.taskOrder === 'LIFO', members };
      queues.set(q.sid, queue);
      for (const w of view.workers.values()) updateMembership(queue, w, view.holdDisconnected);
    }
    const workflows = new Map<string, WorkflowConfig>();
    for (const wf of workflowRows) {
      const parsed = parseWorkflowConfig(wf.configuration, () => true);
      if (parsed.ok) workflows.set(wf.sid, parsed.value);
    }
    view.queues = queues;
    view.workflows = workflows;
    this.changed(workspaceSid);
  }

  /** Re-reads every worker of a workspace and the queues' member sets. */
  async reloadWorkers(workspaceSid: string): Promise<void> {
    if (!this.views.has(workspaceSid) || this.stopped) return;
    const seq = ++this.reads;
    const candidates = await this.store.routingCandidates(workspaceSid);
    const view = this.views.get(workspaceSid);
    if (!view) return;
    const listed = new Set<string>();
    for (const w of candidates) {
      listed.add(w.sid);
      if ((view.readSeq.get(w.sid) ?? 0) > seq) continue;
      view.readSeq.set(w.sid, seq);
      view.workers.set(w.sid, landed(view, w, seq));
    }
    for (const sid of [...view.workers.keys()]) {
      if (listed.has(sid) || (view.readSeq.get(sid) ?? 0) > seq) continue;
      view.readSeq.set(sid, seq);
      view.workers.delete(sid);
    }
    for (const queue of view.queues.values()) {
      queue.members?.clear();
      for (const w of view.workers.values()) updateMembership(queue, w, view.holdDisconnected);
    }
    this.changed(workspaceSid);
  }

  /** Re-reads one worker (after a commit that touched it). */
  async refreshWorker(workspaceSid: string, workerSid: string): Promise<void> {
    await this.refreshWorkers(workspaceSid, [workerSid]);
  }

  /**
   * Follows committed presence changes of one workspace. A commit the presence machine made
   * (`routingPresence` set) that changed no attributes says all routing needs: availability,
   * connections and since when the worker is idle. Those apply here without a read (a mass logout
   * is thousands at once); any other, or a worker the view does not hold yet, is re-read.
   */
  async followPresence(workspaceSid: string, commits: readonly PresenceCommit[]): Promise<void> {
    const view = this.views.get(workspaceSid);
    if (!view || this.stopped) return;
    const seq = ++this.reads;
    const reread = new Set<string>();
    for (const commit of commits) {
      const sid = commit.worker.sid;
      const known = view.workers.get(sid);
      const attributesChanged = commit.events.some((e) => e.eventType === 'worker.attributes.update');
      if (!known || commit.routingPresence === undefined || attributesChanged || reread.has(sid)) {
        reread.add(sid);
        continue;
      }
      view.presenceSeq.set(sid, seq);
      const worker: CandidateWorker = {
        ...known, activityAvailable: commit.worker.available, presence: commit.routingPresence,
        idleSince: Math.max(known.idleSince, commit.worker.statusChangedAt),
      };
      view.workers.set(sid, worker);
      for (const queue of view.queues.values()) updateMembership(queue, worker, view.holdDisconnected);
    }
    await this.refreshWorkers(workspaceSid, [...reread]);
  }

  /**
   * Re-reads the named workers of one workspace in one store call (a mass disconnect or logout
   * commits 100–250 at a time), and their queue memberships.
   */
  async refreshWorkers(workspaceSid: string, workerSids: readonly string[]): Promise<void> {
    if (!this.views.has(workspaceSid) || this.stopped || workerSids.length === 0) return;
    const seq = ++this.reads;
    const fresh = new Map((await this.store.routingCandidatesOf(workerSids)).map((w) => [w.sid, w]));
    const view = this.views.get(workspaceSid);
    if (!view) return;
    for (const workerSid of workerSids) {
      // A read asked later already landed: this answer is older than what the view holds.
      if ((view.readSeq.get(workerSid) ?? 0) > seq) continue;
      view.readSeq.set(workerSid, seq);
      const read = fresh.get(workerSid);
      const worker = read ? landed(view, read, seq) : undefined;
      if (worker) view.workers.set(workerSid, worker);
      else view.workers.delete(workerSid);
      for (const queue of view.queues.values()) {
        if (worker) updateMembership(queue, worker, view.holdDisconnected);
        else queue.members?.remove(workerSid);
      }
    }
  }

  /**
   * Notes a worker another node changed, to be read before the next decisions (`refreshStale`,
   * when a pass finds tasks waiting): reading at every change cost each node two statements per
   * change made elsewhere, tasks or not.
   */
  markStale(workspaceSid: string, workerSid: string): void {
    this.views.get(workspaceSid)?.stale.add(workerSid);
  }

  /** Reads the workers marked stale, all in one store call. */
  async refreshStale(workspaceSid: string): Promise<void> {
    const view = this.views.get(workspaceSid);
    const sids = [...(view?.stale ?? [])];
    view?.stale.clear();
    await this.refreshWorkers(workspaceSid, sids);
  }

  /**
   * Counts an offer the routing loop is about to have written (the worker's channel one busier, the
   * worker idle from `at`), as the store will, so the next decisions of a batch see it. The re-read
   * after the commit, or after a refusal, replaces this guess with what the store holds.
   */
  noteOffer(view: WorkspaceView, workerSid: string, channelSid: string, at: number): void {
    const worker = view.workers.get(workerSid);
    const load = worker?.channels.get(channelSid);
    if (!worker || !load) return;
    const channels = new Map(worker.channels);
    channels.set(channelSid, { ...load, busy: load.busy + 1 });
    const counted: CandidateWorker = { ...worker, channels, idleSince: Math.max(worker.idleSince, at) };
    view.workers.set(workerSid, counted);
    for (const queue of view.queues.values()) if (queue.members?.has(workerSid)) queue.members.upsert(counted);
  }

  private async load(workspaceSid: string): Promise<void> {
    const setting = (await this.store.routingWorkspaces()).find((w) => w.workspaceSid === workspaceSid);
    if (!setting) return;
    await this.store.ensureChannels(workspaceSid);
    this.views.set(workspaceSid, {
      holdDisconnected: setting.holdDisconnected, workers: new Map(), queues: new Map(), workflows: new Map(), readSeq: new Map(), presenceSeq: new Map(), stale: new Set(), catalogSeq: 0, holdSeq: 0, catalogRows: '',
      passQueued: false, passRunning: false, passAgain: false,
    });
    await this.reloadWorkers(workspaceSid);
    await this.reloadCatalog(workspaceSid);
  }
}
