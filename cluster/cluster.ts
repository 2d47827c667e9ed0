/**
 * The production shape of Service Journeys on one machine: PostgreSQL, the real Temporal server
 * on it (16 history shards), its web UI, several worker processes and the API/portal process,
 * each a separate OS process in production mode, as `docker-compose.yml` lays them out on real
 * hosts. Outside systems that are not configured are served by real local stand-ins
 * (cluster/local-systems.ts). Everything persistent lives under `<DATA_DIR>/cluster`, so a
 * second start resumes what the first left.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { z } from 'zod';
import { ensureDatabase, startPostgresServer, type PostgresServer } from '../embedded/postgres-server';
import { workflowsPath } from '../worker/create-worker';
import { resolveTemporalBinaries, type TemporalBinaries } from '../embedded/temporal-server-binaries';
import type { ClusterConfig } from './config';
import { startLocalSystems, type ExtraPerson, type LocalSystems } from './local-systems';
import { createProgram, type Program } from './process';
import {
  setUpSchema,
  startTemporalServer,
  temporalPortsFrom,
  type TemporalServer,
  type TemporalServerOptions,
} from './temporal-server';
import { environment } from '../config/env';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export interface Cluster {
  temporalAddress: string;
  portalUrl: string;
  uiUrl: string | null;
  /** The journeys' own database (experience figures and the send ledger). */
  journeysDatabaseUrl: string;
  /** Environment every program of the cluster gets (the chaos run starts its clients with it). */
  env: Record<string, string>;
  workers: Program[];
  api: Program;
  /** Null when the outside systems were all configured. */
  local: LocalSystems | null;
  /** Stops the Temporal server (SIGKILL, as a crash would, or SIGTERM) and starts it again. */
  restartTemporal(how: 'kill' | 'stop'): Promise<void>;
  /** Resolves when the API answers /healthz. */
  apiReady(timeoutMs?: number): Promise<void>;
  /** Stops everything, the programs first, then the server, PostgreSQL and the stand-ins. */
  stop(): Promise<void>;
}

const secretsSchema = z.object({
  sessionSecret: z.string().min(32),
  linkSecret: z.string().min(32),
  temporalDbPassword: z.string().min(16),
  journeysDbPassword: z.string().min(16),
});

