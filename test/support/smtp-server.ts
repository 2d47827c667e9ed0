/**
 * A real SMTP server for tests (npm `smtp-server`) on a free loopback port. Every accepted
 * message is parsed with `mailparser` and kept in memory. It can require a login, offer
 * STARTTLS with a throwaway certificate, reject recipients and fail on demand.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  /** MAIL FROM and RCPT TO, as the client sent them. */
  envelope: { from: string | null; to: string[] };
  /** The session was encrypted (STARTTLS) when the message was sent. */
  secure: boolean;
  /** Who logged in, or null. */
  user: string | null;
  parsed: ParsedMail;
  messageId: string | undefined;
  from: string;
  to: string;
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  raw: string;
}

export interface SmtpServerOptions {
  /** Require AUTH (PLAIN/LOGIN) with exactly these credentials. */
  auth?: { user: string; password: string };
  /** Offer STARTTLS with a self-signed certificate for 127.0.0.1 (`ca`, `caFile` to trust it). */
  tls?: boolean;
  /** TLS from the first byte (SMTPS, port 465 style) with the same certificate; implies `tls`. */
  implicitTls?: boolean;
}

export type SmtpFailureStage = 'mail' | 'rcpt' | 'data';

/** Called after a message is stored and before the server replies 250; the reply waits for it. */
export type SmtpAcceptedHook = (message: ReceivedEmail) => void | Promise<void>;

export interface TestSmtpServer {
  host: string;
  port: number;
  /** Messages accepted so far, oldest first. */
  messages: ReceivedEmail[];
  /** Resolves with the first message (received already or later) matching `predicate`. */
  waitFor(predicate: (m: ReceivedEmail) => boolean, timeoutMs?: number): Promise<ReceivedEmail>;
  /** The next `times` transactions fail at `stage` with `code` (e.g. 451 temporary, 550 permanent). */
  failNext(code: number, options?: { stage?: SmtpFailureStage; times?: number }): void;
  /** RCPT TO this address is always answered with `code` (550 by default). */
  rejectRecipient(address: string, code?: number): void;
  /** Number of connections the server accepted. */
  connections(): number;
  /**
   * Sets (or with null clears) the hook run between accepting a message and replying 250: a test
   * can kill the client there, so the server has the message and the client never hears so.
   */
  onAccepted(hook: SmtpAcceptedHook | null): void;
  /** PEM of the STARTTLS certificate (self-signed, so it is its own CA), or null without `tls`. */
  ca: string | null;
  caFile: string | null;
  stop(): Promise<void>;
}

const exec = promisify(execFile);
let certificate: Promise<{ key: string; cert: string; certFile: string }> | undefined;

/** One throwaway certificate per test process: openssl, EC P-256, valid for 127.0.0.1 and localhost. */
function testCertificate(): Promise<{ key: string; cert: string; certFile: string }> {
  certificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sj-smtp-tls-'));
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), certFile };
  })();
  return certificate;
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

function addressText(value: ParsedMail['from'] | ParsedMail['to']): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const tls = options.tls || options.implicitTls ? await testCertificate() : null;
  const messages: ReceivedEmail[] = [];
  const waiters = new Set<() => void>();
  const failures: { code: number; stage: SmtpFailureStage }[] = [];
  const rejected = new Map<string, number>();
  let connectionCount = 0;
  let acceptedHook: SmtpAcceptedHook | null = null;

  // Fails the current transaction if the next queued failure is for this stage.
  const takeFailure = (stage: SmtpFailureStage): Error | null => {
    const next = failures[0];
    if (!next || next.stage !== stage) return null;
    failures.shift();
    const text =
      next.code >= 500
        ? 'Requested action not taken (test failure)'
        : 'Requested action aborted: try again later (test failure)';
    return smtpError(next.code, text);
  };

  const disabled: string[] = [];
  if (!tls || options.implicitTls) disabled.push('STARTTLS');
  if (!options.auth) disabled.push('AUTH');

  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    logger: false,
    disabledCommands: disabled,
    authOptional: !options.auth,
    allowInsecureAuth: true,
    size: 10 * 1024 * 1024,
    // Pooled clients keep connections open; do not let stop() wait for them.
    closeTimeout: 500,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    onConnect(_session, callback) {
      connectionCount++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.password) {
        callback(null, { user: auth.username });
        return;
      }
      callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onMailFrom(_address, _session, callback) {
      callback(takeFailure('mail'));
    },
    onRcptTo(address, _session, callback) {
      const code = rejected.get(address.address.toLowerCase());
      if (code !== undefined) {
        callback(smtpError(code, `Mailbox unavailable: ${address.address}`));
        return;
      }
      callback(takeFailure('rcpt'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = takeFailure('data');
        if (failure) {
          callback(failure);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then(async (parsed) => {
            const message: ReceivedEmail = {
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              secure: session.secure,
              user: typeof session.user === 'string' ? session.user : null,
              parsed,
              messageId: parsed.messageId,
              from: addressText(parsed.from),
              to: addressText(parsed.to),
              subject: parsed.subject,
              text: parsed.text,
              html: parsed.html === false ? undefined : parsed.html,
              raw: raw.toString('utf8'),
            };
            messages.push(message);
            for (const wake of waiters) wake();
            if (acceptedHook) await acceptedHook(message);
            callback();
          })
          .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
      });
    },
  });

  // A client that vanishes mid-transaction (killed by a test) is a socket error; without a
  // listener it would crash the test process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.find(predicate);
          if (!found) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(
              `no matching email within ${timeoutMs} ms; received: ${messages.map((m) => `${m.to} "${m.subject ?? ''}"`).join(', ') || 'none'}`,
            ),
          );
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    failNext(code, failOptions = {}) {
      for (let i = 0; i < (failOptions.times ?? 1); i++) failures.push({ code, stage: failOptions.stage ?? 'rcpt' });
    },
    rejectRecipient(address, code = 550) {
      rejected.set(address.toLowerCase(), code);
    },
    connections: () => connectionCount,
    onAccepted(hook) {
      acceptedHook = hook;
    },
    ca: tls?.cert ?? null,
    caFile: tls?.certFile ?? null,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
