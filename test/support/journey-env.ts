/**
 * The environment a journey test runs in: the suite's Temporal dev server and the real
 * integration servers (slapd, SMTP, Twilio/ServiceNow/SCIM wire formats). One per test file:
 * `beforeAll(async () => ({ testEnv, env } = await startJourneyEnv()))` and
 * `afterAll(() => stopJourneyEnv(testEnv, env))`.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startIntegrationEnv, type IntegrationEnv } from './integration-env';
import { connectTestEnv } from './temporal';

export async function startJourneyEnv(): Promise<{ testEnv: TestWorkflowEnvironment; env: IntegrationEnv }> {
  const [testEnv, env] = await Promise.all([connectTestEnv(), startIntegrationEnv()]);
  return { testEnv, env };
}

/** Stops what {@link startJourneyEnv} started; either may be missing when the start failed. */
export async function stopJourneyEnv(
  testEnv: TestWorkflowEnvironment | undefined,
  env: IntegrationEnv | undefined,
): Promise<void> {
  await env?.stop();
  await testEnv?.teardown();
}
