/**
 * `/console/experience` on the portal: IT staff only (the console's own check and refusal), the
 * query validated, the report rendered in the page frame with links into the Temporal UI, and
 * the JSON/CSV downloads behind the same sign-in. A real file-backed store with known records.
 */
import { flatHtml } from '../support/flat-html';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperienceReport } from '../../../experience/report';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from '../support/app-env';
import type { PortalSession } from '../support/portal-session';
import { textOf, signedInSession } from '../support/portal-session';
import { feedRecent, fixtureCatalog } from './fixtures';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({ config: { catalog: fixtureCatalog } });
  await feedRecent(t.deps.experience);
});
afterAll(async () => {
  await t?.close();
});

const signedIn = (account: string): Promise<PortalSession> => signedInSession(t.app, account, demoPassword);

/** Rows of the table with this id: each row's cells as text. */
function tableRows(body: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(body)?.[1];
  if (!table) throw new Error(`no table #${id}`);
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => textOf(cell[1]!)),
  );
}

describe('the experience page', () => {
  it('sends people who are not signed in to sign in first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console/experience?days=7' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/signin?next=${encodeURIComponent('/console/experience?days=7')}`);
  });

  it('refuses people outside IT staff exactly as the console does, downloads included', async () => {
    const steve = await signedIn('steve');
    const consolePage = await steve.get('/console');
    expect(consolePage.statusCode).toBe(403);
    for (const url of ['/console/experience', '/console/experience/report.json', '/console/experience/services.csv']) {
      const res = await steve.get(url);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(textOf(/<main[^>]*>([\s\S]*)<\/main>/.exec(res.body)![1]!)).toBe(
        textOf(/<main[^>]*>([\s\S]*)<\/main>/.exec(consolePage.body)![1]!),
      );
    }
    expect(textOf(consolePage.body)).toContain('The IT console is for IT staff.');
    // And they are not offered the link.
    expect((await steve.get('/')).body).not.toContain('href="/console/experience"');
  });

  it('is linked from the IT console and the navigation, and marks only itself as current', async () => {
    const ivy = await signedIn('ivy');
    const consolePage = await ivy.get('/console');
    expect(flatHtml(consolePage.body)).toContain('<a href="/console/experience">Experience metrics</a>');
    const page = await ivy.get('/console/experience');
    expect(page.statusCode).toBe(200);
    expect(flatHtml(page.body)).toContain('<title>Experience metrics · Eagle5 IT</title>');
    expect(flatHtml(page.body)).toContain('<a href="/console/experience" aria-current="page">Experience</a>');
    expect(flatHtml(page.body)).toContain('<a href="/console">IT console</a>');
  });

  it('shows the figures of the chosen window, with Temporal UI links and the downloads', async () => {
    const ivy = await signedIn('ivy');
    const page = await ivy.get('/console/experience?days=7');
    expect(page.statusCode).toBe(200);
    expect(tableRows(page.body, 'experience-time-to-outcome').slice(1)).toEqual([
      ['Desk phone', '10', '10 h', '18 h', '20 h', '20 h', '1 d 20 h', '0', '1', '3', '! At risk'],
      ['Expensatron', '20', '1 min 1 s', '4 min', '10 min', '1 h', '30 min', '3', '1.3', '3.1', '✗ Broken'],
      ['mail', '0', '—', '—', '—', '—', '—', '0', '—', '—', 'No targets'],
      ['vpn', '8', '40 s', '1 min 20 s', '1 min 20 s', '1 min 20 s', '40 s', '0', '1', '3', 'No targets'],
    ]);
    expect(tableRows(page.body, 'experience-nps').slice(1)).toEqual([
      ['Desk phone', '0', '0', '0', '0', '—'],
      ['Expensatron', '11', '6', '2', '3', '+27'],
      ['mail', '8', '4', '1', '3', '+13'],
      ['vpn', '8', '1', '5', '2', '−13'],
    ]);
    expect(tableRows(page.body, 'experience-xla').slice(1, 3)).toEqual([
      ['Desk phone', '90% delivered within 3 days', 'under 3 d', '18 h', '✓ Met'],
      ['Desk phone', 'Nobody waits more than 2 days without news', 'under 2 d', '1 d 20 h', '! At risk'],
    ]);
    expect(flatHtml(page.body)).toContain(
      `<a href="http://temporal-ui.test/namespaces/${encodeURIComponent(t.env.namespace ?? 'default')}/workflows/fulfil-desk-phone-d10">fulfil-desk-phone-d10</a>`,
    );
    expect(flatHtml(page.body)).toContain(
      `<a href="http://temporal-ui.test/namespaces/${encodeURIComponent(t.env.namespace ?? 'default')}/workflows">Open every journey in the Temporal UI</a>`,
    );
    expect(flatHtml(page.body)).toContain('<a href="/console/experience/report.json?days=7">JSON</a>');
    for (const table of ['services', 'xla', 'daily', 'worst'])
      expect(flatHtml(page.body)).toContain(`<a href="/console/experience/${table}.csv?days=7">${table}</a>`);
    expect(flatHtml(page.body)).toContain('<option value="7" selected>Last 7 days</option>');

    // 30 days (the default) takes in the older desk phone journey: its silence target breaks.
    const month = await ivy.get('/console/experience');
    expect(tableRows(month.body, 'experience-xla')[2]).toEqual([
      'Desk phone',
      'Nobody waits more than 2 days without news',
      'under 2 d',
      '2 d 2 h',
      '✗ Broken',
    ]);
    expect(flatHtml(month.body)).toContain('<option value="30" selected>Last 30 days</option>');
  });

  it('narrows to one service from the filter', async () => {
    const ivy = await signedIn('ivy');
    const page = await ivy.get('/console/experience?days=7&service=expensatron');
    expect(
      tableRows(page.body, 'experience-time-to-outcome')
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(['Expensatron']);
    expect(tableRows(page.body, 'experience-worst-time')[1]!.slice(0, 4)).toEqual([
      'fulfilment-expensatron-e13',
      'Expensatron',
      'user13',
      'failed-compensated',
    ]);
    expect(flatHtml(page.body)).toContain('<option value="expensatron" selected>Expensatron</option>');
    // The filter offers the catalog's services and those with data (incidents' CMDB services).
    expect(flatHtml(page.body)).toContain('<option value="desk-phone">Desk phone</option>');
    expect(flatHtml(page.body)).toContain(
      '<a href="/console/experience/services.csv?days=7&amp;service=expensatron">services</a>',
    );
  });

  it('answers 400 with every problem for a bad query', async () => {
    const ivy = await signedIn('ivy');
    const res = await ivy.get('/console/experience?days=14&service=%3Cscript%3E');
    expect(res.statusCode).toBe(400);
    const text = textOf(res.body);
    expect(text).toContain(
      'This page cannot show that: days must be 7, 30 or 90 service must be a service id such as expensatron',
    );
    expect(res.body).not.toContain('<script>');
    const typo = await ivy.get('/console/experience?day=7');
    expect(typo.statusCode).toBe(400);
    expect(textOf(typo.body)).toContain('unknown parameter day: only days and service are understood');
    expect((await ivy.get('/console/experience/services.csv?days=1')).statusCode).toBe(400);
  });

  it('downloads the same JSON and CSV as the API', async () => {
    const ivy = await signedIn('ivy');
    const json = await ivy.get('/console/experience/report.json?days=7');
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.headers['content-disposition']).toBe('attachment; filename="experience-report-7d.json"');
    const api = await t.app.inject({
      method: 'GET',
      url: '/api/v1/experience?days=7',
      headers: { authorization: `Bearer ${apiKeys.experienceOnly}` },
    });
    const mine = json.json<ExperienceReport>();
    const theirs = api.json<ExperienceReport>();
    // Built a moment apart: everything but the clock-made window must match.
    expect({ ...mine, generatedAt: '', window: null }).toEqual({ ...theirs, generatedAt: '', window: null });

    const csv = await ivy.get('/console/experience/xla.csv?days=7');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="experience-xla-7d.csv"');
    const apiCsv = await t.app.inject({
      method: 'GET',
      url: '/api/v1/experience/xla.csv?days=7',
      headers: { authorization: `Bearer ${apiKeys.experienceOnly}` },
    });
    expect(csv.body).toBe(apiCsv.body);
    expect(csv.body.split('\r\n')[2]).toBe(
      'desk-phone,Desk phone,longest-silence-p95,Nobody waits more than 2 days without news,at-risk,158400000,172800000,ms',
    );

    const unknown = await ivy.get('/console/experience/people.csv');
    expect(unknown.statusCode).toBe(404);
    expect(textOf(unknown.body)).toContain('There is no experience table “people”: choose services, xla, daily, worst');
  });
});
