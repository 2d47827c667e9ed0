/**
 * Outbound journey events, end to end on the suite's Temporal dev server: the
 * API side (`createJourneys` with the routes `WEBHOOKS` gives) starts a request and an incident,
 * the real worker (`createWorker` over the embedded integrations and the webhook sender built
 * from the same environment) runs them, and a real HTTP receiver verifies every delivery with
 * the `standardwebhooks` library and counts them.
 *
 * Then the same across a worker process SIGKILLed while a delivery is in flight (the receiver
 * holds it unanswered): the delivery is retried by another worker process with the same
 * `webhook-id`, so the receiver counts one delivery more than events, and every event once by id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journeys } from '../../client/journeys/gateway';
import { waitForExit } from '../../embedded/child-exit';
import { freePort } from '../../embedded/free-port';
import { loadCoreConfig } from '../../config/core';
import { createWorker } from '../../worker/create-worker';
import { createIntegrations, type Integrations } from '../../wiring/integrations';
import { activitySettings, requireSecrets } from '../../config/settings';
import { eventRoutesOf, webhooksConfigFromEnv } from '../../wiring/webhooks-config';
import { journeyEventTypes } from '../../workflows/shared/event-types';
import { recordHistory, recordingHistories } from '../support/histories';
import { embeddedEnv, embeddedGateway } from '../support/embedded-journeys';
import { bundleWorkflowsAt, connectTestEnv, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { startWebhookReceiver, type ReceivedEvent, type WebhookReceiver } from '../support/webhook-receiver';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The last commit whose workflows knew nothing of events (for the histories from before the patch). */
const beforeEventsCommit = 'a994ad5';
const secret = `whsec_${randomBytes(32).toString('base64')}`;
/** Seconds, not hours; two shards; nobody says "affects me", so it closes once resolved. */
const incidentDefaults = {
  timings: { followUpAfterSeconds: 2, finalDeadlineSeconds: 4, reportIntervalSeconds: 1 },
  scale: { shardCount: 2 },
  retryInitialIntervalMs: 300,
};

let testEnv: TestWorkflowEnvironment;
let receiver: WebhookReceiver;
let dir: string;
let bundlePath: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  testEnv = await connectTestEnv();
  receiver = await startWebhookReceiver(secret);
  dir = mkdtempSync(join(tmpdir(), 'sj-webhooks-'));
  bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await workflowBundle()).code);
}, 60_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await receiver?.close();
  await testEnv?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment both sides read: the embedded stand-ins and one subscription to every event. */
function envFor(dataDir: string, taskQueue: string): Record<string, string> {
  return embeddedEnv(dataDir, taskQueue, {
    WEBHOOKS: 'ticketing',
    WEBHOOK_TICKETING_URL: receiver.url,
    WEBHOOK_TICKETING_SECRET: secret,
    WEBHOOK_TICKETING_EVENTS: 'request.*,incident.*',
  });
}

/** The API's side: the journeys gateway over the same data dir, with the routes from the environment. */
function gateway(env: Record<string, string>): Journeys {
  const events = eventRoutesOf(webhooksConfigFromEnv(env));
  expect(events).toEqual([{ subscription: 'ticketing', types: [...journeyEventTypes] }]);
  return embeddedGateway(testEnv.client, env, {
    incidentDefaults,
    retryInitialIntervalMs: 300,
    ...(events ? { events } : {}),
  });
}

async function eventually<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    // A journey whose worker is not polling yet does not answer its query: ask again.
    const v = await Promise.resolve()
      .then(read)
      .catch(() => undefined);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Steve's Expensatron request (runs to the end on the demo org) and a CRM incident, IT posting a note and resolving. */
async function runBoth(journeys: Journeys, tag: string, beforeEnd?: () => Promise<void>) {
  const request = await journeys.submitRequest({
    serviceId: 'expensatron',
    requester: 'steve',
    fields: { phone: '07700 900123', os: 'android' },
    requestKey: `webhooks-${tag}`,
  });
  const incident = await journeys.declareIncident({
    serviceId: 'crm',
    title: `CRM down (${tag})`,
    message: 'The CRM web app does not open. Call 07700 900456 for help.',
    workaround: null,
    declaredBy: 'ivy',
    incidentKey: `webhooks-${tag}`,
  });
  const incidentWorkflowId = `incident-${incident.id}`;
  await eventually(
    'the announcement',
    () => journeys.incident(incident.id),
    (i) => i?.counts.notified === i?.counts.subscribers && i?.counts.subscribers !== null,
  );
  await beforeEnd?.();
  await journeys.postProgress(incident.id, { text: 'The cause is a full disk.', notifyAffected: false, by: 'ivy' });
  await journeys.resolveIncident(incident.id, { note: 'Disk cleaned up, web app restarted.', by: 'ivy' });
  await testEnv.client.workflow.getHandle(request.id).result();
  await testEnv.client.workflow.getHandle(incidentWorkflowId).result();
  return { requestId: request.id, incidentWorkflowId };
}

