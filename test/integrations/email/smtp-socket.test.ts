/**
 * The TCP connection the SMTP mailer opens itself (integrations/email/smtp-mailer.ts, openSocket):
 * with TCP_NODELAY, and within its timeout. `node:net`'s connect is wrapped to see the options it
 * was called with and, for the timeout, to hand back a socket that never connects; everything
 * else (nodemailer, the SMTP server) is real.
 */
import type * as Net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { messageIdFor } from '../../../integrations/email/mailbox';
import { renderMessage } from '../../../integrations/email/render';
import { createSmtpMailer } from '../../../integrations/email/smtp-mailer';
import type { Mailer } from '../../../integrations/email/types';
import { IntegrationError } from '../../../integrations/errors';
import { startSmtpServer } from '../../support/servers';

const net = vi.hoisted(() => ({ calls: [] as Net.NetConnectOpts[], neverConnect: false }));

vi.mock('node:net', async (importOriginal) => {
  const real = await importOriginal<typeof Net>();
  const connect = (options: Net.NetConnectOpts) => {
    net.calls.push(options);
    // A socket with no connection attempt: neither 'connect' nor 'error' ever comes.
    return net.neverConnect ? new real.Socket() : real.connect(options);
  };
  return { ...real, default: { ...real, connect }, connect };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  net.calls.length = 0;
  net.neverConnect = false;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function mailer(port: number, timeoutMs: number): Mailer {
  const m = createSmtpMailer({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTls: false,
    auth: null,
    from: { name: 'IT Service Desk', address: 'it@eagle5.example' },
    ca: null,
    timeoutMs,
    maxConnections: 1,
  });
  cleanups.push(() => m.close());
  return m;
}

const receipt = {
  to: { name: 'Steve Jones', address: 'steve@eagle5.example' },
  ...renderMessage({
    greetingName: 'Steve',
    title: 'We have your request',
    paragraphs: ['Expensatron is on its way.'],
  }),
  idempotencyKey: 'fulfilment-REQ-1042/receipt',
};

describe('the SMTP mailer’s own TCP connection', () => {
  it('is opened with TCP_NODELAY (and keep-alive), and nodemailer speaks SMTP on it', async () => {
    const s = await startSmtpServer();
    cleanups.push(() => s.stop());
    const sent = await mailer(s.port, 3_000).send(receipt);
    expect(sent.messageId).toBe(messageIdFor(receipt.idempotencyKey, 'it@eagle5.example'));
    const got = await s.waitFor(() => true);
    expect(got.subject).toBe(receipt.subject);
    expect(net.calls).toEqual([{ host: '127.0.0.1', port: s.port, noDelay: true, keepAlive: true }]);
  });

  it('gives up after timeoutMs when the connection never completes: a retryable Unavailable', async () => {
    net.neverConnect = true;
    const err = await mailer(2525, 300)
      .send(receipt)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(IntegrationError);
    const failure = err as IntegrationError;
    expect(failure.code).toBe('Unavailable');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toMatch(/timed out after 300 ms/);
    expect(net.calls).toHaveLength(1);
  });
});
