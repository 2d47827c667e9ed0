/**
 * The Expensatron journey end to end (Steve asks for it and has it on his phone in minutes): real dev server, real slapd, SMTP,
 * Twilio-API, ServiceNow-API and SCIM servers; every workflow task replayed from history
 * (`maxCachedWorkflows: 0`).
 */
import { recordHistory } from '../../support/histories';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JourneyKind, Outcome, Requester, ServiceId, Stage } from '../../../workflows/shared/search-attributes';
import { org, type IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import {
  activitySummaries,
  journeyWorker,
  result,
  serviceById,
  startRequest,
  status,
  waitForStatus,
  withPlan,
} from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => ({ testEnv, env } = await startJourneyEnv()));
afterAll(() => stopJourneyEnv(testEnv, env));

const expensatron = withPlan(serviceById('expensatron'));

describe('Expensatron for Steve: the happy path', () => {
  it('emails a receipt, texts the Android link, creates one account, emails the login and ends completed', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const { handle, workflowId } = await worker.runUntil(async () => {
      const started = await startRequest(testEnv, taskQueue, expensatron, {
        requester: 'steve',
        fields: { phone: '07700 900123', os: 'android' },
        requesterLabel: org.steve.email,
      });
      await started.handle.result();
      return started;
    });
    const r = await result(handle);
    await recordHistory(testEnv.client, workflowId, 'expensatron-happy-path');

    expect(workflowId).toMatch(/^fulfil-expensatron-/);
    expect(r.outcome).toBe('completed');
    expect(r.stage).toBe('completed');
    expect(r.stages.map((s) => [s.stage, s.state])).toEqual([
      ['received', 'done'],
      ['eligibility', 'done'],
      ['device-check', 'done'],
      ['download-link', 'done'],
      ['provisioning', 'done'],
      ['quick-start', 'done'],
      ['completed', 'done'],
    ]);
    for (const s of r.stages) {
      expect(Date.parse(s.endedAt!)).toBeGreaterThanOrEqual(Date.parse(s.startedAt!));
    }
    expect(r.told.map((t) => [t.channel, t.summary])).toEqual([
      ['email', 'Request received and being processed'],
      ['sms', 'Download link for Expensatron (Android)'],
      ['email', `Login id ${org.steve.email} and the quick-start guide`],
    ]);
    expect(r.told[1]!.to).toBe('+44…0123');

    // The experience figures reached the store (written by an activity, read back here).
    const recorded = await env.deps.experience.journey(workflowId);
    expect(recorded).toMatchObject({
      journeyId: workflowId,
      serviceId: 'expensatron',
      requester: 'steve',
      outcome: 'completed',
      messagesSent: 3,
      cameBack: false,
      nps: null,
    });
    expect(recorded!.timeToOutcomeMs).toBe(r.figures.timeToOutcomeMs);

    // What arrived at the real servers.
    const mails = env.emailsTo(org.steve.email).filter((m) => m.text?.includes(r.requestId));
    expect(mails.map((m) => m.subject)).toEqual(['We have your request for Expensatron', 'Your Expensatron login']);
    expect(mails[0]!.text).toContain('has been received and is being processed');
    expect(mails[0]!.html).toContain('<h1');
    expect(mails[1]!.text).toContain(`Login id:`);
    expect(mails[1]!.text).toContain(org.steve.email);
    expect(mails[1]!.text).toContain(`${env.settings.publicUrl}/catalog/expensatron/guide`);
    const texts = env.smsTo(org.steve.phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.body).toContain('https://play.google.example/');
    expect(texts[0]!.body.length).toBeLessThanOrEqual(160);
    const accounts = env.scim.expensatron!.users().filter((u) => u.userName === org.steve.email);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ externalId: 'steve', active: true });
    expect(r.account).toMatchObject({ applicationId: 'expensatron', userName: org.steve.email, created: true });
    expect(r.figures.messagesSent).toBe(3);
    expect(r.figures.cameBack).toBe(false);

    // Operable: findable, readable in the UI.
    const d = await handle.describe();
    expect(d.typedSearchAttributes.get(JourneyKind)).toBe('fulfilment');
    expect(d.typedSearchAttributes.get(ServiceId)).toBe('expensatron');
    expect(d.typedSearchAttributes.get(Requester)).toBe('steve');
    expect(d.typedSearchAttributes.get(Stage)).toBe('completed');
    expect(d.typedSearchAttributes.get(Outcome)).toBe('completed');
    expect(await d.staticSummary()).toBe(`Expensatron for ${org.steve.email} (Android)`);
    expect(await d.staticDetails()).toContain('+44…0123');
    const summaries = await activitySummaries(handle);
    expect(summaries.map((s) => s.type)).toEqual([
      'findRequester',
      'sendReceiptEmail',
      'checkEligibility',
      'findRegisteredDevice',
      'sendDownloadLink',
      'findExistingAccount',
      'provisionAccount',
      'emailQuickStart',
      'recordJourneyExperience',
    ]);
    expect(summaries.every((s) => s.summary.length > 0)).toBe(true);
    expect(summaries.find((s) => s.type === 'sendDownloadLink')!.summary).toBe(
      'SMS download link to +44…0123 (Android)',
    );
    const history = JSON.stringify(
      (await handle.fetchHistory()).events
        ?.filter((e) => e.userMetadata?.summary)
        .map((e) => defaultPayloadConverter.fromPayload(e.userMetadata!.summary!)),
    );
    expect(history).not.toContain('7700900123');
  });

  it('answers the status query while it runs and after it finished, with what Steve was told', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const { handle } = await startRequest(testEnv, taskQueue, expensatron, {
      requester: 'steve',
      fields: { phone: '+447700900123', os: 'android' },
    });
    // Queries are answered by a worker (replaying the history): ask with the worker up.
    await worker.runUntil(async () => {
      const running = await waitForStatus(handle, (s) => s.told.length >= 1);
      expect(running.stages[0]).toMatchObject({ stage: 'received', label: 'Request received' });
      expect(running.stages.at(-1)).toMatchObject({ stage: 'completed', label: 'Done' });
      await handle.result();
      const s = await status(handle);
      expect(s).toMatchObject({
        running: false,
        outcome: 'completed',
        stage: 'completed',
        stageLabel: 'Done',
        requester: 'steve',
        serviceTitle: 'Expensatron',
      });
      expect(s.told).toHaveLength(3);
      const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(meta.currentDetails).toContain('outcome **completed**');
    });
  });
});
