/**
 * `findSent` against the Twilio protocol server: the list request it makes (To, From,
 * DateSent>, paging) and which listed message it takes for ours.
 */
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

async function server(options?: Parameters<typeof startTwilioServer>[0]): Promise<TestTwilioServer> {
  const s = await startTwilioServer(options);
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
  body: 'IT: install Expensatron: https://apps.eagle5.example/expensatron/android',
  idempotencyKey: 'fulfil-expensatron-REQ-1/download-link',
};
const minuteAgo = (): Date => new Date(Date.now() - 60_000);

describe('createTwilioSms().findSent', () => {
  it('lists the messages to the number from our sender since the claim and finds ours by its body', async () => {
    const s = await server();
    const twilio = createTwilioSms(config(s));
    const since = minuteAgo();
    await twilio.send({ ...link, body: 'IT: something else', idempotencyKey: 'other' });
    const sent = await twilio.send(link);
    await twilio.send({ ...link, to: '07700 900456', idempotencyKey: 'someone-else' });

    expect(await twilio.findSent!(link, since)).toEqual(sent);
    expect(s.listRequests).toHaveLength(1);
    const query = s.listRequests[0]!;
    expect(query.To).toBe('+447700900123');
    expect(query.From).toBe('+447700900000');
    // Whole seconds, UTC, as the library serialises a Date; the server reads it as "on or after".
    expect(query['DateSent>']).toBe(since.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('finds nothing for another body, another number, or a message from before `since`', async () => {
    const s = await server();
    const twilio = createTwilioSms(config(s));
    await twilio.send(link);
    expect(await twilio.findSent!({ ...link, body: 'IT: a different text' }, minuteAgo())).toBeNull();
    expect(await twilio.findSent!({ ...link, to: '07700 900999' }, minuteAgo())).toBeNull();
    expect(await twilio.findSent!(link, new Date(Date.now() + 120_000))).toBeNull();
  });

  it('compares the prepared body (trimmed), as it was sent', async () => {
    const s = await server();
    const twilio = createTwilioSms(config(s));
    const sent = await twilio.send({ ...link, body: `  ${link.body}\n` });
    expect(await twilio.findSent!(link, minuteAgo())).toEqual(sent);
  });

  it('follows next_page_uri through every page', async () => {
    const s = await server({ maxPageSize: 2 });
    const twilio = createTwilioSms(config(s));
    const since = minuteAgo();
    const ours = await twilio.send(link); // the oldest: on the last page (newest first)
    for (let i = 0; i < 5; i++) await twilio.send({ ...link, body: `IT: note ${i}`, idempotencyKey: `note-${i}` });
    expect(await twilio.findSent!(link, since)).toEqual(ours);
    expect(s.listRequests).toHaveLength(3);
    expect(s.listRequests.map((q) => q.Page)).toEqual([undefined, '1', '2']);
    expect(s.listRequests.slice(1).every((q) => q.PageToken?.startsWith('PASM'))).toBe(true);
    expect(s.listRequests.every((q) => q.To === '+447700900123' && q['DateSent>'] !== undefined)).toBe(true);
  });

  it("with a messaging service (no From): no From filter, and only that service's messages count", async () => {
    const s = await server();
    const service = `MG${'a'.repeat(32)}`;
    const viaService = createTwilioSms(config(s, { from: null, messagingServiceSid: service }));
    const viaOther = createTwilioSms(config(s, { from: null, messagingServiceSid: `MG${'b'.repeat(32)}` }));
    await viaOther.send(link);
    expect(await viaService.findSent!(link, minuteAgo())).toBeNull();
    expect(s.listRequests[0]!.From).toBeUndefined();
    const ours = await viaService.send(link);
    expect(await viaService.findSent!(link, minuteAgo())).toEqual(ours);
  });

  it('classifies failures like a send, with the number masked', async () => {
    const s = await server();
    s.failNext(503);
    const busy = await createTwilioSms(config(s)).findSent!(link, minuteAgo()).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(IntegrationError);
    expect(busy).toMatchObject({ code: 'Unavailable', retryable: true });

    const refused = await createTwilioSms(config(s, { authToken: 'wrong-token-0000000' })).findSent!(
      link,
      minuteAgo(),
    ).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'NotAuthorized', retryable: false });

    const invalid = await createTwilioSms(config(s)).findSent!({ ...link, to: 'not a number' }, minuteAgo()).catch(
      (e: unknown) => e,
    );
    expect(invalid).toMatchObject({ code: 'InvalidRequest' });
    for (const err of [busy, refused, invalid]) expect((err as Error).message).not.toContain('7700900123');
  });
});
