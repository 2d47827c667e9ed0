/**
 * notifySubscribers as Temporal runs it (MockActivityEnvironment, the keep-alive included) over
 * the real integration environment (ServiceNow-API server for the CMDB's pages, SMTP and Twilio
 * servers): what it reports as progress, and that a retry resumes from that report without
 * telling anyone twice. The CRM has 4 subscribers (test/support/integration-env.ts).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createIncidentActivities,
  type NotifySubscribersInput,
  type NotifySubscribersResult,
} from '../../activities/incident';
import { startIntegrationEnv, type IntegrationEnv } from '../support/integration-env';

let env: IntegrationEnv;
beforeAll(async () => {
  env = await startIntegrationEnv();
});
afterAll(async () => {
  await env?.stop();
});

function input(incidentId: string, cursor: string | null = null): NotifySubscribersInput {
  return {
    incident: {
      incidentId,
      serviceId: 'crm',
      serviceName: 'CRM',
      title: 'CRM is down',
      message: 'We are on it.',
      workaround: null,
    },
    phase: 1,
    kind: 'declared',
    note: null,
    cursor,
    pageSize: 2,
    maxPages: 1,
    sendConcurrency: 4,
  };
}

/** Runs one attempt; returns its result and every heartbeat it sent. */
async function attempt(
  body: NotifySubscribersInput,
  heartbeatDetails?: unknown,
): Promise<{ result: NotifySubscribersResult; heartbeats: unknown[] }> {
  const heartbeats: unknown[] = [];
  const activityEnv = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails });
  activityEnv.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const { notifySubscribers } = createIncidentActivities(env.deps);
  // Only the keep-alive's 1 s timer is faked: it must not add heartbeats on a slow machine.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  try {
    const result = await activityEnv.run<[NotifySubscribersInput], NotifySubscribersResult, typeof notifySubscribers>(
      notifySubscribers,
      body,
    );
    return { result, heartbeats };
  } finally {
    vi.useRealTimers();
  }
}

describe('notifySubscribers', () => {
  it('reports its progress once at the start and once at the end of each page, not per subscriber', async () => {
    const { result, heartbeats } = await attempt(input('INC-HB-1'));
    expect(result.counts).toMatchObject({ subscribers: 2, emailsSent: 2, alreadySent: 0, failed: 0 });
    expect(result.done).toBe(false);
    const zero = { subscribers: 0, emailsSent: 0, smsSent: 0, alreadySent: 0, failed: 0 };
    expect(heartbeats).toEqual([
      { cursor: null, counts: zero, pages: 0 },
      { cursor: result.nextCursor, counts: result.counts, pages: 1, finished: false },
    ]);
  });

  it('a retry resumes after the last page it reported finished, and tells nobody twice', async () => {
    const start = env.smtp.messages.length;
    const body = { ...input('INC-HB-2'), maxPages: 2 };
    const first = await attempt(body);
    expect(first.result.counts).toMatchObject({ subscribers: 4, emailsSent: 4 });
    expect(first.heartbeats).toHaveLength(4);
    // Say the worker died after page 2's sends but before its report: the last report is page 1's end.
    const page1Done = first.heartbeats[1];
    expect(page1Done).toMatchObject({ pages: 1, finished: false, counts: { subscribers: 2, emailsSent: 2 } });
    const retry = await attempt(body, page1Done);
    // It starts at page 2 with page 1's counts, and page 2's sends are found in the ledger.
    expect(retry.heartbeats[0]).toMatchObject({ pages: 1, counts: { subscribers: 2, emailsSent: 2 } });
    expect(retry.result).toMatchObject({ done: true, pages: 2 });
    expect(retry.result.counts).toMatchObject({ subscribers: 4, emailsSent: 2, alreadySent: 2, failed: 0 });
    const told = env.smtp.messages.slice(start).map((m) => m.to);
    expect(told).toHaveLength(4);
    expect(new Set(told).size).toBe(4);
  });
});