const types = (events: ReceivedEvent[]) => events.map((e) => e.type);
const unique = (events: ReceivedEvent[]) => new Set(events.map((e) => e.id)).size;

/** Each event once by id, in the journey's order, with ids msg_<workflow id>_1…n. */
function onceEach(events: ReceivedEvent[], workflowId: string): ReceivedEvent[] {
  const firsts = events.filter((e, i) => events.findIndex((o) => o.id === e.id) === i);
  expect(firsts.map((e) => e.id)).toEqual(firsts.map((_, i) => `msg_${workflowId}_${i + 1}`));
  // A retried delivery is the same event: same body (timestamp and data) under the same id.
  for (const e of events) expect(e.body, e.id).toBe(firsts.find((f) => f.id === e.id)!.body);
  return firsts;
}

const requestTypes = [
  'request.submitted',
  'request.stage-changed',
  'request.stage-changed',
  'request.stage-changed',
  'request.stage-changed',
  'request.stage-changed',
  'request.stage-changed',
  'request.finished',
];
const incidentTypes = ['incident.declared', 'incident.progress', 'incident.resolved', 'incident.closed'];

/** The worker side in this process: the embedded integrations and the webhook sender from `env`. */
function integrationsFor(env: Record<string, string>) {
  const config = loadCoreConfig(env);
  const secrets = requireSecrets(config);
  const integrations: Integrations = createIntegrations(config, activitySettings(config, secrets), env, {
    demoPassword: secrets.demoPassword,
  });
  cleanups.push(() => integrations.close());
  return { config, integrations };
}

