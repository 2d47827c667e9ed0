/**
 * The CRM outage (IT declares, subscribers are told, the affected confirm) end to end, on the real dev server against the real servers (slapd, SMTP,
 * Twilio API, ServiceNow API): declare → every subscriber told once → "this affects me" (twice,
 * with the workaround SMS) → progress → resolve → confirmations through the links in the real
 * emails (fixed + NPS, still broken, forged and foreign links refused) → follow-up of the
 * non-responder and the still-broken → re-open → resolve again → follow-up → close with NPS and
 * every person's outcome recorded. The worker replays every task (`maxCachedWorkflows: 0`).
 */
import { recordHistory } from '../../support/histories';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  affectedUpdate,
  confirmUpdate,
  incidentShardWorkflowId,
  incidentWorkaroundSmsWorkflowType,
  npsUpdate,
  peopleQuery,
  personQuery,
  progressUpdate,
  resolveUpdate,
  shardWorkflowIdForUser,
  incidentWorkflowId,
  incidentWorkaroundSmsWorkflowId,
  workaroundSmsStartOptions,
  type IncidentInput,
  type IncidentResult,
} from '../../../workflows/incident/definitions';
import { IncidentId, JourneyKind, Outcome, Stage } from '../../../workflows/shared/search-attributes';
import { org, type IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import {
  answerByLink,
  confirmationLinks,
  declare,
  incidentHistories,
  incidentWorker,
  waitForStatus,
  waitUntil,
} from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => ({ testEnv, env } = await startJourneyEnv()));
afterAll(() => stopJourneyEnv(testEnv, env));

const crmSubscribers = ['steve', 'tony', 'mia', 'ivy'] as const;
const shardCount = 2;

function crmIncident(incidentId: string, overrides: Partial<IncidentInput> = {}): IncidentInput {
  return {
    incidentId,
    serviceId: 'crm',
    title: 'CRM web app down',
    message: 'Some people cannot open the CRM web app. The mobile CRM app works.',
    workaround: { text: 'Use the mobile CRM app.', links: { android: 'https://play.example/store/apps/crm' } },
    declaredBy: 'ivy',
    timings: {
      // The test answers for people within each phase's follow-up window: email, link, answer take
      // a few seconds on a loaded machine (6 s was once too short in CI), so the window is wide.
      followUpAfterSeconds: 15,
      finalDeadlineSeconds: 20,
      reportIntervalSeconds: 0.2,
      lingerAfterCloseSeconds: 120,
      linkValidSeconds: 3600,
    },
    scale: { shardCount, pageSize: 2, pagesPerActivity: 1 },
    reopen: { stillBrokenAbove: 0, stillBrokenShareAbove: 1, maxPhases: 2 },
    retryInitialIntervalMs: 100,
    ...overrides,
  };
}

const mails = (who: string, incidentId: string, subject?: RegExp) =>
  env
    .emailsTo(`${who}@eagle5.example`)
    .filter((m) => m.text?.includes(incidentId) && (!subject || subject.test(m.subject ?? '')));
const shardOf = (incidentId: string, accountName: string) =>
  testEnv.client.workflow.getHandle(shardWorkflowIdForUser(incidentId, accountName, shardCount));
const affected = (incidentId: string, accountName: string) =>
  shardOf(incidentId, accountName).executeUpdate(affectedUpdate, { args: [{ accountName }] });

async function terminateLeftovers(incidentId: string): Promise<void> {
  for await (const w of testEnv.client.workflow.list({
    query: `IncidentId = "${incidentId}" AND ExecutionStatus = "Running"`,
  })) {
    await testEnv.client.workflow.getHandle(w.workflowId).terminate('test finished');
  }
}

