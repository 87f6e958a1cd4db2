/**
 * How one worker's entry in a workspace's routing view is kept (routing-view.ts): what a read
 * brings, and which queues' ready members it belongs to.
 */
import { evaluate } from '../core/expressions.js';
import type { CandidateWorker } from '../core/routing.js';
import type { QueueView, WorkspaceView } from './routing-view.js';

/**
 * A worker as a read found it, unless a presence commit applied since the read was asked: its
 * availability and connections are newer than the read's, and are kept.
 */
export function landed(view: WorkspaceView, read: CandidateWorker, seq: number): CandidateWorker {
  if ((view.presenceSeq.get(read.sid) ?? 0) <= seq) return read;
  const current = view.workers.get(read.sid);
  if (!current) return read;
  return { ...read, activityAvailable: current.activityAvailable, presence: current.presence, idleSince: Math.max(read.idleSince, current.idleSince) };
}

/**
 * Keeps a queue's members right for one worker: those matching TargetWorkers (when it reads only
 * the worker) who could take work now — an available activity, and connected unless the hold is
 * off. Anyone else could not be chosen, so a decision need not walk past them.
 */
export function updateMembership(queue: QueueView, worker: CandidateWorker, holdDisconnected: boolean): void {
  if (queue.members === null) return;
  const ready = worker.activityAvailable && (worker.presence === 'connected' || !holdDisconnected);
  if (ready && evaluate(queue.targetWorkers, { worker: worker.attributes, defaultScope: 'worker' })) queue.members.upsert(worker);
  else queue.members.remove(worker.sid);
}
