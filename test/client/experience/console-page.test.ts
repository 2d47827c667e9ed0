/**
 * The experience page as IT sees it, in headless Chromium (Debian's /usr/bin/chromium): Ivy
 * signs in, goes to the IT console, follows the link to the experience page and reads the
 * figures of records with known timings and answers (fixtures.ts) from the accessibility tree.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoPassword } from '../support/app-env';
import { browserSuite, signInWithKeyboard } from '../support/browser';
import { feedRecent, fixtureCatalog } from './fixtures';

const s = browserSuite({ config: { catalog: fixtureCatalog } }, (t) => feedRecent(t.deps.experience));

/** The text of every cell of the table with this accessible name, row by row. */
async function tableText(page: Page, name: string): Promise<string[][]> {
  const out: string[][] = [];
  for (const row of await page.getByRole('table', { name }).getByRole('row').all()) {
    out.push((await row.locator('th, td').allInnerTexts()).map((text) => text.trim()));
  }
  return out;
}

describe('the experience page in a real browser', () => {
  it(
    'Ivy opens it from the IT console and reads the figures of the recorded journeys',
    { timeout: 60_000 },
    async () => {
      const context = await s.browser.newContext();
      const page = await context.newPage();
      await signInWithKeyboard(page, s.t.url, 'ivy', demoPassword);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'IT console' }).click();
      await page.waitForURL(`${s.t.url}/console`);
      await page.getByRole('main').getByRole('link', { name: 'Experience metrics' }).click();
      await page.waitForURL(`${s.t.url}/console/experience`);
      expect(await page.locator('h1').textContent()).toBe('Experience metrics');

      // The last 30 days (the default): eleven desk phone journeys, the silence target broken.
      expect((await tableText(page, 'Time to outcome per service'))[1]).toEqual([
        'Desk phone',
        '11',
        '12 h',
        '20 h',
        '4 d 4 h',
        '4 d 4 h',
        '2 d 2 h',
        '0',
        '1',
        '3',
        '✗ Broken',
      ]);

      // Choose the last 7 days with the keyboard-usable form.
      await page.getByRole('combobox', { name: 'Window', exact: true }).selectOption('7');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(/\/console\/experience\?days=7&service=$/);

      expect(await tableText(page, 'Time to outcome per service')).toEqual([
        [
          'Service',
          'Journeys',
          'p50',
          'p90',
          'p95',
          'p99',
          'Longest silence (max)',
          'Came back',
          'Inputs per journey (mean)',
          'Messages per journey (mean)',
          'XLA',
        ],
        ['Desk phone', '10', '10 h', '18 h', '20 h', '20 h', '1 d 20 h', '0', '1', '3', '! At risk'],
        ['Expensatron', '20', '1 min 1 s', '4 min', '10 min', '1 h', '30 min', '3', '1.3', '3.1', '✗ Broken'],
        ['mail', '0', '—', '—', '—', '—', '—', '0', '—', '—', 'No targets'],
        ['vpn', '8', '40 s', '1 min 20 s', '1 min 20 s', '1 min 20 s', '40 s', '0', '1', '3', 'No targets'],
      ]);
      expect((await tableText(page, 'Net Promoter Score per service')).slice(1)).toEqual([
        ['Desk phone', '0', '0', '0', '0', '—'],
        ['Expensatron', '11', '6', '2', '3', '+27'],
        ['mail', '8', '4', '1', '3', '+13'],
        ['vpn', '8', '1', '5', '2', '−13'],
      ]);
      expect((await tableText(page, 'Experience level agreements')).slice(1)).toEqual([
        ['Desk phone', '90% delivered within 3 days', 'under 3 d', '18 h', '✓ Met'],
        ['Desk phone', 'Nobody waits more than 2 days without news', 'under 2 d', '1 d 20 h', '! At risk'],
        ['Expensatron', '95% of requests done in under 2 minutes', 'under 2 min', '10 min', '✗ Broken'],
        ['Expensatron', 'Nobody waits more than 2 minutes without news', 'under 2 min', '15 min', '✗ Broken'],
        ['Expensatron', 'At most 1 in 10 people have to come back', 'at most 10%', '15%', '✗ Broken'],
        ['Expensatron', 'NPS of at least 30', 'at least +30', '+27', '✗ Broken'],
      ]);
      expect((await tableText(page, 'Incident settle times per service'))[1]).toEqual([
        'mail',
        '3',
        '2 min',
        '250',
        '45',
        '36',
        '3',
        '6',
        '3',
        '30 min',
        '2 h',
        '2 h',
        '2 h',
        '1',
      ]);

      // The worst journeys link into the Temporal UI.
      const worst = page.getByRole('table', { name: 'Longest time to outcome' });
      expect((await tableText(page, 'Longest time to outcome'))[1]!.slice(0, 5)).toEqual([
        'fulfil-desk-phone-d10',
        'Desk phone',
        'deskuser10',
        'completed',
        '20 h',
      ]);
      const namespace = encodeURIComponent(s.t.env.namespace ?? 'default');
      expect(await worst.getByRole('link', { name: 'fulfil-desk-phone-d10' }).getAttribute('href')).toBe(
        `http://temporal-ui.test/namespaces/${namespace}/workflows/fulfil-desk-phone-d10`,
      );

      // One service: Expensatron's worst journeys, its detractors with their comments.
      await page.getByRole('combobox', { name: 'Service', exact: true }).selectOption('expensatron');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL(/days=7&service=expensatron$/);
      expect((await tableText(page, 'Lowest NPS (detractors)')).slice(1).map((r) => [r[0], r[4], r[5]])).toEqual([
        ['fulfilment-expensatron-e13', '0', 'Lost my =SUM(A1) account, twice'],
        ['fulfilment-expensatron-e14', '4', 'Slow, "very" slow — better after the call'],
        ['fulfilment-expensatron-e11', '6', ''],
      ]);
      expect(await page.getByRole('link', { name: 'services' }).getAttribute('href')).toBe(
        '/console/experience/services.csv?days=7&service=expensatron',
      );
      await page.screenshot({ path: `${s.artifacts}experience-page.png`, fullPage: true });
      await context.close();
    },
  );
});
