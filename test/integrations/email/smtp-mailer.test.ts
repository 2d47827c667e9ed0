import { afterEach, describe, expect, it } from 'vitest';
import type { EmailConfig } from '../../../integrations/email/config';
import { messageIdFor } from '../../../integrations/email/mailbox';
import { renderMessage } from '../../../integrations/email/render';
import { createSmtpMailer } from '../../../integrations/email/smtp-mailer';
import type { EmailMessage, Mailer } from '../../../integrations/email/types';
import { IntegrationError } from '../../../integrations/errors';
import { startSmtpServer, type TestSmtpServer } from '../../support/servers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options?: Parameters<typeof startSmtpServer>[0]): Promise<TestSmtpServer> {
  const s = await startSmtpServer(options);
  cleanups.push(() => s.stop());
  return s;
}

function mailer(s: { host: string; port: number }, overrides: Partial<EmailConfig> = {}): Mailer {
  const m = createSmtpMailer({
    host: s.host,
    port: s.port,
    secure: false,
    requireTls: false,
    auth: null,
    from: { name: 'IT Service Desk', address: 'it@eagle5.example' },
    ca: null,
    timeoutMs: 3_000,
    maxConnections: 2,
    ...overrides,
  });
  cleanups.push(() => m.close());
  return m;
}

function receipt(overrides: Partial<EmailMessage> = {}): EmailMessage {
  const rendered = renderMessage({
    greetingName: 'Steve',
    title: 'We have your request',
    paragraphs: ['Your request for Expensatron is being processed.'],
    facts: [{ label: 'Request', value: 'REQ-1042' }],
    actions: [{ label: 'Track your request', url: 'http://localhost:3000/requests/REQ-1042?view=full&x=1' }],
  });
  return {
    to: { name: 'Steve Jones', address: 'steve@eagle5.example' },
    ...rendered,
    idempotencyKey: 'fulfilment-REQ-1042/receipt',
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the send to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntegrationError);
  return err as IntegrationError;
}

