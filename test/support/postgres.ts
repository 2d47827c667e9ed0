/**
 * A real, throwaway PostgreSQL server for tests (Debian's `postgresql` package, run by
 * embedded/postgres-server.ts): a fresh cluster in a temp directory on a free 127.0.0.1 port,
 * tuned for speed (fsync off). `stop()` shuts it down and removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../embedded/free-port';
import { ensureDatabase, PortInUse, startPostgresServer, type PostgresServer } from '../../embedded/postgres-server';

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL (one per suite keeps suites apart). */
  createDatabase(name?: string): Promise<string>;
  /** Fast shutdown, then the data directory is removed. */
  stop(): Promise<void>;
}

/** Starts the server and resolves once it accepts queries (usually 1–2 s). */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-pg-'));
  try {
    let server: PostgresServer | null = null;
    for (let attempt = 1; server === null; attempt++) {
      try {
        server = await startPostgresServer({ dir, port: await freePort(), durable: false });
      } catch (err) {
        // Someone took the port between our check and postgres binding it: try another.
        if (!(err instanceof PortInUse) || attempt >= 3) throw err;
      }
    }
    const running = server;
    let counter = 0;
    return {
      url: running.url,
      port: running.port,
      async createDatabase(name) {
        const database = name ?? `test_${process.pid}_${++counter}_${Date.now().toString(36)}`;
        await ensureDatabase(running.url, database);
        return `postgres://postgres@127.0.0.1:${running.port}/${database}`;
      },
      async stop() {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