describe('incident lifecycle (the CRM outage)', () => {
  it('announces, collects "affects me", resolves, confirms, follows up, re-opens and closes with NPS recorded', async () => {
    const { worker, taskQueue } = await incidentWorker(testEnv, env);
    const id = `crm-${Date.now().toString(36)}`;
    await worker.runUntil(async () => {
      const handle = await declare(testEnv, taskQueue, crmIncident(id));

      // --- declared: every subscriber told exactly once, SMS to the one who prefers it ---------
      const declared = await waitForStatus(handle, (s) => s.subscribers !== null && s.shardsNotReported === 0);
      expect(declared).toMatchObject({ status: 'open', phase: 1, serviceName: 'CRM', subscribers: 4, shardCount });
      expect(declared.notifications[0]!.counts).toEqual({
        subscribers: 4,
        emailsSent: 4,
        smsSent: 1,
        alreadySent: 0,
        failed: 0,
      });
      for (const who of crmSubscribers) expect(mails(who, id).map((m) => m.subject)).toEqual(['CRM: CRM web app down']);
      expect(mails('dana', id)).toEqual([]);
      expect(env.smsTo(org.steve.phone).filter((m) => m.body.includes('CRM problem'))).toHaveLength(1);
      expect(mails('steve', id)[0]!.text).toContain('Meanwhile: Use the mobile CRM app.');

      // --- "this affects me": idempotent; the workaround SMS for the registered phone's OS ------
      expect(await affected(id, 'steve')).toEqual({ status: 'recorded', affected: 1 });
      expect(await affected(id, 'steve')).toMatchObject({ status: 'already-recorded' });
      expect(await affected(id, 'tony')).toMatchObject({ status: 'recorded' });
      expect(await affected(id, 'mia')).toMatchObject({ status: 'recorded' });
      const content = {
        incidentId: id,
        serviceId: 'crm',
        serviceName: 'CRM',
        title: declared.title,
        message: declared.message,
        workaround: declared.workaround,
      };
      const sms = () =>
        testEnv.client.workflow.execute(
          incidentWorkaroundSmsWorkflowType,
          workaroundSmsStartOptions(content, 'steve', taskQueue),
        );
      expect(await sms()).toEqual({ status: 'sent', to: '+44…0123', os: 'android', alreadySent: false });
      expect(await sms()).toEqual({ status: 'sent', to: '+44…0123', os: 'android', alreadySent: true });
      expect(
        env.smsTo(org.steve.phone).filter((m) => m.body.includes('https://play.example/store/apps/crm')),
      ).toHaveLength(1);
      expect(
        await testEnv.client.workflow.execute(
          incidentWorkaroundSmsWorkflowType,
          workaroundSmsStartOptions(content, 'tony', taskQueue),
        ),
      ).toEqual({
        status: 'no-link-for-device',
        os: 'ios',
      });
      expect(
        await testEnv.client.workflow.execute(
          incidentWorkaroundSmsWorkflowType,
          workaroundSmsStartOptions(content, 'ivy', taskQueue),
        ),
      ).toEqual({ status: 'no-device' });
      // A malformed click is refused by the validator (nothing recorded); an answer before the fix is a clear "not yet".
      await expect(
        shardOf(id, 'x').executeUpdate(affectedUpdate, { args: [{ accountName: 'Not A Name' }] }),
      ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      expect(
        await shardOf(id, 'steve').executeUpdate(confirmUpdate, { args: [{ accountName: 'steve', answer: 'fixed' }] }),
      ).toEqual({
        status: 'not-resolved',
        incidentStatus: 'open',
      });
      const counted = await waitForStatus(handle, (s) => s.counts.affected === 3);
      expect(counted.counts).toMatchObject({ affected: 3, confirmedFixed: 0, stillBroken: 0, noAnswer: 3 });

      // --- progress: the banner shows it, the affected people (only) are emailed ----------------
      const progress = await handle.executeUpdate(progressUpdate, {
        args: [{ text: 'We found the cause: a full disk on the web server.', notifyAffected: true, by: 'ivy' }],
      });
      expect(progress).toMatchObject({ status: 'posted', note: { seq: 1, by: 'ivy', notifiedAffected: true } });
      expect((await waitForStatus(handle, (s) => s.latestNote !== null)).latestNote!.text).toBe(
        'We found the cause: a full disk on the web server.',
      );
      await waitUntil('progress emails', () =>
        ['steve', 'tony', 'mia'].every((w) => mails(w, id, /^Update:/).length === 1),
      );
      expect(mails('ivy', id, /^Update:/)).toEqual([]);

      // --- resolve: affected people get personal links, everyone else the news, each once -------
      expect(
        await handle.executeUpdate(resolveUpdate, {
          args: [{ note: 'The disk was cleaned up and the web app restarted.', by: 'ivy' }],
        }),
      ).toEqual({
        status: 'resolved',
        phase: 1,
      });
      expect(await handle.executeUpdate(resolveUpdate, { args: [{ note: 'again', by: 'ivy' }] })).toEqual({
        status: 'not-open',
        incidentStatus: 'resolved',
      });
      const resolved = await waitForStatus(handle, (s) => s.notifications.length === 2);
      expect(resolved.notifications[1]!.counts).toMatchObject({
        subscribers: 4,
        emailsSent: 1,
        alreadySent: 3,
        smsSent: 1,
        failed: 0,
      });
      for (const who of ['steve', 'tony', 'mia'])
        expect(mails(who, id, /^Fixed:/).map((m) => m.subject)).toEqual(['Fixed: CRM: is it working for you?']);
      expect(mails('ivy', id, /^Fixed:/).map((m) => m.subject)).toEqual(['Fixed: CRM: CRM web app down']);
      expect(env.smsTo(org.steve.phone).filter((m) => m.body.includes('working again'))).toHaveLength(1);

      // --- confirmations through the real links ----------------------------------------------
      const steveLinks = confirmationLinks(mails('steve', id, /^Fixed:/)[0]!.text, id);
      const tonyLinks = confirmationLinks(mails('tony', id, /^Fixed:/)[0]!.text, id);
      // Forged: Steve's signature on a payload naming Tony; and Steve's genuine link used for another incident.
      const steveToken = new URL(steveLinks.fixed).searchParams.get('token')!;
      const stevePayload = JSON.parse(Buffer.from(steveToken.split('.')[0]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const forgedPayload = Buffer.from(JSON.stringify({ ...stevePayload, u: 'tony' })).toString('base64url');
      const forged = new URL(steveLinks.fixed);
      forged.searchParams.set('token', `${forgedPayload}.${steveToken.split('.')[1]}`);
      expect(await answerByLink(testEnv, env, { incidentId: id, shardCount, url: forged.toString() })).toEqual({
        refused: 'invalid',
      });
      expect(
        await answerByLink(testEnv, env, { incidentId: `${id}-other`, shardCount, url: steveLinks.fixed }),
      ).toEqual({ refused: 'invalid' });
      expect(
        await answerByLink(testEnv, env, {
          incidentId: id,
          shardCount,
          url: steveLinks.fixed,
          now: Date.now() + 2 * 3600_000,
        }),
      ).toEqual({ refused: 'expired' });

      expect(
        await answerByLink(testEnv, env, {
          incidentId: id,
          shardCount,
          url: steveLinks.fixed,
          score: 9,
          comment: 'Quick and well explained',
        }),
      ).toEqual({
        status: 'recorded',
        answer: 'fixed',
        phase: 1,
      });
      expect(await answerByLink(testEnv, env, { incidentId: id, shardCount, url: steveLinks.fixed })).toMatchObject({
        status: 'already-recorded',
      });
      expect(
        await answerByLink(testEnv, env, { incidentId: id, shardCount, url: tonyLinks.stillBroken }),
      ).toMatchObject({ status: 'recorded', answer: 'still-broken' });
      expect(await shardOf(id, 'tony').executeUpdate(npsUpdate, { args: [{ accountName: 'tony', score: 3 }] })).toEqual(
        { status: 'not-confirmed' },
      );
      expect(
        await shardOf(id, 'dana').executeUpdate(confirmUpdate, { args: [{ accountName: 'dana', answer: 'fixed' }] }),
      ).toEqual({ status: 'not-affected' });
      const answered = await waitForStatus(handle, (s) => s.counts.confirmedFixed === 1 && s.counts.stillBroken === 1);
      expect(answered.counts).toMatchObject({ affected: 3, confirmedFixed: 1, stillBroken: 1, noAnswer: 1 });
      expect(answered.npsView).toMatchObject({ responses: 1, average: 9, score: 100 });

      // --- follow-up: ONE list to the service desk, a message to each person on it; re-open ------
      const reopened = await waitForStatus(
        handle,
        (s) => s.phase === 2 && s.notifying === null && s.notifications.length === 3,
      );
      expect(reopened.status).toBe('open');
      expect(reopened.phases[0]).toMatchObject({
        phase: 1,
        reopenReason: '1 of 3 affected people said it is still broken.',
      });
      expect(reopened.phases[0]!.followedUpAt).not.toBeNull();
      const lists = env
        .emailsTo(env.settings.serviceDeskEmail)
        .filter((m) => m.subject?.startsWith('Follow-up list') && m.text?.includes(id));
      expect(lists).toHaveLength(1);
      expect(lists[0]!.text).toContain('tony — said still broken');
      expect(lists[0]!.text).toContain('mia — no answer');
      expect(lists[0]!.text).not.toContain('steve');
      expect(mails('tony', id, /following up/)).toHaveLength(1);
      expect(mails('mia', id, /following up/)).toHaveLength(1);
      expect(mails('steve', id, /following up/)).toEqual([]);
      for (const who of crmSubscribers) expect(mails(who, id, /^Re-opened:/)).toHaveLength(1);

      // --- phase 2: resolve again; only the unconfirmed are asked again --------------------------
      expect(
        await handle.executeUpdate(resolveUpdate, {
          args: [{ note: 'The load balancer sent some people to an old server; fixed now.', by: 'ivy' }],
        }),
      ).toEqual({
        status: 'resolved',
        phase: 2,
      });
      await waitForStatus(handle, (s) => s.notifications.length === 4);
      expect(mails('tony', id, /is it working for you/)).toHaveLength(2);
      expect(mails('mia', id, /is it working for you/)).toHaveLength(2);
      expect(mails('steve', id, /is it working for you/)).toHaveLength(1);
      const tonyPhase2 = confirmationLinks(mails('tony', id, /is it working for you/)[1]!.text, id);
      expect(await answerByLink(testEnv, env, { incidentId: id, shardCount, url: tonyPhase2.fixed })).toEqual({
        status: 'recorded',
        answer: 'fixed',
        phase: 2,
      });
      expect(
        await shardOf(id, 'tony').executeUpdate(npsUpdate, {
          args: [{ accountName: 'tony', score: 7, comment: 'Took two goes' }],
        }),
      ).toEqual({ status: 'recorded', score: 7 });

      // --- Mia never answers: followed up again, then the final deadline closes it -------------
      const result = (await handle.result()) as IncidentResult;
      expect(result).toMatchObject({
        incidentId: id,
        closeReason: 'deadline-passed',
        subscribers: 4,
        counts: { affected: 3, confirmedFixed: 2, stillBroken: 0, noAnswer: 1, followedUp: 1 },
        outcomes: { confirmed: 2, 'followed-up': 1, 'deadline-passed': 0 },
        npsView: { responses: 2, sum: 16, promoters: 1, passives: 1, detractors: 0, average: 8, score: 50 },
      });
      expect(result.phases.map((p) => p.phase)).toEqual([1, 2]);
      expect(result.shards.map((s) => s.workflowId)).toEqual([
        incidentShardWorkflowId(id, 0),
        incidentShardWorkflowId(id, 1),
      ]);
      const lists2 = env
        .emailsTo(env.settings.serviceDeskEmail)
        .filter((m) => m.subject?.startsWith('Follow-up list') && m.text?.includes(id));
      expect(lists2).toHaveLength(2);
      expect(lists2[1]!.text).toContain('mia — no answer');
      expect(lists2[1]!.text).not.toContain('tony');

      // The per-person record lives in the shards.
      expect(await shardOf(id, 'steve').query(personQuery, 'steve')).toMatchObject({
        answer: 'fixed',
        answeredInPhase: 1,
        score: 9,
        outcome: 'confirmed',
      });
      expect(await shardOf(id, 'tony').query(personQuery, 'tony')).toMatchObject({
        answer: 'fixed',
        answeredInPhase: 2,
        score: 7,
        followedUpInPhase: 1,
        outcome: 'confirmed',
      });
      expect(await shardOf(id, 'mia').query(personQuery, 'mia')).toMatchObject({
        answer: null,
        followedUpInPhase: 2,
        outcome: 'followed-up',
      });
      const people = await Promise.all(
        [0, 1].map((n) =>
          testEnv.client.workflow
            .getHandle(incidentShardWorkflowId(id, n))
            .query(peopleQuery, { offset: 0, limit: 100 }),
        ),
      );
      expect(people.reduce((sum, p) => sum + p.total, 0)).toBe(3);

      // --- the experience figures, written by the workflows themselves -------------------------
      const record = await env.deps.experience.incident(id);
      expect(record).toMatchObject({
        incidentId: id,
        serviceId: 'crm',
        declaredAt: result.declaredAt,
        subscribersTold: 4,
        affected: 3,
        confirmedFixed: 2,
        stillBroken: 0,
        noAnswer: 1,
        followedUp: 1,
        lastSettledAt: result.closedAt,
        settleTimeMs: Date.parse(result.closedAt) - Date.parse(result.declaredAt),
        reopened: 1,
      });
      expect(record!.firstAnnouncementAt).not.toBeNull();
      expect(record!.timeToFirstAnnouncementMs).toBe(
        Date.parse(record!.firstAnnouncementAt!) - Date.parse(result.declaredAt),
      );
      expect(record!.timeToFirstAnnouncementMs!).toBeLessThan(
        Date.parse(result.phases[0]!.resolvedAt!) - Date.parse(result.declaredAt),
      );
      const window = { from: new Date(Date.parse(result.declaredAt) - 60_000), to: new Date(Date.now() + 60_000) };
      const [crm] = await env.deps.experience.summarize(window, { serviceId: 'crm' });
      // Steve 9 (promoter), Tony 7 (passive), each recorded once although reports repeat.
      expect(crm!.nps.incidents).toEqual({ responses: 2, promoters: 1, passives: 1, detractors: 0, score: 50 });

      // --- after the close: clear answers, not errors ----------------------------------------
      expect(await answerByLink(testEnv, env, { incidentId: id, shardCount, url: steveLinks.stillBroken })).toEqual({
        status: 'closed',
      });
      expect(await affected(id, 'mia')).toEqual({ status: 'closed' });
      expect(await shardOf(id, 'mia').executeUpdate(npsUpdate, { args: [{ accountName: 'mia', score: 5 }] })).toEqual({
        status: 'closed',
      });

      // --- findable and readable in the Temporal UI ---------------------------------------------
      const described = await handle.describe();
      expect(await described.staticSummary()).toBe('crm incident: CRM web app down — declared by ivy');
      expect(described.typedSearchAttributes.get(Stage)).toBe('closed');
      expect(described.typedSearchAttributes.get(Outcome)).toBe('deadline-passed');
      expect(described.typedSearchAttributes.get(IncidentId)).toBe(id);
      const shard0 = await testEnv.client.workflow.getHandle(incidentShardWorkflowId(id, 0)).describe();
      expect(await shard0.staticSummary()).toBe(`CRM incident ${id}: affected people, shard 1 of 2`);
      expect(shard0.typedSearchAttributes.get(JourneyKind)).toBe('incident-shard');
      expect(shard0.typedSearchAttributes.get(Stage)).toBe('closed');

      // --- readable histories without secrets: no link token, no full phone number -----------
      const histories = await incidentHistories(testEnv, id);
      const text = histories.map((h) => h.payloadText).join('\n');
      expect(text).toContain('CRM web app down');
      // Activity summaries, as the UI shows them.
      expect(text).toContain('Outage notice to crm subscribers, phase 1, from subscriber 1');
      expect(text).toContain('Resolution email with confirmation links to 2 affected people (phase 1, batch 1/1)');
      expect(text).toContain("Workaround download link by SMS to steve's registered phone");
      expect(text).not.toContain(env.settings.linkSecret);
      expect(text).not.toContain(steveToken);
      expect(text).not.toContain('token=');
      for (const person of [org.steve, org.tony, org.mia]) expect(text).not.toContain(person.phone);
      await recordHistory(testEnv.client, incidentWorkflowId(id), 'crm-outage-lifecycle');
      await recordHistory(testEnv.client, incidentShardWorkflowId(id, 0), 'crm-outage-shard-0');
      await recordHistory(testEnv.client, incidentShardWorkflowId(id, 1), 'crm-outage-shard-1');
      await recordHistory(testEnv.client, incidentWorkaroundSmsWorkflowId(id, 'steve'), 'crm-outage-workaround-sms');
    });
    await terminateLeftovers(id);
  }, 240_000);

  it('closes as soon as every affected person confirms, with no follow-up list', async () => {
    const { worker, taskQueue } = await incidentWorker(testEnv, env);
    const id = `crm-quick-${Date.now().toString(36)}`;
    await worker.runUntil(async () => {
      const handle = await declare(
        testEnv,
        taskQueue,
        crmIncident(id, {
          timings: {
            followUpAfterSeconds: 60,
            finalDeadlineSeconds: 120,
            reportIntervalSeconds: 0.2,
            lingerAfterCloseSeconds: 30,
          },
        }),
      );
      await waitForStatus(handle, (s) => s.subscribers === 4 && s.shardsNotReported === 0);
      await affected(id, 'tony');
      await affected(id, 'mia');
      await waitForStatus(handle, (s) => s.counts.affected === 2);
      await handle.executeUpdate(resolveUpdate, { args: [{ note: 'Restarted the web app.', by: 'ivy' }] });
      await waitForStatus(handle, (s) => s.notifications.length === 2);
      for (const who of ['tony', 'mia'] as const) {
        const links = confirmationLinks(mails(who, id, /is it working for you/)[0]!.text, id);
        expect(
          await answerByLink(testEnv, env, { incidentId: id, shardCount, url: links.fixed, score: 10 }),
        ).toMatchObject({ status: 'recorded' });
      }
      const result = (await handle.result()) as IncidentResult;
      expect(result).toMatchObject({
        closeReason: 'all-confirmed',
        outcomes: { confirmed: 2, 'followed-up': 0, 'deadline-passed': 0 },
        npsView: { responses: 2, score: 100 },
      });
      expect(result.phases).toHaveLength(1);
      expect(result.phases[0]!.followedUpAt).toBeNull();
      expect(env.emailsTo(env.settings.serviceDeskEmail).filter((m) => m.text?.includes(id))).toEqual([]);
      expect(await env.deps.experience.incident(id)).toMatchObject({
        affected: 2,
        confirmedFixed: 2,
        noAnswer: 0,
        followedUp: 0,
        reopened: 0,
        lastSettledAt: result.closedAt,
      });
    });
    await terminateLeftovers(id);
  }, 90_000);

  it('fails with ServiceNotFound for a service the CMDB does not know', async () => {
    const { worker, taskQueue } = await incidentWorker(testEnv, env);
    await worker.runUntil(async () => {
      const handle = await declare(
        testEnv,
        taskQueue,
        crmIncident(`nope-${Date.now().toString(36)}`, { serviceId: 'no-such-service' }),
      );
      const err: unknown = await handle.result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toMatchObject({
        type: 'ServiceNotFound',
        message: 'No service "no-such-service" in the CMDB',
      });
    });
  });
});
