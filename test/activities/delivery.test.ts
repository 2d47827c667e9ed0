/**
 * deliverEmail / deliverSms and the ledger protocol, in one process, against the real Twilio and
 * SMTP test servers: what a refusal, a transient failure and an in-doubt claim each lead to.
 * (The crash itself, across processes, is delivery-window.test.ts.)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, LogMetadata } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverEmail, deliverSms, providerSurelyRefused } from '../../activities/delivery';
import { messageIdFor } from '../../integrations/email/mailbox';
import { createSmtpMailer } from '../../integrations/email/smtp-mailer';
import type { EmailMessage, Mailer } from '../../integrations/email/types';
import { IntegrationError } from '../../integrations/errors';
import { createMemoryLedger } from '../../integrations/ledger/memory-ledger';
import { createFileOutbox } from '../../integrations/outbox/file-outbox';
import { createOutboxSms } from '../../integrations/sms/outbox-sms';
import { createTwilioSms } from '../../integrations/sms/twilio-sms';
import type { SmsMessage, SmsSender } from '../../integrations/sms/types';
import { startSmtpServer, startTwilioServer, type TestSmtpServer, type TestTwilioServer } from '../support/servers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Logged {
  level: string;
  message: string;
  meta: LogMetadata | undefined;
}

/** Runs `fn` as an activity and returns what it logged at info and above (the SDK's own "started"/"completed" are debug). */
async function asActivity<T>(fn: () => Promise<T>): Promise<{ value: T; logs: Logged[] }> {
  const logs: Logged[] = [];
  const entry = (level: string) => (message: string, meta?: LogMetadata) => {
    if (level !== 'debug' && level !== 'trace') logs.push({ level, message, meta });
  };
  const logger: Logger = {
    log: (level, message, meta) => entry(level.toLowerCase())(message, meta),
    trace: entry('trace'),
    debug: entry('debug'),
    info: entry('info'),
    warn: entry('warn'),
    error: entry('error'),
  };
  const value = (await new MockActivityEnvironment({ activityType: 'test' }, { logger }).run(fn)) as T;
  return { value, logs };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
}

async function twilioServer(): Promise<TestTwilioServer> {
  const s = await startTwilioServer();
  cleanups.push(() => s.stop());
  return s;
}

function twilio(s: TestTwilioServer): SmsSender {
  return createTwilioSms({
    accountSid: s.accountSid,
    authToken: s.authToken,
    from: '+447700900000',
    messagingServiceSid: null,
    apiBaseUrl: s.baseUrl,
    defaultRegion: 'GB',
    timeoutMs: 5_000,
  });
}

async function smtpServer(): Promise<TestSmtpServer> {
  const s = await startSmtpServer();
  cleanups.push(() => s.stop());
  return s;
}

function smtp(s: TestSmtpServer): Mailer {
  const m = createSmtpMailer({
    host: s.host,
    port: s.port,
    secure: false,
    requireTls: false,
    auth: null,
    from: { name: 'IT', address: 'it@eagle5.example' },
    ca: null,
    timeoutMs: 5_000,
    maxConnections: 1,
  });
  cleanups.push(() => m.close());
  return m;
}

const sms: SmsMessage = {
  to: '07700 900123',
  body: 'IT: your download link https://apps.eagle5.example/x',
  idempotencyKey: 'fulfil-x-REQ-1/download-link',
};
const email: EmailMessage = {
  to: { name: 'Steve', address: 'steve@eagle5.example' },
  subject: 'Your login',
  text: 'Your login is steve.jones',
  html: '<p>Your login is steve.jones</p>',
  idempotencyKey: 'fulfil-x-REQ-1/quick-start',
};

