import { describe, expect, it } from 'vitest';
import { attemptEndsTransfer, checkTransfer, readTransferMode, taskReturn, type Transfer, type TransferContext } from './transfers.js';
import type { Reservation, Task } from './routing-resources.js';

const transfer = (over: Partial<Transfer> = {}): Transfer => ({
  sid: 'TT1', workspaceSid: 'WS1', accountSid: 'AC1', taskSid: 'WT1', initiatingReservationSid: 'WR1', initiatingWorkerSid: 'WK1', initiatingQueueSid: 'WQ1',
  initiatingWorkflowSid: 'WW1', type: 'WORKER', to: 'WK2', mode: 'WARM', status: 'initiated', failedReason: null, createdAt: 0, updatedAt: 0, ...over,
});
const reservation = { sid: 'WR1', workerSid: 'WK1', taskSid: 'WT1', status: 'accepted' } as Reservation;
const task = { sid: 'WT1', assignmentStatus: 'assigned' } as Task;
const request = { workerSid: 'WK1', reservationSid: 'WR1', taskSid: 'WT1', to: 'WK2', mode: 'WARM' as const };
const context = (over: Partial<TransferContext> = {}): TransferContext => ({ reservation, task, active: null, target: 'WORKER', ...over });

describe('checkTransfer', () => {
  it.each([
    ['another worker\'s reservation', request, context({ reservation: { ...reservation, workerSid: 'WK9' } }), /not a reservation of worker WK1/],
    ['another task', { ...request, taskSid: 'WT9' }, context(), /TaskSid WT9 is not the task/],
    ['a pending reservation', request, context({ reservation: { ...reservation, status: 'pending' } }), /is pending; only an accepted/],
    ['a transfer in progress', request, context({ active: transfer() }), /already has a transfer in progress \(TT1\)/],
    ['a task not assigned', request, context({ task: { ...task, assignmentStatus: 'wrapping' } }), /is wrapping; only an assigned/],
    ['itself', { ...request, to: 'WK1' }, context(), /is the worker making the transfer/],
    ['an unknown target', request, context({ target: null }), /neither a worker nor a task queue/],
  ])('refuses %s', (_name, req, ctx, message) => {
    const result = checkTransfer(req, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.refusal.message).toMatch(message);
  });

  it('passes with the target\'s type', () => {
    expect(checkTransfer(request, context({ target: 'QUEUE' }))).toEqual({ ok: true, value: 'QUEUE' });
  });
});

describe('where the task goes', () => {
  it.each([
    ['WARM', 'failed', 'accepted', { kind: 'initiator', status: 'assigned' }],
    ['WARM', 'failed', 'wrapping', { kind: 'initiator', status: 'wrapping' }],
    ['WARM', 'failed', 'completed', { kind: 'requeue' }],
    ['COLD', 'failed', 'wrapping', { kind: 'requeue' }],
    ['COLD', 'canceled', 'wrapping', { kind: 'initiator', status: 'wrapping' }],
    ['COLD', 'canceled', null, { kind: 'requeue' }],
  ] as const)('%s transfer %s, initiator %s', (mode, outcome, initiator, expected) => {
    expect(taskReturn(transfer({ mode }), outcome, initiator)).toEqual(expected);
  });

  it('tries a worker once and a queue until someone accepts', () => {
    expect(attemptEndsTransfer(transfer({ type: 'WORKER' }))).toBe(true);
    expect(attemptEndsTransfer(transfer({ type: 'QUEUE' }))).toBe(false);
  });

  it('reads Mode, WARM by default', () => {
    expect([undefined, 'cold', 'WARM', 'hot', 3].map(readTransferMode)).toEqual(['WARM', 'COLD', 'WARM', null, null]);
  });
});
