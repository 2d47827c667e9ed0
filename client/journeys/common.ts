/**
 * What the journey gateway's parts share: how long they wait for Temporal, and the fingerprint
 * that turns a request body into a stable idempotency key.
 */
import { createHash } from 'node:crypto';

/** How long pages and API calls wait for Temporal before degrading or answering 503. */
export interface JourneyTimeouts {
  /** A status or banner query for a list or the home page (degrades when slow). */
  queryMs: number;
  /** Reading the one journey a page or an action is about (a detail page, before an update). */
  detailMs: number;
  /** A visibility list from a page. */
  listMs: number;
  /** Waiting for an update (a person's action) to be accepted. */
  updateMs: number;
  /** Starting a journey (normally milliseconds). */
  startMs: number;
  /** How long banners and open-incident lists may be cached. */
  bannerCacheMs: number;
}

/** Short enough that no page waits on a journey; long enough for a busy dev server. */
export const defaultTimeouts: JourneyTimeouts = {
  queryMs: 1500,
  detailMs: 5000,
  listMs: 2000,
  updateMs: 10_000,
  startMs: 4000,
  bannerCacheMs: 2000,
};

/** A short, stable digest of a JSON value: the same body gives the same key on every retry. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}
