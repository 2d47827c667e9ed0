/**
 * The in-doubt window, for real: a worker process is SIGKILLed after the provider accepted the
 * message and before the answer reached it (so it never recorded it), then a fresh process (the
 * retry, on "another worker") delivers the same message over the same PostgreSQL ledger.
 *
 * Nothing here depends on timing: the test servers' `onAccepted` hook runs after the message is
 * stored and before the answer is written, kills the child and waits for it to be gone; only
 * then is the answer written, to a dead socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor } from '../../integrations/email/mailbox';
import { renderMessage } from '../../integrations/email/render';
import { createPostgresLedger, readInDoubtResends } from '../../integrations/ledger/postgres-ledger';
import { startPostgres, startSmtpServer, startTwilioServer, type TestPostgres } from '../support/servers';
import type { DeliverInput } from './deliver-process';

const script = fileURLToPath(new URL('./deliver-process.ts', import.meta.url));

interface Run {
  child: ChildProcess;
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    lines: Record<string, unknown>[];
    stdout: string;
    stderr: string;
  }>;
}

function deliver(input: DeliverInput): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, DELIVER_INPUT: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Awaited<Run['done']>>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, signal, lines, stdout, stderr });
    });
  });
  return { child, done };
}

/** Kills the child and resolves once it has exited: it can never see what comes after. */
function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

let postgres: TestPostgres;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await postgres?.stop();
});

async function ledgerRow(
  url: string,
  key: string,
): Promise<{ provider_id: string | null; in_doubt_resends: number } | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (
      await client.query<{ provider_id: string | null; in_doubt_resends: number }>(
        'SELECT provider_id, in_doubt_resends FROM send_ledger WHERE key = $1',
        [key],
      )
    ).rows[0];
  } finally {
    await client.end();
  }
}

const phone = '07700 900123';
const phoneForms = ['+447700900123', '447700900123', '07700 900123', '07700900123'];