describe('deliverSms', () => {
  it('claims, sends, records; a second delivery is answered by the ledger', async () => {
    const s = await twilioServer();
    const ledger = createMemoryLedger();
    const deps = { sms: twilio(s), ledger };
    const first = await asActivity(() => deliverSms(deps, sms));
    expect(first.value).toEqual({ providerId: s.messages[0]!.sid, alreadySent: false });
    expect(first.logs).toEqual([]);
    expect((await asActivity(() => deliverSms(deps, sms))).value).toEqual({
      providerId: s.messages[0]!.sid,
      alreadySent: true,
    });
    expect(s.messages).toHaveLength(1);
    expect(s.listRequests).toHaveLength(0);
  });

  it('a permanent refusal releases the claim: the corrected retry is new, not in doubt', async () => {
    const s = await twilioServer();
    s.markInvalid('+447700900123');
    const ledger = createMemoryLedger();
    const err = await failure(asActivity(() => deliverSms({ sms: twilio(s), ledger }, sms)));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(await ledger.claim(`sms:${sms.idempotencyKey}`)).toEqual({ state: 'new' });
  });

  it('a 429 is a sure refusal (released: the retry does not ask Twilio); a 500 is not (the retry asks, then sends once)', async () => {
    const s = await twilioServer();
    const ledger = createMemoryLedger();
    const deps = { sms: twilio(s), ledger };
    s.failNext(429);
    await failure(asActivity(() => deliverSms(deps, sms)));
    await asActivity(() => deliverSms(deps, sms));
    expect(s.listRequests).toHaveLength(0);
    expect(s.messages).toHaveLength(1);

    // A different body: an identical SMS to the same number minutes earlier would be taken for it (see twilio-sms.ts).
    const other = {
      ...sms,
      body: 'IT: your iPhone link https://apps.eagle5.example/y',
      idempotencyKey: 'fulfil-x-REQ-2/download-link',
    };
    s.failNext(500);
    await failure(asActivity(() => deliverSms(deps, other)));
    const retried = await asActivity(() => deliverSms(deps, other));
    expect(s.listRequests).toHaveLength(1);
    expect(s.messages).toHaveLength(2);
    expect(retried.value.alreadySent).toBe(false);
    expect(retried.logs.map((l) => l.level)).toEqual(['info']);
    expect(await ledger.inDoubtResends()).toEqual(new Map());
  });

  it('in doubt with a sender that cannot be asked (the outbox): resends, counts and warns', async () => {
    const outbox = createFileOutbox(join(await mkdtemp(join(tmpdir(), 'sj-delivery-')), 'outbox.jsonl'));
    const ledger = createMemoryLedger();
    await ledger.claim(`sms:${sms.idempotencyKey}`);
    const { value, logs } = await asActivity(() => deliverSms({ sms: createOutboxSms(outbox), ledger }, sms));
    expect(value.alreadySent).toBe(false);
    expect(await ledger.inDoubtResends()).toEqual(new Map([[`sms:${sms.idempotencyKey}`, 1]]));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'warn',
      meta: { ledgerKey: `sms:${sms.idempotencyKey}`, inDoubtResends: 1 },
    });
    expect(JSON.stringify(logs)).not.toMatch(/7700 ?900123/);
  });

  it('a Twilio failure while asking is retried without sending anything', async () => {
    const s = await twilioServer();
    const ledger = createMemoryLedger();
    await ledger.claim(`sms:${sms.idempotencyKey}`);
    s.failNext(503);
    const err = await failure(asActivity(() => deliverSms({ sms: twilio(s), ledger }, sms)));
    expect(err).toBeInstanceOf(IntegrationError);
    expect((err as IntegrationError).retryable).toBe(true);
    expect(s.messages).toHaveLength(0);
    expect((await ledger.claim(`sms:${sms.idempotencyKey}`)).state).toBe('in-doubt');
  });
});

describe('deliverEmail', () => {
  it('an SMTP deferral (451) is a sure refusal: released, so the retry is neither in doubt nor counted', async () => {
    const s = await smtpServer();
    const ledger = createMemoryLedger();
    const deps = { mailer: smtp(s), ledger };
    s.failNext(451, { stage: 'data' });
    await failure(asActivity(() => deliverEmail(deps, email)));
    const retried = await asActivity(() => deliverEmail(deps, email));
    expect(retried.logs).toEqual([]);
    expect(s.messages).toHaveLength(1);
    expect(await ledger.inDoubtResends()).toEqual(new Map());
  });

  it('in doubt: resends with the same Message-ID, counts it first and warns naming only the key', async () => {
    const s = await smtpServer();
    const ledger = createMemoryLedger();
    await ledger.claim(`email:${email.idempotencyKey}`);
    const { value, logs } = await asActivity(() => deliverEmail({ mailer: smtp(s), ledger }, email));
    const messageId = messageIdFor(email.idempotencyKey, 'it@eagle5.example');
    expect(value).toEqual({ providerId: messageId, alreadySent: false });
    expect(s.messages.map((m) => m.messageId)).toEqual([messageId]);
    expect(await ledger.inDoubtResends('email:')).toEqual(new Map([[`email:${email.idempotencyKey}`, 1]]));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'warn',
      meta: { ledgerKey: `email:${email.idempotencyKey}`, inDoubtResends: 1 },
    });
    expect(logs[0]!.message).toContain(`email:${email.idempotencyKey}`);
    expect(JSON.stringify(logs)).not.toContain('steve@eagle5.example');
    expect(JSON.stringify(logs)).not.toContain('steve.jones');
  });

  it('an in-doubt resend the server refuses is taken back from the count; the doubt stays', async () => {
    const s = await smtpServer();
    const ledger = createMemoryLedger();
    const key = `email:${email.idempotencyKey}`;
    await ledger.claim(key);
    s.failNext(550, { stage: 'rcpt' });
    const err = await failure(asActivity(() => deliverEmail({ mailer: smtp(s), ledger }, email)));
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(await ledger.inDoubtResends()).toEqual(new Map());
    expect((await ledger.claim(key)).state).toBe('in-doubt');
  });
});

describe('providerSurelyRefused', () => {
  it('is true only when the provider answered with an error or nothing was sent', () => {
    const refused = (cause: unknown, code: IntegrationError['code'] = 'Unavailable', retryable = true) =>
      providerSurelyRefused(
        new IntegrationError('sms', code, 'x', retryable, cause === undefined ? undefined : { cause }),
      );
    expect(refused(undefined, 'InvalidRequest', false)).toBe(true); // refused before sending
    expect(refused(undefined, 'UnexpectedResponse', false)).toBe(false); // "accepted but no SID"
    expect(refused({ status: 400, code: 21211 })).toBe(true);
    expect(refused({ status: 429 })).toBe(true);
    expect(refused({ status: 500 })).toBe(false);
    expect(refused({ responseCode: 451, command: 'DATA' })).toBe(true);
    expect(refused({ responseCode: 550, command: 'RCPT TO' })).toBe(true);
    expect(refused({ code: 'ETIMEDOUT' })).toBe(false);
    expect(refused(new SyntaxError('not JSON'), 'UnexpectedResponse', false)).toBe(false);
    expect(providerSurelyRefused(new Error('anything else'))).toBe(false);
  });
});
