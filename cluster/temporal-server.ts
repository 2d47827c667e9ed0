/**
 * The real Temporal server on PostgreSQL, as production runs it: the schema made and brought up
 * to date by Temporal's own SQL tool, a server config with several history shards, and the
 * namespace and the journeys' search attributes registered. Used by `npm run cluster`, the
 * cluster tests and the chaos run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { allSearchAttributes } from '../workflows/shared/search-attributes';
import type { TemporalBinaries } from '../embedded/temporal-server-binaries';
import { waitForExit } from '../embedded/child-exit';
import { environment } from '../config/env';

export interface TemporalDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** Membership (ringpop) ports, one per service. */
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  metrics: number;
}

/**
 * Consecutive ports from `base` (the frontend's gRPC port), the way Temporal's own configs lay
 * them out. Temporal stores membership ports in a smallint column, so base + 767 must stay below
 * 32768.
 */
export function temporalPortsFrom(base: number): TemporalServerPorts {
  if (base + 767 > 32767)
    throw new Error(
      `TEMPORAL_PORT ${base} is too high: the server's ports run to ${base + 767}, and Temporal needs them below 32768`,
    );
  return {
    frontend: base,
    history: base + 1,
    matching: base + 2,
    worker: base + 6,
    frontendHttp: base + 10,
    frontendMembership: base + 100,
    historyMembership: base + 101,
    matchingMembership: base + 102,
    workerMembership: base + 106,
    metrics: base + 767,
  };
}

export interface TemporalServerOptions {
  binaries: TemporalBinaries;
  /** Config, dynamic config and logs go here. */
  dir: string;
  database: TemporalDatabase;
  ports: TemporalServerPorts;
  /** Fixed when the schema is first made; 16 spreads workflows over 16 history shards. */
  historyShards: number;
  namespace: string;
  log: (line: string) => void;
}

export interface TemporalServer {
  address: string;
  /** The server process ended. */
  exited(): Promise<void>;
  /** SIGTERM: the server drains and stops (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

const databases = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;

function sqlTool(options: TemporalServerOptions, database: string, args: string[]): void {
  const { binaries, database: db } = options;
  const r = spawnSync(
    binaries.sqlTool,
    [
      '--plugin',
      'postgres12',
      '--ep',
      db.host,
      '--port',
      String(db.port),
      '--user',
      db.user,
      '--db',
      database,
      ...args,
    ],
    // The password through the environment: a command line is visible to every user in `ps`.
    { encoding: 'utf8', timeout: 120_000, env: { ...environment(), SQL_PASSWORD: db.password } },
  );
  if (r.status !== 0) {
    const out = `${r.stdout}\n${r.stderr}`;
    throw new Error(
      `temporal sql tool ${args.join(' ')} on ${database} failed (exit ${r.status}):\n${out.slice(-4000)}`,
    );
  }
}

/**
 * Sets up the schema versioning in both databases (made beforehand, owned by the server's role)
 * on the first start (`setup-schema -v 0.0`) and applies the schema versions this server needs on every start (`update-schema`): the
 * tool records the version it reached, so this is quick when nothing changed.
 */
export function setUpSchema(options: TemporalServerOptions): void {
  const schema = join(options.binaries.schemaDir, 'postgresql', 'v12');
  for (const [kind, database] of Object.entries(databases)) {
    const versioned = join(schema, kind === 'temporal' ? 'temporal' : 'visibility', 'versioned');
    // setup-schema -v 0.0 is a no-op once the schema_version table exists.
    sqlTool(options, database, ['setup-schema', '-v', '0.0']);
    sqlTool(options, database, ['update-schema', '-d', versioned]);
  }
}

function serverConfig(options: TemporalServerOptions): string {
  const { database: db, ports, historyShards } = options;
  const store = (name: string, conns: number): string => `    ${name}:
      sql:
        pluginName: "postgres12"
        databaseName: "${name === 'default' ? databases.temporal : databases.visibility}"
        connectAddr: "${db.host}:${db.port}"
        connectProtocol: "tcp"
        user: "${db.user}"
        password: "${db.password}"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, http?: number): string =>
    `    rpc:\n      grpcPort: ${grpc}\n      membershipPort: ${membership}\n      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `# Written by cluster/temporal-server.ts on every start; edit that file, not this one.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${historyShards}
  datastores:
${store('default', 20)}
${store('visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"
services:
  frontend:
${service(ports.frontend, ports.frontendMembership, ports.frontendHttp)}
  matching:
${service(ports.matching, ports.matchingMembership)}
  history:
${service(ports.history, ports.historyMembership)}
  worker:
${service(ports.worker, ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${join(options.dir, 'dynamicconfig.yaml')}"
  pollInterval: "10s"
`;
}

/**
 * Server settings that differ from the defaults, shared with docker-compose.yml (see the comments
 * in the file).
 */
const dynamicConfigFile = fileURLToPath(new URL('./temporal-dynamicconfig.yaml', import.meta.url));

/** Starts the server (after {@link setUpSchema}) and resolves once its frontend answers. */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  mkdirSync(options.dir, { recursive: true });
  const configDir = join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'cluster.yaml'), serverConfig(options), { mode: 0o600 });
  copyFileSync(dynamicConfigFile, join(options.dir, 'dynamicconfig.yaml'));
  const child = spawn(
    options.binaries.server,
    ['--root', options.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const logFile = createWriteStream(join(options.dir, 'temporal-server.log'), { flags: 'a' });
  logFile.write(`\n=== ${new Date().toISOString()} start\n`);
  const keep = (d: Buffer): void => {
    logFile.write(d);
    output = (output + d.toString()).slice(-16_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const address = `127.0.0.1:${options.ports.frontend}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the Temporal server exited during start-up:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Temporal server did not answer on ${address} within 120 s:\n${output}`);
    }
    if (await healthy(address)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await ensureNamespace(address, options.namespace, options.log);
  return {
    address,
    exited: () => exited,
    async stop() {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
      process.removeListener('exit', killOnExit);
    },
    async kill() {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
      process.removeListener('exit', killOnExit);
    },
  };
}

async function healthy(address: string): Promise<boolean> {
  let connection: Connection | null = null;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    const probe = connection;
    const { status } = await probe.withDeadline(Date.now() + 2_000, () => probe.healthService.check({}));
    return Number(status) === 1; // grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Registers the namespace (7 days of retention) and the journeys' search attributes unless they
 * exist, then waits until the namespace answers: a new namespace takes a few seconds to reach
 * every frontend's cache.
 */
export async function ensureNamespace(address: string, namespace: string, log: (line: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('7 days'),
        });
        log(`Registered the namespace ${namespace}.`);
      } catch (err) {
        if (!/already exists/i.test(String(err))) throw err;
      }
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the namespace ${namespace} did not become usable: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const added = await registerSearchAttributes(connection, namespace);
    if (added.length > 0) log(`Registered the search attributes ${added.join(', ')} in ${namespace}.`);
  } finally {
    await connection.close();
  }
}

/** Adds whichever of the journeys' search attributes the namespace lacks; returns their names. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = allSearchAttributes.filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
    ),
  });
  return missing.map((k) => k.name);
}
