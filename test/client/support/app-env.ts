/**
 * The portal and API under test, wired like `npm start`: the suite's real Temporal dev server,
 * the embedded directory, CMDB, outbox and SCIM stand-ins of the Eagle5 demo organisation, and
 * (when asked) a worker running the real workflows and activities on a task queue of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { createActivities } from '../../../activities';
import type { ActivityDeps } from '../../../activities/deps';
import { buildApp } from '../../../client/app';
import { type PortalConfig } from '../../../client/portal/deps';
import { hashApiKey, type ApiKeyEntry, type ApiScope } from '../../../client/api/keys';
import { createFileCmdb } from '../../../integrations/cmdb/file-cmdb';
import { createEmbeddedDirectory } from '../../../integrations/directory/embedded-directory';
import { createFileExperienceBackend } from '../../../integrations/experience/file-backend';
import { createExperienceStore } from '../../../integrations/experience/store';
import { createOutboxMailer } from '../../../integrations/email/outbox-mailer';
import { createMemoryLedger } from '../../../integrations/ledger/memory-ledger';
import { createMemoryOutbox } from '../../../integrations/outbox/memory-outbox';
import type { Outbox } from '../../../integrations/outbox/types';
import { createEmbeddedProvisioners } from '../../../integrations/provisioning/embedded-provisioner';
import { createOutboxSms } from '../../../integrations/sms/outbox-sms';
import { connectTestEnv, createTestWorker, terminateRunning, uniqueTaskQueue } from '../../support/temporal';
import { demoCmdbData, demoOrganisation } from '../../../embedded/demo-org';

export const demoPassword = 'demo-password-for-tests';

/** One API key per scope set the tests need; the plain keys are what callers send. */
export const apiKeys = {
  all: `sj_all_${randomBytes(8).toString('hex')}`,
  requestsOnly: `sj_req_${randomBytes(8).toString('hex')}`,
  readOnly: `sj_read_${randomBytes(8).toString('hex')}`,
  experienceOnly: `sj_exp_${randomBytes(8).toString('hex')}`,
} as const;

const keyEntries: ApiKeyEntry[] = [
  {
    name: 'all',
    hash: hashApiKey(apiKeys.all),
    scopes: [
      'requests:write',
      'requests:read',
      'incidents:write',
      'incidents:read',
      'experience:read',
    ] satisfies ApiScope[],
  },
  { name: 'requests-only', hash: hashApiKey(apiKeys.requestsOnly), scopes: ['requests:write', 'requests:read'] },
  { name: 'read-only', hash: hashApiKey(apiKeys.readOnly), scopes: ['requests:read', 'incidents:read'] },
  { name: 'prometheus', hash: hashApiKey(apiKeys.experienceOnly), scopes: ['experience:read'] },
];

export interface AppEnv {
  app: FastifyInstance;
  env: TestWorkflowEnvironment;
  outbox: Outbox;
  deps: ActivityDeps;
  taskQueue: string;
  linkSecret: string;
  /** Everything the app logged, one parsed JSON object per line. */
  logs: Record<string, unknown>[];
  /** Where the app listens (with `listen: true`), e.g. http://127.0.0.1:41234. */
  url: string;
  close(): Promise<void>;
}

export interface AppEnvOptions {
  /** Run a worker with the real workflows and activities (needed for journeys). */
  worker?: boolean;
  /**
   * Let that worker keep workflows in its cache (default: none, so every task replays the whole
   * history). For tests that send thousands of requests to a few journeys, e.g. the fuzz test.
   */
  cacheWorkflows?: boolean;
  /** Listen on a free loopback port (browser tests); links in messages then point there. */
  listen?: boolean;
  publicUrl?: string;
  config?: Partial<PortalConfig>;
}

export async function startAppEnv(options: AppEnvOptions = {}): Promise<AppEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-client-'));
  const env = await connectTestEnv();
  const taskQueue = uniqueTaskQueue('client');
  const outbox = createMemoryOutbox();
  const linkSecret = randomBytes(32).toString('hex');
  const port = options.listen ? await freePort() : null;
  const publicUrl = port !== null ? `http://127.0.0.1:${port}` : (options.publicUrl ?? 'http://portal.test');
  const directory = createEmbeddedDirectory({ organisation: demoOrganisation, password: demoPassword });
  const deps: ActivityDeps = {
    directory,
    cmdb: createFileCmdb(join(dir, 'cmdb.json'), demoCmdbData()),
    mailer: createOutboxMailer(outbox),
    sms: createOutboxSms(outbox),
    provisioners: createEmbeddedProvisioners(join(dir, 'accounts.json')),
    ledger: createMemoryLedger(),
    // The real file-backed store in this run's folder: the worker's activities write it, the app reads it.
    experience: createExperienceStore(createFileExperienceBackend(join(dir, 'experience.jsonl'))),
    settings: { publicUrl, linkSecret, serviceDeskEmail: 'servicedesk@eagle5.example' },
  };
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  if (options.worker) {
    worker = await createTestWorker(env, {
      taskQueue,
      activities: createActivities(deps),
      ...(options.cacheWorkflows ? { maxCachedWorkflows: 100 } : {}),
    });
    running = worker.run();
  }
  const logs: Record<string, unknown>[] = [];
  const logger: Logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  const app = await buildApp({
    temporal: env.client,
    taskQueue,
    directory,
    cmdb: deps.cmdb,
    outbox,
    experience: deps.experience,
    apiKeys: keyEntries,
    logger,
    config: {
      publicUrl,
      sessionSecret: randomBytes(32).toString('hex'),
      linkSecret,
      temporalUiUrl: 'http://temporal-ui.test',
      namespace: env.namespace ?? 'default',
      // The test worker replays every history on each task (maxCachedWorkflows: 0) and several
      // suites share one dev server on two cores: give reads and updates more time than
      // production pages would (an update to an incident shard once took over 10 s in CI: 503).
      timeouts: { queryMs: 3000, detailMs: 10_000, listMs: 4000, updateMs: 30_000 },
      ...options.config,
    },
  });
  await app.ready();
  if (port !== null) await app.listen({ host: '127.0.0.1', port });
  return {
    url: publicUrl,
    app,
    env,
    outbox,
    deps,
    taskQueue,
    linkSecret,
    logs,
    async close() {
      await app.close();
      await terminateRunning(env.client, [taskQueue]);
      if (worker && running) {
        worker.shutdown();
        await running;
      }
      await directory.close();
      await deps.experience.close();
      await env.teardown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port that was free a moment ago (the app must know its URL before it listens: links in emails). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
