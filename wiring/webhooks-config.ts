/**
 * Webhook subscriptions from the environment, read by the workers (URL and
 * secret: they send) and by the API (names and event types: it puts them in the input of each
 * journey it starts, see workflows/shared/events.ts). Secrets come from the environment only.
 *
 *     WEBHOOKS=ticketing,chat                     names of the subscriptions (none: no events)
 *     WEBHOOK_TICKETING_URL=https://…             where to POST
 *     WEBHOOK_TICKETING_EVENTS=request.*,incident.closed   event types (default: all)
 *     WEBHOOK_TICKETING_SECRET=whsec_…            Standard Webhooks secret (24–64 random bytes, base64)
 *     WEBHOOK_TIMEOUT_MS=10000                    how long one delivery attempt waits for an answer
 *
 * Every problem is reported with the variable's name; secrets are never shown.
 */
import { z } from 'zod';
import {
  createWebhookSender,
  webhookSecretPattern,
  type WebhookSender,
} from '../integrations/webhooks/standard-webhooks';
import { journeyEventTypes, type EventRoute, type JourneyEventType } from '../workflows/shared/event-types';
import { parseEnv } from '../config/env';

type Env = Record<string, string | undefined>;

export interface WebhookSubscriptionConfig {
  name: string;
  url: string;
  secret: string;
  types: JourneyEventType[];
}

export interface WebhooksConfig {
  subscriptions: WebhookSubscriptionConfig[];
  timeoutMs: number;
}

const namePattern = /^[a-z][a-z0-9_]{0,30}$/;

/** `WEBHOOK_<NAME>_…` */
export const webhookVariable = (name: string, part: 'URL' | 'EVENTS' | 'SECRET'): string =>
  `WEBHOOK_${name.toUpperCase()}_${part}`;

const eventList = z
  .string()
  .default('*')
  .transform((raw, ctx) => {
    const types = new Set<JourneyEventType>();
    for (const item of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const matched = journeyEventTypes.filter((t) =>
        item === '*' ? true : item.endsWith('.*') ? t.startsWith(item.slice(0, -1)) : t === item,
      );
      if (matched.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown event type "${item}": use ${journeyEventTypes.join(', ')}, request.*, incident.* or *`,
        });
        return z.NEVER;
      }
      for (const t of matched) types.add(t);
    }
    if (types.size === 0) {
      ctx.addIssue({ code: 'custom', message: 'lists no event type' });
      return z.NEVER;
    }
    return journeyEventTypes.filter((t) => types.has(t));
  });

const secret = z
  .string({ error: 'required: a Standard Webhooks secret, whsec_ followed by base64 (see README "Events")' })
  .regex(webhookSecretPattern, 'must be whsec_ followed by base64')
  .refine((v) => {
    const bytes = Buffer.from(v.slice('whsec_'.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'must hold 24 to 64 random bytes (e.g. `echo whsec_$(openssl rand -base64 32)`)');

const url = z.url({
  protocol: /^https?$/,
  error: 'required: the http(s) URL the events are POSTed to',
});

/** Parses the subscriptions; an empty result when WEBHOOKS is unset. */
export function webhooksConfigFromEnv(env: Env): WebhooksConfig {
  const head = parseEnv(
    z.object({
      WEBHOOKS: z
        .string()
        .default('')
        .transform((v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        )
        .superRefine((names, ctx) => {
          const bad = names.find((n) => !namePattern.test(n));
          if (bad !== undefined)
            ctx.addIssue({
              code: 'custom',
              message: `"${bad}": names are lower-case letters, digits and _, e.g. ticketing,chat`,
            });
          if (new Set(names).size !== names.length)
            ctx.addIssue({ code: 'custom', message: 'names a subscription twice' });
        }),
      WEBHOOK_TIMEOUT_MS: z.coerce
        .number({ error: 'must be a number of milliseconds' })
        .int('must be a whole number of milliseconds')
        .min(100, 'must be at least 100')
        .max(25_000, 'must be at most 25000 (a delivery attempt may take 30 s)')
        .default(10_000),
    }),
    env,
  );
  const shape: Record<string, z.ZodType> = {};
  for (const name of head.WEBHOOKS) {
    shape[webhookVariable(name, 'URL')] = url;
    shape[webhookVariable(name, 'EVENTS')] = eventList;
    shape[webhookVariable(name, 'SECRET')] = secret;
  }
  const parts = parseEnv(z.object(shape), env) as Record<string, unknown>;
  return {
    timeoutMs: head.WEBHOOK_TIMEOUT_MS,
    subscriptions: head.WEBHOOKS.map((name) => ({
      name,
      url: parts[webhookVariable(name, 'URL')] as string,
      types: parts[webhookVariable(name, 'EVENTS')] as JourneyEventType[],
      secret: parts[webhookVariable(name, 'SECRET')] as string,
    })),
  };
}

/** What a journey's input carries: names and event types only, never a URL or a secret. Undefined: no subscription. */
export function eventRoutesOf(config: WebhooksConfig): EventRoute[] | undefined {
  if (config.subscriptions.length === 0) return undefined;
  return config.subscriptions.map((s) => ({ subscription: s.name, types: [...s.types] }));
}

/** The workers' sender; null when nobody subscribed. */
export function webhookSenderOf(config: WebhooksConfig): WebhookSender | null {
  if (config.subscriptions.length === 0) return null;
  return createWebhookSender({
    subscriptions: config.subscriptions.map(({ name, url, secret }) => ({ name, url, secret })),
    timeoutMs: config.timeoutMs,
  });
}
