/**
 * The one place that knows how to obtain the real Temporal CLI (which contains the dev server).
 *
 * Order of preference:
 *  1. `TEMPORAL_CLI_PATH` (an explicit choice always wins)
 *  2. a `temporal` on PATH
 *  3. a copy this project built before, cached outside the clone (`~/.cache/service-journeys/`)
 *  4. a one-time build from the Go module proxy (`go install …/cmd/temporal@v1.5.1`) when `go` exists
 *  5. the SDK's own cached download (needs internet access to temporal.download)
 *
 * v1.5.1 is pinned because its go.mod has no `replace` directive; later tags have one, which
 * `go install pkg@version` refuses.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { cacheRoot, findGo, findOnPath, goInstall, isExecutable, type Log } from './go-install';
import { environment } from '../config/env';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export type CliSource = 'env' | 'path' | 'cache' | 'go-build' | 'sdk-download';
export interface ResolvedCli {
  source: CliSource;
  executable: EphemeralServerExecutable;
  /** Path of the binary, when known (not for the SDK download). */
  path: string | null;
}

export function cachedCliPath(): string {
  return join(cacheRoot(), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

function worksAsTemporalCli(path: string): boolean {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /temporal/i.test(r.stdout);
}

/** Builds the CLI into the cache with `go install`. Takes a few minutes the first time. */
async function buildWithGo(go: string, log: Log): Promise<string> {
  const target = cachedCliPath();
  await goInstall(
    go,
    {
      what: `the Temporal CLI ${TEMPORAL_CLI_VERSION}`,
      packages: [`${GO_PACKAGE}@${TEMPORAL_CLI_VERSION}`],
      targetDir: join(target, '..'),
      expected: '3–8 minutes on 2 cores',
    },
    log,
  );
  return target;
}

/**
 * Finds (or builds) the Temporal CLI. Never fakes a server: when nothing works it returns the
 * SDK's download, which fails loudly on a machine without internet access.
 */
export async function resolveTemporalCli(log: Log = (l) => console.error(l)): Promise<ResolvedCli> {
  const fromEnv = environment().TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return { source: 'env', path: fromEnv, executable: { type: 'existing-path', path: fromEnv } };
  }
  const onPath = findOnPath('temporal');
  if (onPath && worksAsTemporalCli(onPath)) {
    return { source: 'path', path: onPath, executable: { type: 'existing-path', path: onPath } };
  }
  const cached = cachedCliPath();
  if (isExecutable(cached) && worksAsTemporalCli(cached)) {
    return { source: 'cache', path: cached, executable: { type: 'existing-path', path: cached } };
  }
  const go = findGo();
  if (go) {
    const built = await buildWithGo(go, log);
    return { source: 'go-build', path: built, executable: { type: 'existing-path', path: built } };
  }
  log('No Temporal CLI found and no Go toolchain: falling back to the SDK download (needs internet access).');
  return {
    source: 'sdk-download',
    path: null,
    executable: { type: 'cached-download', downloadDir: join(cacheRoot(), 'sdk-download') },
  };
}
