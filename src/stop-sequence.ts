/**
 * The node's stop sequence (main.ts names the steps): each step runs in order, a failed step does
 * not keep the later ones from running, and the first failure is thrown once all have run.
 */
import type { Logger } from 'pino';

export type StopStep = readonly [string, (startedAt: number) => unknown];

/**
 * Runs the stop sequence: every step runs even if an earlier one failed (the store is closed and
 * the lock released whatever happened before), and the first failure is thrown at the end.
 */
export async function stopWithin(graceMs: number, log: Logger, steps: readonly StopStep[]): Promise<void> {
  const startedAt = Date.now();
  let failure: unknown = null;
  for (const [name, step] of steps) {
    try {
      await step(startedAt);
    } catch (error) {
      log.error({ err: error, step: name }, 'a step of the stop failed');
      failure ??= error;
    }
  }
  log.info({ stopMs: Date.now() - startedAt, graceMs }, 'stopped');
  if (failure !== null) throw failure;
}
