/**
 * Twilio settings from the environment. The worker calls {@link smsConfigFromEnv} at start-up;
 * every problem is reported with the variable's name.
 */
import { z } from 'zod';
import { parseEnv } from '../../config/env';
import { isPhoneRegion, type CountryCode } from './phone';

type Env = Record<string, string | undefined>;

export interface SmsConfig {
  accountSid: string;
  authToken: string;
  /** Sender: an E.164 number or an alphanumeric sender id; null when a messaging service picks it. */
  from: string | null;
  messagingServiceSid: string | null;
  /** Instead of https://api.twilio.com: a self-hosted gateway or a test server. */
  apiBaseUrl: string | null;
  /** For numbers written without a country code. */
  defaultRegion: CountryCode;
  timeoutMs: number;
  /** Longest body sent (see prepare.ts); default 640. */
  maxBodyLength?: number;
}

export const smsEnvSchema = z
  .object({
    TWILIO_ACCOUNT_SID: z
      .string({ error: 'required: your Twilio account SID (AC…)' })
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID: AC followed by 32 hex digits'),
    TWILIO_AUTH_TOKEN: z
      .string({ error: 'required: your Twilio auth token' })
      .min(16, 'looks too short for a Twilio auth token'),
    TWILIO_FROM: z
      .string()
      .regex(
        /^(\+[1-9]\d{6,14}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/,
        'must be an E.164 number such as +447700900000 (or an alphanumeric sender id of up to 11 characters)',
      )
      .optional(),
    TWILIO_MESSAGING_SERVICE_SID: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, 'must be a messaging service SID: MG followed by 32 hex digits')
      .optional(),
    TWILIO_API_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.twilio.com' })
      .optional(),
    TWILIO_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(100, 'must be at least 100')
      .max(120_000, 'must be at most 120000')
      .default(10_000),
    SMS_DEFAULT_REGION: z
      .string()
      .transform((v) => v.toUpperCase())
      .refine(isPhoneRegion, 'must be a two-letter country code such as GB')
      .default('GB'),
  })
  .superRefine((env, ctx) => {
    if (env.TWILIO_FROM === undefined && env.TWILIO_MESSAGING_SERVICE_SID === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_FROM'],
        message: 'required unless TWILIO_MESSAGING_SERVICE_SID is set',
      });
    }
  });

/**
 * Reads TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM and/or TWILIO_MESSAGING_SERVICE_SID
 * (at least one), TWILIO_API_BASE_URL (optional), TWILIO_TIMEOUT_MS (10000) and
 * SMS_DEFAULT_REGION (GB). Empty values count as unset. Throws a ConfigError naming each bad
 * variable.
 */
export function smsConfigFromEnv(env: Env): SmsConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = parseEnv(smsEnvSchema, set);
  return {
    accountSid: parsed.TWILIO_ACCOUNT_SID,
    authToken: parsed.TWILIO_AUTH_TOKEN,
    from: parsed.TWILIO_FROM ?? null,
    messagingServiceSid: parsed.TWILIO_MESSAGING_SERVICE_SID ?? null,
    apiBaseUrl: parsed.TWILIO_API_BASE_URL ?? null,
    defaultRegion: parsed.SMS_DEFAULT_REGION,
    timeoutMs: parsed.TWILIO_TIMEOUT_MS,
  };
}
