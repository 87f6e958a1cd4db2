/** Whether a worker may be deleted: not while it holds offers or work (its reservations). */
import { ok, refuse, type Result } from './errors.js';
import type { Worker } from './resources.js';

/**
 * Refuses while the worker has pending, accepted or wrapping reservations: deleting it would
 * silently take tasks away from their customers. Ended reservations are history and no obstacle.
 */
export function checkWorkerDeletion(worker: Worker, activeReservations: number): Result<void> {
  if (activeReservations === 0) return ok(undefined);
  const what = activeReservations === 1 ? '1 active reservation' : `${activeReservations} active reservations`;
  return refuse('conflict', `Worker ${worker.friendlyName} has ${what}; complete, reject or cancel ${activeReservations === 1 ? 'it' : 'them'} before deleting the worker`);
}
