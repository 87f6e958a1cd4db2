/**
 * The console's live feed: what the Teams view and the other pages see change, pushed within a
 * fraction of a second of the commit. It listens to the bus (committed events, settings) and to
 * presence commits (connections opening and ending change no activity but change the view),
 * collects the workers touched, and once per `flushMs` re-reads them from the store and sends
 * one frame to every subscriber of the workspace. Changes are read back from the store, never
 * taken from the message, so what a browser sees is what was committed, in commit order.
 *
 * Per workspace, joins and flushes run one at a time on a chain, so a subscriber's snapshot and
 * the flushes after it never interleave: every commit is either in the snapshot or in a later
 * frame. The change feed is the durable event sequence: `change` frames carry `seq`, and a
 * subscriber that lost its connection passes the last one it saw to be sent the rest.
 */
import type { BreakerSettings, OutageHoldRecord } from '../core/outage-breaker.js';
import type { Activity, LogoutSettings } from '../core/resources.js';
import type { ConsoleStore, SequencedEvent, TeamMember } from './console-ports.js';
import type { AdminStore, Bus, Cancel, Clock, EventStore, Log, OutageHoldStore, PresenceStore } from './ports.js';
import type { PresenceService } from './presence-service.js';

export interface ActivitySummary {
  readonly activity: Activity;
  readonly workers: number;
  readonly isLogoutActivity: boolean;
}

/** The logout settings with the logout activity's current name (it can be renamed). */
export interface SettingsView {
  readonly settings: LogoutSettings;
  readonly logoutActivityName: string;
  /** The mass-disconnect breaker's settings and its active hold (the console's banner). */
  readonly breaker: BreakerSettings;
  readonly outageHold: OutageHoldRecord | null;
}

export interface FeedSnapshot {
  readonly serverTime: number;
  readonly seq: number;
  readonly members: readonly TeamMember[];
  readonly activities: readonly ActivitySummary[];
  readonly settings: SettingsView;
}

export type FeedFrame =
  | { readonly type: 'workers'; readonly serverTime: number; readonly members: readonly TeamMember[]; readonly removed: readonly string[] }
  | { readonly type: 'change'; readonly item: SequencedEvent }
  | { readonly type: 'activities'; readonly activities: readonly ActivitySummary[] }
  | { readonly type: 'settings'; readonly settings: SettingsView };

export interface FeedSubscriber {
  /** Frames in order; must not throw (a facade that cannot write drops its subscriber). */
  send(frames: readonly FeedFrame[]): void;
}

export interface ConsoleFeedOptions {
  readonly store: ConsoleStore & Pick<AdminStore, 'findActivity' | 'listActivities'> & Pick<PresenceStore, 'logoutSettings'> & Pick<EventStore, 'workersByActivity'> & Pick<OutageHoldStore, 'outageBreaker'>;
  readonly bus: Bus;
  readonly presence: PresenceService;
  readonly clock: Clock;
  readonly log: Log;
  /** How long changes are gathered before one frame goes out. Default 100 ms. */
  readonly flushMs?: number;
  /** Events replayed to a returning subscriber at most (older gaps get the snapshot only). */
  readonly replayLimit?: number;
}

interface WorkspaceFeed {
  readonly subscribers: Set<FeedSubscriber>;
  /** Joins waiting on the chain: changes made meanwhile must still be gathered. */
  joining: number;
  /** The last event sequence number sent to every subscriber. */
  seq: number;
  dirty: Set<string>;
  allDirty: boolean;
  activitiesDirty: boolean;
  settingsDirty: boolean;
  /** An outage hold was active at the last read: its held count follows every presence change. */
  holdActive: boolean;
  eventsPending: boolean;
  timer: Cancel | null;
  chain: Promise<void>;
}

export class ConsoleFeed {
  private readonly feeds = new Map<string, WorkspaceFeed>();
  private unsubscribe: Cancel | null = null;
  private stopped = false;

  constructor(private readonly options: ConsoleFeedOptions) {}

