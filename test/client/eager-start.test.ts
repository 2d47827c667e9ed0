/**
 * Eager workflow start, as `npm start` wires it: the API's client built on the NativeConnection
 * of the worker in the same process gets the journey's first workflow task back in the start
 * response; a client on its own connection (the separate API process) starts the usual way.
 * Both journeys run to the end either way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journeys } from '../../client/journeys/gateway';
import { loadCoreConfig } from '../../config/core';
import { activitySettings, requireSecrets } from '../../config/settings';
import { createWorker } from '../../worker/create-worker';
import { createIntegrations, type Integrations } from '../../wiring/integrations';
import type { FulfilmentResult } from '../../workflows/fulfilment/definitions';
import { embeddedEnv, embeddedGateway } from '../support/embedded-journeys';
import { connectTestEnv, terminateRunning, uniqueTaskQueue, workflowBundle } from '../support/temporal';

let testEnv: TestWorkflowEnvironment;
let dir: string;
let integrations: Integrations | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
const taskQueue = uniqueTaskQueue('eager-start');

const envFor = (dataDir: string) => embeddedEnv(dataDir, taskQueue);

beforeAll(async () => {
  testEnv = await connectTestEnv();
  dir = mkdtempSync(join(tmpdir(), 'eager-start-'));
  const env = envFor(dir);
  const config = loadCoreConfig(env);
  const secrets = requireSecrets(config);
  integrations = createIntegrations(config, activitySettings(config, secrets), env, {
    demoPassword: secrets.demoPassword,
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await workflowBundle()).code);
  worker = await createWorker({
    connection: testEnv.nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    deps: integrations.deps,
    workflowBundlePath: bundlePath,
  });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  if (testEnv) await terminateRunning(testEnv.client, [taskQueue]).catch(() => undefined);
  worker?.shutdown();
  await running?.catch(() => undefined);
  await integrations?.close();
  await testEnv?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('eager workflow start', () => {
  it('on the worker’s connection the journey starts eagerly; on a connection of its own it does not; both finish', async () => {
    const env = envFor(dir);
    const shared = embeddedGateway(
      new Client({ connection: testEnv.nativeConnection, namespace: env.TEMPORAL_NAMESPACE }),
      env,
    );
    const separate = embeddedGateway(testEnv.client, env);
    const submit = (journeys: Journeys, key: string) =>
      journeys.submitRequest({
        serviceId: 'expensatron',
        requester: 'steve',
        fields: { phone: '07700 900123', os: 'android' },
        requestKey: `eager-start-${key}-${taskQueue}`,
      });

    const eager = await submit(shared, 'shared');
    expect(eager).toMatchObject({ created: true, eagerlyStarted: true });
    const plain = await submit(separate, 'separate');
    expect(plain).toMatchObject({ created: true, eagerlyStarted: false });
    // The same key again is the same journey, found, not started.
    expect(await submit(shared, 'shared')).toEqual({ id: eager.id, created: false, eagerlyStarted: false });

    for (const { id } of [eager, plain]) {
      const outcome = (await testEnv.client.workflow.getHandle(id).result()) as FulfilmentResult;
      expect(outcome.outcome).toBe('completed');
    }
  }, 90_000);
});
