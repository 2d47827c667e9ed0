/**
 * The benchmarks' worker process (forked by scripts/bench-support.ts, never run by hand): the
 * product's worker exactly as worker/main.ts builds it (config from the environment it is given,
 * `createIntegrations` with INTEGRATIONS=production, `createWorker` with every activity
 * `createActivities` registers), plus the bare workflow's no-op activity. It also runs the
 * incident benchmark's no-engine floor on request, over the same adapter instances, so the
 * floor and the journey share one process, one SMTP pool, one ledger pool and one CPU budget.
 *
 * Messages (IPC): to the parent `{ ready, activities }`, `{ rss }` (peak so far, every 250 ms),
 * `{ floorResult }` / `{ floorError }`; from the parent `{ floor }` and `'stop'`.
 */
import { NativeConnection, Runtime, DefaultLogger, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { deliverEmail, deliverSms } from '../activities/delivery';
import { eachLimited } from '../activities/each-limited';
import * as messages from '../activities/messages/incident';
import { createWorker } from '../worker/create-worker';
import { loadCoreConfig } from '../config/core';
import { createIntegrations } from '../wiring/integrations';
import { activitySettings, requireSecrets } from '../config/settings';
import type { ActivityDeps } from '../activities/deps';
import type { IncidentContent } from '../workflows/incident/definitions';
import type { BareActivities } from './bench-workflows';

export interface BenchWorkerConfig {
  /** The product's environment variables for this worker (as worker/main.ts reads them). */
  env: Record<string, string>;
  workflowBundlePath: string;
  /** Worker options on top of the product's (the benchmark's tuning knobs); printed by the parent. */
  workerOptions: Partial<
    Pick<
      WorkerOptions,
      | 'maxCachedWorkflows'
      | 'maxConcurrentWorkflowTaskPolls'
      | 'maxConcurrentActivityTaskPolls'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentActivityTaskExecutions'
      | 'nonStickyToStickyPollRatio'
    >
  >;
}

/** The no-engine floor: the incident's first notification pass as a plain loop over the CMDB pages. */
export interface FloorRequest {
  incident: IncidentContent;
  pageSize: number;
  sendConcurrency: number;
}

export interface FloorResult {
  elapsedMs: number;
  pages: number;
  subscribers: number;
  emailsSent: number;
  smsSent: number;
  alreadySent: number;
}

/**
 * What `notifySubscribers` does for the declared pass, without Temporal: the same CMDB pages
 * (same page size), the same rendered email and SMS, `deliverEmail`/`deliverSms` through the
 * same ledger and providers, `sendConcurrency` at a time within a page, page after page.
 */
async function runFloor(deps: ActivityDeps, request: FloorRequest): Promise<FloorResult> {
  const portalUrl = `${deps.settings.publicUrl.replace(/\/+$/, '')}/`;
  const { incident } = request;
  const result: FloorResult = { elapsedMs: 0, pages: 0, subscribers: 0, emailsSent: 0, smsSent: 0, alreadySent: 0 };
  const started = performance.now();
  let cursor: string | null = null;
  do {
    const page = await deps.cmdb.subscribersPage(incident.serviceId, cursor, request.pageSize);
    await eachLimited(page.subscribers, { limit: request.sendConcurrency }, async (s) => {
      const accountName = s.accountName.toLowerCase();
      const key = `incident-${incident.incidentId}/p1/declared/${accountName}`;
      const mail = messages.declaredEmail(incident, s.displayName, portalUrl);
      const sent = await deliverEmail(deps, {
        to: { name: s.displayName, address: s.email },
        ...mail,
        idempotencyKey: key,
      });
      if (sent.alreadySent) result.alreadySent += 1;
      else result.emailsSent += 1;
      if (s.prefersSms && s.mobile) {
        const texted = await deliverSms(deps, {
          to: s.mobile,
          body: messages.declaredSms(incident, portalUrl),
          idempotencyKey: key,
        });
        if (texted.alreadySent) result.alreadySent += 1;
        else result.smsSent += 1;
      }
    });
    result.subscribers += page.subscribers.length;
    result.pages += 1;
    cursor = page.nextCursor;
  } while (cursor !== null);
  result.elapsedMs = performance.now() - started;
  return result;
}

async function main(config: BenchWorkerConfig): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let peak = 0;
  const tell = (message: object) => {
    if (process.connected) process.send?.(message);
  };
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
    tell({ rss: peak });
  };
  const timer = setInterval(sample, 250);

  // As worker/main.ts does it, from the environment given.
  const core = loadCoreConfig(config.env);
  const secrets = requireSecrets(core);
  const integrations = createIntegrations(core, activitySettings(core, secrets), config.env, {
    demoPassword: secrets.demoPassword,
  });
  await integrations.deps.experience.ready();
  const connection = await NativeConnection.connect({ address: core.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  const bare = { benchNoop: (step: number) => Promise.resolve(step) } satisfies BareActivities;
  const worker = await createWorker({
    connection,
    namespace: core.TEMPORAL_NAMESPACE,
    taskQueue: core.TEMPORAL_TASK_QUEUE,
    deps: integrations.deps,
    workflowBundlePath: config.workflowBundlePath,
    extraActivities: bare,
    extra: config.workerOptions,
  });
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('message', (m: unknown) => {
    if (m === 'stop') stop();
    else if (typeof m === 'object' && m !== null && 'floor' in m) {
      runFloor(integrations.deps, (m as { floor: FloorRequest }).floor).then(
        (floorResult) => tell({ floorResult }),
        (err: unknown) => tell({ floorError: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
    }
  });
  // The benchmark went away (killed): stop too, rather than poll on as an orphan.
  process.once('disconnect', stop);
  tell({ ready: true, activities: [...Object.keys(createActivities(integrations.deps)), ...Object.keys(bare)] });
  await worker.run();
  sample();
  clearInterval(timer);
  await integrations.close();
  await connection.close();
  // The IPC channel (and the native runtime) would keep this process alive.
  process.exit(0);
}

const raw = process.env.BENCH_WORKER;
if (!raw) {
  console.error('BENCH_WORKER is not set: the benchmarks start this process themselves');
  process.exit(2);
}
main(JSON.parse(raw) as BenchWorkerConfig).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
