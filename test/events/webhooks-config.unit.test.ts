/**
 * Webhook configuration (wiring/webhooks-config.ts), the Standard Webhooks signature
 * (integrations/webhooks/standard-webhooks.ts, checked against the `standardwebhooks` library)
 * and what leaves in a payload (activities/webhooks.ts).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { redactForWebhook, webhookBody } from '../../activities/webhooks';
import { signWebhook } from '../../integrations/webhooks/standard-webhooks';
import { ConfigError } from '../../config/env';
import { eventRoutesOf, webhookSenderOf, webhooksConfigFromEnv } from '../../wiring/webhooks-config';
import { journeyEventTypes } from '../../workflows/shared/event-types';

const secret = `whsec_${randomBytes(32).toString('base64')}`;

function problems(env: Record<string, string>): string {
  try {
    webhooksConfigFromEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('webhook configuration', () => {
  it('no WEBHOOKS: no subscription, no routes in journeys, no sender on the workers', () => {
    const config = webhooksConfigFromEnv({});
    expect(config.subscriptions).toEqual([]);
    expect(eventRoutesOf(config)).toBeUndefined();
    expect(webhookSenderOf(config)).toBeNull();
  });

  it('subscriptions with event lists (default all, wildcards), routes without URL or secret', () => {
    const config = webhooksConfigFromEnv({
      WEBHOOKS: 'ticketing, chat',
      WEBHOOK_TICKETING_URL: 'https://tickets.example/hooks',
      WEBHOOK_TICKETING_SECRET: secret,
      WEBHOOK_CHAT_URL: 'http://chat.example/in',
      WEBHOOK_CHAT_SECRET: secret,
      WEBHOOK_CHAT_EVENTS: 'incident.*, request.finished',
    });
    expect(config.timeoutMs).toBe(10_000);
    const routes = eventRoutesOf(config)!;
    expect(routes).toEqual([
      { subscription: 'ticketing', types: [...journeyEventTypes] },
      {
        subscription: 'chat',
        types: ['request.finished', ...journeyEventTypes.filter((t) => t.startsWith('incident.'))],
      },
    ]);
    expect(JSON.stringify(routes)).not.toContain('whsec_');
    expect(webhookSenderOf(config)!.subscriptions()).toEqual(['ticketing', 'chat']);
  });

  it('every problem names its variable and never shows a secret', () => {
    const message = problems({
      WEBHOOKS: 'ticketing,Bad Name',
      WEBHOOK_TIMEOUT_MS: 'soon',
    });
    expect(message).toMatch(/^WEBHOOKS: "Bad Name": names are lower-case letters/m);
    expect(message).toMatch(/^WEBHOOK_TIMEOUT_MS: must be a number of milliseconds \(got "soon"\)/m);

    const parts = problems({
      WEBHOOKS: 'ticketing',
      WEBHOOK_TICKETING_URL: 'ftp://tickets.example',
      WEBHOOK_TICKETING_SECRET: 'whsec_c2hvcnQ=',
      WEBHOOK_TICKETING_EVENTS: 'request.*,incident.exploded',
    });
    expect(parts).toMatch(/^WEBHOOK_TICKETING_URL: required: the http\(s\) URL/m);
    expect(parts).toMatch(/^WEBHOOK_TICKETING_SECRET: must hold 24 to 64 random bytes.*\(value hidden\)$/m);
    expect(parts).toMatch(/^WEBHOOK_TICKETING_EVENTS: unknown event type "incident.exploded"/m);
    expect(parts).not.toContain('c2hvcnQ');

    expect(problems({ WEBHOOKS: 'chat', WEBHOOK_CHAT_URL: 'https://chat.example' })).toMatch(
      /^WEBHOOK_CHAT_SECRET: required: a Standard Webhooks secret, whsec_ followed by base64.*\(not set\)$/m,
    );
    expect(problems({ WEBHOOKS: 'chat,chat' })).toMatch(/^WEBHOOKS: names a subscription twice/m);
  });
});

describe('a delivery', () => {
  it('is signed as the standardwebhooks library verifies it', () => {
    const id = 'msg_fulfil-expensatron-r1_1';
    const body = '{"type":"request.submitted","timestamp":"2026-12-02T10:00:00.000Z","data":{}}';
    const now = Math.floor(Date.now() / 1000);
    const signature = signWebhook(secret, id, now, body);
    const wh = new Webhook(secret);
    expect(signature).toBe(wh.sign(id, new Date(now * 1000), body));
    expect(
      wh.verify(body, { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signature }),
    ).toEqual(JSON.parse(body));
    expect(() =>
      wh.verify(body, { 'webhook-id': `${id}x`, 'webhook-timestamp': String(now), 'webhook-signature': signature }),
    ).toThrow();
  });

  it('carries no full phone number and no secret-looking field; ids, dates and counts stay as they are', () => {
    const data = redactForWebhook({
      requestId: 'fulfil-desk-phone-k12345678901234',
      message: 'Call +44 7700 900456 or 07700 900123 (desk 14, 2 floors up).',
      phone: '+447700900123',
      waitingFor: { kind: 'device-correction', phone: '…23', until: '2026-12-02T10:00:00.000Z' },
      counts: { subscribers: 100000 },
      linkSecret: 'x'.repeat(40),
      apiToken: 'y',
    });
    expect(data).toEqual({
      requestId: 'fulfil-desk-phone-k12345678901234',
      message: 'Call +44…0456 or …23 (desk 14, 2 floors up).',
      phone: '+44…0123',
      waitingFor: { kind: 'device-correction', phone: '…23', until: '2026-12-02T10:00:00.000Z' },
      counts: { subscribers: 100000 },
    });
    expect(
      JSON.parse(
        webhookBody({ id: 'msg_x_1', type: 'incident.progress', timestamp: '2026-12-02T10:00:00.000Z', data: {} }),
      ),
    ).toEqual({ type: 'incident.progress', timestamp: '2026-12-02T10:00:00.000Z', data: {} });
  });
});
