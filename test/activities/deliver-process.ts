/**
 * Run as a separate process (a "worker") by delivery-window.test.ts: one `deliverSms` or
 * `deliverEmail` in an activity context, against the real Twilio or SMTP test server and the
 * PostgreSQL send ledger, exactly as an activity on a worker runs it.
 *
 * Usage: DELIVER_INPUT='<json>' node --import tsx deliver-process.ts
 * Writes one JSON line per activity log entry (`{"log":"warn","message":…,"meta":…}`) and, if it
 * gets that far, `{"result":{providerId,alreadySent}}` to stdout. The input comes in the
 * environment, not argv, so the test servers' throwaway credentials do not show in `ps`.
 */
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deliverEmail, deliverSms, type Delivery } from '../../activities/delivery';
import type { EmailMessage } from '../../integrations/email/types';
import { createSmtpMailer } from '../../integrations/email/smtp-mailer';
import { createPostgresLedger } from '../../integrations/ledger/postgres-ledger';
import { createTwilioSms } from '../../integrations/sms/twilio-sms';
import type { SmsMessage } from '../../integrations/sms/types';

export type DeliverInput =
  | {
      kind: 'sms';
      ledgerUrl: string;
      twilio: { baseUrl: string; accountSid: string; authToken: string; from: string };
      message: SmsMessage;
    }
  | { kind: 'email'; ledgerUrl: string; smtp: { host: string; port: number; from: string }; message: EmailMessage };

const raw = process.env.DELIVER_INPUT;
if (!raw) throw new Error('DELIVER_INPUT is not set');
const input = JSON.parse(raw) as DeliverInput;

const write = (line: unknown): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const entry = (level: LogLevel) => (message: string, meta?: LogMetadata) =>
  write({ log: level.toLowerCase(), message, meta });
const logger: Logger = {
  log: (level, message, meta) => entry(level)(message, meta),
  trace: entry('TRACE'),
  debug: entry('DEBUG'),
  info: entry('INFO'),
  warn: entry('WARN'),
  error: entry('ERROR'),
};

const ledger = createPostgresLedger({ connectionString: input.ledgerUrl });
const env = new MockActivityEnvironment(
  { activityType: input.kind === 'sms' ? 'sendDownloadLink' : 'sendReceiptEmail' },
  { logger },
);
let result: Delivery;
if (input.kind === 'sms') {
  const sms = createTwilioSms({
    accountSid: input.twilio.accountSid,
    authToken: input.twilio.authToken,
    from: input.twilio.from,
    messagingServiceSid: null,
    apiBaseUrl: input.twilio.baseUrl,
    defaultRegion: 'GB',
    // Far longer than the test can take: the kill, not a timeout, ends the first attempt.
    timeoutMs: 60_000,
  });
  result = await env.run(() => deliverSms({ sms, ledger }, input.message));
} else {
  const mailer = createSmtpMailer({
    host: input.smtp.host,
    port: input.smtp.port,
    secure: false,
    requireTls: false,
    auth: null,
    from: { name: 'IT Service Desk', address: input.smtp.from },
    ca: null,
    timeoutMs: 60_000,
    maxConnections: 1,
  });
  result = await env.run(() => deliverEmail({ mailer, ledger }, input.message));
  await mailer.close();
}
write({ result });
await ledger.close();
