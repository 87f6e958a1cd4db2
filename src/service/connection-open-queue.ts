/**
 * Connection openings waiting to be committed. Openings asked in one event-loop turn are written
 * together, at most `batchSize` per transaction, one batch at a time (those asked meanwhile make
 * the next): a reconnect storm is a few transactions, not one per socket, and on PostgreSQL one
 * round trip carries a batch's statements. Each opening gets its own answer, a refusal its own;
 * a write that fails fails every opening of its batch (the caller tells those agents to come
 * back), and the openings after it are still written.
 */
import type { Result } from '../core/errors.js';
import type { ConnectionOpening, PresenceCommit } from './ports.js';

export type Opening = Omit<ConnectionOpening, 'nodeId'>;

export interface ConnectionOpenQueueOptions {
  /** Commits the openings in one transaction, a result per opening (PresenceService.connectMany). */
  readonly write: (openings: readonly Opening[]) => Promise<Result<PresenceCommit>[]>;
  readonly batchSize?: number;
}

interface Waiting {
  readonly opening: Opening;
  readonly resolve: (result: Result<PresenceCommit>) => void;
  readonly reject: (error: unknown) => void;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ConnectionOpenQueue {
  private readonly pending: Waiting[] = [];
  private running = false;

  constructor(private readonly options: ConnectionOpenQueueOptions) {}

  /** Openings not yet answered (including a batch being written). */
  get size(): number {
    return this.pending.length;
  }

  open(opening: Opening): Promise<Result<PresenceCommit>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ opening, resolve, reject });
      if (this.running) return;
      // The first opening of a turn starts the writer on the next turn, so the turn's others join it.
      this.running = true;
      void nextTurn().then(() => this.run());
    });
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 100;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, batchSize);
      try {
        const results = await this.options.write(batch.map((w) => w.opening));
        if (results.length !== batch.length) throw new Error(`the store answered ${results.length} of ${batch.length} openings`);
        batch.forEach((w, i) => w.resolve(results[i] as Result<PresenceCommit>));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
      // A synchronous store (SQLite) answers at once: let the loop run between batches.
      if (this.pending.length > 0) await nextTurn();
    }
    this.running = false;
  }
}
