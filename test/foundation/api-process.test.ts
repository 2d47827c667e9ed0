/**
 * The API process (`npm run api`, the compose `api` service) while the Temporal server is down:
 * it must come up and answer (503 for journey calls, 200 for what needs no Temporal), not exit,
 * and serve journeys as soon as the server is there, without a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../embedded/dev-server';
import { freePort } from '../../embedded/free-port';
import { waitForExit } from '../../embedded/child-exit';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const key = 'api-process-test-key';
const apiKeys = JSON.stringify([
  {
    name: 'test',
    hash: createHash('sha256').update(key).digest('hex'),
    scopes: ['requests:read', 'requests:write'],
  },
]);

let api: ChildProcess | null = null;
let server: DevServer | null = null;
const dataDir = mkdtempSync(join(tmpdir(), 'sj-api-process-'));

afterAll(async () => {
  if (api && api.exitCode === null && api.signalCode === null) {
    api.kill('SIGKILL');
    await waitForExit(api, 5_000);
  }
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function answer(url: string, init?: RequestInit): Promise<{ status: number; body: unknown } | null> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: await res.json() };
  } catch {
    return null;
  }
}

async function eventually<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('the API process without a Temporal server', () => {
  it('answers 503 for journeys while the server is down, then serves them once it is up', async () => {
    const temporalPort = await freePort();
    const httpPort = await freePort();
    let stderr = '';
    api = spawn(process.execPath, ['--import', 'tsx', 'client/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        API_KEYS: apiKeys,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    api.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const base = `http://127.0.0.1:${httpPort}`;

    const health = await eventually('the API did not answer', () => answer(`${base}/healthz`), 60_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}; exit ${api?.exitCode}; stderr:\n${stderr}`);
      },
    );
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ temporal: 'unreachable' });
    // The catalog needs no Temporal.
    const services = await answer(`${base}/api/v1/services`, { headers: { authorization: `Bearer ${key}` } });
    expect(services?.status).toBe(200);

    const submit = () =>
      answer(`${base}/api/v1/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'k-1' },
        body: JSON.stringify({
          serviceId: 'expensatron',
          requester: 'steve',
          fields: { phone: '07700 900123', os: 'ios' },
        }),
      });
    const refused = await submit();
    expect(refused?.status).toBe(503);
    expect(refused?.body).toMatchObject({ title: 'Temporarily unavailable', status: 503 });
    expect(api.exitCode).toBeNull();

    server = await startDevServer({ port: temporalPort });
    const accepted = await eventually(
      'the API did not start the journey after the server came up',
      async () => {
        const res = await submit();
        return res && res.status < 500 ? res : null;
      },
      60_000,
    );
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ created: true });
    expect((await answer(`${base}/healthz`))?.status).toBe(200);
  }, 180_000);
});
