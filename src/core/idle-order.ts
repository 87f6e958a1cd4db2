/**
 * A queue's workers kept longest idle first, so that a routing decision without `order_by` can
 * stop at the first worker who can take the task instead of looking at every member. Updates
 * are a binary search and an array splice: cheap at the thousands of members a queue has.
 */
import { compareWorkers, type CandidateWorker } from './routing.js';

export class IdleOrder {
  private readonly sorted: CandidateWorker[] = [];
  private readonly bySid = new Map<string, CandidateWorker>();

  get size(): number {
    return this.sorted.length;
  }

  has(sid: string): boolean {
    return this.bySid.has(sid);
  }

  /** Adds the worker, or moves it to where its current idle time puts it. */
  upsert(worker: CandidateWorker): void {
    this.remove(worker.sid);
    this.sorted.splice(this.indexFor(worker), 0, worker);
    this.bySid.set(worker.sid, worker);
  }

  remove(sid: string): void {
    const current = this.bySid.get(sid);
    if (!current) return;
    const i = this.indexFor(current);
    if (this.sorted[i]?.sid !== sid) throw new Error(`IdleOrder out of order at ${sid}`);
    this.sorted.splice(i, 1);
    this.bySid.delete(sid);
  }

  clear(): void {
    this.sorted.length = 0;
    this.bySid.clear();
  }

  /** Longest idle first (then by SID): the order `chooseWorker` prefers without `order_by`. */
  values(): IterableIterator<CandidateWorker> {
    return this.sorted.values();
  }

  /** The first position whose worker does not go before `worker`. */
  private indexFor(worker: CandidateWorker): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareWorkers(this.sorted[mid] as CandidateWorker, worker, []) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
