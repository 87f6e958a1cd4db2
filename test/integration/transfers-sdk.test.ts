/**
 * Task transfers (issue 8 item 7) through the official twilio-taskrouter Worker SDK: cold and warm,
 * to a worker and to a queue, the target accepting, rejecting and timing out, and the initiator
 * canceling; the Transfer object on both sides (`task.transfers.outgoing`, the target's
 * `reservation.transfer`) and the `task.transfer-*` events, as the SDK sees them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { next, transferSetup, type SdkReservation, type SdkTask, type SdkTransfer, type TransferSetup } from './transfer-support.js';

let t: TransferSetup | null = null;

afterEach(async () => {
  await t?.close();
  t = null;
});

const statusesOf = async (setup: TransferSetup, taskSid: string): Promise<Record<string, string>> => {
  const list = await setup.W.tasks(taskSid).reservations.list();
  return Object.fromEntries(list.map((r) => [r.workerName, r.reservationStatus]));
};

describe('a warm transfer to a worker', () => {
  it('keeps the task with the initiator until the target accepts, then wraps the initiator up', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    const bob = await t.agent('bob', 'Unavailable');
    const held = await t.acceptedTask(alice);
    await t.available(bob);
    const initiated = next<SdkTransfer>(held.task, 'transferInitiated');
    const offered = next<SdkReservation>(bob, 'reservationCreated');
    const task = await held.task.transfer(t.s.workerSid('bob'), { mode: 'WARM' });
    const outgoing = task.transfers.outgoing as SdkTransfer;
    expect({ sid: outgoing.sid.slice(0, 2), status: outgoing.status, mode: outgoing.mode, type: outgoing.type, to: outgoing.to, workerSid: outgoing.workerSid, reservationSid: outgoing.reservationSid })
      .toEqual({ sid: 'TT', status: 'initiated', mode: 'WARM', type: 'WORKER', to: t.s.workerSid('bob'), workerSid: t.s.workerSid('alice'), reservationSid: held.sid });
    expect((await initiated).sid).toBe(outgoing.sid);
    const offer = await offered;
    expect(offer.task.sid).toBe(held.task.sid);
    expect(offer.task.status).toBe('reserved');
    expect({ sid: offer.transfer?.sid, status: offer.transfer?.status, mode: offer.transfer?.mode, workerSid: offer.transfer?.workerSid }).toEqual({ sid: outgoing.sid, status: 'initiated', mode: 'WARM', workerSid: t.s.workerSid('alice') });
    expect(offer.task.transfers.incoming?.sid).toBe(outgoing.sid);
    expect(held.status).toBe('accepted');
    expect(await statusesOf(t, held.task.sid)).toEqual({ alice: 'accepted', bob: 'pending' });

    const completed = next<SdkTransfer>(outgoing, 'completed');
    const wrapup = next<SdkReservation>(held, 'wrapup');
    await offer.accept();
    expect((await completed).status).toBe('complete');
    expect((await wrapup).status).toBe('wrapping');
    expect(await statusesOf(t, held.task.sid)).toEqual({ alice: 'wrapping', bob: 'accepted' });
    const rest = await t.W.tasks(held.task.sid).fetch();
    expect(rest.assignmentStatus).toBe('assigned');
    // The initiator finishing its wrap-up leaves the new holder's task alone.
    await t.W.workers(t.s.workerSid('alice')).reservations(held.sid).update({ reservationStatus: 'completed' });
    expect((await t.W.tasks(held.task.sid).fetch()).assignmentStatus).toBe('assigned');
  });

  it('fails when the target rejects: attempt-failed then failed, and the task is the initiator\'s again', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    const bob = await t.agent('bob', 'Available');
    const held = await t.acceptedTask(alice);
    const order: string[] = [];
    const offered = next<SdkReservation>(bob, 'reservationCreated');
    await held.task.transfer(t.s.workerSid('bob'));
    const outgoing = held.task.transfers.outgoing as SdkTransfer;
    expect(outgoing.mode).toBe('WARM');
    const attemptFailed = next<SdkTransfer>(outgoing, 'attemptFailed', order);
    const failed = next<SdkTransfer>(outgoing, 'failed', order);
    const offer = await offered;
    const rejected = next<SdkReservation>(offer, 'rejected');
    await offer.reject();
    // Registered only once the answer is in, as the SDK's own spec does: the initiator's pushes wait for it.
    const updated = next<SdkTask>(held.task, 'updated');
    expect((await rejected).transfer?.status).toBe('failed');
    expect((await updated).status).toBe('assigned');
    await failed;
    await attemptFailed;
    expect(order).toEqual(['attemptFailed', 'failed']);
    expect(outgoing.status).toBe('failed');
    expect(outgoing.transferFailedReason).toMatch(/rejected/);
    expect(await statusesOf(t, held.task.sid)).toEqual({ alice: 'accepted', bob: 'rejected' });
  });

  it('fails when the target cannot take the task within the reservation timeout', async () => {
    t = await transferSetup({ reservationTimeoutS: 1 });
    const alice = await t.agent('alice', 'Available');
    await t.agent('bob', 'Unavailable');
    const held = await t.acceptedTask(alice);
    await held.task.transfer(t.s.workerSid('bob'));
    const failed = await next<SdkTransfer>(held.task.transfers.outgoing as SdkTransfer, 'failed');
    expect(failed.transferFailedReason).toMatch(/could not take task .* in time/);
    expect((await t.W.tasks(held.task.sid).fetch()).assignmentStatus).toBe('assigned');
  });

  it('is canceled by the initiator: the target\'s offer is canceled and a second cancel is refused', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    const bob = await t.agent('bob', 'Available');
    const held = await t.acceptedTask(alice);
    const offered = next<SdkReservation>(bob, 'reservationCreated');
    await held.task.transfer(t.s.workerSid('bob'));
    const offer = await offered;
    const outgoing = held.task.transfers.outgoing as SdkTransfer;
    const canceledEvent = next<SdkTransfer>(outgoing, 'canceled');
    const offerCanceled = next<SdkReservation>(offer, 'canceled');
    const canceled = await outgoing.cancel();
    expect(canceled).toBe(outgoing);
    expect(canceled.status).toBe('canceled');
    await canceledEvent;
    expect((await offerCanceled).transfer?.status).toBe('canceled');
    await expect(outgoing.cancel()).rejects.toThrow(`Request failed with status code 400. Transfer ${outgoing.sid} is already canceled . Cannot cancel transfer.`);
    expect((await t.W.tasks(held.task.sid).fetch()).assignmentStatus).toBe('assigned');
    expect(await statusesOf(t, held.task.sid)).toEqual({ alice: 'accepted', bob: 'canceled' });
  });
});

describe('a cold transfer', () => {
  it('to a worker wraps the initiator up at once and hands the task over when the target accepts', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    const bob = await t.agent('bob', 'Available');
    const held = await t.acceptedTask(alice);
    const wrapup = next<SdkReservation>(held, 'wrapup');
    const offered = next<SdkReservation>(bob, 'reservationCreated');
    await held.task.transfer(t.s.workerSid('bob'), { mode: 'COLD' });
    expect((await wrapup).status).toBe('wrapping');
    const offer = await offered;
    expect({ mode: offer.transfer?.mode, type: offer.transfer?.type }).toEqual({ mode: 'COLD', type: 'WORKER' });
    const completed = next<SdkTransfer>(held.task.transfers.outgoing as SdkTransfer, 'completed');
    await offer.accept();
    await completed;
    expect(await statusesOf(t, held.task.sid)).toEqual({ alice: 'wrapping', bob: 'accepted' });
  });

  it('to a queue goes to its workers but never the initiator, and keeps trying after a rejection', async () => {
    t = await transferSetup();
    const alice = await t.agent('alice', 'Available');
    const bob = await t.agent('bob', 'Unavailable');
    const carol = await t.agent('carol', 'Available');
    const held = await t.acceptedTask(alice);
    const team = await t.W.taskQueues.create({ friendlyName: 'Team', targetWorkers: '1==1' });
    const aliceOffers: string[] = [];
    alice.on('reservationCreated', (r: { sid: string }) => aliceOffers.push(r.sid));
    const toCarol = next<SdkReservation>(carol, 'reservationCreated');
    await held.task.transfer(team.sid, { mode: 'COLD', attributes: { type: 'chat', note: 'billing' }, priority: 5 });
    const outgoing = held.task.transfers.outgoing as SdkTransfer;
    expect({ type: outgoing.type, to: outgoing.to }).toEqual({ type: 'QUEUE', to: team.sid });
    const offer = await toCarol;
    expect({ queue: offer.task.queueSid, attributes: offer.task.attributes, priority: offer.task.priority }).toEqual({ queue: team.sid, attributes: { type: 'chat', note: 'billing' }, priority: 5 });
    const attemptFailed = next<SdkTransfer>(outgoing, 'attemptFailed');
    await offer.reject();
    expect((await attemptFailed).status).toBe('initiated');
    expect((await t.W.tasks(held.task.sid).fetch()).assignmentStatus).toBe('pending');
    const toBob = next<SdkReservation>(bob, 'reservationCreated');
    await t.available(bob);
    const second = await toBob;
    const completed = next<SdkTransfer>(outgoing, 'completed');
    await second.accept();
    await completed;
    expect(aliceOffers).toEqual([]);
    expect(await statusesOf(t, held.task.sid)).toEqual({ alice: 'wrapping', carol: 'rejected', bob: 'accepted' });
  });
});
