/**
 * The desk phone: a manager's approval (an update with a validator, a timer that turns it down)
 * and a delivery done by a person (a ticket to the service desk, the "delivered" update).
 * The exception path: "If you can't deliver fast, be transparent".
 */
import { recordHistory } from '../../support/histories';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalUpdate, deliveredUpdate } from '../../../workflows/fulfilment/definitions';
import { org, type IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import { journeyWorker, result, serviceById, startRequest, updateRejection, waitForStatus, withPlan } from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => ({ testEnv, env } = await startJourneyEnv()));
afterAll(() => stopJourneyEnv(testEnv, env));

const base = serviceById('desk-phone');
const mailsAbout = (address: string, requestId: string) =>
  env.emailsTo(address).filter((m) => m.text?.includes(requestId));
const ticketsFor = (workflowId: string) =>
  env.emailsTo(env.settings.serviceDeskEmail).filter((m) => m.subject?.includes(workflowId));
const fields = { deskLocation: 'Building 2, floor 3, desk 14', manager: 'Mia' };

describe('desk phone: approval and a delivery by a person', () => {
  it('asks Mia, takes only her decision, tickets the service desk and completes when Ivy delivers', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const service = withPlan(base, { approvalWaitSeconds: 60 });
    await worker.runUntil(async () => {
      const { handle, requestId, workflowId } = await startRequest(testEnv, taskQueue, service, {
        requester: 'steve',
        fields,
      });
      const waiting = await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval' && s.told.length >= 2);
      expect(waiting.stage).toBe('approval');
      expect(waiting.waitingFor).toMatchObject({ kind: 'approval', approver: 'mia' });
      expect(waiting.told.map((t) => t.summary)).toEqual([
        'Request received and being processed',
        'Asked Mia Novak to approve',
      ]);
      const ask = mailsAbout(org.mia.email, requestId);
      expect(ask.map((m) => m.subject)).toEqual(['Please approve: Desk phone for Steve Jones']);
      expect(ask[0]!.text).toContain('Building 2, floor 3, desk 14');
      expect(ask[0]!.text).toContain(`${env.settings.publicUrl}/approvals`);

      // Only the named manager decides; nobody approves their own request; a "no" needs a reason.
      expect(
        await updateRejection(
          handle.executeUpdate(approvalUpdate, { args: [{ approver: 'tony', approve: true, reason: null }] }),
        ),
      ).toMatchObject({
        type: 'NotAllowed',
        message: 'Only mia can decide on this request',
      });
      expect(
        await updateRejection(
          handle.executeUpdate(approvalUpdate, { args: [{ approver: 'steve', approve: true, reason: null }] }),
        ),
      ).toMatchObject({ type: 'NotAllowed' });
      expect(
        await updateRejection(
          handle.executeUpdate(approvalUpdate, { args: [{ approver: 'mia', approve: false, reason: '' }] }),
        ),
      ).toMatchObject({ type: 'InvalidInput' });
      expect(
        await updateRejection(handle.executeUpdate(deliveredUpdate, { args: [{ by: 'ivy', note: null }] })),
      ).toMatchObject({ type: 'NotWaiting' });

      expect(
        await handle.executeUpdate(approvalUpdate, { args: [{ approver: 'MIA', approve: true, reason: null }] }),
      ).toEqual({ decision: 'approved' });
      const delivering = await waitForStatus(handle, (s) => s.waitingFor?.kind === 'manual-task' && s.told.length >= 4);
      expect(delivering.stage).toBe('delivery');
      expect(delivering.stageLabel).toBe('Deliver and connect a desk phone');
      expect(delivering.told.slice(2).map((t) => t.summary)).toEqual([
        'Mia Novak approved your request',
        'The service desk has your request: Deliver and connect a desk phone',
      ]);
      const ticket = ticketsFor(workflowId);
      expect(ticket).toHaveLength(1);
      expect(ticket[0]!.subject).toContain('Deliver and connect a desk phone for Steve Jones');
      expect(ticket[0]!.text).toContain('Building 2, floor 3, desk 14');

      expect(
        await handle.executeUpdate(deliveredUpdate, {
          args: [{ by: 'ivy', note: 'Extension 4711, on the left of the monitor' }],
        }),
      ).toEqual({ accepted: true });
      const r = await result(handle);
      expect(r.outcome).toBe('completed');
      expect(r.stages.map((s) => [s.stage, s.state])).toEqual([
        ['received', 'done'],
        ['eligibility', 'done'],
        ['approval', 'done'],
        ['delivery', 'done'],
        ['completed', 'done'],
      ]);
      const done = mailsAbout(org.steve.email, requestId).at(-1)!;
      expect(done.subject).toBe('Your Desk phone request is done');
      expect(done.text).toContain('Your desk phone is on your desk and connected');
      expect(done.text).toContain('Extension 4711');
      expect(r.account).toBeNull();
    });
  });

  it('tells Steve the reason when Mia turns it down; the service desk gets nothing', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    await worker.runUntil(async () => {
      const { handle, requestId, workflowId } = await startRequest(testEnv, taskQueue, withPlan(base), {
        requester: 'steve',
        fields,
      });
      await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval');
      await handle.executeUpdate(approvalUpdate, {
        args: [{ approver: 'mia', approve: false, reason: 'You sit at a hot desk: use the softphone' }],
      });
      const r = await result(handle);
      await recordHistory(testEnv.client, workflowId, 'desk-phone-rejected');
      expect(r.outcome).toBe('rejected');
      expect(r.reason).toBe('Turned down by Mia Novak: You sit at a hot desk: use the softphone');
      const told = mailsAbout(org.steve.email, requestId).at(-1)!;
      expect(told.subject).toBe('Your Desk phone request was turned down');
      expect(told.text).toContain('Their reason: You sit at a hot desk: use the softphone');
      expect(ticketsFor(workflowId)).toHaveLength(0);
    });
  });

  it('turns the request down by itself when Mia does not decide in time, and tells both', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const { r, requestId } = await worker.runUntil(async () => {
      const s = await startRequest(testEnv, taskQueue, withPlan(base, { approvalWaitSeconds: 2 }), {
        requester: 'steve',
        fields,
      });
      return { ...s, r: await result(s.handle) };
    });
    expect(r.outcome).toBe('rejected');
    expect(r.reason).toBe('No decision by Mia Novak within 2 seconds');
    expect(r.told.at(-1)!.summary).toBe('No decision in time: request closed');
    expect(mailsAbout(org.steve.email, requestId).at(-1)!.subject).toBe(
      'Your Desk phone request is closed: no decision in time',
    );
    expect(mailsAbout(org.mia.email, requestId).map((m) => m.subject)).toEqual([
      'Please approve: Desk phone for Steve Jones',
      'Closed without a decision: Desk phone for Steve Jones',
    ]);
  });

  it('closes the request at once when the named approver is not a manager', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const { r, requestId } = await worker.runUntil(async () => {
      const s = await startRequest(testEnv, taskQueue, withPlan(base), {
        requester: 'steve',
        fields: { ...fields, manager: 'tony' },
      });
      return { ...s, r: await result(s.handle) };
    });
    expect(r.outcome).toBe('rejected');
    expect(r.reason).toBe('Tony Rossi is not in the Managers group, who approve these requests.');
    expect(mailsAbout(org.steve.email, requestId).at(-1)!.subject).toBe(
      'Your Desk phone request: tony cannot approve it',
    );
    expect(mailsAbout(org.tony.email, requestId)).toHaveLength(0);
  });

  it('reminds the service desk and tells Steve once when the delivery takes longer than planned', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    await worker.runUntil(async () => {
      const { handle, requestId, workflowId } = await startRequest(
        testEnv,
        taskQueue,
        withPlan(base, { taskReminderSeconds: 2 }),
        { requester: 'steve', fields },
      );
      await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval');
      await handle.executeUpdate(approvalUpdate, { args: [{ approver: 'mia', approve: true, reason: null }] });
      const late = await waitForStatus(handle, (s) => s.delayed && s.waitingFor?.kind === 'manual-task');
      expect(late.told.at(-1)!.summary).toBe('Taking longer than usual');
      expect(ticketsFor(workflowId).map((m) => m.subject?.includes('Reminder:'))).toEqual([false, true]);
      await handle.executeUpdate(deliveredUpdate, { args: [{ by: 'ivy', note: null }] });
      const r = await result(handle);
      expect(r.outcome).toBe('completed');
      expect(mailsAbout(org.steve.email, requestId).filter((m) => m.subject?.includes('taking longer'))).toHaveLength(
        1,
      );
    });
  });

  it('tells Steve when his request is cancelled while it waits for approval', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    await worker.runUntil(async () => {
      const { handle, requestId } = await startRequest(testEnv, taskQueue, withPlan(base), {
        requester: 'steve',
        fields,
      });
      await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval' && s.told.length >= 2);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(/cancel/i);
      const s = await waitForStatus(handle, (x) => !x.running);
      expect(s).toMatchObject({ outcome: 'cancelled', stage: 'closed' });
      expect(mailsAbout(org.steve.email, requestId).at(-1)!.subject).toBe('Your Desk phone request was cancelled');
    });
  });
});
