/**
 * A worker as its own OS process, for tests that kill one (`node --import tsx
 * test/support/worker-process.ts`, see {@link startWorkerProcess}). It is put together as
 * production does it: the real `createWorker` (so its timeouts, sticky-queue and shutdown
 * settings are the ones under test) and the real activities over the production adapters,
 * pointed at the test servers the parent started (their addresses come in `SJ_WORKER_PROCESS`).
 * The adapters keep their production default timeouts. The send ledger is a file the parent
 * names, so a second worker process sees what the first one sent.
 *
 * Prints `READY` once the worker is built and about to poll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { createServiceNowCmdb } from '../../integrations/cmdb/servicenow-cmdb';
import { directoryConfigFromEnv } from '../../integrations/directory/config';
import { createLdapDirectory } from '../../integrations/directory/ldap-directory';
import { createSmtpMailer } from '../../integrations/email/smtp-mailer';
import { createFileLedger } from '../../integrations/ledger/file-ledger';
import { createScimRegistry } from '../../integrations/provisioning/config';
import { createTwilioSms } from '../../integrations/sms/twilio-sms';
import { createWorker } from '../../worker/create-worker';
import { createThrowawayExperienceStore } from './experience';

/** Everything the worker process needs to know, passed as JSON in `SJ_WORKER_PROCESS`. */
export interface WorkerProcessConfig {
  temporal: { address: string; namespace: string; taskQueue: string };
  /** A prebuilt workflow bundle (as the production image has), so the process starts in seconds. */
  workflowBundlePath: string;
  ledgerPath: string;
  ldap: { url: string; bindDn: string; bindPassword: string; userBaseDn: string; groupBaseDn: string; preset: string };
  smtp: { host: string; port: number };
  twilio: { accountSid: string; authToken: string; baseUrl: string };
  servicenow: { baseUrl: string; user: string; password: string };
  scim: Record<string, { baseUrl: string; token: string }>;
  settings: ActivityDeps['settings'];
}

export interface WorkerProcess {
  child: ChildProcess;
  /** `Date.now()` when the process was spawned and when it said READY. */
  spawnedAt: number;
  readyAt: number;
  /** What it wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** SIGKILL: no drain, no goodbye to the server; resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (the worker drains), SIGKILL after `timeoutMs`; resolves when the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

const scriptPath = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Spawns a worker process and resolves once it is READY (rejects if it exits first or takes over `timeoutMs`). */
export async function startWorkerProcess(config: WorkerProcessConfig, timeoutMs = 30_000): Promise<WorkerProcess> {
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', scriptPath], {
    cwd: repoRoot,
    env: { ...process.env, SJ_WORKER_PROCESS: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const readyAt = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker process did not get ready within ${timeoutMs} ms:\n${err}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/^READY$/m.test(out)) {
        clearTimeout(timer);
        resolve(Date.now());
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited (${signal ?? code}) before it was ready:\n${err}`));
    });
  });
  return {
    child,
    spawnedAt,
    readyAt,
    stderr: () => err,
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop(stopTimeoutMs = 15_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The process itself: builds the deps and the worker, says READY, polls until SIGTERM/SIGINT. */
async function main(config: WorkerProcessConfig): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const directory = createLdapDirectory(
    directoryConfigFromEnv({
      LDAP_URL: config.ldap.url,
      LDAP_BIND_DN: config.ldap.bindDn,
      LDAP_BIND_PASSWORD: config.ldap.bindPassword,
      LDAP_USER_BASE_DN: config.ldap.userBaseDn,
      LDAP_GROUP_BASE_DN: config.ldap.groupBaseDn,
      LDAP_PRESET: config.ldap.preset,
      LDAP_NESTED_GROUPS: 'recursive',
    }),
  );
  const mailer = createSmtpMailer({
    host: config.smtp.host,
    port: config.smtp.port,
    secure: false,
    requireTls: false,
    auth: null,
    from: { name: 'IT Service Desk', address: 'it@eagle5.example' },
    ca: null,
    timeoutMs: 10_000,
    maxConnections: 2,
  });
  const deps: ActivityDeps = {
    directory,
    cmdb: createServiceNowCmdb({
      url: config.servicenow.baseUrl,
      auth: { kind: 'basic', user: config.servicenow.user, password: config.servicenow.password },
      timeoutMs: 10_000,
    }),
    mailer,
    sms: createTwilioSms({
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      from: '+447700900000',
      messagingServiceSid: null,
      apiBaseUrl: config.twilio.baseUrl,
      defaultRegion: 'GB',
      timeoutMs: 10_000,
    }),
    provisioners: createScimRegistry({
      applications: Object.fromEntries(
        Object.entries(config.scim).map(([id, s]) => [
          id,
          { baseUrl: s.baseUrl, bearerToken: s.token, timeoutMs: 10_000 },
        ]),
      ),
    }),
    ledger: createFileLedger(config.ledgerPath),
    experience: createThrowawayExperienceStore(),
    settings: config.settings,
  };
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps,
    workflowBundlePath: config.workflowBundlePath,
  });
  process.stdout.write('READY\n');
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM; a SIGKILL is what the test is about.
  await worker.run();
  await Promise.allSettled([directory.close(), mailer.close(), connection.close()]);
}

if (process.argv[1] === scriptPath) {
  const raw = process.env.SJ_WORKER_PROCESS;
  if (!raw) {
    console.error('SJ_WORKER_PROCESS is not set: start this with startWorkerProcess()');
    process.exit(2);
  }
  main(JSON.parse(raw) as WorkerProcessConfig).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