/** Made once per cluster folder (mode 0600) unless the environment gives them. */
function clusterSecrets(dir: string): z.infer<typeof secretsSchema> {
  const file = join(dir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = secretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
    throw new Error(`${file} is damaged; delete the cluster folder ${dir} to start afresh`);
  }
  const secrets = {
    sessionSecret: randomBytes(32).toString('hex'),
    linkSecret: randomBytes(32).toString('hex'),
    temporalDbPassword: randomBytes(18).toString('hex'),
    journeysDbPassword: randomBytes(18).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The outside systems a person configured (their variables are set); the rest get stand-ins. */
function configuredSystems(env: Record<string, string | undefined>): Set<string> {
  const set = new Set<string>();
  if (env.LDAP_URL) set.add('directory');
  if (env.SERVICENOW_URL) set.add('cmdb');
  if (env.SMTP_HOST) set.add('email');
  if (env.TWILIO_ACCOUNT_SID) set.add('sms');
  if (Object.keys(env).some((k) => /^SCIM_.+_URL$/.test(k) && env[k])) set.add('scim');
  return set;
}

const systemOfVariable = (name: string): string | null =>
  name.startsWith('LDAP_')
    ? 'directory'
    : name.startsWith('SERVICENOW_')
      ? 'cmdb'
      : name.startsWith('SMTP_') || name === 'MAIL_FROM'
        ? 'email'
        : name.startsWith('TWILIO_') || name === 'SMS_DEFAULT_REGION'
          ? 'sms'
          : name.startsWith('SCIM_')
            ? 'scim'
            : null;

export interface StartClusterOptions {
  config: ClusterConfig;
  /** The environment to pass through (the product's variables); defaults to environment(). */
  env?: Record<string, string | undefined>;
  log: (line: string) => void;
  /** Extra variables for every worker (e.g. faster retries in tests). */
  workerEnv?: Record<string, string>;
  /** People the local stand-ins hold besides Eagle5. */
  extraPeople?: ExtraPerson[];
  /** Restart a program that exits unexpectedly after this long (default 1 s); null: never. */
  restartAfterMs?: number | null;
}

export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  const { config, log } = options;
  const passEnv = options.env ?? environment();
  const dir = resolve(config.DATA_DIR, 'cluster');
  mkdirSync(dir, { recursive: true });
  const secrets = clusterSecrets(dir);
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse())
      await stop().catch((err: unknown) => log(`while stopping: ${String(err)}`));
  };

  try {
    const binaries: TemporalBinaries = await resolveTemporalBinaries(log);

    log(`Starting PostgreSQL on 127.0.0.1:${config.CLUSTER_POSTGRES_PORT} (data in ${join(dir, 'postgres')})…`);
    const postgres: PostgresServer = await startPostgresServer({
      dir: join(dir, 'postgres'),
      port: config.CLUSTER_POSTGRES_PORT,
      durable: true,
      maxConnections: 200,
    });
    stops.push(() => postgres.stop());
    const temporalDb = {
      host: '127.0.0.1',
      port: postgres.port,
      user: 'temporal',
      password: secrets.temporalDbPassword,
    };
    // The role may create databases: the SQL tool makes temporal and temporal_visibility itself.
    await ensureDatabase(postgres.url, 'temporal', { user: 'temporal', password: secrets.temporalDbPassword });
    await ensureDatabase(postgres.url, 'temporal_visibility', {
      user: 'temporal',
      password: secrets.temporalDbPassword,
    });
    await ensureDatabase(postgres.url, 'journeys', { user: 'journeys', password: secrets.journeysDbPassword });
    const journeysDatabaseUrl = `postgres://journeys:${secrets.journeysDbPassword}@127.0.0.1:${postgres.port}/journeys`;

    const serverOptions: TemporalServerOptions = {
      binaries,
      dir: join(dir, 'temporal'),
      database: temporalDb,
      ports: temporalPortsFrom(config.TEMPORAL_PORT),
      historyShards: config.CLUSTER_HISTORY_SHARDS,
      namespace: config.TEMPORAL_NAMESPACE,
      log,
    };
    log('Bringing the Temporal schema up to date (temporal sql tool)…');
    setUpSchema(serverOptions);
    log(
      `Starting the Temporal server ${binaries.server} on 127.0.0.1:${config.TEMPORAL_PORT} (${config.CLUSTER_HISTORY_SHARDS} history shards)…`,
    );
    let temporal: TemporalServer = await startTemporalServer(serverOptions);
    stops.push(() => temporal.stop());

    let uiUrl: string | null = null;
    if (binaries.uiServer) {
      const uiDir = join(dir, 'ui');
      mkdirSync(join(uiDir, 'config'), { recursive: true });
      writeFileSync(
        join(uiDir, 'config', 'cluster.yaml'),
        `temporalGrpcAddress: ${temporal.address}\nhost: 127.0.0.1\nport: ${config.TEMPORAL_UI_PORT}\nenableUi: true\ndefaultNamespace: ${config.TEMPORAL_NAMESPACE}\nauth:\n  enabled: false\n`,
      );
      const ui = createProgram({
        name: 'temporal-ui',
        command: binaries.uiServer,
        args: ['--root', uiDir, '--env', 'cluster', 'start'],
        env: { PATH: environment().PATH ?? '' },
        cwd: uiDir,
        logFile: join(dir, 'logs', 'temporal-ui.log'),
        restartAfterMs: 2_000,
        log,
      });
      ui.start();
      stops.push(() => ui.stop());
      uiUrl = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
    }

    const configured = configuredSystems(passEnv);
    let local: LocalSystems | null = null;
    const systemsEnv: Record<string, string> = {};
    if (configured.size < 5) {
      log(
        `Starting local stand-ins for ${['directory', 'cmdb', 'email', 'sms', 'scim'].filter((s) => !configured.has(s)).join(', ')} (real protocol servers on loopback)…`,
      );
      local = await startLocalSystems({
        outboxFile: join(dir, 'outbox.jsonl'),
        ...(options.extraPeople ? { extraPeople: options.extraPeople } : {}),
      });
      const running = local;
      stops.push(() => running.stop());
      for (const [name, value] of Object.entries(local.env)) {
        const system = systemOfVariable(name);
        if (system !== null && !configured.has(system)) systemsEnv[name] = value;
      }
    }

    // One bundle for every worker: a worker (re)start then takes about a second, not ten.
    const bundlePath = join(dir, 'workflow-bundle.js');
    log('Bundling the workflows once for all workers…');
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
    writeFileSync(bundlePath, code);

    const portalUrl = `http://${config.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : config.HTTP_HOST}:${config.HTTP_PORT}`;
    const passThrough = Object.fromEntries(
      Object.entries(passEnv).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const env: Record<string, string> = {
      ...passThrough,
      NODE_ENV: 'production',
      INTEGRATIONS: 'production',
      LOG_LEVEL: passEnv.LOG_LEVEL ?? 'warn',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      SESSION_SECRET: passEnv.SESSION_SECRET ?? secrets.sessionSecret,
      LINK_SECRET: passEnv.LINK_SECRET ?? secrets.linkSecret,
      PUBLIC_URL: passEnv.PUBLIC_URL ?? portalUrl,
      EXPERIENCE_DATABASE_URL: passEnv.EXPERIENCE_DATABASE_URL ?? journeysDatabaseUrl,
      LEDGER_DATABASE_URL: passEnv.LEDGER_DATABASE_URL ?? passEnv.EXPERIENCE_DATABASE_URL ?? journeysDatabaseUrl,
      ...(uiUrl ? { TEMPORAL_UI_URL: passEnv.TEMPORAL_UI_URL ?? uiUrl } : {}),
      ...systemsEnv,
    };
    const node = process.execPath;
    const workers = Array.from({ length: config.CLUSTER_WORKERS }, (_, i) =>
      createProgram({
        name: `worker-${i + 1}`,
        command: node,
        args: ['--import', 'tsx', 'worker/main.ts'],
        env: {
          ...env,
          ...options.workerEnv,
          WORKFLOW_BUNDLE_PATH: bundlePath,
          METRICS_PORT: String(config.METRICS_PORT + i),
          // Production needs no local disk; a folder of its own shows nothing is shared through one.
          DATA_DIR: join(dir, `worker-${i + 1}`),
        },
        cwd: repoRoot,
        logFile: join(dir, 'logs', `worker-${i + 1}.log`),
        restartAfterMs: options.restartAfterMs === undefined ? 1_000 : options.restartAfterMs,
        log,
      }),
    );
    for (const w of workers) {
      w.start();
      stops.push(() => w.stop());
    }
    const api = createProgram({
      name: 'api',
      command: node,
      args: ['--import', 'tsx', 'client/main.ts'],
      env: {
        ...env,
        HTTP_HOST: config.HTTP_HOST,
        HTTP_PORT: String(config.HTTP_PORT),
        DATA_DIR: join(dir, 'api'),
        ...(local ? { OUTBOX_FILE: join(dir, 'outbox.jsonl') } : {}),
      },
      cwd: repoRoot,
      logFile: join(dir, 'logs', 'api.log'),
      restartAfterMs: options.restartAfterMs === undefined ? 1_000 : options.restartAfterMs,
      log,
    });
    api.start();
    stops.push(() => api.stop());

    const apiReady = async (timeoutMs = 60_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const res = await fetch(`${portalUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
          if (res.ok) return;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline)
          throw new Error(
            `the API did not answer ${portalUrl}/healthz within ${timeoutMs / 1000} s (log: ${join(dir, 'logs', 'api.log')})`,
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    return {
      temporalAddress: temporal.address,
      portalUrl,
      uiUrl,
      journeysDatabaseUrl,
      env,
      workers,
      api,
      local,
      apiReady,
      async restartTemporal(how) {
        await (how === 'kill' ? temporal.kill() : temporal.stop());
        temporal = await startTemporalServer(serverOptions);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
