/**
 * The requester's NPS answer about a finished request: a real Expensatron journey on
 * the suite's dev server and the real integration servers, then `journeyFeedbackWorkflow`
 * writing the answer to the experience store the journey's figures went to.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  journeyFeedbackStartOptions,
  journeyFeedbackWorkflowType,
  type JourneyFeedbackInput,
  type JourneyFeedbackResult,
} from '../../../workflows/fulfilment/definitions';
import { JourneyKind, Requester, ServiceId } from '../../../workflows/shared/search-attributes';
import { recordHistory } from '../../support/histories';
import type { IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import { activitySummaries, journeyWorker, result, serviceById, startRequest, withPlan } from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => ({ testEnv, env } = await startJourneyEnv()));
afterAll(() => stopJourneyEnv(testEnv, env));

const expensatron = withPlan(serviceById('expensatron'));

/** Runs Steve's Expensatron request to the end; returns its journey (workflow) id. */
async function finishedExpensatron(taskQueue: string): Promise<string> {
  const started = await startRequest(testEnv, taskQueue, expensatron, {
    requester: 'steve',
    fields: { phone: '07700 900123', os: 'android' },
  });
  const r = await result(started.handle);
  expect(r.outcome).toBe('completed');
  return started.workflowId;
}

const answer = (journeyId: string, score: number, at: Date, comment: string | null = null): JourneyFeedbackInput => ({
  journeyId,
  serviceId: 'expensatron',
  user: 'steve',
  score,
  comment,
  at: at.toISOString(),
});

describe('journeyFeedbackWorkflow', () => {
  it('records Steve’s 9 for his finished Expensatron request; a second answer replaces the first', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    await worker.runUntil(async () => {
      const journeyId = await finishedExpensatron(taskQueue);
      expect((await env.deps.experience.journey(journeyId))?.nps).toBeNull();

      const first = answer(journeyId, 9, new Date(), 'Quick and clear');
      const options = journeyFeedbackStartOptions(first, taskQueue);
      expect(options.workflowId).toBe(`feedback-${journeyId}`);
      const handle = await testEnv.client.workflow.start(journeyFeedbackWorkflowType, options);
      const done = (await handle.result()) as JourneyFeedbackResult;
      expect(done).toEqual({ journeyId, user: 'steve', score: 9, recordedAt: first.at });
      await recordHistory(testEnv.client, options.workflowId, 'expensatron-rated');

      expect(await env.deps.experience.journey(journeyId)).toMatchObject({
        journeyId,
        requester: 'steve',
        outcome: 'completed',
        nps: 9,
        npsComment: 'Quick and clear',
      });
      expect(await activitySummaries(handle)).toEqual([
        { type: 'recordNpsAnswer', summary: `NPS 9 from steve for ${journeyId}` },
      ]);
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(JourneyKind)).toBe('feedback');
      expect(described.typedSearchAttributes.get(ServiceId)).toBe('expensatron');
      expect(described.typedSearchAttributes.get(Requester)).toBe('steve');
      expect(await described.staticSummary()).toBe(`NPS 9 from steve for ${journeyId}`);

      // Steve changes his mind: the same id runs again (allow-duplicate) and the new answer wins.
      const second = answer(journeyId, 4, new Date(Date.parse(first.at) + 1000));
      const again = await testEnv.client.workflow.start(
        journeyFeedbackWorkflowType,
        journeyFeedbackStartOptions(second, taskQueue),
      );
      expect(again.firstExecutionRunId).not.toBe(handle.firstExecutionRunId);
      await again.result();
      expect(await env.deps.experience.journey(journeyId)).toMatchObject({ nps: 4, npsComment: null });
    });
  }, 60_000);

  it('a second answer replaces a first one still running (terminate-existing), so no score is lost', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const journeyId = await worker.runUntil(() => finishedExpensatron(taskQueue));
    // No worker on this queue yet: the first answer's run waits, as it would while workers are down.
    const first = answer(journeyId, 2, new Date());
    const stuck = await testEnv.client.workflow.start(
      journeyFeedbackWorkflowType,
      journeyFeedbackStartOptions(first, taskQueue),
    );
    const second = answer(journeyId, 8, new Date(Date.parse(first.at) + 1000));
    const replacing = await testEnv.client.workflow.start(
      journeyFeedbackWorkflowType,
      journeyFeedbackStartOptions(second, taskQueue),
    );
    expect(
      (await testEnv.client.workflow.getHandle(stuck.workflowId, stuck.firstExecutionRunId).describe()).status.name,
    ).toBe('TERMINATED');
    const { worker: again } = await journeyWorker(testEnv, env, taskQueue);
    await again.runUntil(() => replacing.result());
    expect((await env.deps.experience.journey(journeyId))?.nps).toBe(8);
  }, 60_000);

  it('refuses a malformed answer with a non-retryable InvalidInput, and records nothing', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    await worker.runUntil(async () => {
      const journeyId = await finishedExpensatron(taskQueue);
      const bad = { ...answer(journeyId, 11, new Date()), comment: 'x'.repeat(501) };
      const handle = await testEnv.client.workflow.start(
        journeyFeedbackWorkflowType,
        journeyFeedbackStartOptions(bad, taskQueue),
      );
      const err: unknown = await handle.result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('InvalidInput');
      expect((cause as ApplicationFailure).nonRetryable).toBe(true);
      expect((cause as ApplicationFailure).message).toContain('score: a whole number 0–10');
      expect((cause as ApplicationFailure).message).toContain('comment: null or at most 500 characters');
      expect(await activitySummaries(handle)).toEqual([]);
      expect((await env.deps.experience.journey(journeyId))?.nps).toBeNull();
    });
  }, 60_000);
});
