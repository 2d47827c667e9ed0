/**
 * Access journeys in tests: the catalog's access services with short waits (a "day" of two
 * seconds, so "for 5 days" ends in ten), and handles on the grant workflow a request starts.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CatalogService } from '../../../catalog';
import {
  accessGrantWorkflowId,
  accessStatusQuery,
  type AccessGrantInput,
  type AccessGrantStatus,
} from '../../../workflows/access/definitions';
import type { FulfilmentStep } from '../../../workflows/fulfilment/definitions';
import { serviceById, withPlan } from '../fulfilment/helpers';

/** Seconds in a test "day". */
export const testDaySeconds = 2;

/** The catalog service with test durations: approval within `approvalWaitSeconds`, 2-second days. */
export function accessService(id: 'crm-access' | 'shared-mailbox', approvalWaitSeconds = 30): CatalogService {
  const base = withPlan(serviceById(id), { approvalWaitSeconds });
  const steps = base.plan.steps.map((s): FulfilmentStep =>
    s.kind === 'confirm-access' ? { ...s, dayLengthSeconds: testDaySeconds, reminderDaysBefore: 2 } : s,
  );
  return { ...base, plan: { ...base.plan, steps } };
}

export function grantHandle(testEnv: TestWorkflowEnvironment, serviceId: string, requestId: string): WorkflowHandle {
  return testEnv.client.workflow.getHandle(accessGrantWorkflowId(serviceId, requestId));
}

export async function grantStatus(handle: WorkflowHandle): Promise<AccessGrantStatus> {
  return handle.query(accessStatusQuery);
}

/** Polls the grant until `predicate` holds. */
export async function waitForGrant(
  handle: WorkflowHandle,
  predicate: (s: AccessGrantStatus) => boolean,
  timeoutMs = 30_000,
): Promise<AccessGrantStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: AccessGrantStatus | null = null;
  while (Date.now() < deadline) {
    try {
      last = await grantStatus(handle);
      if (predicate(last)) return last;
    } catch {
      // Not started yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`grant status never matched; last: ${JSON.stringify(last)}`);
}

/**
 * A grant's input as the confirm-access step builds it, for tests that start `accessGrantWorkflow`
 * themselves: CRM user for `person`, no end date unless given, real days, fast retries.
 */
export function testGrantInput(
  grantId: string,
  person: string,
  over: Partial<AccessGrantInput> = {},
): AccessGrantInput {
  return {
    grantId,
    requestWorkflowId: `fulfil-${grantId}`,
    serviceId: 'crm-access',
    serviceTitle: 'CRM access',
    person,
    role: 'crm-user',
    roleLabel: 'CRM user',
    group: 'CRM Users',
    since: new Date().toISOString(),
    until: null,
    reason: 'Test grant',
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
    retryInitialIntervalMs: 100,
    ...over,
  };
}