describe('journey events to a Standard Webhooks receiver', () => {
  it('a request and an incident: every event signed, delivered once, in order, without full phone numbers', async () => {
    const dataDir = join(dir, 'in-process');
    const env = envFor(dataDir, uniqueTaskQueue('webhooks'));
    const { config, integrations } = integrationsFor(env);
    expect(integrations.deps.webhooks?.subscriptions()).toEqual(['ticketing']);
    const worker: Worker = await createWorker({
      connection: testEnv.nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deps: integrations.deps,
      workflowBundlePath: bundlePath,
      extra: { maxCachedWorkflows: 0 },
    });
    const before = receiver.deliveries.length;
    const started = Date.now();
    const ids = await worker.runUntil(runBoth(gateway(env), 'in-process'));
    await recordHistory(testEnv.client, ids.requestId, 'expensatron-with-events');
    await recordHistory(testEnv.client, ids.incidentWorkflowId, 'crm-outage-with-events');
    const request = receiver.of(ids.requestId);
    const incident = receiver.of(ids.incidentWorkflowId);
    console.log(
      `webhooks: request ${request.length} deliveries / ${unique(request)} ids, incident ${incident.length} / ${unique(incident)}, ` +
        `${receiver.refused.length} refused, both journeys ended ${((Date.now() - started) / 1000).toFixed(1)} s after the start`,
    );

    expect(receiver.refused).toEqual([]);
    expect(receiver.deliveries.length - before).toBe(request.length + incident.length);
    expect(types(onceEach(request, ids.requestId))).toEqual(requestTypes);
    expect(request).toHaveLength(requestTypes.length);
    expect(types(onceEach(incident, ids.incidentWorkflowId))).toEqual(incidentTypes);
    expect(incident).toHaveLength(incidentTypes.length);

    const [submitted] = request;
    expect(submitted!.data).toMatchObject({
      requestId: ids.requestId,
      serviceId: 'expensatron',
      requester: 'steve',
      stage: 'received',
    });
    expect(request.at(-1)!.data).toMatchObject({ outcome: 'completed', stage: 'completed' });
    const closed = incident.at(-1)!.data;
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'all-confirmed', serviceId: 'crm', phase: 1 });
    expect(incident[1]!.data).toMatchObject({ note: { text: 'The cause is a full disk.', by: 'ivy' } });
    // The declared message had a phone number in it: masked, like everything else that leaves.
    expect(incident[0]!.data.message).toBe('The CRM web app does not open. Call …56 for help.');
    for (const e of [...request, ...incident]) {
      expect(e.body).not.toMatch(/900123|900456/);
      expect(e.body).not.toMatch(/whsec_|linkSecret|password/i);
    }
  }, 120_000);

  it('a worker process SIGKILLed mid-delivery: the retry carries the same id, so every event arrives once by id', async () => {
    const dataDir = join(dir, 'kill');
    const taskQueue = uniqueTaskQueue('webhooks-kill');
    const env = envFor(dataDir, taskQueue);
    const journeys = gateway(env);

    const children: ChildProcess[] = [];
    cleanups.push(async () => {
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        c.kill('SIGTERM');
        if (!(await waitForExit(c, 10_000))) c.kill('SIGKILL');
      }
    });
    /** `npm run worker` as production runs it: worker/main.ts reading this environment. */
    async function workerProcess(): Promise<ChildProcess> {
      const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
        cwd: repoRoot,
        env: { ...process.env, ...env, METRICS_PORT: String(await freePort()), WORKFLOW_BUNDLE_PATH: bundlePath },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', () => undefined);
      children.push(child);
      return child;
    }

    const first = await workerProcess();
    const before = receiver.deliveries.length;
    // The first delivery (request.submitted, or incident.declared) is received and never answered.
    receiver.hangNext(1);
    let killedAt = 0;
    let hungId = '';
    const started = Date.now();
    const ids = await runBoth(journeys, 'kill', async () => {
      await eventually(
        'the hung delivery',
        () => receiver.deliveries.length,
        (n) => n > before,
      );
      hungId = receiver.deliveries[before]!.id;
      first.kill('SIGKILL');
      await waitForExit(first, 10_000);
      killedAt = Date.now();
      await workerProcess();
    });
    const request = receiver.of(ids.requestId);
    const incident = receiver.of(ids.incidentWorkflowId);
    const all = [...request, ...incident];
    const redelivered = all.filter((e) => e.id === hungId);
    console.log(
      `webhooks worker-kill: ${all.length} deliveries, ${unique(all)} unique ids (request ${request.length}/${unique(request)}, ` +
        `incident ${incident.length}/${unique(incident)}); ${hungId} delivered ${redelivered.length}× ` +
        `(again ${((redelivered[1]!.receivedAt - killedAt) / 1000).toFixed(1)} s after the SIGKILL); ` +
        `both journeys ended ${((Date.now() - started) / 1000).toFixed(1)} s after the start`,
    );

    expect(receiver.refused).toEqual([]);
    expect(types(onceEach(request, ids.requestId))).toEqual(requestTypes);
    expect(types(onceEach(incident, ids.incidentWorkflowId))).toEqual(incidentTypes);
    expect(unique(all)).toBe(requestTypes.length + incidentTypes.length);
    // At least once: the hung delivery came again; anything else the kill cut off, too.
    expect(redelivered.length).toBe(2);
    expect(all.length).toBeGreaterThanOrEqual(unique(all) + 1);
  }, 180_000);

  /**
   * A rolling deploy: the API already puts subscriptions in the input, a worker with the code
   * from before events runs the journey. Its history has no `journey-events` marker, so today's
   * code replays it without sending (test/replay: it fails to replay without the patch guard).
   * Recorded only by `npm run histories:record`: it bundles the workflows of that commit.
   */
  it.runIf(recordingHistories())(
    'before the patch: journeys started with subscriptions on the old code',
    async () => {
      const bundle = await bundleWorkflowsAt(beforeEventsCommit);
      const env = envFor(join(dir, 'before-events-data'), uniqueTaskQueue('webhooks-before'));
      const { config, integrations } = integrationsFor(env);
      const worker = await Worker.create({
        connection: testEnv.nativeConnection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowBundle: bundle,
        activities: createActivities(integrations.deps),
        maxCachedWorkflows: 0,
      });
      const ids = await worker.runUntil(runBoth(gateway(env), 'before-events'));
      expect(receiver.of(ids.requestId)).toEqual([]);
      expect(receiver.of(ids.incidentWorkflowId)).toEqual([]);
      await recordHistory(testEnv.client, ids.requestId, 'expensatron-events-before-journey-events');
      await recordHistory(testEnv.client, ids.incidentWorkflowId, 'crm-outage-events-before-journey-events');
    },
    120_000,
  );
});
