/**
 * Outbound webhooks as the Standard Webhooks specification has them (https://www.standardwebhooks.com):
 * a POST of a JSON body with `webhook-id`, `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the base64
 * part of a `whsec_…` secret). Receivers verify with any Standard Webhooks library and
 * de-duplicate on `webhook-id`.
 *
 * Generic: knows nothing of journeys or Temporal. Failures are {@link IntegrationError}s:
 * unreachable, timed out, 5xx, 429 and other non-2xx answers are retryable (the receiver may be
 * fixed); 410 Gone means the subscriber went away for good.
 */
import { createHmac } from 'node:crypto';
import { IntegrationError } from '../errors';

export interface WebhookSubscription {
  name: string;
  url: string;
  /** `whsec_<base64>`. */
  secret: string;
}

export interface WebhookMessage {
  /** The same on every attempt: receivers de-duplicate on it. */
  id: string;
  /** The JSON body, exactly as signed. */
  body: string;
}

export interface WebhookSendResult {
  status: number;
  attemptedAt: string;
}

export interface WebhookSender {
  /** Subscription names this sender knows. */
  subscriptions(): string[];
  send(subscription: string, message: WebhookMessage): Promise<WebhookSendResult>;
}

/** Secrets look like `whsec_` followed by base64 of 24 to 64 random bytes. */
export const webhookSecretPattern = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export function secretKey(secret: string): Buffer {
  if (!webhookSecretPattern.test(secret)) throw new Error('a webhook secret is whsec_ followed by base64');
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

/** `v1,<signature>` of one attempt. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export function createWebhookSender(options: {
  subscriptions: WebhookSubscription[];
  timeoutMs: number;
  userAgent?: string;
}): WebhookSender {
  const byName = new Map(options.subscriptions.map((s) => [s.name, s]));
  return {
    subscriptions: () => [...byName.keys()],
    async send(name, message) {
      const sub = byName.get(name);
      if (!sub)
        throw new IntegrationError('webhooks', 'NotFound', `no webhook subscription "${name}" on this worker`, false);
      // Signed per attempt: receivers refuse timestamps more than a few minutes old.
      const timestamp = Math.floor(Date.now() / 1000);
      let response: Response;
      try {
        response = await fetch(sub.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': options.userAgent ?? 'service-journeys-webhooks/1',
            'webhook-id': message.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(sub.secret, message.id, timestamp, message.body),
          },
          body: message.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        // The answer's body is not needed; read it so the connection can be reused.
        await response.arrayBuffer().catch(() => undefined);
      } catch (err) {
        const why =
          err instanceof Error && err.name === 'TimeoutError'
            ? `no answer within ${options.timeoutMs} ms`
            : String(err);
        throw new IntegrationError('webhooks', 'Unavailable', `webhook ${name}: ${why}`, true, { cause: err });
      }
      if (response.status >= 200 && response.status < 300)
        return { status: response.status, attemptedAt: new Date(timestamp * 1000).toISOString() };
      if (response.status === 410)
        throw new IntegrationError('webhooks', 'NotFound', `webhook ${name}: the receiver answered 410 Gone`, false);
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new IntegrationError(
        'webhooks',
        'Unavailable',
        `webhook ${name}: the receiver answered ${response.status}`,
        true,
        {
          ...(response.status === 429 && retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter, 600) * 1000 } : {}),
        },
      );
    },
  };
}
