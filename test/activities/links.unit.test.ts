import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { confirmationUrl, signLinkToken, verifyLinkToken, type LinkClaims } from '../../activities/links';

const secret = 'test-link-secret-0123456789abcdef';
const now = Date.UTC(2025, 0, 15, 9, 0, 0);
const claims: LinkClaims = {
  incidentId: 'crm-20250115-a1',
  accountName: 'steve',
  action: 'confirm',
  expiresAt: now + 3600_000,
};

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

describe('signed link tokens', () => {
  it('accepts a token it made, for the incident and action it names, and returns its claims', () => {
    const token = signLinkToken(secret, claims);
    expect(verifyLinkToken(secret, token, { incidentId: claims.incidentId, action: 'confirm' }, now)).toEqual({
      ok: true,
      claims,
    });
  });

  it('makes the same token for the same claims (a retried email carries the same link)', () => {
    expect(signLinkToken(secret, claims)).toBe(signLinkToken(secret, claims));
  });

  it('refuses a token signed with another secret', () => {
    const token = signLinkToken('another-secret-0123456789abcdef', claims);
    expect(verifyLinkToken(secret, token, {}, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a token whose payload was changed to another user, even with the signature kept', () => {
    const token = signLinkToken(secret, claims);
    const signature = token.split('.')[1]!;
    const forged = `${b64(JSON.stringify({ i: claims.incidentId, u: 'tony', a: 'confirm', e: claims.expiresAt }))}.${signature}`;
    expect(verifyLinkToken(secret, forged, { incidentId: claims.incidentId }, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses a token for another user made by someone who guessed the format but not the secret', () => {
    const payload = b64(JSON.stringify({ i: claims.incidentId, u: 'tony', a: 'confirm', e: claims.expiresAt }));
    const forged = `${payload}.${createHmac('sha256', 'guessed-secret-xxxxxxxx').update(payload).digest('base64url')}`;
    expect(verifyLinkToken(secret, forged, {}, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a token with a longer expiry written into it', () => {
    const token = signLinkToken(secret, claims);
    const signature = token.split('.')[1]!;
    const extended = `${b64(JSON.stringify({ i: claims.incidentId, u: 'steve', a: 'confirm', e: claims.expiresAt + 86_400_000 }))}.${signature}`;
    expect(verifyLinkToken(secret, extended, {}, now + 2 * 3600_000)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('says expired for a genuine token past its expiry, and accepts it just before', () => {
    const token = signLinkToken(secret, claims);
    expect(verifyLinkToken(secret, token, {}, claims.expiresAt - 1).ok).toBe(true);
    expect(verifyLinkToken(secret, token, {}, claims.expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a genuine token used for another incident', () => {
    const token = signLinkToken(secret, claims);
    expect(verifyLinkToken(secret, token, { incidentId: 'email-20250115-b2' }, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses garbage without throwing', () => {
    for (const junk of ['', 'abc', 'a.b.c', '..', '!!!.???', `${b64('not json')}.${b64('x')}`, 'x'.repeat(5000)]) {
      expect(verifyLinkToken(secret, junk, {}, now)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('refuses a correctly signed payload of the wrong shape (a leaked secret must not crash the portal)', () => {
    const payload = b64(JSON.stringify({ i: 'crm', u: 'steve', a: 'delete-everything', e: now + 1000 }));
    const token = `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
    expect(verifyLinkToken(secret, token, {}, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses to work with a secret too short to be one', () => {
    expect(() => signLinkToken('short', claims)).toThrow(/at least 16/);
    expect(() => verifyLinkToken('', 'x.y')).toThrow(/at least 16/);
  });

  it('builds the portal confirmation URL with the token and the preselected answer', () => {
    const url = new URL(
      confirmationUrl(
        { publicUrl: 'https://portal.eagle5.example/', linkSecret: secret },
        { incidentId: claims.incidentId, accountName: 'steve', expiresAt: claims.expiresAt },
        'fixed',
      ),
    );
    expect(url.origin + url.pathname).toBe(`https://portal.eagle5.example/incidents/${claims.incidentId}/confirm`);
    expect(url.searchParams.get('answer')).toBe('fixed');
    expect(
      verifyLinkToken(
        secret,
        url.searchParams.get('token')!,
        { incidentId: claims.incidentId, action: 'confirm' },
        now,
      ),
    ).toEqual({ ok: true, claims });
  });
});
