/**
 * Shared set-up for the transfer tests: a real Rollcall, a queue for everyone, a workflow into it,
 * and official SDK workers (alice, bob, carol) connected in the activity a test asks for.
 */
import { sdkWorker, startRollcall, type SdkWorker, type TestRollcall } from '../support/harness.js';
import { once } from '../support/wait.js';
import { accountCredentials, restClient, type TwilioClient } from './rest-support.js';

export interface SdkTransfer {
  sid: string; status: string; mode: string; type: string; to: string; workerSid: string; reservationSid: string; queueSid: string | null;
  transferFailedReason: string | null;
  cancel(): Promise<SdkTransfer>;
  on(event: string, fn: (t: SdkTransfer) => void): void;
  once(event: string, fn: (t: SdkTransfer) => void): void;
}
export interface SdkTask {
  sid: string; status: string; queueSid: string; attributes: Record<string, unknown>; priority: number;
  transfers: { incoming: SdkTransfer | null; outgoing: SdkTransfer | null };
  transfer(to: string, options?: { mode?: string; attributes?: Record<string, unknown>; priority?: number }): Promise<SdkTask>;
  on(event: string, fn: (value: never) => void): void;
  once(event: string, fn: (value: never) => void): void;
}
export interface SdkReservation {
  sid: string; status: string; task: SdkTask; transfer?: SdkTransfer;
  accept(): Promise<SdkReservation>;
  reject(): Promise<SdkReservation>;
  on(event: string, fn: (r: SdkReservation) => void): void;
  once(event: string, fn: (r: SdkReservation) => void): void;
}

export interface TransferSetup {
  s: TestRollcall;
  client: TwilioClient;
  W: ReturnType<TwilioClient['taskrouter']['v1']['workspaces']>;
  queueSid: string;
  workflowSid: string;
  agent(name: string, activity: 'Available' | 'Unavailable'): Promise<SdkWorker>;
  available(worker: SdkWorker): Promise<void>;
  /** A task offered to `worker` and accepted by it. */
  acceptedTask(worker: SdkWorker): Promise<SdkReservation>;
  close(): Promise<void>;
  /** Stops the server and its SDK workers but keeps the data directory (for a restart). */
  closeKeepingData(): Promise<void>;
}

export async function transferSetup(options: { reservationTimeoutS?: number } = {}): Promise<TransferSetup> {
  const s = await startRollcall();
  const client = restClient(s.url, accountCredentials(s));
  const W = client.taskrouter.v1.workspaces(s.workspaceSid);
  const queue = await W.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1==1' });
  const workflow = await W.workflows.create({
    friendlyName: 'Default', configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
    ...(options.reservationTimeoutS ? { taskReservationTimeout: options.reservationTimeoutS } : {}),
  });
  const workers: SdkWorker[] = [];
  const setActivity = async (worker: SdkWorker, name: string): Promise<void> => {
    const updated = once(worker, 'activityUpdated');
    await worker.activities.get(s.activitySid(name))?.setAsCurrent();
    await updated;
  };
  return {
    s, client, W, queueSid: queue.sid, workflowSid: workflow.sid,
    async agent(name, activity) {
      const worker = sdkWorker(await s.token(name), s.url);
      workers.push(worker);
      await once(worker, 'ready');
      await setActivity(worker, activity);
      return worker;
    },
    available: (worker) => setActivity(worker, 'Available'),
    async acceptedTask(worker) {
      const offered = next<SdkReservation>(worker, 'reservationCreated');
      await W.tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ type: 'chat' }) });
      const reservation = await offered;
      await reservation.accept();
      return reservation;
    },
    async close() {
      for (const w of workers) w.disconnect();
      await s.close();
    },
    async closeKeepingData() {
      for (const w of workers) w.disconnect();
      await s.rollcall.close();
    },
  };
}

/** Resolves with the value of the first `event` the emitter sends, recording its arrival in `log`. */
export function next<T>(emitter: object, event: string, log?: string[]): Promise<T> {
  const source = emitter as { once(event: string, fn: (value: T) => void): unknown };
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), 10_000);
    source.once(event, (value: T) => {
      clearTimeout(timer);
      log?.push(event);
      resolve(value);
    });
  });
}
