/**
 * Workflow-test helpers over the suite's one dev server (started in global-setup.ts).
 */
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import {
  Worker,
  bundleWorkflowCode,
  type BundleOptions,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  bundle ??= bundleTestWorkflows();
  return bundle;
}

export interface TestBundleOptions {
  /** The bundle's entry; default workflows/index.ts. */
  workflowsPath?: string;
  /**
   * Modules swapped in the bundle, file → file (absolute paths, with their extension): every
   * import of the first gets the second, except the second's own imports, so a replacement can
   * build on the module it replaces (the registry of step kinds plus a kind a test defines).
   */
  replaceModules?: Record<string, string>;
}

/** A workflow bundle other than the real one (another entry, modules swapped); the caller keeps it. */
export function bundleTestWorkflows(options: TestBundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  const replace = new Map(Object.entries(options.replaceModules ?? {}).map(([from, to]) => [realpathSync(from), to]));
  return bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? workflowsPath,
    logger: quietBundlerLogger,
    ...(replace.size > 0
      ? {
          webpackConfigHook: (config) => ({
            ...config,
            resolve: {
              ...config.resolve,
              plugins: [...(config.resolve?.plugins ?? []), replaceModulesPlugin(replace)],
            },
          }),
        }
      : {}),
  });
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The workflow bundle of an earlier commit (its workflows/ and activities/, over today's
 * node_modules): the code a journey started on before a change, for the histories from before
 * its patch.
 */
export async function bundleWorkflowsAt(commit: string): Promise<WorkflowBundleWithSourceMap> {
  const dir = mkdtempSync(join(tmpdir(), `sj-workflows-${commit}-`));
  try {
    execFileSync('sh', ['-c', `git archive ${commit} workflows activities | tar -x -C '${dir}'`], { cwd: repoRoot });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    return await bundleTestWorkflows({ workflowsPath: join(dir, 'workflows/index.ts') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type ResolverPlugin = Extract<
  NonNullable<NonNullable<WebpackConfig['resolve']>['plugins']>[number],
  { apply: unknown }
>;

/** Rewrites where an import resolves to: the `result` hook sees the file every import ends at. */
function replaceModulesPlugin(replace: ReadonlyMap<string, string>): ResolverPlugin {
  return {
    apply(resolver) {
      resolver.getHook('result').tap('ReplaceModules', (request) => {
        // What the request carries besides its path: the importing file, from webpack.
        const issuer = (request.context as { issuer?: string } | undefined)?.issuer;
        const to = typeof request.path === 'string' ? replace.get(request.path) : undefined;
        if (to !== undefined && issuer !== to) request.path = to;
        return request;
      });
    },
  };
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
  options: Omit<WorkerOptions, 'connection' | 'workflowsPath'> & { taskQueue: string },
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    maxCachedWorkflows: 0,
    ...options,
    // The real workflows unless the test brings its own bundle (bundleTestWorkflows).
    workflowBundle: options.workflowBundle ?? (await workflowBundle()),
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

/**
 * Queries `handle` until `ok` holds or `timeoutMs` passes; throws with the last answer (as
 * `describe` renders it) and the last query error. Each query may take at most 5 s: a query the
 * worker never answers (the server holds it for up to 30 s, e.g. when the worker evicted the run
 * with the query buffered) is asked again instead of using up the whole wait.
 */
export async function waitForQuery<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T>,
  ok: (answer: T) => boolean,
  timeoutMs: number,
  describe: (answer: T) => unknown = (answer) => answer,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown = null;
  for (;;) {
    try {
      const answer = await handle.client.withDeadline(Math.min(end, Date.now() + 5_000), () => handle.query(query));
      last = answer;
      lastError = null;
      if (ok(answer)) return answer;
    } catch (err) {
      // Not started yet (no first workflow task), or a query that went unanswered: ask again.
      lastError = err;
    }
    if (Date.now() >= end) {
      const failed = lastError instanceof Error ? `; last query failed: ${lastError.message}` : '';
      throw new Error(
        `status never matched; last: ${JSON.stringify(last === undefined ? null : describe(last))}${failed}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
