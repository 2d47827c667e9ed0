import { describe, expect, it } from 'vitest';
import { smsConfigFromEnv } from '../../../integrations/sms/config';
import { ConfigError } from '../../../config/env';

const sid = `AC${'0123456789abcdef'.repeat(2)}`;
const token = 'f'.repeat(32);

function configError(env: Record<string, string | undefined>): string {
  try {
    smsConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('smsConfigFromEnv', () => {
  it('reads the account, the sender and the defaults', () => {
    expect(
      smsConfigFromEnv({
        TWILIO_ACCOUNT_SID: sid,
        TWILIO_AUTH_TOKEN: token,
        TWILIO_FROM: '+447700900000',
        TWILIO_MESSAGING_SERVICE_SID: '',
        TWILIO_API_BASE_URL: '',
      }),
    ).toEqual({
      accountSid: sid,
      authToken: token,
      from: '+447700900000',
      messagingServiceSid: null,
      apiBaseUrl: null,
      defaultRegion: 'GB',
      timeoutMs: 10_000,
    });
  });

  it('accepts a messaging service instead of From, a base URL and a region', () => {
    const mg = `MG${'ab'.repeat(16)}`;
    const config = smsConfigFromEnv({
      TWILIO_ACCOUNT_SID: sid,
      TWILIO_AUTH_TOKEN: token,
      TWILIO_MESSAGING_SERVICE_SID: mg,
      TWILIO_API_BASE_URL: 'http://127.0.0.1:8080',
      SMS_DEFAULT_REGION: 'ie',
    });
    expect(config).toMatchObject({
      from: null,
      messagingServiceSid: mg,
      apiBaseUrl: 'http://127.0.0.1:8080',
      defaultRegion: 'IE',
    });
  });

  it('names each bad variable and never shows the token', () => {
    const message = configError({
      TWILIO_ACCOUNT_SID: 'SK123',
      TWILIO_AUTH_TOKEN: 'short-secret',
      TWILIO_FROM: '07700 900000',
      TWILIO_API_BASE_URL: 'ftp://x',
      SMS_DEFAULT_REGION: 'Britain',
    });
    expect(message).toContain('TWILIO_ACCOUNT_SID: must be a Twilio account SID');
    expect(message).toContain('TWILIO_AUTH_TOKEN: looks too short');
    expect(message).toContain('TWILIO_FROM: must be an E.164 number');
    expect(message).toContain('TWILIO_API_BASE_URL: must be an http(s) URL');
    expect(message).toContain('SMS_DEFAULT_REGION: must be a two-letter country code');
    expect(message).not.toContain('short-secret');
  });

  it('wants a sender', () => {
    expect(configError({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token })).toBe(
      'TWILIO_FROM: required unless TWILIO_MESSAGING_SERVICE_SID is set (not set)',
    );
  });
});