describe('createSmtpMailer', () => {
  it('delivers a message with both parts, the links and a Message-ID derived from the key', async () => {
    const s = await server();
    const sent = await mailer(s).send(receipt());

    const got = await s.waitFor((m) => m.envelope.to.includes('steve@eagle5.example'));
    expect(got.envelope.from).toBe('it@eagle5.example');
    expect(got.from).toBe('"IT Service Desk" <it@eagle5.example>');
    expect(got.to).toBe('"Steve Jones" <steve@eagle5.example>');
    expect(got.subject).toBe('We have your request');
    expect(got.text).toContain('Hello Steve,');
    expect(got.text).toContain('http://localhost:3000/requests/REQ-1042?view=full&x=1');
    expect(got.html).toContain('href="http://localhost:3000/requests/REQ-1042?view=full&amp;x=1"');
    expect(got.parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(got.messageId).toBe(messageIdFor('fulfilment-REQ-1042/receipt', 'it@eagle5.example'));
    expect(sent.messageId).toBe(got.messageId);
    expect(got.messageId).toMatch(/^<sj\.[0-9a-f]{32}@eagle5\.example>$/);
  });

  it('gives a retried message the same Message-ID and a different message another', async () => {
    const s = await server();
    const m = mailer(s);
    const first = await m.send(receipt());
    const again = await m.send(receipt());
    const other = await m.send(receipt({ idempotencyKey: 'fulfilment-REQ-1043/receipt' }));
    expect(again.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
    expect(s.messages.map((x) => x.messageId)).toEqual([first.messageId, first.messageId, other.messageId]);
  });

  it('logs in over STARTTLS, trusting the configured CA', async () => {
    const s = await server({ tls: true, auth: { user: 'svc-journeys', password: 'correct horse' } });
    await mailer(s, { requireTls: true, ca: s.ca, auth: { user: 'svc-journeys', password: 'correct horse' } }).send(
      receipt(),
    );
    const got = await s.waitFor(() => true);
    expect(got.secure).toBe(true);
    expect(got.user).toBe('svc-journeys');
  });

  it('sends over implicit TLS (SMTPS) on the connection it opened itself', async () => {
    const s = await server({ implicitTls: true });
    await mailer(s, { secure: true, ca: s.ca }).send(receipt());
    const got = await s.waitFor(() => true);
    expect(got.secure).toBe(true);
    expect(s.connections()).toBe(1);
  });

  it('refused credentials are NotAuthorized, not retried', async () => {
    const s = await server({ tls: true, auth: { user: 'svc-journeys', password: 'correct horse' } });
    const err = await failure(
      mailer(s, { requireTls: true, ca: s.ca, auth: { user: 'svc-journeys', password: 'wrong' } }).send(receipt()),
    );
    expect(err.code).toBe('NotAuthorized');
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('wrong');
    expect(s.messages).toHaveLength(0);
  });

  it('will not send in clear text when STARTTLS is required but not offered', async () => {
    const s = await server();
    const err = await failure(mailer(s, { requireTls: true }).send(receipt()));
    expect(err.code).toBe('Unavailable');
    expect(err.message).toMatch(/TLS/);
    expect(s.messages).toHaveLength(0);
  });

  it('will not send when the certificate is not trusted', async () => {
    const s = await server({ tls: true });
    const err = await failure(mailer(s, { requireTls: true, ca: null }).send(receipt()));
    expect(err.code).toBe('Unavailable');
    expect(err.message).toMatch(/certificate/);
    expect(s.messages).toHaveLength(0);
  });

  it.each([421, 450, 451, 452])('a %i reply is a retryable Unavailable, and the retry gets through', async (code) => {
    const s = await server();
    const m = mailer(s);
    s.failNext(code);
    const err = await failure(m.send(receipt()));
    expect(err.code).toBe('Unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(String(code));
    await m.send(receipt());
    expect(s.messages).toHaveLength(1);
  });

  it('a temporary failure after DATA is retryable too', async () => {
    const s = await server();
    s.failNext(451, { stage: 'data' });
    const err = await failure(mailer(s).send(receipt()));
    expect(err.code).toBe('Unavailable');
    expect(err.retryable).toBe(true);
  });

  it('a recipient rejected with 550 is a permanent InvalidRequest', async () => {
    const s = await server();
    s.rejectRecipient('gone@eagle5.example', 550);
    const err = await failure(mailer(s).send(receipt({ to: { name: 'Gone', address: 'gone@eagle5.example' } })));
    expect(err.code).toBe('InvalidRequest');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('550');
  });

  it('a 553 for the sender is a permanent InvalidRequest', async () => {
    const s = await server();
    s.failNext(553, { stage: 'mail' });
    const err = await failure(mailer(s).send(receipt()));
    expect(err.code).toBe('InvalidRequest');
    expect(err.retryable).toBe(false);
  });

  it('a server that is down is a retryable Unavailable', async () => {
    const s = await startSmtpServer();
    await s.stop();
    const err = await failure(mailer(s, { timeoutMs: 1_000 }).send(receipt()));
    expect(err.code).toBe('Unavailable');
    expect(err.retryable).toBe(true);
  });

  it('refuses an invalid message before connecting', async () => {
    const s = await server();
    const m = mailer(s);
    const err = await failure(m.send(receipt({ to: { name: 'X', address: 'not-an-address' } })));
    expect(err.code).toBe('InvalidRequest');
    const empty = await failure(m.send(receipt({ idempotencyKey: '' })));
    expect(empty.code).toBe('InvalidRequest');
    expect(s.connections()).toBe(0);
  });

  it('folds a line break in the subject instead of letting it end the header', async () => {
    const s = await server();
    await mailer(s).send(receipt({ subject: 'Hello\r\nBcc: victim@example.com' }));
    const got = await s.waitFor(() => true);
    expect(got.subject).toBe('Hello Bcc: victim@example.com');
    expect(got.parsed.headers.has('bcc')).toBe(false);
    expect(got.envelope.to).toEqual(['steve@eagle5.example']);
  });
});
