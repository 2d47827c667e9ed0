/**
 * The access journeys end to end on the dev server, against a real directory (slapd, or a Samba
 * AD DC): grant with the manager's approval, rejection, the fallback approver group (never the
 * requester), already a member, time-bound access with its reminder and its end, extension
 * (twice counts once), early end by the person and by IT staff, compensation when a later step
 * fails, and a removal that keeps failing until the directory lets it through (also across a
 * continue-as-new, when its history grows).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import type { ActivityDeps } from '../../../activities/deps';
import { DirectoryPermissionDeniedError } from '../../../integrations/directory/errors';
import {
  accessGrantWorkflowType,
  decideExtensionUpdate,
  endAccessUpdate,
  extendAccessUpdate,
  type AccessGrantInput,
  type AccessGrantStatus,
} from '../../../workflows/access/definitions';
import { approvalUpdate } from '../../../workflows/fulfilment/definitions';
import type { IntegrationEnv } from '../../support/integration-env';
import {
  bundleWorkflowsAt,
  connectTestEnv,
  createTestWorker,
  terminateRunning,
  uniqueTaskQueue,
} from '../../support/temporal';
import { journeyWorker, result, startRequest, updateRejection, waitForStatus, eventually } from '../fulfilment/helpers';
import { continueAsNewChain, recordHistory, recordingHistories } from '../../support/histories';
import { accessService, grantHandle, testDaySeconds, testGrantInput, waitForGrant } from './helpers';

/** The last commit whose grants only retried a failing removal, never continuing as new. */
const beforeRemovalContinuesAsNewCommit = '781ad59';

export interface AccessSuiteOptions {
  /** The directory names managers (slapd with AD's schema has no `manager`). */
  managers: boolean;
  /** Record the histories for test/replay (`npm run histories:record`): one directory is enough. */
  record?: boolean;
}

