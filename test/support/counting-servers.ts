/**
 * Fast protocol servers for the benchmarks: an SMTP server and the Twilio Messages API that
 * accept everything and only count (the test servers beside this file parse and keep every
 * message, which would make a 100,000-message run measure mailparser). The production adapters
 * talk to them exactly as they would to the real providers.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CountingSmtp {
  host: string;
  port: number;
  /** Messages accepted so far. */
  count(): number;
  stop(): Promise<void>;
}

/** SMTP (no TLS, no AUTH) that accepts and counts every message without parsing it. */
export async function startCountingSmtp(): Promise<CountingSmtp> {
  let accepted = 0;
  const server = new SMTPServer({
    secure: false,
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    closeTimeout: 200,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        accepted += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    count: () => accepted,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface CountingTwilio {
  /** TWILIO_API_BASE_URL */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Messages accepted so far. */
  count(): number;
  stop(): Promise<void>;
}

/** The Twilio Messages API (create only), answering 201 at once and counting. */
export async function startCountingTwilio(): Promise<CountingTwilio> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  let accepted = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      accepted += 1;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          sid: `SM${randomBytes(16).toString('hex')}`,
          account_sid: accountSid,
          to: form.get('To'),
          from: form.get('From'),
          body: form.get('Body'),
          status: 'queued',
        }),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accountSid,
    authToken: randomBytes(16).toString('hex'),
    count: () => accepted,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
