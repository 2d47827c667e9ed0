/**
 * Outbound journey events: what other systems (a ticketing tool, a chat
 * channel, a data warehouse) can subscribe to, and the workflow side of sending them.
 *
 * Who subscribed travels in the journey's input (`events`, set by the API from the
 * `WEBHOOK_*` configuration when it starts the journey, like the plan): a journey started with
 * no subscription schedules no activity at all, and replay always takes the same branch. The
 * URLs and secrets stay on the workers (integrations/webhooks/config.ts); the input names only
 * the subscription and its event types.
 *
 * Each event is delivered by one activity per subscription (`deliverJourneyEvent`), so Temporal
 * retries it durably with backoff and a worker killed mid-delivery only costs a retry. The
 * event's id is derived from the workflow id and the journey's event sequence number, so every
 * retry carries the same `webhook-id` and a receiver de-duplicates on it (at least once, with an
 * id). Deliveries to one subscription go out in the journey's order, one after the other, and
 * never hold up the journey itself; the journey waits for them only before it ends (or
 * continues as new).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  patched,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks';
import { webhookDelivery, withRetryInterval } from './activity-options';
import type { EventRoute, JourneyEventType } from './event-types';

export { journeyEventTypes, type EventRoute, type JourneyEventType } from './event-types';

/**
 * Patch id (`patched()`) of the change that made journeys send events. A journey started with
 * `events` by an API that already knew them, but begun by a worker that did not (a rolling
 * deploy), has no marker in its history and replays without sending.
 */
export const journeyEventsPatch = 'journey-events';

/** One event as the workflow hands it to the delivery activity (the Standard Webhooks payload is `{type, timestamp, data}`). */
export interface JourneyEvent {
  /** `webhook-id`: the same on every attempt and for every subscription. */
  id: string;
  type: JourneyEventType;
  /** When it happened (workflow time), ISO. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** The id of the journey's `seq`-th event: `msg_<workflow id>_<seq>`. */
export function journeyEventId(workflowId: string, seq: number): string {
  return `msg_${workflowId}_${seq}`;
}

/** What of the outbox travels through continue-as-new (incident). */
export interface EventOutboxState {
  /** Sequence number of the last event. */
  seq: number;
  /** Events recorded by update handlers, not yet handed to a delivery activity. */
  queued: JourneyEvent[];
}

const acts = proxyActivities<WebhookActivities>(webhookDelivery);

/**
 * A journey's events on their way out. `emit` from the main code starts the delivery at once;
 * `enqueue` (from update handlers, which must not issue commands of their own) only records it,
 * and the main code's next `flush` starts it.
 */
export class EventOutbox {
  private readonly routes: EventRoute[];
  private readonly options: ActivityOptions;
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  readonly state: EventOutboxState;

  constructor(
    routes: EventRoute[] | undefined,
    private readonly workflowId: string,
    retryInitialIntervalMs: number | undefined,
    state?: EventOutboxState,
  ) {
    // No subscription: no marker, no activity, nothing in history. Checked once per run.
    this.routes = routes && routes.length > 0 && patched(journeyEventsPatch) ? routes : [];
    this.options = withRetryInterval(webhookDelivery, retryInitialIntervalMs);
    this.state = state ?? { seq: 0, queued: [] };
  }

  /** Whether this journey has any subscription (false: it sends nothing, ever). */
  get active(): boolean {
    return this.routes.length > 0;
  }

  /** Whether any subscription of this journey wants `type`. */
  wants(type: JourneyEventType): boolean {
    return this.routes.some((r) => r.types.includes(type));
  }

  /** Records an event for {@link flush}; safe in update handlers (no command). */
  enqueue(type: JourneyEventType, data: Record<string, unknown>): void {
    if (!this.wants(type)) return;
    this.state.seq += 1;
    this.state.queued.push({
      id: journeyEventId(this.workflowId, this.state.seq),
      type,
      timestamp: new Date().toISOString(),
      data,
    });
  }

  /** Whether events wait for {@link flush}. */
  get hasQueued(): boolean {
    return this.state.queued.length > 0;
  }

  /** Starts the deliveries of the queued events (main code only). */
  flush(): void {
    while (this.state.queued.length > 0) {
      const event = this.state.queued.shift()!;
      for (const route of this.routes) if (route.types.includes(event.type)) this.chain(route.subscription, event);
    }
  }

  /** Records an event and starts its deliveries (main code only). */
  emit(type: JourneyEventType, data: Record<string, unknown>): void {
    this.enqueue(type, data);
    this.flush();
  }

  /** Resolves when every delivery started so far has ended (delivered, or given up and logged). */
  async drain(): Promise<void> {
    this.flush();
    if (this.pending > 0) await condition(() => this.pending === 0);
  }

  private chain(subscription: string, event: JourneyEvent): void {
    this.pending += 1;
    const previous = this.chains.get(subscription) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(subscription, event)).finally(() => (this.pending -= 1));
    this.chains.set(subscription, next);
  }

  /** One delivery; never rejects (a journey does not fail because a subscriber is down for a day). */
  private async deliver(subscription: string, event: JourneyEvent): Promise<void> {
    try {
      // Not cancellable: a cancelled request still tells its subscribers how it ended.
      await CancellationScope.nonCancellable(() =>
        acts.deliverJourneyEvent.executeWithOptions(
          { ...this.options, summary: `Event ${event.type} to subscription ${subscription} (${event.id})` },
          [{ subscription, event }],
        ),
      );
    } catch (err) {
      if (!(err instanceof ActivityFailure || err instanceof ApplicationFailure)) throw err;
      log.error('journey event not delivered', {
        subscription,
        eventId: event.id,
        type: event.type,
        error: err.cause?.message ?? err.message,
      });
    }
  }
}
