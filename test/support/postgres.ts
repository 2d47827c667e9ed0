/**
 * A real, throwaway PostgreSQL server for tests (Debian's `postgresql` package): a fresh cluster
 * in a temp directory, listening on a free 127.0.0.1 port with trust authentication for loopback
 * only, its unix socket inside the temp directory, tuned for speed (fsync off). `stop()` shuts it
 * down and removes the directory.
 *
 * PostgreSQL refuses to run as root: when the tests run as root the directory is handed to the
 * `postgres` system user and initdb/postgres are spawned with that uid/gid (the same effect as
 * `runuser -u postgres --`, but the spawned process is postgres itself, so signals reach it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinary } from '../../embedded/debian';

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL (one per suite keeps suites apart). */
  createDatabase(name?: string): Promise<string>;
  /** Fast shutdown, then the data directory is removed. */
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** The postgres system user when we are root (postgres will not run as root); null otherwise. */
function runAs(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('running as root but there is no `postgres` user to run PostgreSQL as (apt-get install -y postgresql)');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(command: string, args: string[], user: RunAs | null, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, ...(user ?? {}) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${output}`))));
  });
}

async function canQuery(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts the server and resolves once it accepts queries (usually 1–2 s). */
export async function startPostgres(): Promise<TestPostgres> {
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'sj-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  chmodSync(dir, 0o700);

  try {
    await run(postgresBinary('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'], user, dir);
    // Trust, but only from this machine: the unix socket (in our private directory) and 127.0.0.1.
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(
        postgresBinary('postgres'),
        [
          '-D', data,
          '-p', String(port),
          '-k', socketDir,
          '-c', 'listen_addresses=127.0.0.1',
          '-c', 'fsync=off',
          '-c', 'synchronous_commit=off',
          '-c', 'full_page_writes=off',
          '-c', 'max_connections=40',
        ],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, ...(user ?? {}) },
      );
      let log = '';
      child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
      // If the test process dies without teardown, do not leave a server behind.
      const killOnExit = (): void => {
        child.kill('SIGKILL');
      };
      process.once('exit', killOnExit);

      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const deadline = Date.now() + 30_000;
      let up = false;
      while (Date.now() < deadline && child.exitCode === null) {
        if (await canQuery(url)) {
          up = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!up) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
        process.removeListener('exit', killOnExit);
        // Someone took the port between our check and postgres binding it: try another.
        if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
        throw new Error(`PostgreSQL did not start:\n${log}`);
      }

      let counter = 0;
      return {
        url,
        port,
        async createDatabase(name) {
          const database = name ?? `test_${process.pid}_${++counter}_${Date.now().toString(36)}`;
          if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database name must be lower-case letters, digits and _ (got ${database})`);
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(`CREATE DATABASE ${database}`);
          } finally {
            await client.end();
          }
          return `postgres://postgres@127.0.0.1:${port}/${database}`;
        },
        async stop() {
          child.kill('SIGINT'); // fast shutdown: roll back open transactions, disconnect clients
          if (!(await waitForExit(child, 10_000))) {
            child.kill('SIGKILL');
            await waitForExit(child, 5000);
          }
          process.removeListener('exit', killOnExit);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
