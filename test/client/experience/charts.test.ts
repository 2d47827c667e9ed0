/**
 * The experience page's charts (client/experience/charts.ts) in headless Chromium with
 * JavaScript off: Ivy sees time to outcome p50/p95 per day for each service and NPS per week as
 * SVG images with a name and a description in words, above the tables, which stay. A screenshot
 * of the charts is saved to test/artifacts/experience-charts.png.
 */
import { describe, expect, it } from 'vitest';
import { npsPerWeek, weekOf } from '../../../client/experience/charts';
import type { DailyExperience } from '../../../experience/types';
import { demoPassword } from '../support/app-env';
import { browserSuite, signInWithKeyboard } from '../support/browser';
import { feedRecent } from './fixtures';

const s = browserSuite({}, (t) => feedRecent(t.deps.experience));

const nps = (promoters: number, passives: number, detractors: number) => ({
  responses: promoters + passives + detractors,
  promoters,
  passives,
  detractors,
  score: null,
});

describe('NPS per week', () => {
  it('weeks start on Monday (UTC); the score is computed from the summed answers of every service', () => {
    expect(weekOf('2026-12-02')).toBe('2026-11-30');
    expect(weekOf('2026-11-30')).toBe('2026-11-30');
    expect(weekOf('2026-12-06')).toBe('2026-11-30');
    expect(weekOf('2026-12-07')).toBe('2026-12-07');
    const day = (d: string, serviceId: string, answers: ReturnType<typeof nps>) =>
      ({ day: d, serviceId, nps: answers }) as unknown as DailyExperience;
    expect(
      npsPerWeek([
        day('2026-12-01', 'a', nps(3, 0, 1)),
        day('2026-12-06', 'b', nps(0, 1, 1)),
        day('2026-12-08', 'a', nps(0, 0, 0)),
        day('2026-12-09', 'a', nps(0, 0, 2)),
      ]),
    ).toEqual([
      { week: '2026-11-30', responses: 6, promoters: 3, passives: 1, detractors: 2, score: 17 },
      { week: '2026-12-07', responses: 2, promoters: 0, passives: 0, detractors: 2, score: -100 },
    ]);
  });
});

describe('the experience charts in a real browser, without JavaScript', () => {
  it(
    'time to outcome per day and NPS per week, named and described, above the tables',
    { timeout: 60_000 },
    async () => {
      const context = await s.browser.newContext({ javaScriptEnabled: false, viewport: { width: 1000, height: 900 } });
      const page = await context.newPage();
      await signInWithKeyboard(page, s.t.url, 'ivy', demoPassword);
      await page.goto(`${s.t.url}/console/experience`);

      const npsChart = page.getByRole('img', { name: 'Net Promoter Score per week, all services' });
      await expect.poll(() => npsChart.count()).toBe(1);
      const npsDesc = await page.locator('#chart-nps-weekly-desc').textContent();
      expect(npsDesc).toMatch(/^\d+ weeks? with answers, from the week of \d{4}-\d{2}-\d{2}/);
      expect(await npsChart.locator('rect[class^="chart-bar"] title').count()).toBeGreaterThan(0);

      const timeCharts = page.getByRole('img', { name: /^Time to outcome per day: / });
      expect(await timeCharts.count()).toBeGreaterThan(1);
      const names = await page.locator('section.experience-charts svg > title').allTextContents();
      expect(names).toContain('Time to outcome per day: Desk phone');
      expect(names).toContain('Time to outcome per day: Expensatron');
      const deskDesc = await page.locator('#chart-time-desk-phone-desc').textContent();
      expect(deskDesc).toMatch(
        /journeys\. p50 \(solid line\) from .+; p95 \(dashed line\) highest on \d{4}-\d{2}-\d{2} at /,
      );
      // Each point says its value as a tooltip; the lines differ by dash, not colour alone.
      expect(await page.locator('#chart-time-desk-phone circle.chart-p95 title').count()).toBeGreaterThan(0);
      const dash = await page
        .locator('#chart-time-desk-phone polyline.chart-p95')
        .evaluate(
          (el) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { strokeDasharray: string } }).getComputedStyle(
              el,
            ).strokeDasharray,
        );
      expect(dash).not.toBe('none');

      // The charts come first; the tables are still there, below.
      const chartsTop = (await page.locator('section.experience-charts').boundingBox())!.y;
      const tableTop = (await page.getByRole('table', { name: 'Time to outcome per service' }).boundingBox())!.y;
      expect(chartsTop).toBeLessThan(tableTop);
      expect(await page.getByRole('table', { name: 'Per day' }).count()).toBe(1);

      await page.locator('section.experience-charts').screenshot({ path: `${s.artifacts}experience-charts.png` });
      await context.close();
    },
  );
});
