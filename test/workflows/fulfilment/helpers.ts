/**
 * Shared set-up of the fulfilment journey tests: the real dev server (from global-setup), the
 * real integration servers (test/support/integration-env.ts), workers on unique task queues,
 * and requests started exactly as the API starts them (catalog `prepareRequest`).
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../../activities';
import { createCatalog, listServices, type Catalog, type CatalogService } from '../../../catalog';
import {
  fulfilmentWorkflowType,
  type FulfilmentResult,
  type FulfilmentStatus,
  type ServiceDurations,
  type ServicePlan,
  statusQuery,
} from '../../../workflows/fulfilment/definitions';
import type { IntegrationEnv } from '../../support/integration-env';
import { createTestWorker, uniqueTaskQueue, waitForQuery } from '../../support/temporal';

/** Durations in seconds for tests; none of the production hours. */
export const fastDurations: ServiceDurations = {
  takingLongerAfterSeconds: 0,
  approvalWaitSeconds: 30,
  correctionWaitSeconds: 30,
  taskReminderSeconds: 0,
};

/** The same service with test durations (and optionally other plan changes). */
export function withPlan(
  service: CatalogService,
  durations: Partial<ServiceDurations> = {},
  plan: Partial<ServicePlan> = {},
): CatalogService {
  return { ...service, plan: { ...service.plan, ...plan, durations: { ...fastDurations, ...durations } } };
}

export function serviceById(id: string): CatalogService {
  const s = listServices().find((x) => x.id === id);
  if (!s) throw new Error(`no service ${id}`);
  return s;
}

export interface Started {
  handle: WorkflowHandle;
  workflowId: string;
  requestId: string;
}

/** Starts a journey as the API does: form validated by the catalog, start options from definitions.ts. */
export async function startRequest(
  testEnv: TestWorkflowEnvironment,
  taskQueue: string,
  service: CatalogService,
  request: { requester: string; fields: Record<string, unknown>; requestId?: string; requesterLabel?: string },
  catalog: Catalog = createCatalog([service]),
): Promise<Started> {
  const requestId = request.requestId ?? randomUUID().slice(0, 12);
  const prepared = catalog.prepareRequest({
    serviceId: service.id,
    requestId,
    requester: request.requester,
    fields: request.fields,
    taskQueue,
    retryInitialIntervalMs: 100,
    ...(request.requesterLabel ? { requesterLabel: request.requesterLabel } : {}),
  });
  const handle = await testEnv.client.workflow.start(fulfilmentWorkflowType, prepared.options);
  return { handle, workflowId: prepared.options.workflowId, requestId };
}

/** A worker with the real activities over the environment's adapters. */
export async function journeyWorker(
  testEnv: TestWorkflowEnvironment,
  env: IntegrationEnv,
  taskQueue = uniqueTaskQueue('fulfil'),
): Promise<{ worker: Worker; taskQueue: string }> {
  const worker = await createTestWorker(testEnv, { taskQueue, activities: createActivities(env.deps) });
  return { worker, taskQueue };
}

export async function status(handle: WorkflowHandle): Promise<FulfilmentStatus> {
  return handle.query(statusQuery);
}

export async function result(handle: WorkflowHandle): Promise<FulfilmentResult> {
  return (await handle.result()) as FulfilmentResult;
}

/** Polls the status until `predicate` holds (the journey runs on its own timeline). */
export function waitForStatus(
  handle: WorkflowHandle,
  predicate: (s: FulfilmentStatus) => boolean,
  timeoutMs = 20_000,
): Promise<FulfilmentStatus> {
  return waitForQuery(handle, statusQuery, predicate, timeoutMs);
}

/** Waits until `check` returns true (for counts on the test servers). */
export async function eventually(check: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The summary of every activity the journey scheduled, from its history, in order. */
export async function activitySummaries(handle: WorkflowHandle): Promise<{ type: string; summary: string }[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({
      type: e.activityTaskScheduledEventAttributes!.activityType?.name ?? '',
      summary: e.userMetadata?.summary ? String(defaultPayloadConverter.fromPayload(e.userMetadata.summary)) : '',
    }));
}

/** Update failures arrive as WorkflowUpdateFailedError with the validator's ApplicationFailure as cause. */
export async function updateRejection(
  promise: Promise<unknown>,
): Promise<{ type: string | undefined; message: string }> {
  const err = await promise.then(
    () => {
      throw new Error('expected the update to be rejected');
    },
    (e: unknown) => e as { cause?: { type?: string; message?: string }; message: string },
  );
  return { type: err.cause?.type, message: err.cause?.message ?? err.message };
}
