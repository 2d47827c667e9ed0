/**
 * Builds Go programs from the Go module proxy into this project's cache (outside the clone), the
 * one way the Temporal binaries are obtained: the CLI (dev server) for `npm start` and the tests,
 * the server, its SQL tool and the web UI server for `npm run cluster`.
 *
 * A build goes into a staging folder and is renamed into place only when complete, so an
 * interrupted build is never mistaken for a finished one. It prints progress every 30 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { environment } from '../config/env';

export type Log = (line: string) => void;

export function cacheRoot(): string {
  const base = environment().XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'service-journeys');
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(name: string): string | null {
  for (const dir of (environment().PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The Go toolchain: on PATH, or where the official tarball installs it. */
export function findGo(): string | null {
  return findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
}

/** `go env NAME`, or null when go cannot answer. */
export function goEnv(go: string, name: string): string | null {
  const r = spawnSync(go, ['env', name], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

export interface GoBuild {
  /** What is being built, for the progress lines, e.g. "the Temporal server v1.29.1". */
  what: string;
  /** `module/path/cmd/x@version` arguments for one `go install` (same module version). */
  packages: string[];
  /** Folder the binaries end up in (created); each is `targetDir/<last path element>`. */
  targetDir: string;
  /** Rough duration for the first message, e.g. "3–8 minutes on 2 cores". */
  expected: string;
}

/**
 * Runs `go install` for `build.packages` into a staging folder, then moves the binaries into
 * `build.targetDir`. Returns the folder. Throws with go's exit code when the build fails.
 */
export async function goInstall(go: string, build: GoBuild, log: Log): Promise<string> {
  const staging = `${build.targetDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(
    `Building ${build.what} from the Go module proxy into ${build.targetDir} (one time only; usually ${build.expected})…`,
  );
  const started = Date.now();
  const ticker = setInterval(
    () => log(`  …still building ${build.what} (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', '-trimpath', ...build.packages], {
        env: { ...environment(), GOBIN: staging, CGO_ENABLED: '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`go install of ${build.what} exited with code ${code}`)),
      );
    });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    clearInterval(ticker);
  }
  mkdirSync(build.targetDir, { recursive: true });
  for (const pkg of build.packages) {
    const name = binaryName(pkg);
    renameSync(join(staging, name), join(build.targetDir, name));
  }
  rmSync(staging, { recursive: true, force: true });
  log(`Built ${build.what} in ${Math.round((Date.now() - started) / 1000)} s.`);
  return build.targetDir;
}

/** `go.temporal.io/server/cmd/tools/sql@v1.29.1` → `sql` (what go install names the binary). */
export function binaryName(pkg: string): string {
  const path = pkg.split('@')[0] ?? pkg;
  const last = path.split('/').pop() ?? path;
  return /^v\d+$/.test(last) ? (path.split('/').slice(-2)[0] ?? last) : last;
}
