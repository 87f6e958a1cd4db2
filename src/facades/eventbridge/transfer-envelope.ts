/**
 * Transfers on the SDK's envelope (apiversion v2): `task.transfer(to, {mode, attributes,
 * priority})` posts `Workers/{WK}/Transfers`, and `outgoingTransfer.cancel()` posts
 * `Workers/{WK}/Transfers/{TT}` with `TransferStatus=canceled`. Both answer the Transfer object.
 * The worker in the path is the one making the transfer (checked by the caller: a worker token
 * acts for itself only).
 */
import { readJsonObject } from '../../core/json-object.js';
import { refuse, type Result } from '../../core/errors.js';
import { isSid } from '../../core/sids.js';
import { readTransferMode } from '../../core/transfers.js';
import type { RoutingService } from '../../service/routing-service.js';
import { ebTransfer } from './dialect.js';

interface TransferCall {
  readonly method: 'GET' | 'POST';
  readonly params: Record<string, unknown>;
  /** Holds another worker's pushes until this call's answer is written (see AgentPushes.hold). */
  readonly holdPushesOf?: ((workerSid: string) => void) | undefined;
}

export async function transfersCall(routing: RoutingService, wsSid: string, wkSid: string, transferSid: string | undefined, call: TransferCall): Promise<Result<unknown>> {
  if (call.method !== 'POST') return refuse('not-found', `No resource GET Workspaces/${wsSid}/Workers/${wkSid}/Transfers`);
  const { ReservationSid, TaskSid, To, Mode, Attributes, Priority, TransferStatus } = call.params;
  if (!isSid('task', TaskSid)) return refuse('invalid-parameter', `TaskSid ${String(TaskSid)} is not a task SID (WT followed by 32 hex digits)`, 'TaskSid');
  if (transferSid !== undefined) {
    if (TransferStatus !== 'canceled') return refuse('invalid-parameter', `TransferStatus ${String(TransferStatus)} is not valid: a transfer can only be set to canceled`, 'TransferStatus');
    const canceled = await routing.cancelTransfer({ workspaceSid: wsSid, workerSid: wkSid, transferSid, taskSid: TaskSid });
    return canceled.ok ? { ok: true, value: ebTransfer(canceled.value) } : canceled;
  }
  if (!isSid('reservation', ReservationSid)) return refuse('invalid-parameter', `ReservationSid ${String(ReservationSid)} is not a reservation SID (WR followed by 32 hex digits)`, 'ReservationSid');
  if (typeof To !== 'string' || To === '') return refuse('invalid-parameter', 'To is required: a worker SID or a task queue SID', 'To');
  const mode = readTransferMode(Mode);
  if (mode === null) return refuse('invalid-parameter', `Mode ${String(Mode)} is not valid: COLD or WARM`, 'Mode');
  const attributes = Attributes === undefined ? undefined : readAttributes(Attributes);
  if (attributes === null) return refuse('invalid-parameter', 'Attributes must be a JSON object', 'Attributes');
  const priority = Priority === undefined ? undefined : Number(Priority);
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0)) return refuse('invalid-parameter', `Priority ${String(Priority)} is not valid: a whole number of at least 0`, 'Priority');
  // The offer to a named worker reaches them after the initiator's answer, as the initiator's own
  // pushes do: the initiator's 'transferInitiated' then comes before anything the target answers.
  if (isSid('worker', To)) call.holdPushesOf?.(To);
  const placed = await routing.createTransfer({
    workspaceSid: wsSid, workerSid: wkSid, reservationSid: ReservationSid, taskSid: TaskSid, to: To, mode,
    ...(attributes !== undefined ? { attributes } : {}),
    ...(priority !== undefined ? { priority } : {}),
  });
  return placed.ok ? { ok: true, value: ebTransfer(placed.value) } : placed;
}

/** Attributes as the SDK sends them (an object) or as a JSON string of one; null when neither. */
function readAttributes(value: unknown): string | null {
  const object = readJsonObject(value);
  if (object === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(object);
}
