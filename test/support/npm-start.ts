/**
 * Runs the product the way a person does: `npm start` (so whatever the package's start script
 * runs, today `tsx embedded/start.ts`), in its own process group, with a data folder and ports
 * of the caller's choosing, and waits for its "Ready" line. Stopping sends SIGINT to the whole
 * group, as Ctrl-C in a terminal does, so npm, tsx, the product and the dev server it started
 * all see the signal a user's would, and then waits until every one of them has gone.
 * Used by the `npm start` durability test and by `npm run docs:screenshots`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The repository root (where package.json is), so callers may run from anywhere. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export { freePort } from '../../embedded/free-port';
import { freePort } from '../../embedded/free-port';

/** The ports `npm start` listens on (HTTP_PORT, TEMPORAL_PORT, TEMPORAL_UI_PORT, METRICS_PORT). */
export interface ProductPorts {
  http: number;
  temporal: number;
  temporalUi: number;
  metrics: number;
}

/** Four distinct free ports. */
export async function freeProductPorts(): Promise<ProductPorts> {
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [http, temporal, temporalUi, metrics] = [...ports] as [number, number, number, number];
  return { http, temporal, temporalUi, metrics };
}

export interface StartProductOptions {
  /** DATA_DIR: the dev server's SQLite file, secrets, outbox and CMDB live here. */
  dataDir: string;
  /** Default: four free ports. Pass the same ones again to restart "the same" installation. */
  ports?: ProductPorts;
  /** Extra environment (e.g. API_KEYS). */
  env?: Record<string, string>;
  /** How long to wait for "Ready" (bundling workflows on a busy 2-core machine takes a while). */
  readyTimeoutMs?: number;
  /** Called with every output line (stdout and stderr), e.g. to echo progress. */
  onLine?: (line: string) => void;
}

export interface ExitResult {
  /** How `npm` itself ended: npm re-raises the SIGINT of a Ctrl-C, so `signal` is then SIGINT. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the product printed its "Stopped." line (it closed everything it started). */
  stoppedCleanly: boolean;
}

export interface RunningProduct {
  dataDir: string;
  ports: ProductPorts;
  /** The portal's base URL, e.g. http://127.0.0.1:3000 (no trailing slash). */
  portalUrl: string;
  /** The Temporal UI as printed by the product. */
  temporalUiUrl: string;
  /** The demo password from DATA_DIR/secrets.json. */
  demoPassword: string;
  /** Everything printed so far, ANSI colours removed. */
  output(): string;
  /** Resolves when npm has exited and no process of its group is left. */
  exited: Promise<ExitResult>;
  /**
   * Ctrl-C: SIGINT to the process group, then waits until npm and every process it started
   * (including the Temporal dev server) have exited; SIGKILLs the group and throws after `timeoutMs`.
   */
  stop(timeoutMs?: number): Promise<ExitResult>;
  /** Last resort for cleanup after a failure: SIGKILL to the group; never throws. */
  kill(): void;
}

const secretsSchema = z.object({ demoPassword: z.string().min(1) });

const ansi = /\u001b\[[0-9;]*m/g;

/** Variables of the caller's environment that would point the product elsewhere than asked. */
const inheritedButOverridden = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_UI_URL',
  'PUBLIC_URL',
  'INTEGRATIONS',
  'API_KEYS',
  'API_KEYS_FILE',
  'EXPERIENCE_DATABASE_URL',
  'NODE_ENV',
  'HTTP_HOST',
];

const stoppedLine = /^Stopped\. /m;

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Starts `npx tsx embedded/start.ts` and resolves once it printed "Ready" and the portal and
 * Temporal UI lines. Rejects with the product's own output when it exits first or does not get
 * ready in time (and then kills what it started).
 */
export async function startProduct(options: StartProductOptions): Promise<RunningProduct> {
  const ports = options.ports ?? (await freeProductPorts());
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of inheritedButOverridden) delete env[name];
  Object.assign(env, {
    NODE_ENV: 'development',
    DATA_DIR: options.dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(ports.http),
    // 127.0.0.1, not localhost: Node may resolve localhost to ::1, where nothing listens.
    PUBLIC_URL: `http://127.0.0.1:${ports.http}`,
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.temporalUi),
    METRICS_PORT: String(ports.metrics),
    FORCE_COLOR: '0',
    ...options.env,
  });

  // detached: its own process group, so stop() can signal every process like a terminal's Ctrl-C.
  const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    const clean = chunk.toString('utf8').replace(ansi, '');
    text += clean;
    if (options.onLine) for (const line of clean.split('\n')) if (line.trim() !== '') options.onLine(line);
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitResult: ExitResult | null = null;
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('exit', (code, signal) => {
      // npm may exit before the processes under it (it re-raises SIGINT): wait for the whole group.
      const poll = setInterval(() => {
        if (child.pid !== undefined && groupAlive(child.pid)) return;
        clearInterval(poll);
        exitResult = { code, signal, stoppedCleanly: stoppedLine.test(text) };
        resolve(exitResult);
        for (const w of waiters) w();
      }, 100);
    });
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`could not run npm: ${err.message}`))),
  );

  const kill = (): void => signalGroup(child, 'SIGKILL');
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const ready = new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (/^Ready in /m.test(text) && /^\s*Temporal UI\s+\S+/m.test(text) && /^\s*Portal\s+\S+/m.test(text)) {
        waiters.delete(check);
        resolve();
      } else if (exitResult) {
        waiters.delete(check);
        reject(new Error(`npm start exited (${exitResult.code ?? exitResult.signal}) before it was ready:\n${text}`));
      }
    };
    waiters.add(check);
    check();
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`npm start was not ready within ${readyTimeoutMs} ms:\n${text}`)),
      readyTimeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout, spawnError]);
  } catch (err) {
    kill();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const temporalUiUrl = /^\s*Temporal UI\s+(http\S+)/m.exec(text)?.[1];
  if (!temporalUiUrl) {
    kill();
    throw new Error(`npm start did not print a Temporal UI address:\n${text}`);
  }
  const secrets = secretsSchema.safeParse(JSON.parse(readFileSync(`${options.dataDir}/secrets.json`, 'utf8')));
  if (!secrets.success) {
    kill();
    throw new Error(`${options.dataDir}/secrets.json has no demoPassword`);
  }

  const stop = async (timeoutMs = 60_000): Promise<ExitResult> => {
    if (exitResult) return exitResult;
    signalGroup(child, 'SIGINT');
    let stopTimer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      stopTimer = setTimeout(() => {
        kill();
        reject(
          new Error(
            `npm start (or a process it started) was still running ${timeoutMs} ms after Ctrl-C (killed):\n${text.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, late]);
    } finally {
      clearTimeout(stopTimer);
    }
  };

  return {
    dataDir: options.dataDir,
    ports,
    portalUrl: `http://127.0.0.1:${ports.http}`,
    temporalUiUrl: temporalUiUrl.replace(/\/$/, ''),
    demoPassword: secrets.data.demoPassword,
    output: () => text,
    exited,
    stop,
    kill,
  };
}
