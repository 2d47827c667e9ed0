/**
 * Delivering journey events to webhook subscribers (workflows/shared/events.ts): one activity
 * per event and subscription, retried by Temporal with backoff (workflows/shared/activity-options.ts
 * `webhookDelivery`). Every attempt sends the same `webhook-id`, freshly signed.
 *
 * What leaves: `{type, timestamp, data}` as the Standard Webhooks specification suggests, with
 * every phone number in a text masked (`maskPhone`) and no field that could hold a secret.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { journeyEventTypes } from '../workflows/shared/event-types';
import type { JourneyEvent } from '../workflows/shared/events';
import type { ActivityDeps } from './deps';
import { classifyFailures, failureTypes } from './errors';
import { keepAliveAll } from './keep-alive';
import { maskPhone } from '../config/mask';

const deliveryInput = z.object({
  subscription: z.string().min(1).max(40),
  event: z.object({
    id: z.string().regex(/^msg_[\x21-\x7e]{1,200}$/, 'msg_ and printable ASCII'),
    type: z.enum(journeyEventTypes),
    timestamp: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()),
  }),
});

export interface DeliverJourneyEventInput {
  subscription: string;
  event: JourneyEvent;
}

export interface DeliverJourneyEventResult {
  status: number;
  /** Which attempt got through (1 unless a receiver was down or a worker died mid-delivery). */
  attempt: number;
}

/** A phone number inside free text: 7–15 digits, perhaps a leading + and spaces or brackets, not part of a word, date or time. */
const phoneInText = /(?<![\w:./-])\+?\d(?:[ ()]{0,2}\d){6,14}(?![\w:./-])/g;
const secretKey = /secret|password|token|apikey|api_key/i;

/** A copy of `value` without secrets or full phone numbers. */
export function redactForWebhook(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return /id$/i.test(key) ? value : value.replace(phoneInText, (m) => maskPhone(m));
  if (Array.isArray(value)) return value.map((v) => redactForWebhook(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (secretKey.test(k)) continue;
      // A phone field is masked unless it is already (a masked number keeps at most 4 digits).
      out[k] =
        /phone|mobile/i.test(k) && typeof v === 'string' && v.replace(/\D/g, '').length > 4
          ? maskPhone(v)
          : redactForWebhook(v, k);
    }
    return out;
  }
  return value;
}

/** The signed body: `{type, timestamp, data}`. */
export function webhookBody(event: JourneyEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: redactForWebhook(event.data) });
}

export function createWebhookActivities(deps: Pick<ActivityDeps, 'webhooks'>) {
  return keepAliveAll({
    async deliverJourneyEvent(input: DeliverJourneyEventInput): Promise<DeliverJourneyEventResult> {
      const parsed = deliveryInput.safeParse(input);
      if (!parsed.success)
        throw ApplicationFailure.create({
          type: failureTypes.InvalidInput,
          message: `deliverJourneyEvent: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          nonRetryable: true,
        });
      const sender = deps.webhooks;
      if (!sender)
        throw ApplicationFailure.create({
          type: failureTypes.NotFound,
          message: `no webhook subscriptions are configured on this worker (the journey names "${input.subscription}"; set WEBHOOKS)`,
          nonRetryable: true,
        });
      const { subscription, event } = parsed.data;
      const result = await classifyFailures(() =>
        sender.send(subscription, { id: event.id, body: webhookBody(event) }),
      );
      return { status: result.status, attempt: Context.current().info.attempt };
    },
  });
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