export function accessJourneySuite(
  name: string,
  startEnv: () => Promise<IntegrationEnv>,
  options: AccessSuiteOptions = { managers: true },
): void {
  describe(name, () => {
    let testEnv: TestWorkflowEnvironment;
    let env: IntegrationEnv;
    beforeAll(async () => {
      [testEnv, env] = await Promise.all([connectTestEnv(), startEnv()]);
    }, 420_000);
    const used = new Set<string>();
    afterAll(async () => {
      if (testEnv) await terminateRunning(testEnv.client, used);
      await env?.stop();
      await testEnv?.teardown();
    });

    const record = async (workflowId: string, name: string, runId?: string) => {
      if (options.record) await recordHistory(testEnv.client, workflowId, name, runId);
    };
    const member = (who: string, group: string) => env.deps.directory.isMember(who, group);
    const subjects = (address: string) => env.emailsTo(address).map((m) => m.subject ?? '');
    /** Steve's approver: mia from the directory, or (no managers) any member of Managers, i.e. mia. */
    const approve = (handle: Parameters<typeof result>[0], approve = true, reason: string | null = null) =>
      handle.executeUpdate(approvalUpdate, { args: [{ approver: 'mia', approve, reason }] });

    it('grants a role with the manager’s approval, reminds before the end, removes it at the end and tells both', async () => {
      const { worker, taskQueue } = await journeyWorker(testEnv, env);
      used.add(taskQueue);
      await worker.runUntil(async () => {
        const { handle, requestId } = await startRequest(testEnv, taskQueue, accessService('crm-access'), {
          requester: 'steve',
          fields: { role: 'crm-user', reason: 'Covering the Nordics pipeline', until: 'for 6 days' },
        });
        const waiting = await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        expect(waiting.waitingFor).toMatchObject(
          options.managers ? { approver: 'mia' } : { approver: 'Managers', anyMemberOf: 'Managers' },
        );
        // The requester is never their own approver; someone else is not the approver either.
        expect(
          (
            await updateRejection(
              handle.executeUpdate(approvalUpdate, { args: [{ approver: 'steve', approve: true, reason: null }] }),
            )
          ).type,
        ).toBe('NotAllowed');
        if (options.managers) {
          expect(
            (
              await updateRejection(
                handle.executeUpdate(approvalUpdate, { args: [{ approver: 'tony', approve: true, reason: null }] }),
              )
            ).type,
          ).toBe('NotAllowed');
          expect(subjects('mia@eagle5.example')).toContain('Please approve: CRM access for Steve Jones');
        }
        expect(await member('steve', 'CRM Users')).toBe(false);
        await approve(handle);
        const r = await result(handle);
        expect(r.outcome).toBe('completed');
        expect(r.stages.map((s) => s.stage)).toEqual([
          'received',
          'eligibility',
          'approval',
          'granting',
          'access-ready',
          'completed',
        ]);
        expect(await member('steve', 'CRM Users')).toBe(true);
        expect(subjects('steve@eagle5.example')).toContain('You now have CRM user');

        const grant = grantHandle(testEnv, 'crm-access', requestId);
        const active = await waitForGrant(grant, (s) => s.state === 'active');
        expect(active).toMatchObject({ person: 'steve', role: 'crm-user', group: 'CRM Users', state: 'active' });
        const lasts = Date.parse(active.until!) - Date.parse(active.since);
        expect(lasts).toBeGreaterThan(5.5 * testDaySeconds * 1000);
        expect(lasts).toBeLessThan(6.5 * testDaySeconds * 1000);
        // Reminder 2 "days" before the end, then the end.
        await waitForGrant(grant, (s) => s.reminderSent, 20_000);
        expect(await member('steve', 'CRM Users')).toBe(true);
        const ended = await waitForGrant(grant, (s) => s.state === 'ended', 30_000);
        expect(ended.endReason).toMatch(/end date/);
        expect(await member('steve', 'CRM Users')).toBe(false);
        await eventually(() => subjects('steve@eagle5.example').includes('Your CRM user access has ended'));
        const reminder = env
          .emailsTo('steve@eagle5.example')
          .find((m) => m.subject?.startsWith('Your CRM user access ends on'));
        expect(reminder?.text).toContain(`${env.settings.publicUrl}/access`);
        if (options.managers)
          await eventually(() => subjects('mia@eagle5.example').includes("steve's CRM user access has ended"));
        await grant.result();
        await record(handle.workflowId, 'crm-access-granted-by-manager');
        await record(grant.workflowId, 'crm-user-expired-after-reminder');
      });
    });

    it('turns the request down when the manager says no, with the reason, and grants nothing', async () => {
      const { worker, taskQueue } = await journeyWorker(testEnv, env);
      used.add(taskQueue);
      const r = await worker.runUntil(async () => {
        const { handle } = await startRequest(testEnv, taskQueue, accessService('crm-access'), {
          requester: 'tony',
          fields: { role: 'crm-sales-manager', reason: 'I would like to see the forecast' },
        });
        await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        await approve(handle, false, 'You are not leading a team');
        const r = await result(handle);
        await record(handle.workflowId, 'crm-access-rejected');
        return r;
      });
      expect(r.outcome).toBe('rejected');
      expect(r.reason).toMatch(/You are not leading a team/);
      expect(await member('tony', 'CRM Sales Managers')).toBe(false);
    });

    it('without a manager asks the fallback group; the requester cannot approve their own request', async () => {
      const { worker, taskQueue } = await journeyWorker(testEnv, env);
      used.add(taskQueue);
      await worker.runUntil(async () => {
        // mia has no manager and is the only member of Managers.
        const { handle } = await startRequest(testEnv, taskQueue, accessService('shared-mailbox'), {
          requester: 'mia',
          fields: { role: 'sales-mailbox', reason: 'Covering for Carl during his leave' },
        });
        // carl is already in Sales Mailbox: mia is not.
        const s = await waitForStatus(handle, (x) => x.waitingFor?.kind === 'approval');
        expect(s.waitingFor).toMatchObject({ anyMemberOf: 'Managers' });
        expect(subjects('servicedesk@eagle5.example')).toContain(
          'Approval needed: Sales mailbox (sales@eagle5.example) for Mia Novak',
        );
        expect((await updateRejection(approve(handle))).type).toBe('NotAllowed');
        // ivy is not in Managers: her "yes" does not count, the request keeps waiting.
        await handle.executeUpdate(approvalUpdate, { args: [{ approver: 'ivy', approve: true, reason: null }] });
        await new Promise((r) => setTimeout(r, 1500));
        expect((await waitForStatus(handle, () => true)).waitingFor?.kind).toBe('approval');
        await handle.terminate('test done');
      });
      expect(await member('mia', 'Sales Mailbox')).toBe(false);
    });

    it('counts a role someone already has as done, and never takes it away', async () => {
      const { worker, taskQueue } = await journeyWorker(testEnv, env);
      used.add(taskQueue);
      const r = await worker.runUntil(async () => {
        const { handle } = await startRequest(testEnv, taskQueue, accessService('crm-access'), {
          requester: 'carl',
          fields: { role: 'crm-user', reason: 'Asking again, just in case', until: 'for 1 day' },
        });
        await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        await approve(handle);
        return result(handle);
      });
      expect(r.outcome).toBe('completed');
      expect(r.undone).toEqual([]);
      await new Promise((res) => setTimeout(res, 3 * testDaySeconds * 1000));
      expect(await member('carl', 'CRM Users')).toBe(true);
    });

    it('extends after a second approval (asking twice counts once), and ends early by the person and by IT staff', async () => {
      const { worker, taskQueue } = await journeyWorker(testEnv, env);
      used.add(taskQueue);
      await worker.runUntil(async () => {
        const { handle, requestId } = await startRequest(testEnv, taskQueue, accessService('crm-access'), {
          requester: 'steve',
          fields: { role: 'crm-sales-manager', reason: 'Leading the team while Mia is away', until: 'for 10 days' },
        });
        await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        await approve(handle);
        await result(handle);
        const grant = grantHandle(testEnv, 'crm-access', requestId);
        const before = await waitForGrant(grant, (s) => s.state === 'active');
        const ask = { by: 'steve', requestId: 'ext-1', until: 'for 40 days', reason: 'Mia is away longer' };
        expect(
          (await updateRejection(grant.executeUpdate(extendAccessUpdate, { args: [{ ...ask, by: 'tony' }] }))).type,
        ).toBe('NotAllowed');
        const first = await grant.executeUpdate(extendAccessUpdate, { args: [ask] });
        const second = await grant.executeUpdate(extendAccessUpdate, { args: [ask] });
        expect(first.created).toBe(true);
        expect(second.created).toBe(false);
        const pending = await waitForGrant(grant, (s) => s.pendingExtension?.approver != null);
        expect(pending.extensions).toHaveLength(1);
        await grant.executeUpdate(decideExtensionUpdate, { args: [{ approver: 'mia', approve: true, reason: null }] });
        const extended = await waitForGrant(grant, (s) => s.extensions[0]?.state === 'approved');
        expect(Date.parse(extended.until!)).toBeGreaterThan(Date.parse(before.until!));
        expect(extended.extensions).toHaveLength(1);
        // The same request once more after approval: still one extension, the same end.
        expect((await grant.executeUpdate(extendAccessUpdate, { args: [ask] })).created).toBe(false);
        expect((await waitForGrant(grant, () => true)).until).toBe(extended.until);
        await eventually(() =>
          subjects('steve@eagle5.example').some((x) => x.startsWith('Extended: CRM sales manager')),
        );

        expect(
          (
            await updateRejection(
              grant.executeUpdate(endAccessUpdate, { args: [{ by: 'tony', staff: false, reason: null }] }),
            )
          ).type,
        ).toBe('NotAllowed');
        await grant.executeUpdate(endAccessUpdate, { args: [{ by: 'steve', staff: false, reason: 'Mia is back' }] });
        const ended = await waitForGrant(grant, (s) => s.state === 'ended');
        expect(ended.endReason).toBe('Ended early by you: Mia is back');
        expect(await member('steve', 'CRM Sales Managers')).toBe(false);
        await grant.result();
        await record(grant.workflowId, 'crm-sales-manager-extended-then-ended-early');

        // IT staff end someone's access.
        const again = await startRequest(testEnv, taskQueue, accessService('shared-mailbox'), {
          requester: 'tony',
          fields: { role: 'sales-mailbox', reason: 'Answering customers this week' },
        });
        await waitForStatus(again.handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        await approve(again.handle);
        await result(again.handle);
        expect(await member('tony', 'Sales Mailbox')).toBe(true);
        const g2 = grantHandle(testEnv, 'shared-mailbox', again.requestId);
        expect((await waitForGrant(g2, (s) => s.state === 'active')).until).toBeNull();
        await g2.executeUpdate(endAccessUpdate, { args: [{ by: 'ivy', staff: true, reason: 'Left the team' }] });
        expect((await waitForGrant(g2, (s) => s.state === 'ended')).endReason).toBe(
          'Ended early by IT staff (ivy): Left the team',
        );
        expect(await member('tony', 'Sales Mailbox')).toBe(false);
      });
    });

    it('undoes the grant when a later step fails for good, and hands the request to the service desk', async () => {
      // The "you now have it" email is refused for good (a template or mailbox problem).
      const activities = createActivities(env.deps);
      const emailAccess: typeof activities.emailAccess = (input) =>
        input.notice.kind === 'granted'
          ? Promise.reject(
              ApplicationFailure.create({ type: 'InvalidRequest', message: 'refused (test)', nonRetryable: true }),
            )
          : activities.emailAccess(input);
      const taskQueue = uniqueTaskQueue('access-saga');
      const worker = await createTestWorker(testEnv, { taskQueue, activities: { ...activities, emailAccess } });
      const r = await worker.runUntil(async () => {
        const { handle } = await startRequest(testEnv, taskQueue, accessService('crm-access'), {
          requester: 'tony',
          fields: { role: 'crm-sales-manager', reason: 'Standing in as team lead' },
        });
        await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        await approve(handle);
        return result(handle);
      });
      expect(r.outcome).toBe('failed');
      await record(r.workflowId, 'crm-access-grant-undone');
      expect(r.undone).toEqual(['undid membership of CRM Sales Managers (removed)']);
      expect(await member('tony', 'CRM Sales Managers')).toBe(false);
      expect(subjects('servicedesk@eagle5.example').some((s) => /CRM access/.test(s))).toBe(true);
    });

    /** The directory, refusing every removal while `refusing` (the test lets them through later). */
    const refusingRemovals = () => {
      const real = env.deps.directory;
      const refusals = { refusing: true, count: 0 };
      const directory: ActivityDeps['directory'] = {
        authenticate: (a, p) => real.authenticate(a, p),
        findUser: (a) => real.findUser(a),
        close: () => Promise.resolve(),
        addMember: (a, g) => real.addMember(a, g),
        isMember: (a, g) => real.isMember(a, g),
        removeMember: (a, g) => {
          if (refusals.refusing) {
            refusals.count += 1;
            return Promise.reject(new DirectoryPermissionDeniedError(`may not change ${g} (test)`));
          }
          return real.removeMember(a, g);
        },
      };
      return { refusals, activities: createActivities({ ...env.deps, directory }) };
    };

    /** A grant of CRM user to tony (made a member here), ending a second after it starts. */
    const tonysGrant = async (taskQueue: string, name: string, continueAsNewAfterEvents: number) => {
      await env.deps.directory.addMember('tony', 'CRM Users');
      const grantId = `access-crm-access-${name}-${Date.now().toString(36)}`;
      const input = testGrantInput(grantId, 'tony', {
        until: new Date(Date.now() + 1000).toISOString(),
        continueAsNewAfterEvents,
      });
      return testEnv.client.workflow.start(accessGrantWorkflowType, { workflowId: grantId, taskQueue, args: [input] });
    };

    it('keeps retrying a removal the directory refuses, tells the service desk once, and removes it when allowed', async () => {
      const { refusals, activities } = refusingRemovals();
      const taskQueue = uniqueTaskQueue('access-removal');
      used.add(taskQueue);
      const worker = await createTestWorker(testEnv, { taskQueue, activities });
      await worker.runUntil(async () => {
        const { handle, requestId } = await startRequest(testEnv, taskQueue, accessService('crm-access'), {
          requester: 'steve',
          fields: { role: 'crm-user', reason: 'Quarter-end reporting', until: 'for 2 days' },
        });
        await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
        await approve(handle);
        await result(handle);
        const grant = grantHandle(testEnv, 'crm-access', requestId);
        await waitForGrant(grant, (s) => s.removalFailures >= 2, 40_000);
        expect(
          subjects('servicedesk@eagle5.example').filter((s) => s.startsWith('Access removal keeps failing: steve')),
        ).toHaveLength(1);
        expect(await member('steve', 'CRM Users')).toBe(true);
        refusals.refusing = false;
        await waitForGrant(grant, (s) => s.state === 'ended', 30_000);
        await grant.result();
        await record(grant.workflowId, 'crm-user-removal-retried');
      });
      expect(refusals.count).toBeGreaterThanOrEqual(2);
      expect(await member('steve', 'CRM Users')).toBe(false);
    });

    it('continues as new while a removal keeps failing and removes it in the next run: the desk and the person told once', async () => {
      const { refusals, activities } = refusingRemovals();
      const taskQueue = uniqueTaskQueue('access-removal-can');
      used.add(taskQueue);
      const worker = await createTestWorker(testEnv, { taskQueue, activities });
      const told = (address: string, prefix: string) => subjects(address).filter((x) => x.startsWith(prefix)).length;
      const r = await worker.runUntil(async () => {
        // About a dozen events a round: the first run continues as new after its second refusal.
        const handle = await tonysGrant(taskQueue, 'removal-can', 30);
        const first = handle.firstExecutionRunId;
        const deadline = Date.now() + 40_000;
        while ((await handle.describe()).runId === first) {
          if (Date.now() > deadline) throw new Error(`no continue-as-new after ${refusals.count} refusals`);
          await new Promise((res) => setTimeout(res, 100));
        }
        const inFirstRun = refusals.count;
        expect(inFirstRun).toBeGreaterThanOrEqual(1);
        // The next run goes on removing (no waiting again): refused at least once more, then let through.
        // Waited for in the workflow's own count: the activity's refusal is counted by the fake a
        // moment before the workflow has recorded it (a query in between saw the old count).
        const resumed = await waitForGrant(handle, (s) => s.removalFailures > inFirstRun, 20_000);
        expect(refusals.count).toBeGreaterThan(inFirstRun);
        expect(resumed).toMatchObject({ state: 'ending', endReason: expect.stringMatching(/end date/) as unknown });
        refusals.refusing = false;
        const r = (await handle.result()) as AccessGrantStatus;
        const chain = await continueAsNewChain(testEnv.client, handle.workflowId);
        await record(handle.workflowId, 'crm-user-removal-run-1-continues-as-new', chain[0]);
        await record(handle.workflowId, 'crm-user-removal-run-2-resumed', chain[1]);
        return { ...r, runs: chain.length };
      });
      expect(r.runs).toBeGreaterThanOrEqual(2);
      expect(r.state).toBe('ended');
      expect(r.endReason).toMatch(/end date/);
      // Every refusal counted, across the runs.
      expect(r.removalFailures).toBe(refusals.count);
      expect(await member('tony', 'CRM Users')).toBe(false);
      await eventually(() => told('tony@eagle5.example', 'Your CRM user access has ended') > 0);
      expect(told('tony@eagle5.example', 'Your CRM user access has ended')).toBe(1);
      expect(told('servicedesk@eagle5.example', 'Access removal keeps failing: tony')).toBe(1);
    });

    it.runIf(options.record && recordingHistories())(
      'before the patch: a removal failing past the history threshold on the old code only retries',
      async () => {
        const { refusals, activities } = refusingRemovals();
        const taskQueue = uniqueTaskQueue('access-removal-old');
        used.add(taskQueue);
        const worker = await createTestWorker(testEnv, {
          taskQueue,
          activities,
          workflowBundle: await bundleWorkflowsAt(beforeRemovalContinuesAsNewCommit),
        });
        await worker.runUntil(async () => {
          const handle = await tonysGrant(taskQueue, 'removal-old', 30);
          await eventually(() => refusals.count >= 4, 30_000, 'four refusals');
          refusals.refusing = false;
          await handle.result();
          const chain = await continueAsNewChain(testEnv.client, handle.workflowId);
          // One run: the old loop grew its history past the threshold and kept it.
          expect(chain).toHaveLength(1);
          await record(handle.workflowId, 'crm-user-removal-long-before-removal-continues-as-new');
        });
        expect(await member('tony', 'CRM Users')).toBe(false);
      },
      120_000,
    );

    it('continues as new when the history grows, keeping the end date and the extensions asked', async () => {
      const { worker, taskQueue } = await journeyWorker(testEnv, env);
      used.add(taskQueue);
      const grantId = `access-crm-access-can-${Date.now().toString(36)}`;
      const until = new Date(Date.now() + 3600_000).toISOString();
      await worker.runUntil(async () => {
        const handle = await testEnv.client.workflow.start(accessGrantWorkflowType, {
          workflowId: grantId,
          taskQueue,
          args: [
            {
              grantId,
              requestWorkflowId: 'fulfil-crm-access-can',
              serviceId: 'crm-access',
              serviceTitle: 'CRM access',
              // Not a member: the end's removal finds nothing to remove (carl must stay, a group of names needs a member).
              person: 'tony',
              role: 'crm-user',
              roleLabel: 'CRM user',
              group: 'CRM Users',
              since: new Date().toISOString(),
              until,
              reason: 'Long-running test grant',
              settings: {
                reminderDaysBefore: 0,
                maxDays: 365,
                dayLengthSeconds: 86_400,
                fallbackApproverGroup: 'Managers',
                approvalWaitSeconds: 60,
              },
              extensions: [],
              remindedFor: null,
              runs: 0,
              continueAsNewAfterEvents: 25,
              retryInitialIntervalMs: 100,
            } satisfies AccessGrantInput,
          ],
        });
        // Each extension turned down adds a dozen events: the third one is asked in the second run.
        for (const n of [1, 2, 3]) {
          const ask = { by: 'tony', requestId: `can-${n}`, until: 'for 90 days', reason: `Ask number ${n}` };
          await handle.executeUpdate(extendAccessUpdate, { args: [ask] });
          await waitForGrant(handle, (s) => s.pendingExtension?.approver === 'mia');
          await handle.executeUpdate(decideExtensionUpdate, {
            args: [{ approver: 'mia', approve: false, reason: 'Not yet' }],
          });
          await waitForGrant(handle, (s) => s.pendingExtension === null);
        }
        const s = await waitForGrant(handle, (x) => x.extensions.length === 3);
        expect(s.until).toBe(until);
        expect(s.extensions.map((e) => e.state)).toEqual(['rejected', 'rejected', 'rejected']);
        // The first request id again, in a later run: still counted once.
        expect(
          (
            await handle.executeUpdate(extendAccessUpdate, {
              args: [{ by: 'tony', requestId: 'can-1', until: 'for 90 days', reason: 'again' }],
            })
          ).created,
        ).toBe(false);
        await handle.executeUpdate(endAccessUpdate, { args: [{ by: 'ivy', staff: true, reason: null }] });
        await waitForGrant(handle, (x) => x.state === 'ended');
        const chain = await continueAsNewChain(testEnv.client, grantId);
        expect(chain.length).toBeGreaterThanOrEqual(2);
        await record(grantId, 'crm-user-run-1-continues-as-new', chain[0]);
        await record(grantId, 'crm-user-run-2-resumed', chain[1]);
      });
    });
  });
}
