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
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

export type CliSource = 'env' | 'path' | 'cache' | 'go-build' | 'sdk-download';
export interface ResolvedCli {
  source: CliSource;
  executable: EphemeralServerExecutable;
  /** Path of the binary, when known (not for the SDK download). */
  path: string | null;
}

type Log = (line: string) => void;

export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'service-journeys');
}

export function cachedCliPath(): string {
  return join(cacheRoot(), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

function worksAsTemporalCli(path: string): boolean {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /temporal/i.test(r.stdout);
}

/** Builds the CLI into the cache with `go install`. Takes a few minutes the first time. */
async function buildWithGo(go: string, log: Log): Promise<string> {
  const target = cachedCliPath();
  const staging = `${target}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy into ${target} ` +
      `(one time only; usually 3–8 minutes on 2 cores)…`,
  );
  const started = Date.now();
  const ticker = setInterval(() => log(`  …still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', '-trimpath', `${GO_PACKAGE}@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: staging, CGO_ENABLED: '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with code ${code}`))));
    });
  } finally {
    clearInterval(ticker);
  }
  mkdirSync(join(target, '..'), { recursive: true });
  renameSync(join(staging, 'temporal'), target);
  rmSync(staging, { recursive: true, force: true });
  log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s.`);
  return target;
}

/**
 * Finds (or builds) the Temporal CLI. Never fakes a server: when nothing works it returns the
 * SDK's download, which fails loudly on a machine without internet access.
 */
export async function resolveTemporalCli(log: Log = (l) => console.error(l)): Promise<ResolvedCli> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
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
  const go = findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
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
