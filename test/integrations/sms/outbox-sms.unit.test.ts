import { describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../integrations/errors';
import { createMemoryOutbox } from '../../../integrations/outbox/memory-outbox';
import { createOutboxSms } from '../../../integrations/sms/outbox-sms';

describe('createOutboxSms', () => {
  it('appends the normalised number once per key and reports a stable Twilio-shaped sid', async () => {
    const outbox = createMemoryOutbox();
    const sms = createOutboxSms(outbox);
    const message = {
      to: '07700 900123',
      body: '  Your link: https://apps.eagle5.example/x  ',
      idempotencyKey: 'fulfilment-REQ-1/download-link',
    };
    const first = await sms.send(message);
    const again = await sms.send(message);
    expect(first.to).toBe('+447700900123');
    expect(first.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(again).toEqual(first);
    const entries = await outbox.list({ channel: 'sms' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      to: '+447700900123',
      text: 'Your link: https://apps.eagle5.example/x',
      subject: null,
      html: null,
    });
  });

  it('uses the configured region and rejects what Twilio would', async () => {
    const outbox = createMemoryOutbox();
    const us = createOutboxSms(outbox, { defaultRegion: 'US' });
    expect((await us.send({ to: '(415) 555-2671', body: 'hi', idempotencyKey: 'k1' })).to).toBe('+14155552671');
    await expect(us.send({ to: 'nope', body: 'hi', idempotencyKey: 'k2' })).rejects.toBeInstanceOf(IntegrationError);
    expect(await outbox.list()).toHaveLength(1);
  });
});
