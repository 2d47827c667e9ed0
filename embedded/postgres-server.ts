/**
 * Runs Debian's PostgreSQL server from a data folder of ours: the cluster's database
 * (`npm run cluster`, kept between runs) and the tests' throwaway ones. Loopback only, trust
 * authentication for 127.0.0.1 and a unix socket in our own folder.
 *
 * PostgreSQL refuses to run as root: as root the folder is handed to the `postgres` system user
 * and initdb/postgres run with its uid/gid (the spawned process is postgres itself, so signals
 * reach it).
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinary } from './debian';
import { waitForExit } from './child-exit';
import { environment } from '../config/env';

export interface PostgresServerOptions {
  /** Folder of the server: `data/` (the cluster files) and `socket/` are made inside. */
  dir: string;
  port: number;
  /** false: fsync and full-page writes off (tests). true: PostgreSQL's safe defaults. */
  durable: boolean;
  maxConnections?: number;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** The server process ended (crashed or was stopped). */
  exited: Promise<void>;
  /** Fast shutdown (open transactions rolled back); SIGKILL after 10 s. */
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
  if (uid === undefined || gid === undefined)
    throw new Error(
      'running as root but there is no `postgres` user to run PostgreSQL as (apt-get install -y postgresql)',
    );
  return { uid: Number(uid), gid: Number(gid) };
}

function run(command: string, args: string[], user: RunAs | null, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...environment(), LC_ALL: 'C', LANG: 'C' },
      ...(user ?? {}),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${output}`)),
    );
  });
}

export async function canQuery(url: string): Promise<boolean> {
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

/** Thrown when the port was taken between choosing it and postgres binding it. */
export class PortInUse extends Error {}

/**
 * Makes the data folder on first use (initdb) and starts the server; resolves once it accepts
 * queries (1–2 s; longer after a crash, while it recovers).
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const user = runAs();
  const { dir, port } = options;
  const data = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir, { recursive: true });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  chmodSync(dir, 0o700);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const sync = options.durable ? [] : ['--no-sync'];
    await run(
      postgresBinary('initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', ...sync, '--no-instructions'],
      user,
      dir,
    );
    // Trust, but only from this machine: the unix socket (in our private folder) and 127.0.0.1.
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
  }
  const speed = options.durable
    ? []
    : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const child = spawn(
    postgresBinary('postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `max_connections=${options.maxConnections ?? 40}`,
      ...speed,
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...environment(), LC_ALL: 'C', LANG: 'C' },
      ...(user ?? {}),
    },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If our process dies without stopping it, do not leave a server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 60_000;
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
    if (/could not bind|Address already in use/i.test(log)) throw new PortInUse(`port ${port} is in use:\n${log}`);
    throw new Error(`PostgreSQL did not start:\n${log}`);
  }
  return {
    url,
    port,
    exited,
    async stop() {
      child.kill('SIGINT'); // fast shutdown: roll back open transactions, disconnect clients
      if (!(await waitForExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
      process.removeListener('exit', killOnExit);
    },
  };
}

/** Creates the database (owned by `owner`, a login role with `password`) unless it exists. */
export async function ensureDatabase(
  url: string,
  database: string,
  owner?: { user: string; password: string },
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database))
    throw new Error(`database name must be lower-case letters, digits and _ (got ${database})`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (owner) {
      if (!/^[a-z_][a-z0-9_]*$/.test(owner.user))
        throw new Error(`role name must be lower-case letters, digits and _ (got ${owner.user})`);
      const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [owner.user]);
      const password = client.escapeLiteral(owner.password);
      await client.query(
        role.rowCount
          ? `ALTER ROLE ${owner.user} LOGIN PASSWORD ${password}`
          : `CREATE ROLE ${owner.user} LOGIN PASSWORD ${password}`,
      );
    }
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE ${database}${owner ? ` OWNER ${owner.user}` : ''}`);
  } finally {
    await client.end();
  }
}
