/**
 * Starts the real Temporal dev server (from the CLI that temporal-cli.ts resolves) with this
 * project's search attributes registered. Used by `npm start` (persistent SQLite, UI on) and by
 * the test suite (throwaway database, free port, UI off).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { allSearchAttributes } from '../workflows/shared/search-attributes';
import { resolveTemporalCli, type ResolvedCli } from './temporal-cli';

/** See DevServerOptions.transferPollRps; cluster/temporal-dynamicconfig.yaml sets the same. */
export const DEFAULT_TRANSFER_POLL_RPS = 200;

export interface DevServerOptions {
  /** SQLite file to persist to; omitted = in-memory (gone when the server stops). */
  dbFile?: string;
  ip?: string;
  /** gRPC port; omitted = a free port. */
  port?: number;
  /** Web UI port; omitted = no UI. */
  uiPort?: number;
  namespace?: string;
  /**
   * Eager activity dispatch (default on, as on the cluster's server): a worker that completes a
   * workflow task gets the activities it just scheduled in the reply, instead of each going
   * through the task queue to a poller. Same at-least-once delivery, timeouts and retries; an
   * activity the worker has no free slot for goes through the queue as before.
   */
  eagerActivities?: boolean;
  /**
   * How often per second the history service may read its queue of new transfer tasks (default
   * 200; Temporal's own default is 20). Every workflow task (a journey's next step after an
   * activity completes, a signal, an update) waits in that queue until the next read, so at 20
   * reads a second each step waits up to 50 ms, about 35 ms on average, before a worker can
   * take it. A read happens only when there are new tasks; the limit only caps how often.
   */
  transferPollRps?: number;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | null;
  cli: ResolvedCli;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/**
 * The server settings the dev server is started with; the cluster's server has the same ones in
 * cluster/temporal-dynamicconfig.yaml (test/foundation/dynamic-config.unit.test.ts holds them equal).
 */
export function devServerDynamicConfig(
  options: Pick<DevServerOptions, 'eagerActivities' | 'transferPollRps'> = {},
): Record<string, boolean | number> {
  return {
    'system.enableActivityEagerExecution': options.eagerActivities ?? true,
    'history.transferProcessorMaxPollRPS': options.transferPollRps ?? DEFAULT_TRANSFER_POLL_RPS,
  };
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = await resolveTemporalCli(options.log);
  if (options.dbFile) mkdirSync(dirname(options.dbFile), { recursive: true });
  const namespace = options.namespace ?? 'default';
  const ip = options.ip ?? '127.0.0.1';
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli.executable,
      ip,
      namespace,
      searchAttributes: allSearchAttributes,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.dbFile ? { dbFilename: options.dbFile } : {}),
      ...(options.uiPort !== undefined ? { ui: true, uiPort: options.uiPort } : { ui: false }),
      log: { format: 'pretty', level: 'warn' },
      extraArgs: Object.entries(devServerDynamicConfig(options)).flatMap(([key, value]) => [
        '--dynamic-config-value',
        `${key}=${value}`,
      ]),
    },
  });
  return {
    address: env.address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${options.uiPort}` : null,
    cli,
    env,
    stop: () => env.teardown(),
  };
}
