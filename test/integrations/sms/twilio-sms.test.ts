import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../integrations/errors';
import type { SmsConfig } from '../../../integrations/sms/config';
import { createTwilioSms } from '../../../integrations/sms/twilio-sms';
import type { SmsMessage } from '../../../integrations/sms/types';
import { startTwilioServer, type TestTwilioServer } from '../../support/servers';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function server(): Promise<TestTwilioServer> {
  const s = await startTwilioServer();
  stops.push(() => s.stop());
  return s;
}

function config(s: TestTwilioServer, overrides: Partial<SmsConfig> = {}): SmsConfig {
  return {
    accountSid: s.accountSid,
    authToken: s.authToken,
    from: '+447700900000',
    messagingServiceSid: null,
    apiBaseUrl: s.baseUrl,
    defaultRegion: 'GB',
    timeoutMs: 3_000,
    ...overrides,
  };
}

const link: SmsMessage = {
  to: '07700 900123',
  body: 'Your Expensatron download link: https://apps.eagle5.example/expensatron/android',
  idempotencyKey: 'fulfilment-REQ-1042/download-link',
};

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

describe('createTwilioSms', () => {
  it('posts To (normalised to E.164), From and Body to the Messages API', async () => {
    const s = await server();
    const sent = await createTwilioSms(config(s)).send(link);

    const got = await s.waitFor((m) => m.sid === sent.sid);
    expect(got.to).toBe('+447700900123');
    expect(got.from).toBe('+447700900000');
    expect(got.body).toBe(link.body);
    expect(sent).toEqual({ sid: got.sid, to: '+447700900123' });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('sends through a messaging service when configured', async () => {
    const s = await server();
    const mg = `MG${'ab'.repeat(16)}`;
    await createTwilioSms(config(s, { from: null, messagingServiceSid: mg })).send(link);
    const got = await s.waitFor(() => true);
    expect(got.messagingServiceSid).toBe(mg);
    expect(got.form).not.toHaveProperty('From');
  });

  it('rejects an invalid number without calling Twilio', async () => {
    const s = await server();
    const sms = createTwilioSms(config(s));
    for (const to of ['12345', 'call me', '+44 7700 900123 ext. 2', '']) {
      const err = await failure(sms.send({ ...link, to }));
      expect(err.code).toBe('InvalidRequest');
      expect(err.retryable).toBe(false);
    }
    expect(s.requestCount()).toBe(0);
  });

  it('refuses an over-long body without calling Twilio', async () => {
    const s = await server();
    const err = await failure(createTwilioSms(config(s)).send({ ...link, body: 'x'.repeat(641) }));
    expect(err.code).toBe('InvalidRequest');
    expect(s.requestCount()).toBe(0);
  });

  it('21211 (invalid To) is a permanent InvalidRequest, with the number masked', async () => {
    const s = await server();
    s.markInvalid('+447700900123');
    const err = await failure(createTwilioSms(config(s)).send(link));
    expect(err.code).toBe('InvalidRequest');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('21211');
    expect(err.message).toContain('+44…0123');
    expect(err.message).not.toContain('7700900123');
    expect(s.requestCount()).toBe(1);
  });

  it('21614 (not a mobile) is a permanent InvalidRequest', async () => {
    const s = await server();
    s.markNotMobile('+447700900123');
    const err = await failure(createTwilioSms(config(s)).send(link));
    expect(err.code).toBe('InvalidRequest');
    expect(err.message).toContain('21614');
  });

  it('21610 (replied STOP) is a permanent RecipientOptedOut', async () => {
    const s = await server();
    s.markUnsubscribed('+447700900123');
    const err = await failure(createTwilioSms(config(s)).send(link));
    expect(err.code).toBe('RecipientOptedOut');
    expect(err.retryable).toBe(false);
  });

  it('refused credentials (20003) are NotAuthorized', async () => {
    const s = await server();
    const err = await failure(createTwilioSms(config(s, { authToken: 'not-the-token-at-all' })).send(link));
    expect(err.code).toBe('NotAuthorized');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('20003');
    expect(s.messages).toHaveLength(0);
  });

  it.each([429, 500, 503] as const)('%i is a retryable Unavailable, and the retry gets through', async (status) => {
    const s = await server();
    const sms = createTwilioSms(config(s));
    s.failNext(status);
    const err = await failure(sms.send(link));
    expect(err.code).toBe('Unavailable');
    expect(err.retryable).toBe(true);
    expect(s.messages).toHaveLength(0);
    await sms.send(link);
    expect(s.messages).toHaveLength(1);
    // The library must not retry on its own: Temporal's retry policy is the only one.
    expect(s.requestCount()).toBe(2);
  });

  it('an unreachable API is a retryable Unavailable', async () => {
    const s = await startTwilioServer();
    await s.stop();
    const err = await failure(createTwilioSms(config(s)).send(link));
    expect(err.code).toBe('Unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });
});
