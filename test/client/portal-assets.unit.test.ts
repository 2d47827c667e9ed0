/**
 * The portal's stylesheet and script: served as they are on disk (client/web/assets/), under URLs
 * that carry their content hash and so may be cached for a year; any other hash is not found.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUnitApp, type UnitApp } from './support/unit-app';

const onDisk = (name: string): string =>
  readFileSync(new URL(`../../client/web/assets/${name}`, import.meta.url), 'utf8');
const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 10);

let t: UnitApp;
let page: string;
beforeAll(async () => {
  t = await startUnitApp();
  page = (await t.app.inject({ method: 'GET', url: '/signin' })).body;
});
afterAll(async () => {
  await t?.close();
});

describe('portal assets', () => {
  for (const [kind, file, type] of [
    ['css', 'portal.css', 'text/css; charset=utf-8'],
    ['js', 'portal.js', 'text/javascript; charset=utf-8'],
  ] as const) {
    it(`serves ${file} as on disk, under its content hash, cached for a year`, async () => {
      const url = new RegExp(`(?:href|src)="(/assets/app\\.([0-9a-f]{10})\\.${kind})"`).exec(page);
      expect(url, `the page links a ${kind} asset`).not.toBeNull();
      const body = onDisk(file);
      expect(url![2]).toBe(hashOf(body));
      const res = await t.app.inject({ method: 'GET', url: url![1]! });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.body).toBe(body);
    });

    it(`answers 404 for ${file} under any other hash`, async () => {
      for (const url of [`/assets/app.0123456789.${kind}`, `/assets/app.${kind}`, `/assets/${file}`]) {
        const res = await t.app.inject({ method: 'GET', url });
        expect([url, res.statusCode]).toEqual([url, 404]);
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  }

  it('has the experience charts in the stylesheet', () => {
    expect(onDisk('portal.css')).toMatch(/^\.chart-bar \{/m);
  });
});