describe('a worker killed between the provider accepting and the ledger recording', () => {
  it('SMS: the retry in a fresh process asks Twilio, records the SID it finds and sends nothing: one SMS', async () => {
    const twilio = await startTwilioServer();
    cleanups.push(() => twilio.stop());
    const ledgerUrl = await postgres.createDatabase();
    const input: DeliverInput = {
      kind: 'sms',
      ledgerUrl,
      twilio: {
        baseUrl: twilio.baseUrl,
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: '+447700900000',
      },
      message: {
        to: phone,
        body: 'IT: install Expensatron on your Android phone: https://apps.eagle5.example/x Login details follow by email.',
        idempotencyKey: 'fulfil-expensatron-REQ-7/download-link',
      },
    };

    let first: Run | null = null;
    twilio.onAccepted(async () => {
      twilio.onAccepted(null);
      await killAndWait(first!.child);
    });
    first = deliver(input);
    const killed = await first.done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.lines.some((l) => 'result' in l)).toBe(false);
    expect(twilio.messages).toHaveLength(1);
    const sid = twilio.messages[0]!.sid;
    // Claimed before the send, never recorded: the window, left open by the kill.
    expect(await ledgerRow(ledgerUrl, 'sms:fulfil-expensatron-REQ-7/download-link')).toEqual({
      provider_id: null,
      in_doubt_resends: 0,
    });

    const retry = await deliver(input).done;
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.lines.find((l) => 'result' in l)).toEqual({ result: { providerId: sid, alreadySent: true } });
    expect(twilio.messages).toHaveLength(1);
    expect(twilio.listRequests).toHaveLength(1);
    expect(twilio.listRequests[0]).toMatchObject({ To: '+447700900123', From: '+447700900000' });
    expect(twilio.listRequests[0]!['DateSent>']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(await ledgerRow(ledgerUrl, 'sms:fulfil-expensatron-REQ-7/download-link')).toEqual({
      provider_id: sid,
      in_doubt_resends: 0,
    });
    expect(await readInDoubtResends(ledgerUrl)).toEqual(new Map());
    const infos = retry.lines.filter((l) => l.log === 'info' && String(l.message).includes('the provider has it'));
    expect(infos).toHaveLength(1);
    expect(retry.lines.filter((l) => l.log === 'warn')).toEqual([]);

    // A third attempt is answered by the ledger alone.
    const third = await deliver(input).done;
    expect(third.lines.find((l) => 'result' in l)).toEqual({ result: { providerId: sid, alreadySent: true } });
    expect(twilio.messages).toHaveLength(1);
    expect(twilio.listRequests).toHaveLength(1);

    for (const run of [killed, retry, third])
      for (const form of phoneForms) expect(run.stdout + run.stderr).not.toContain(form);
  });

  it('SMS: in doubt but Twilio never got it (the worker died after claiming): the retry sends it, once', async () => {
    const twilio = await startTwilioServer();
    cleanups.push(() => twilio.stop());
    const ledgerUrl = await postgres.createDatabase();
    const key = 'incident-INC-9/p1/sms/steve';
    const ledger = createPostgresLedger({ connectionString: ledgerUrl });
    expect(await ledger.claim(`sms:${key}`)).toEqual({ state: 'new' });
    await ledger.close();

    const run = await deliver({
      kind: 'sms',
      ledgerUrl,
      twilio: {
        baseUrl: twilio.baseUrl,
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: '+447700900000',
      },
      message: { to: phone, body: 'IT: the CRM is down. We are on it.', idempotencyKey: key },
    }).done;
    expect(run.code, run.stderr).toBe(0);
    expect(twilio.listRequests).toHaveLength(1);
    expect(twilio.messages).toHaveLength(1);
    expect(run.lines.find((l) => 'result' in l)).toEqual({
      result: { providerId: twilio.messages[0]!.sid, alreadySent: false },
    });
    expect(await ledgerRow(ledgerUrl, `sms:${key}`)).toEqual({
      provider_id: twilio.messages[0]!.sid,
      in_doubt_resends: 0,
    });
  });

  it('email: the retry resends once with the same Message-ID, counts it and warns naming the key: two copies, in-doubt count 1', async () => {
    const smtp = await startSmtpServer();
    cleanups.push(() => smtp.stop());
    const ledgerUrl = await postgres.createDatabase();
    const idempotencyKey = 'fulfil-expensatron-REQ-8/quick-start';
    const rendered = renderMessage({
      subject: 'Your Expensatron login',
      greetingName: 'Steve',
      title: 'Your Expensatron login',
      paragraphs: ['Your login is steve.jones. The quick-start guide is attached to this sentence.'],
    });
    const input: DeliverInput = {
      kind: 'email',
      ledgerUrl,
      smtp: { host: smtp.host, port: smtp.port, from: 'it@eagle5.example' },
      message: { to: { name: 'Steve Jones', address: 'steve@eagle5.example' }, ...rendered, idempotencyKey },
    };

    let first: Run | null = null;
    smtp.onAccepted(async () => {
      smtp.onAccepted(null);
      await killAndWait(first!.child);
    });
    first = deliver(input);
    const killed = await first.done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(smtp.messages).toHaveLength(1);
    expect(await ledgerRow(ledgerUrl, `email:${idempotencyKey}`)).toEqual({ provider_id: null, in_doubt_resends: 0 });

    const retry = await deliver(input).done;
    expect(retry.code, retry.stderr).toBe(0);
    const messageId = messageIdFor(idempotencyKey, 'it@eagle5.example');
    expect(retry.lines.find((l) => 'result' in l)).toEqual({ result: { providerId: messageId, alreadySent: false } });
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.messages.map((m) => m.messageId)).toEqual([messageId, messageId]);
    expect(await readInDoubtResends(ledgerUrl)).toEqual(new Map([[`email:${idempotencyKey}`, 1]]));
    expect(await readInDoubtResends(ledgerUrl, { keyPrefix: 'sms:' })).toEqual(new Map());
    expect(await ledgerRow(ledgerUrl, `email:${idempotencyKey}`)).toEqual({
      provider_id: messageId,
      in_doubt_resends: 1,
    });

    const warnings = retry.lines.filter((l) => l.log === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ meta: { ledgerKey: `email:${idempotencyKey}`, inDoubtResends: 1 } });
    expect(String(warnings[0]!.message)).toContain(`email:${idempotencyKey}`);

    // Recorded now: a third attempt sends nothing and the count stays.
    const third = await deliver(input).done;
    expect(third.lines.find((l) => 'result' in l)).toEqual({ result: { providerId: messageId, alreadySent: true } });
    expect(smtp.messages).toHaveLength(2);
    expect(await readInDoubtResends(ledgerUrl)).toEqual(new Map([[`email:${idempotencyKey}`, 1]]));

    // Never the address or the body in what the processes wrote.
    for (const run of [killed, retry, third]) {
      expect(run.stdout + run.stderr).not.toContain('steve@eagle5.example');
      expect(run.stdout + run.stderr).not.toContain('quick-start guide is attached');
    }
  });
});