  start(): void {
    this.unsubscribe = this.options.bus.subscribe((message) => {
      if (message.settings) this.mark(message.settings.workspaceSid, (f) => { f.settingsDirty = true; f.allDirty = true; });
      const event = message.event;
      if (!event) {
        if (message.worker) this.mark(message.worker.workspaceSid, (f) => f.dirty.add(message.worker!.sid));
        return;
      }
      this.mark(event.workspaceSid, (f) => {
        f.eventsPending = true;
        if (event.resourceType === 'worker') f.dirty.add(event.resourceSid);
        if (message.worker) f.dirty.add(message.worker.sid);
        if (event.resourceType === 'activity') {
          // A rename changes the activity name on every row in it; counts change with any move.
          f.activitiesDirty = true;
          f.allDirty = true;
        }
        if (event.eventType === 'worker.activity.update' || event.eventType.startsWith('worker.created') || event.eventType === 'worker.deleted') f.activitiesDirty = true;
        // A hold moved (or gave back) many workers' due times at once.
        if (event.eventType.startsWith('workspace.outage_hold.')) {
          f.settingsDirty = true;
          f.allDirty = true;
        }
      });
    });
    this.options.presence.onCommitted((commits) => {
      for (const commit of commits) this.mark(commit.worker.workspaceSid, (f) => f.dirty.add(commit.worker.sid));
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const feed of this.feeds.values()) feed.timer?.();
    this.feeds.clear();
  }

  /**
   * Adds a subscriber. It is sent the events after `afterSeq` (when given and not too old), then
   * a snapshot, then every later frame. Returns how to leave.
   */
  async join(workspaceSid: string, subscriber: FeedSubscriber, afterSeq: number | null, onSnapshot: (snapshot: FeedSnapshot, replay: readonly SequencedEvent[]) => void): Promise<Cancel> {
    const feed = this.feedOf(workspaceSid);
    feed.joining += 1;
    await this.enqueue(feed, async () => {
      if (feed.subscribers.size === 0) feed.seq = await this.options.store.lastEventSeq(workspaceSid);
      const replay = afterSeq !== null && afterSeq < feed.seq ? await this.replay(workspaceSid, afterSeq, feed.seq) : [];
      onSnapshot(await this.snapshot(workspaceSid, feed.seq), replay);
      feed.subscribers.add(subscriber);
    }).finally(() => {
      feed.joining -= 1;
    });
    return () => {
      feed.subscribers.delete(subscriber);
    };
  }

  async snapshot(workspaceSid: string, seq?: number): Promise<FeedSnapshot> {
    const store = this.options.store;
    const [members, activities, settings] = await Promise.all([store.teamMembers(workspaceSid), this.activities(workspaceSid), this.settings(workspaceSid)]);
    return { serverTime: this.options.clock.now(), seq: seq ?? (await store.lastEventSeq(workspaceSid)), members, activities, settings };
  }

  /** Activities with how many workers are in each now, in creation order. */
  async activities(workspaceSid: string): Promise<ActivitySummary[]> {
    const store = this.options.store;
    const [activities, counts, settings] = await Promise.all([store.listActivities(workspaceSid), store.workersByActivity(workspaceSid), store.logoutSettings(workspaceSid)]);
    return activities.map((activity) => ({ activity, workers: counts.get(activity.sid) ?? 0, isLogoutActivity: activity.sid === settings.logoutActivitySid }));
  }

  async settings(workspaceSid: string): Promise<SettingsView> {
    const settings = await this.options.store.logoutSettings(workspaceSid);
    const activity = await this.options.store.findActivity(workspaceSid, settings.logoutActivitySid);
    const breaker = await this.options.store.outageBreaker(workspaceSid);
    if (!breaker) throw new Error(`store integrity: workspace ${workspaceSid} has no breaker settings`);
    const feed = this.feeds.get(workspaceSid);
    if (feed) feed.holdActive = breaker.hold !== null;
    return { settings, logoutActivityName: activity?.friendlyName ?? settings.logoutActivitySid, breaker: breaker.settings, outageHold: breaker.hold };
  }

  private async replay(workspaceSid: string, afterSeq: number, upTo: number): Promise<SequencedEvent[]> {
    const limit = this.options.replayLimit ?? 1000;
    const items = await this.options.store.eventsAfter(workspaceSid, afterSeq, limit);
    return items.filter((i) => i.seq <= upTo);
  }

  private feedOf(workspaceSid: string): WorkspaceFeed {
    let feed = this.feeds.get(workspaceSid);
    if (!feed) {
      feed = { subscribers: new Set(), joining: 0, seq: 0, dirty: new Set(), allDirty: false, activitiesDirty: false, settingsDirty: false, holdActive: false, eventsPending: false, timer: null, chain: Promise.resolve() };
      this.feeds.set(workspaceSid, feed);
    }
    return feed;
  }

  private mark(workspaceSid: string, change: (feed: WorkspaceFeed) => void): void {
    const feed = this.feeds.get(workspaceSid);
    // Nobody watches this workspace: nothing to gather (a joiner reads a fresh snapshot).
    if (!feed || this.stopped || (feed.subscribers.size === 0 && feed.joining === 0 && feed.timer === null)) return;
    change(feed);
    if (feed.timer === null) {
      feed.timer = this.options.clock.at(this.options.clock.now() + (this.options.flushMs ?? 100), () => {
        feed.timer = null;
        void this.enqueue(feed, () => this.flush(workspaceSid, feed));
      });
    }
  }

  private enqueue(feed: WorkspaceFeed, work: () => Promise<void>): Promise<void> {
    const next = feed.chain.then(work);
    feed.chain = next.catch((error: unknown) => this.options.log.error({ err: error }, 'console feed failed'));
    return next;
  }

  private async flush(workspaceSid: string, feed: WorkspaceFeed): Promise<void> {
    if (feed.subscribers.size === 0 && feed.joining === 0) return this.reset(feed);
    const store = this.options.store;
    const frames: FeedFrame[] = [];
    if (feed.settingsDirty || (feed.holdActive && feed.dirty.size > 0)) frames.push({ type: 'settings', settings: await this.settings(workspaceSid) });
    if (feed.activitiesDirty) frames.push({ type: 'activities', activities: await this.activities(workspaceSid) });
    const sids = [...feed.dirty];
    const members = feed.allDirty ? await store.teamMembers(workspaceSid) : sids.length > 0 ? await store.teamMembers(workspaceSid, sids) : [];
    if (members.length > 0 || sids.length > 0) {
      const present = new Set(members.map((m) => m.worker.sid));
      frames.push({ type: 'workers', serverTime: this.options.clock.now(), members, removed: sids.filter((s) => !present.has(s)) });
    }
    if (feed.eventsPending) {
      for (const item of await store.eventsAfter(workspaceSid, feed.seq, 5000)) {
        frames.push({ type: 'change', item });
        feed.seq = item.seq;
      }
    }
    this.reset(feed);
    if (frames.length === 0) return;
    for (const subscriber of feed.subscribers) subscriber.send(frames);
  }

  private reset(feed: WorkspaceFeed): void {
    feed.dirty = new Set();
    feed.allDirty = false;
    feed.activitiesDirty = false;
    feed.settingsDirty = false;
    feed.eventsPending = false;
  }
}
