/**
 * Helpers for the incident workflow tests: a worker over the real integration environment,
 * polling the banner query, following the links in real emails the way the portal does, and
 * reading every history of an incident.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { expect } from 'vitest';
import { createExperienceActivities } from '../../../activities/experience';
import { createIncidentActivities } from '../../../activities/incident';
import { verifyLinkToken } from '../../../activities/links';
import {
  confirmUpdate,
  incidentStartOptions,
  incidentStatusQuery,
  incidentWorkflowType,
  shardWorkflowIdForUser,
  type ConfirmResult,
  type IncidentInput,
  type IncidentStatus,
} from '../../../workflows/incident/definitions';
import type { IntegrationEnv } from '../../support/integration-env';
import { createTestWorker, uniqueTaskQueue, waitForQuery } from '../../support/temporal';

type IncidentEnv = Pick<IntegrationEnv, 'deps' | 'settings'>;

export async function incidentWorker(
  testEnv: TestWorkflowEnvironment,
  env: IncidentEnv,
  extra: { maxCachedWorkflows?: number } = {},
): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = uniqueTaskQueue('incident');
  const worker = await createTestWorker(testEnv, {
    taskQueue,
    activities: { ...createIncidentActivities(env.deps), ...createExperienceActivities(env.deps) },
    ...extra,
  });
  return { worker, taskQueue };
}

export async function declare(
  testEnv: TestWorkflowEnvironment,
  taskQueue: string,
  input: IncidentInput,
): Promise<WorkflowHandle> {
  return testEnv.client.workflow.start(incidentWorkflowType, incidentStartOptions(input, taskQueue));
}

/**
 * Polls the banner query until `ok` (real timers: the waits in the input are seconds). A query that
 * fails is asked again: on a loaded machine the server can give up on one before the worker gets to
 * it ("query timed out before a worker could process it"), which says nothing about the incident.
 */
export function waitForStatus(
  handle: WorkflowHandle,
  ok: (s: IncidentStatus) => boolean,
  timeoutMs = 45_000,
): Promise<IncidentStatus> {
  return waitForQuery(handle, incidentStatusQuery, ok, timeoutMs, (s) => ({
    status: s.status,
    phase: s.phase,
    counts: s.counts,
    notifying: s.notifying,
  }));
}

export async function waitUntil(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The confirmation links in an email's text part, by answer. */
export function confirmationLinks(
  text: string | undefined,
  incidentId: string,
): { fixed: string; stillBroken: string } {
  const links = [...(text ?? '').matchAll(/https?:\/\/\S+\/incidents\/([^/\s]+)\/confirm\?\S+/g)].map((m) => m[0]);
  const fixed = links.find((l) => new URL(l).searchParams.get('answer') === 'fixed');
  const stillBroken = links.find((l) => new URL(l).searchParams.get('answer') === 'still-broken');
  expect(fixed, 'a "fixed" link').toBeDefined();
  expect(stillBroken, 'a "still broken" link').toBeDefined();
  expect(new URL(fixed!).pathname).toBe(`/incidents/${incidentId}/confirm`);
  return { fixed: fixed!, stillBroken: stillBroken! };
}

/**
 * What the portal does with a confirmation link: verify the token (for this incident), then send
 * the answer to the shard of the person the token names. Refused links never reach a workflow.
 */
export async function answerByLink(
  testEnv: TestWorkflowEnvironment,
  env: IncidentEnv,
  input: { incidentId: string; shardCount: number; url: string; score?: number; comment?: string; now?: number },
): Promise<{ refused: 'invalid' | 'expired' } | ConfirmResult> {
  const url = new URL(input.url);
  const token = url.searchParams.get('token') ?? '';
  const link = verifyLinkToken(
    env.settings.linkSecret,
    token,
    { incidentId: input.incidentId, action: 'confirm' },
    input.now,
  );
  if (!link.ok) return { refused: link.reason };
  const answer = url.searchParams.get('answer') === 'fixed' ? 'fixed' : 'still-broken';
  const accountName = link.claims.accountName;
  return testEnv.client.workflow
    .getHandle(shardWorkflowIdForUser(input.incidentId, accountName, input.shardCount))
    .executeUpdate(confirmUpdate, {
      args: [
        {
          accountName,
          answer,
          ...(input.score !== undefined ? { score: input.score } : {}),
          ...(input.comment !== undefined ? { comment: input.comment } : {}),
        },
      ],
    });
}

/** Every run of every workflow of an incident (the incident, its shards, workaround SMS), with its history. */
export async function incidentHistories(testEnv: TestWorkflowEnvironment, incidentId: string) {
  const runs: { workflowId: string; runId: string; type: string; events: number; payloadText: string }[] = [];
  for await (const e of testEnv.client.workflow.list({ query: `IncidentId = "${incidentId}"` })) {
    const history = await testEnv.client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    runs.push({
      workflowId: e.workflowId,
      runId: e.runId,
      type: e.type,
      events: history.events?.length ?? 0,
      payloadText: payloadText(history),
    });
  }
  return runs;
}

/** Every string and every payload's bytes (as UTF-8) in a history, concatenated: what a person reading it sees. */
function payloadText(value: unknown): string {
  const parts: string[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return parts.join('\n');
}
