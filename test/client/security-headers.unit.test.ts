/**
 * The security headers (@fastify/helmet): pages may run only the portal's own script and
 * stylesheet, are never framed, never pass a URL on as a Referer and are never cached; the same
 * headers on the API's answers, and over https the browser is told to keep to https.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPaths } from '../../client/web/static';
import { PortalSession, signedInSession } from './support/portal-session';
import { startUnitApp, unitPassword, type UnitApp } from './support/unit-app';

/** The policy, directive by directive: nothing more allowed than this (a helmet default would show). */
const policy = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

function directives(res: LightMyRequestResponse): Record<string, string[]> {
  const header = res.headers['content-security-policy'];
  expect(typeof header, 'a content-security-policy header').toBe('string');
  return Object.fromEntries(
    (header as string)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name!, values]),
  );
}

function expectHelmet(res: LightMyRequestResponse, extra: Record<string, string[]> = {}): void {
  expect(directives(res)).toEqual({ ...policy, ...extra });
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe('DENY');
}

describe('security headers over http', () => {
  let t: UnitApp;
  let steve: PortalSession;
  beforeAll(async () => {
    t = await startUnitApp();
    steve = await signedInSession(t.app, 'steve', unitPassword);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('on every portal page, signed in or not, and its error pages: the policy, never cached', async () => {
    const pages: [string, LightMyRequestResponse][] = [
      ['/signin', await new PortalSession(t.app).get('/signin')],
      ['/catalog', await steve.get('/catalog')],
      ['/catalog/expensatron', await steve.get('/catalog/expensatron')],
      ['/no-such-page', await steve.get('/no-such-page')],
      ['POST /signin without a CSRF token', await new PortalSession(t.app).post('/signin', { username: 'steve' })],
    ];
    expect(pages.map(([what, res]) => [what, res.statusCode])).toEqual([
      ['/signin', 200],
      ['/catalog', 200],
      ['/catalog/expensatron', 200],
      ['/no-such-page', 404],
      ['POST /signin without a CSRF token', 403],
    ]);
    for (const [, res] of pages) {
      expectHelmet(res);
      expect(res.headers['cache-control']).toBe('no-store');
      // Plain http (npm start): no https upgrade, no HSTS.
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('on the assets, which keep their long caching', async () => {
    for (const url of [assetPaths.css, assetPaths.js]) {
      const res = await steve.get(url);
      expect(res.statusCode).toBe(200);
      expectHelmet(res);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  });

  it('on the API’s answers too, which are never cached either', async () => {
    for (const url of ['/api/v1/services', '/api/v1/openapi.json', '/api/v1/no-such-endpoint']) {
      const res = await t.app.inject({ method: 'GET', url });
      expectHelmet(res);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });
});

describe('security headers over https', () => {
  let t: UnitApp;
  beforeAll(async () => {
    t = await startUnitApp({ publicUrl: 'https://portal.test' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('also tell the browser to keep to https', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/signin' });
    expect(res.statusCode).toBe(200);
    expectHelmet(res, { 'upgrade-insecure-requests': [] });
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d{8,}/);
  });
});
