/**
 * Transfers refused, on the SDK's envelope as the SDK posts it (`Workers/{WK}/Transfers`,
 * apiversion v2): each refusal is a 400 (403 for another worker's path, 404 for an unknown
 * transfer) with a `{message}` naming the value at fault, and changes nothing. And a transfer in
 * progress survives a restart: the initiator's reservation still shows it, and it can be canceled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRollcall, type TestRollcall } from '../support/harness.js';
import { next, transferSetup, type SdkReservation, type SdkTransfer, type TransferSetup } from './transfer-support.js';

let t: TransferSetup | null = null;
let restarted: TestRollcall | null = null;

afterEach(async () => {
  await t?.close();
  t = null;
  await restarted?.close();
  restarted = null;
});

type Answer = { status: number; body: { message?: string; payload?: Record<string, unknown> } };

async function post(s: TestRollcall, as: string, url: string, params: Record<string, unknown>, method = 'POST'): Promise<Answer> {
  const res = await fetch(`${s.url}/v1/wschannels`, { method: 'POST', headers: { apiversion: 'v2' }, body: JSON.stringify({ url: `Workspaces/${s.workspaceSid}/${url}`, method, params, token: await s.token(as) }) });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

describe('transfer refusals', () => {
  it('refuses each bad request with a message naming the value, and changes nothing', async () => {
    t = await transferSetup();
    const s = t.s;
    const alice = await t.agent('alice', 'Available');
    await t.agent('bob', 'Unavailable');
    const held = await t.acceptedTask(alice);
    const [aliceSid, bobSid] = [s.workerSid('alice'), s.workerSid('bob')];
    const base = { ReservationSid: held.sid, TaskSid: held.task.sid, To: bobSid };
    const refusal = async (as: string, worker: string, params: Record<string, unknown>) => post(s, as, `Workers/${worker}/Transfers`, params);
    const unknownWorker = `WK${'0'.repeat(32)}`;
    expect(await refusal('alice', aliceSid, { ...base, To: unknownWorker })).toEqual({ status: 400, body: { message: `To ${unknownWorker} is neither a worker nor a task queue of this workspace` } });
    expect((await refusal('alice', aliceSid, { ...base, To: 'bob' })).body.message).toBe('To bob is neither a worker nor a task queue of this workspace');
    expect(await refusal('alice', aliceSid, { ...base, To: aliceSid })).toEqual({ status: 400, body: { message: `To ${aliceSid} is the worker making the transfer` } });
    expect(await refusal('alice', aliceSid, { ...base, Mode: 'LUKEWARM' })).toEqual({ status: 400, body: { message: 'Mode LUKEWARM is not valid: COLD or WARM' } });
    expect(await refusal('alice', aliceSid, { ...base, Attributes: '[1]' })).toEqual({ status: 400, body: { message: 'Attributes must be a JSON object' } });
    expect(await refusal('alice', aliceSid, { ...base, Priority: -1 })).toEqual({ status: 400, body: { message: 'Priority -1 is not valid: a whole number of at least 0' } });
    const otherTask = `WT${'0'.repeat(32)}`;
    expect(await refusal('alice', aliceSid, { ...base, TaskSid: otherTask })).toEqual({ status: 400, body: { message: `TaskSid ${otherTask} is not the task of reservation ${held.sid}` } });
    // A worker transferring someone else's reservation: under its own path, and under theirs.
    expect(await refusal('bob', bobSid, { ...base, To: s.workerSid('carol') })).toEqual({ status: 400, body: { message: `ReservationSid ${held.sid} is not a reservation of worker ${bobSid}` } });
    expect((await refusal('bob', aliceSid, base)).status).toBe(403);
    expect((await t.W.tasks(held.task.sid).fetch()).assignmentStatus).toBe('assigned');

    const placed = await refusal('alice', aliceSid, base);
    expect(placed.status).toBe(200);
    const transferSid = placed.body.payload?.sid as string;
    expect(await refusal('alice', aliceSid, { ...base, To: s.workerSid('carol') }))
      .toEqual({ status: 400, body: { message: `Task ${held.task.sid} already has a transfer in progress (${transferSid})` } });
    const cancel = (as: string, worker: string, sid: string, params: Record<string, unknown>) => post(s, as, `Workers/${worker}/Transfers/${sid}`, params);
    expect(await cancel('alice', aliceSid, transferSid, { TaskSid: held.task.sid, TransferStatus: 'completed' }))
      .toEqual({ status: 400, body: { message: 'TransferStatus completed is not valid: a transfer can only be set to canceled' } });
    expect(await cancel('bob', bobSid, transferSid, { TaskSid: held.task.sid, TransferStatus: 'canceled' }))
      .toEqual({ status: 400, body: { message: `Transfer ${transferSid} was not made by worker ${bobSid}` } });
    const unknownTransfer = `TT${'0'.repeat(32)}`;
    expect((await cancel('alice', aliceSid, unknownTransfer, { TaskSid: held.task.sid, TransferStatus: 'canceled' })).status).toBe(404);
    expect((await t.W.tasks(held.task.sid).fetch()).assignmentStatus).toBe('pending');
  });

  it('refuses to transfer a reservation that is not accepted', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    await t.agent('bob', 'Available');
    const offered = next<SdkReservation>(alice, 'reservationCreated');
    await t.W.tasks.create({ workflowSid: t.workflowSid, attributes: '{}' });
    const pending = await offered;
    await expect(pending.task.transfer(t.s.workerSid('bob'))).rejects.toThrow(`Request failed with status code 400. Reservation ${pending.sid} is pending; only an accepted reservation can be transferred`);
    await pending.accept();
    const wrapped = await t.W.workers(t.s.workerSid('alice')).reservations(pending.sid).update({ reservationStatus: 'wrapping' });
    expect(wrapped.reservationStatus).toBe('wrapping');
    await expect(pending.task.transfer(t.s.workerSid('bob'))).rejects.toThrow(`Reservation ${pending.sid} is wrapping; only an accepted reservation can be transferred`);
  });
});

describe('a transfer in progress', () => {
  it('survives a restart: the initiator\'s reservation shows it, and it can still be canceled', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    await t.agent('bob', 'Unavailable');
    const held = await t.acceptedTask(alice);
    await held.task.transfer(t.s.workerSid('bob'));
    const outgoing = held.task.transfers.outgoing as SdkTransfer;
    const dataDir = t.s.dataDir;
    await t.closeKeepingData();
    t = null;
    restarted = await startRollcall({}, dataDir);
    const aliceSid = restarted.workerSid('alice');
    const list = await post(restarted, 'alice', `Workers/${aliceSid}/Reservations`, { Active: 'true', PageSize: 1000 }, 'GET');
    const contents = (list.body.payload as { contents: Record<string, { sid?: string; transfer_status?: string }>[] }).contents;
    expect(contents.map((r) => [r.sid, r.active_outgoing_task_transfer?.sid, r.active_outgoing_task_transfer?.transfer_status]))
      .toEqual([[held.sid, outgoing.sid, 'initiated']]);
    const canceled = await post(restarted, 'alice', `Workers/${aliceSid}/Transfers/${outgoing.sid}`, { TaskSid: held.task.sid, TransferStatus: 'canceled' });
    expect(canceled.body.payload?.transfer_status).toBe('canceled');
    expect((await restarted.rollcall.store.findTask(restarted.workspaceSid, held.task.sid))?.assignmentStatus).toBe('assigned');
  });
});
