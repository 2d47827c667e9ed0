/**
 * The journey events other systems can subscribe to (see events.ts). No imports: the worker's
 * and the API's configuration (wiring/webhooks-config.ts) validate subscriptions against it.
 */
export const journeyEventTypes = [
  'request.submitted',
  'request.stage-changed',
  'request.waiting',
  'request.finished',
  'incident.declared',
  'incident.progress',
  'incident.resolved',
  'incident.reopened',
  'incident.closed',
] as const;
export type JourneyEventType = (typeof journeyEventTypes)[number];

/** One subscription as a journey knows it: its name (the workers hold URL and secret) and the event types it wants. */
export interface EventRoute {
  subscription: string;
  types: JourneyEventType[];
}

/** What is wrong with a journey input's `events` (empty: fine). */
export function eventRoutesProblems(routes: unknown): string[] {
  if (routes === undefined) return [];
  if (!Array.isArray(routes) || routes.length > 20) return ['events: at most 20 subscriptions'];
  const known: readonly string[] = journeyEventTypes;
  return routes.flatMap((r: unknown, i) => {
    const route = r as Partial<EventRoute> | null;
    return typeof route?.subscription === 'string' &&
      /^[a-z][a-z0-9_]{0,30}$/.test(route.subscription) &&
      Array.isArray(route.types) &&
      route.types.every((t) => known.includes(t))
      ? []
      : [`events.${i}: a subscription name and known event types`];
  });
}
