/**
 * Production SMS: Twilio's Messages API through the official `twilio` library.
 */
import twilio from 'twilio';
import { z } from 'zod';
import { IntegrationError } from '../errors';
import type { SmsConfig } from './config';
import { prepareSms } from './prepare';
import type { SmsSender } from './types';
import { maskPhone } from '../../config/mask';

/**
 * An {@link SmsSender} over Twilio. Numbers are normalised to E.164 (default region from the
 * config) and bodies checked before any request; a bad one is a permanent `InvalidRequest`
 * and Twilio is not called. `apiBaseUrl` sends the requests to
 * `<base>/2010-04-01/Accounts/{Sid}/Messages.json` instead of api.twilio.com.
 *
 * Twilio has no idempotency key for sending: the activity's send ledger prevents resends.
 * The library's own retries are off, so Temporal's retry policy is the only one.
 *
 * `findSent` is how the ledger's in-doubt case (an attempt died after Twilio accepted the SMS
 * and before the ledger recorded it) is settled without guessing: it lists the account's
 * messages (`GET …/Messages.json` with `To`, `From` and `DateSent>` filters, every page) and
 * returns the earliest outbound one with the same prepared body created at or after `since`.
 * Limits, stated honestly: `DateSent` is only set once Twilio hands a message to the carrier,
 * so a message still queued at Twilio is not listed (a retry comes at least one activity
 * timeout later, by when it normally is); a body Twilio rewrote (a messaging service's smart
 * encoding) does not match; an identical SMS to the same number in the same minutes would.
 *
 * Failures (all {@link IntegrationError} with system `sms`; numbers in messages are masked):
 * - 21211 invalid To, 21614 not a mobile, 21612/21408 not routable, other 4xx: permanent `InvalidRequest`;
 * - 21610 recipient replied STOP: permanent `RecipientOptedOut`;
 * - 20003 / 401 / 403: `NotAuthorized`;
 * - 429, 5xx, network errors and timeouts: retryable `Unavailable`;
 * - a 2xx answer without a message SID: `UnexpectedResponse`.
 */
export function createTwilioSms(config: SmsConfig): SmsSender {
  const client = twilio(config.accountSid, config.authToken, {
    timeout: config.timeoutMs,
    autoRetry: false,
    // Only `debug` makes the library print requests (with the full number): never.
    logLevel: 'info',
    // With a custom base URL, TWILIO_EDGE / TWILIO_REGION in the process environment must not
    // rewrite its host name (the library reads them itself).
    ...(config.apiBaseUrl !== null ? { edge: '', region: '' } : {}),
  });
  if (config.apiBaseUrl !== null) client.api.baseUrl = config.apiBaseUrl;

  return {
    async send(message) {
      const { to, body } = prepareSms(message, config.defaultRegion, config.maxBodyLength);
      let created: unknown;
      try {
        created = await client.messages.create({
          to,
          body,
          ...(config.from !== null ? { from: config.from } : {}),
          ...(config.messagingServiceSid !== null ? { messagingServiceSid: config.messagingServiceSid } : {}),
        });
      } catch (err) {
        throw classifyTwilioError(err, to);
      }
      const parsed = createdMessage.safeParse(created);
      if (!parsed.success) {
        throw new IntegrationError(
          'sms',
          'UnexpectedResponse',
          `Twilio accepted the SMS to ${maskPhone(to)} but returned no message SID`,
        );
      }
      return { sid: parsed.data.sid, to };
    },

    async findSent(message, since) {
      const { to, body } = prepareSms(message, config.defaultRegion, config.maxBodyLength);
      let listed: unknown[];
      try {
        listed = await client.messages.list({
          to,
          ...(config.from !== null ? { from: config.from } : {}),
          dateSentAfter: since,
          pageSize: 100,
          limit: 1_000,
        });
      } catch (err) {
        throw classifyTwilioError(err, to);
      }
      let found: { sid: string; createdAt: number } | null = null;
      for (const item of listed) {
        const parsed = listedMessage.safeParse(item);
        if (!parsed.success) {
          throw new IntegrationError(
            'sms',
            'UnexpectedResponse',
            `Twilio's list of messages to ${maskPhone(to)} has an entry without the expected fields`,
          );
        }
        const m = parsed.data;
        if (!m.direction.startsWith('outbound') || m.to !== to || (m.body ?? '').trim() !== body) continue;
        if (
          config.from === null &&
          config.messagingServiceSid !== null &&
          m.messagingServiceSid !== config.messagingServiceSid
        )
          continue;
        // `DateSent>` may be applied per day: check the creation time here as well.
        const createdAt = (m.dateCreated ?? m.dateSent ?? since).getTime();
        if (createdAt < since.getTime()) continue;
        if (found === null || createdAt < found.createdAt) found = { sid: m.sid, createdAt };
      }
      return found === null ? null : { sid: found.sid, to };
    },
  };
}

/** The fields of a listed MessageInstance that matching needs (the library turns dates into Date). */
const listedMessage = z.object({
  sid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/),
  to: z.string(),
  body: z.string().nullable(),
  direction: z.string(),
  messagingServiceSid: z.string().nullable().optional(),
  dateCreated: z.date().nullable().optional(),
  dateSent: z.date().nullable().optional(),
});

const createdMessage = z.object({ sid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/) });

/** Both of the library's exception classes (RestException, TwilioServiceException) carry these. */
const twilioException = z.object({
  status: z.number().int(),
  code: z.number().int().optional(),
  message: z.string().optional(),
  detail: z.string().optional(),
});

const invalidNumberCodes = new Set([21211, 21612, 21614, 21408, 21407, 21421]);

/** Maps a failure of `messages.create` (see {@link createTwilioSms}). */
export function classifyTwilioError(err: unknown, to: string): IntegrationError {
  if (err instanceof IntegrationError) return err;
  const who = maskPhone(to);
  const options = { cause: err };
  const rest = twilioException.safeParse(err);
  if (!rest.success) {
    if (err instanceof SyntaxError) {
      return new IntegrationError(
        'sms',
        'UnexpectedResponse',
        `Twilio's answer for the SMS to ${who} was not JSON`,
        false,
        options,
      );
    }
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'network error';
    return new IntegrationError('sms', 'Unavailable', `Twilio unreachable (${code})`, true, options);
  }
  const { status, code } = rest.data;
  const said = scrubNumbers(rest.data.message ?? rest.data.detail ?? '');
  const label = `Twilio ${code ?? status}${said ? `: ${said}` : ''}`;
  if (code === 21610) {
    return new IntegrationError(
      'sms',
      'RecipientOptedOut',
      `${who} has unsubscribed (replied STOP) (${label})`,
      false,
      options,
    );
  }
  if (code === 20003 || status === 401 || status === 403) {
    return new IntegrationError(
      'sms',
      'NotAuthorized',
      `Twilio refused the account credentials (${label})`,
      false,
      options,
    );
  }
  if (status === 429 || status >= 500) {
    return new IntegrationError('sms', 'Unavailable', `Twilio is busy or failing (${label})`, true, options);
  }
  if (code !== undefined && invalidNumberCodes.has(code)) {
    return new IntegrationError('sms', 'InvalidRequest', `Twilio cannot send to ${who} (${label})`, false, options);
  }
  return new IntegrationError('sms', 'InvalidRequest', `Twilio rejected the SMS to ${who} (${label})`, false, options);
}

/** Twilio's messages quote the number; logs must only ever see it masked. */
function scrubNumbers(text: string): string {
  return text.replace(/\+?\d[\d ()-]{5,}\d/g, (n) => maskPhone(n));
}
