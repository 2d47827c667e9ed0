/**
 * Workflow-test helpers over the suite's one dev server (started in global-setup.ts).
 */
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { Worker, bundleWorkflowCode, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** Connects to the suite's dev server. Call `teardown()` in afterAll. */
export async function connectTestEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file (bundling takes a couple of seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

let queueCounter = 0;
/** A task queue name nobody else in the run uses, so suites never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  queueCounter += 1;
  return `${prefix}-${process.pid}-${queueCounter}-${Date.now().toString(36)}`;
}

/**
 * Creates a worker on the test server for the given activities. `maxCachedWorkflows: 0` is the
 * default here on purpose: every workflow task replays the whole history, so non-determinism
 * shows up in ordinary tests, not only in production.
 */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  options: Omit<WorkerOptions, 'connection' | 'workflowsPath' | 'workflowBundle'> & { taskQueue: string },
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    workflowBundle: await workflowBundle(),
    maxCachedWorkflows: 0,
    ...options,
  });
}

/**
 * Terminates the workflows still running on `taskQueues`: a test file ends its long-lived
 * journeys (grants waiting months, requests waiting for a person) with its workers, so later
 * files on the shared dev server never list journeys that no worker answers for.
 */
export async function terminateRunning(client: Client, taskQueues: Iterable<string>): Promise<number> {
  let terminated = 0;
  for (const taskQueue of taskQueues) {
    const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
    for await (const info of client.workflow.list({ query })) {
      await client.workflow
        .getHandle(info.workflowId, info.runId)
        .terminate('the test that started it has ended')
        .then(() => (terminated += 1))
        .catch(() => undefined);
    }
  }
  return terminated;
}
