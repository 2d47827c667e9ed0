/**
 * The experience page fragment, rendered from a report of known figures and read the way people
 * read it: in headless Chromium (Debian's /usr/bin/chromium), through the accessibility tree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderExperiencePage, temporalWorkflowUrl } from '../../../client/experience/page';
import type { ExperienceReport } from '../../../experience/report';
import { fixtureReport } from '../../experience/fixtures';

const options = { temporalUiUrl: 'http://temporal.example:8233/', namespace: 'default' };

describe('experience page', () => {
  let report: ExperienceReport;
  let fragment: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    report = await fixtureReport();
    // A comment that tries to inject markup must come out as text.
    report.worst.lowestNps[0]!.comment = '<img src=x onerror="alert(1)"> & more';
    fragment = renderExperiencePage(report, options);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    page = await browser.newPage();
    await page.setContent(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Experience</title></head><body><main>${fragment}</main></body></html>`,
    );
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** The text of every cell of the table with this accessible name, row by row. */
  async function tableText(name: string): Promise<string[][]> {
    const table = page.getByRole('table', { name });
    const rows = table.getByRole('row');
    const out: string[][] = [];
    for (const row of await rows.all()) {
      out.push((await row.locator('th, td').allInnerTexts()).map((t) => t.trim()));
    }
    return out;
  }

  it('shows time-to-outcome percentiles per service', async () => {
    const rows = await tableText('Time to outcome per service');
    expect(rows[0]).toEqual([
      'Service',
      'Journeys',
      'p50',
      'p80',
      'p90',
      'p95',
      'p99',
      'p100',
      'Longest silence (max)',
      'Came back',
      'Inputs per journey (mean)',
      'Messages per journey (mean)',
      'XLA',
    ]);
    expect(rows[1]).toEqual([
      'Expensatron',
      '20',
      '1 min 1 s',
      '1 min 50 s',
      '4 min',
      '10 min',
      '1 h',
      '1 h',
      '30 min',
      '3',
      '1.3',
      '3.1',
      '✗ Broken',
    ]);
    expect(rows.map((r) => r[0])).toEqual(['Service', 'Expensatron', 'Laptop refresh', 'Mail', 'vpn']);
    expect(rows[4]!.at(-1)).toBe('No targets');
  });

  it('shows NPS with promoters, passives, detractors and the score', async () => {
    const rows = await tableText('Net Promoter Score per service');
    expect(rows[0]).toEqual(['Service', 'Responses', 'Promoters (9–10)', 'Passives (7–8)', 'Detractors (0–6)', 'NPS']);
    expect(rows.slice(1)).toEqual([
      ['Expensatron', '11', '6', '2', '3', '+27'],
      ['Laptop refresh', '0', '0', '0', '0', '—'],
      ['Mail', '8', '4', '1', '3', '+13'],
      ['vpn', '8', '1', '5', '2', '−13'],
    ]);
  });

  it('shows each XLA target with its status in words', async () => {
    const rows = await tableText('Experience level agreements');
    expect(rows[1]).toEqual([
      'Expensatron',
      '95% of journeys reach an outcome in under 2 min',
      'under 2 min',
      '10 min',
      '✗ Broken',
    ]);
    expect(rows[2]).toEqual([
      'Expensatron',
      '80% of journeys reach an outcome in under 2 min',
      'under 2 min',
      '1 min 50 s',
      '! At risk',
    ]);
    expect(rows[4]).toEqual(['Expensatron', 'NPS of at least 20', 'at least +20', '+27', '! At risk']);
    expect(rows[7]).toEqual([
      'Expensatron',
      'At most 15% of users have to come back',
      'at most 15%',
      '15%',
      '! At risk',
    ]);
    expect(rows[8]).toEqual([
      'Laptop refresh',
      '90% of journeys reach an outcome in under 1 d',
      'under 1 d',
      '—',
      '– No data',
    ]);
    expect(rows[11]).toEqual(['Mail', 'NPS of at least 0', 'at least 0', '+13', '✓ Met']);
    // colour is not the only signal: the words are in the accessible text
    expect(
      await page.getByRole('table', { name: 'Experience level agreements' }).getByText('Broken').first().isVisible(),
    ).toBe(true);
  });

  it('shows incident settle times', async () => {
    const rows = await tableText('Incident settle times per service');
    expect(rows[1]).toEqual([
      'Mail',
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
      '2 h',
      '2 h',
      '1',
    ]);
  });

  it('links the worst journeys to the Temporal UI', async () => {
    const rows = await tableText('Longest time to outcome');
    expect(rows.slice(1).map((r) => r.slice(0, 5))).toEqual([
      ['fulfilment-expensatron-e13', 'Expensatron', 'user13', 'failed-compensated', '1 h'],
      ['fulfilment-expensatron-e04', 'Expensatron', 'user04', 'completed', '10 min'],
      ['fulfilment-expensatron-e08', 'Expensatron', 'user08', 'completed', '4 min'],
    ]);
    const link = page
      .getByRole('table', { name: 'Longest time to outcome' })
      .getByRole('link', { name: 'fulfilment-expensatron-e13' });
    expect(await link.getAttribute('href')).toBe(
      'http://temporal.example:8233/namespaces/default/workflows/fulfilment-expensatron-e13',
    );
    const silence = await tableText('Longest silence');
    expect(silence[1]!.slice(0, 5)).toEqual([
      'fulfilment-expensatron-e13',
      'Expensatron',
      'user13',
      'failed-compensated',
      '30 min',
    ]);
    expect(await page.getByRole('table', { name: 'Lowest NPS (detractors)' }).getByRole('link').count()).toBe(3);
  });

  it('renders user text as text', async () => {
    const rows = await tableText('Lowest NPS (detractors)');
    expect(rows[1]![5]).toBe('<img src=x onerror="alert(1)"> & more');
    expect(await page.locator('img').count()).toBe(0);
    expect(fragment).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; more');
  });

  it('shows the daily series and says so when a table would be empty', async () => {
    const daily = await tableText('Per day');
    expect(daily.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['2026-03-02', 'Expensatron', '10'],
      ['2026-03-02', 'Mail', '0'],
      ['2026-03-03', 'Expensatron', '10'],
      ['2026-03-03', 'Mail', '0'],
      ['2026-03-03', 'vpn', '8'],
    ]);
    const empty = renderExperiencePage(
      { ...report, services: [], daily: [], worst: { longestTimeToOutcome: [], lowestNps: [], longestSilence: [] } },
      options,
    );
    expect(empty).not.toContain('<table');
    expect(empty).toContain('No journeys in this window.');
  });

  it('shows journey ids without links when there is no Temporal UI', () => {
    const plain = renderExperiencePage(report, { temporalUiUrl: null, namespace: 'default' });
    expect(plain).not.toContain('<a ');
    expect(plain).toContain('<th scope="row">fulfilment-expensatron-e13</th>');
  });

  it('builds workflow links with the id and namespace encoded', () => {
    expect(temporalWorkflowUrl({ temporalUiUrl: 'http://ui', namespace: 'prod ns' }, 'a/b?c')).toBe(
      'http://ui/namespaces/prod%20ns/workflows/a%2Fb%3Fc',
    );
  });
});
