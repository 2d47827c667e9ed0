import { IntegrationError } from '../errors';
import { parsePhone, type CountryCode } from './phone';
import type { SmsMessage } from './types';
import { maskPhone } from '../../config/mask';

/**
 * Longest body sent, in characters. Twilio's own limit is 1600; a notification is a sentence
 * and a link, and anything near the limit is a template or data bug that would cost ten
 * segments per recipient.
 */
export const defaultMaxSmsLength = 640;

/**
 * Validates an SMS before any provider sees it: the number normalised to E.164 with
 * `defaultRegion`, the body trimmed and within `maxLength`. A long body is refused, not cut,
 * because cutting would break the link at its end. Failures are permanent InvalidRequest
 * errors whose messages show the number masked.
 */
export function prepareSms(
  message: SmsMessage,
  defaultRegion: CountryCode,
  maxLength = defaultMaxSmsLength,
): { to: string; body: string } {
  if (message.idempotencyKey === '') {
    throw new IntegrationError(
      'sms',
      'InvalidRequest',
      'SMS rejected before sending: idempotencyKey must not be empty',
    );
  }
  const phone = parsePhone(message.to, defaultRegion);
  if (!phone.ok) {
    throw new IntegrationError(
      'sms',
      'InvalidRequest',
      `SMS to ${maskPhone(message.to)} rejected before sending: ${phone.problem}`,
    );
  }
  const body = message.body.trim();
  if (body === '') throw new IntegrationError('sms', 'InvalidRequest', 'SMS rejected before sending: empty body');
  if ([...body].length > maxLength) {
    throw new IntegrationError(
      'sms',
      'InvalidRequest',
      `SMS rejected before sending: body has ${[...body].length} characters, more than ${maxLength}`,
    );
  }
  return { to: phone.e164, body };
}
