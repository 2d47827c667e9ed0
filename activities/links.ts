/**
 * Signed, expiring link tokens for the links in our emails (the incident confirmation links).
 *
 * A token is `<payload>.<signature>`, both base64url: the payload is a small JSON object naming
 * the incident, the person, the action and the expiry; the signature is HMAC-SHA256 over the
 * payload text with the link secret. Whoever holds a token can act only as the person it names,
 * only on that incident, only for that action and only until it expires. Tokens are made and
 * checked outside workflows (activities and the portal), so they never land in a workflow
 * history.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a link lets its holder do. `confirm` covers the "fixed / still broken" answer and the NPS. */
export const linkActions = ['confirm'] as const;
export type LinkAction = (typeof linkActions)[number];

/** What a token says. */
export interface LinkClaims {
  incidentId: string;
  /** The person the link was sent to (directory accountName, lower-case). */
  accountName: string;
  action: LinkAction;
  /** Expiry, milliseconds since the epoch. */
  expiresAt: number;
}

export type LinkVerification =
  | { ok: true; claims: LinkClaims }
  /**
   * `invalid`: not made with our secret, changed on the way, malformed, or for another incident
   * or action. `expired`: genuine but too old. The reasons are deliberately coarse: a caller
   * learns nothing that helps forge a token.
   */
  | { ok: false; reason: 'invalid' | 'expired' };

/** Refuses secrets too short to be a secret: a misconfiguration must not produce guessable links. */
function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 16) throw new Error('link secret must be at least 16 characters');
}

function signatureOf(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload, 'utf8').digest();
}

/**
 * Makes a token for `claims`. Deterministic: the same claims and secret give the same token,
 * so a retried activity puts the same link into the same email.
 */
export function signLinkToken(secret: string, claims: LinkClaims): string {
  checkSecret(secret);
  if (!Number.isSafeInteger(claims.expiresAt)) throw new Error('link expiry must be a whole number of milliseconds');
  const payload = Buffer.from(
    JSON.stringify({ i: claims.incidentId, u: claims.accountName, a: claims.action, e: claims.expiresAt }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${signatureOf(secret, payload).toString('base64url')}`;
}

const base64url = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a token: the signature first (constant-time), then the claims against what the caller
 * expects, then the expiry. Never throws for a bad token; only for a bad secret.
 *
 * @param expected the incident (and action) the link is being used for; a token made for another
 *   incident or action is `invalid`.
 * @param now milliseconds since the epoch (injectable for tests).
 */
export function verifyLinkToken(
  secret: string,
  token: string,
  expected: { incidentId?: string; action?: LinkAction } = {},
  now: number = Date.now(),
): LinkVerification {
  checkSecret(secret);
  const invalid = { ok: false, reason: 'invalid' } as const;
  if (typeof token !== 'string' || token.length > 2048) return invalid;
  const parts = token.split('.');
  if (parts.length !== 2) return invalid;
  const [payload, signature] = parts as [string, string];
  if (!base64url.test(payload) || !base64url.test(signature)) return invalid;
  const given = Buffer.from(signature, 'base64url');
  const wanted = signatureOf(secret, payload);
  // timingSafeEqual needs equal lengths; comparing lengths leaks only what every HMAC-SHA256 has.
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return invalid;

  const claims = parseClaims(payload);
  if (!claims) return invalid;
  if (expected.incidentId !== undefined && claims.incidentId !== expected.incidentId) return invalid;
  if (expected.action !== undefined && claims.action !== expected.action) return invalid;
  if (now >= claims.expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/** A genuine payload is one we wrote, but check its shape anyway: a secret may have leaked. */
function parseClaims(payload: string): LinkClaims | null {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.i !== 'string' || typeof r.u !== 'string' || typeof r.e !== 'number' || !Number.isSafeInteger(r.e))
    return null;
  if (!linkActions.includes(r.a as LinkAction)) return null;
  return { incidentId: r.i, accountName: r.u, action: r.a as LinkAction, expiresAt: r.e };
}

/**
 * The portal link a person follows to answer "fixed" / "still broken" (and then the NPS
 * question) for an incident: `<publicUrl>/incidents/<id>/confirm?token=…&answer=…`.
 */
export function confirmationUrl(
  settings: { publicUrl: string; linkSecret: string },
  claims: Omit<LinkClaims, 'action'>,
  answer?: 'fixed' | 'still-broken',
): string {
  const token = signLinkToken(settings.linkSecret, { ...claims, action: 'confirm' });
  const base = settings.publicUrl.replace(/\/+$/, '');
  const query = new URLSearchParams({ token });
  if (answer) query.set('answer', answer);
  return `${base}/incidents/${encodeURIComponent(claims.incidentId)}/confirm?${query.toString()}`;
}
