import { createHash } from 'node:crypto';
import type { Outbox } from '../outbox/types';
import type { CountryCode } from './phone';
import { prepareSms } from './prepare';
import type { SmsSender } from './types';

/**
 * The embedded default's {@link SmsSender}: appends the message to the outbox instead of sending
 * it. Numbers and bodies are checked exactly as for Twilio (same E.164 normalisation, same
 * permanent InvalidRequest). Idempotent by key; the returned sid is derived from the key, shaped
 * like Twilio's (`SM` + 32 hex), so the same message always reports the same sid.
 */
export function createOutboxSms(
  outbox: Outbox,
  options: { defaultRegion?: CountryCode; maxBodyLength?: number } = {},
): SmsSender {
  const region = options.defaultRegion ?? 'GB';
  return {
    async send(message) {
      const { to, body } = prepareSms(message, region, options.maxBodyLength);
      await outbox.append({
        channel: 'sms',
        to,
        toName: null,
        subject: null,
        text: body,
        html: null,
        idempotencyKey: message.idempotencyKey,
      });
      return { sid: `SM${createHash('sha256').update(message.idempotencyKey).digest('hex').slice(0, 32)}`, to };
    },
  };
}
