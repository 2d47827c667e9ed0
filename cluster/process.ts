/**
 * One program of the cluster (a worker, the API, the web UI) as a child process: its output in a
 * log file, restarted after an unexpected exit as a container orchestrator would, and killable
 * on purpose (the chaos run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface ProgramSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  logFile: string;
  /** Restart this long after an exit nobody asked for (null: never). */
  restartAfterMs: number | null;
  /** Told about unexpected exits and restarts. */
  log: (line: string) => void;
}

export interface Program {
  readonly name: string;
  pid(): number | null;
  running(): boolean;
  /** How many times it was started. */
  starts(): number;
  start(): void;
  /** Sends `signal` and resolves when it exited; no automatic restart follows. */
  kill(signal: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; stays stopped. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the current process has printed a line matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
}

export function createProgram(spec: ProgramSpec): Program {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const logStream: WriteStream = createWriteStream(spec.logFile, { flags: 'a' });
  let child: ChildProcess | null = null;
  let startCount = 0;
  let expectedExit = false;
  let restartTimer: NodeJS.Timeout | null = null;
  let recent = '';
  const watchers = new Set<() => void>();

  const start = (): void => {
    if (child) return;
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    expectedExit = false;
    recent = '';
    startCount++;
    logStream.write(`\n=== ${new Date().toISOString()} start #${startCount}: ${spec.command} ${spec.args.join(' ')}\n`);
    const proc = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // If the orchestrator itself dies, do not leave the program running on its own.
    const killOnExit = (): void => {
      proc.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
    const onData = (d: Buffer): void => {
      logStream.write(d);
      recent = (recent + d.toString()).slice(-64_000);
      for (const w of watchers) w();
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code, signal) => {
      logStream.write(`=== ${new Date().toISOString()} exited (${signal ?? `code ${code}`})\n`);
      if (child === proc) child = null;
      if (!expectedExit && spec.restartAfterMs !== null) {
        spec.log(
          `${spec.name} exited unexpectedly (${signal ?? `code ${code}`}); restarting in ${spec.restartAfterMs / 1000} s (log: ${spec.logFile})`,
        );
        restartTimer = setTimeout(start, spec.restartAfterMs);
      }
    });
  };

  const kill = async (signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> => {
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    const proc = child;
    if (!proc) return;
    expectedExit = true;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    name: spec.name,
    pid: () => child?.pid ?? null,
    running: () => child !== null,
    starts: () => startCount,
    start,
    kill,
    stop: (graceMs = 15_000) => kill('SIGTERM', graceMs),
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(recent)) {
            watchers.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(
              `${spec.name} did not print ${String(pattern)} within ${timeoutMs / 1000} s; its last output:\n${recent.slice(-4000)}`,
            ),
          );
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
  };
}
