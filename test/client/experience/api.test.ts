/**
 * `/api/v1/experience`: the report as JSON, CSV and Prometheus text, from a real file-backed
 * store fed with records of known timings and answers (fixtures.ts), through the app as
 * `npm start` wires it, with the real catalog's XLA targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKeys, hashApiKey } from '../../../client/api/keys';
import { experienceReportSchema } from '../../../client/api/experience-schemas';
import { createExperienceReports } from '../../../client/experience/reports';
import { renderReportJson } from '../../../experience/export';
import { prometheusContentType } from '../../../experience/prometheus';
import type { ExperienceReport } from '../../../experience/report';
import { apiKeys, startAppEnv, type AppEnv } from '../support/app-env';
import { asProblem } from '../support/problems';
import { feedRecent, fixtureCatalog, fixtureDays } from './fixtures';
import { prometheusSamples as samples } from '../../support/prometheus';

const day = 86_400_000;
let t: AppEnv;
let shifted: number;
const fedAt = new Date();
beforeAll(async () => {
  t = await startAppEnv({ config: { catalog: fixtureCatalog } });
  ({ days: shifted } = await feedRecent(t.deps.experience, fedAt));
});
afterAll(async () => {
  await t?.close();
});

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const get = (url: string, key: string | null = apiKeys.experienceOnly) =>
  t.app.inject({ method: 'GET', url, headers: key === null ? {} : bearer(key) });

/** CSV lines (CRLF-terminated) split into fields; none of the fixtures' fields needs quoting except where asserted. */
function csvLines(body: string): string[] {
  expect(body.endsWith('\r\n')).toBe(true);
  return body.slice(0, -2).split('\r\n');
}

describe('experience API: authentication, scope and query', () => {
  const urls = ['/api/v1/experience', '/api/v1/experience/services.csv', '/api/v1/experience/metrics'];

  it('answers 401 without a key or with an unknown key', async () => {
    for (const url of urls) {
      const none = await get(url, null);
      expect(none.statusCode).toBe(401);
      expect(asProblem(none)).toMatchObject({ kind: 'unauthenticated', status: 401 });
      expect(none.headers['www-authenticate']).toContain('Bearer');
      const wrong = await get(url, 'sj_not_a_configured_key');
      expect(wrong.statusCode).toBe(401);
      expect(asProblem(wrong)).toMatchObject({ kind: 'unauthenticated', detail: 'That API key is not valid' });
    }
  });

  it('answers 403 to a key without experience:read', async () => {
    for (const url of urls) {
      const res = await get(url, apiKeys.readOnly);
      expect(res.statusCode).toBe(403);
      expect(asProblem(res)).toMatchObject({
        kind: 'forbidden',
        detail: 'The API key "read-only" lacks the scope experience:read',
      });
    }
  });

  it('answers 400 naming every bad parameter', async () => {
    for (const url of urls) {
      const res = await get(`${url}?days=14&service=${encodeURIComponent('no such/service')}`);
      expect(res.statusCode).toBe(400);
      const body = asProblem(res);
      expect(body.kind).toBe('invalid-request');
      expect(body.detail).toBe('The request is not valid: 2 problems');
      expect(body.errors).toEqual([
        { parameter: 'days', detail: 'days must be 7, 30 or 90' },
        { parameter: 'service', detail: 'service must be a service id such as expensatron (letters, digits, _ . : -)' },
      ]);
    }
    const typo = await get('/api/v1/experience?day=7');
    expect(typo.statusCode).toBe(400);
    expect(asProblem(typo).errors![0]!.detail).toBe('unknown parameter day: only days and service are understood');
    expect((await get('/api/v1/experience?days=7&days=30')).statusCode).toBe(400);
  });

  it('checks the key before the query: a bad query without a key is a 401', async () => {
    expect((await get('/api/v1/experience?days=14', null)).statusCode).toBe(401);
  });

  it('accepts experience:read in API_KEYS', () => {
    const keys = parseApiKeys(
      JSON.stringify([{ name: 'prometheus', hash: hashApiKey('k'.repeat(20)), scopes: ['experience:read'] }]),
      'API_KEYS',
    );
    expect(keys[0]!.scopes).toEqual(['experience:read']);
  });
});

describe('GET /api/v1/experience', () => {
  it('reports the last 30 days by default, every service sorted by name, with the catalog’s targets', async () => {
    const res = await get('/api/v1/experience');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const report = res.json<ExperienceReport>();
    expect(Date.parse(report.window.to) - Date.parse(report.window.from)).toBe(30 * day);
    expect(report.generatedAt).toBe(report.window.to);
    expect(report.percentiles).toEqual([50, 90, 95, 99]);
    expect(report.services.map((s) => [s.serviceId, s.name, s.xlaStatus])).toEqual([
      ['desk-phone', 'Desk phone', 'broken'],
      ['expensatron', 'Expensatron', 'broken'],
      ['mail', 'mail', null],
      ['vpn', 'vpn', null],
    ]);
    // The 20-day-old desk phone journey counts in 30 days: 11 journeys, silence p95 50 h ≥ 48 h.
    const desk = report.services[0]!;
    expect(desk.figures.journeys.count).toBe(11);
    expect(desk.figures.journeys.timeToOutcomeMs.percentiles).toEqual([
      { percentile: 50, value: 12 * 3_600_000 },
      { percentile: 90, value: 20 * 3_600_000 },
      { percentile: 95, value: 100 * 3_600_000 },
      { percentile: 99, value: 100 * 3_600_000 },
    ]);
    expect(desk.xla.map((e) => [e.id, e.status, e.measured, e.threshold])).toEqual([
      ['time-to-outcome-p90', 'met', 20 * 3_600_000, 72 * 3_600_000],
      ['longest-silence-p95', 'broken', 50 * 3_600_000, 48 * 3_600_000],
    ]);
  });

  it('reports the last 7 days with exact percentiles, NPS, counts and XLA statuses', async () => {
    const res = await get('/api/v1/experience?days=7', apiKeys.all);
    expect(res.statusCode).toBe(200);
    const report = res.json<ExperienceReport>();
    expect(Date.parse(report.window.to) - Date.parse(report.window.from)).toBe(7 * day);
    const [desk, expensatron, mail, vpn] = report.services;

    expect(desk!.figures.journeys.count).toBe(10);
    expect(desk!.figures.journeys.timeToOutcomeMs.percentiles.map((p) => p.value)).toEqual(
      [10, 18, 20, 20].map((x) => x * 3_600_000),
    );
    expect(desk!.figures.journeys.longestSilenceMs.percentiles.map((p) => p.value)).toEqual(
      [20, 36, 44, 44].map((x) => x * 3_600_000),
    );
    expect(desk!.xla.map((e) => [e.id, e.status])).toEqual([
      ['time-to-outcome-p90', 'met'],
      ['longest-silence-p95', 'at-risk'],
    ]);
    expect(desk!.xlaStatus).toBe('at-risk');

    const j = expensatron!.figures.journeys;
    expect(j.count).toBe(20);
    expect(j.outcomes).toEqual({ completed: 16, 'failed-compensated': 1, 'not-eligible': 2, rejected: 1 });
    expect(j.cameBack).toBe(3);
    expect(j.timeToOutcomeMs).toEqual({
      count: 20,
      min: 15_000,
      max: 3_600_000,
      mean: 273_450,
      percentiles: [
        { percentile: 50, value: 61_000 },
        { percentile: 90, value: 240_000 },
        { percentile: 95, value: 600_000 },
        { percentile: 99, value: 3_600_000 },
      ],
    });
    expect(j.longestSilenceMs.percentiles.map((p) => p.value)).toEqual([30_000, 120_000, 900_000, 1_800_000]);
    expect(j.userInputs.mean).toBe(1.25);
    expect(expensatron!.figures.nps.overall).toEqual({
      responses: 11,
      promoters: 6,
      passives: 2,
      detractors: 3,
      score: 27,
    });
    // Expensatron's targets: p95 < 2 min (600 s), silence p95 < 2 min (900 s), came back ≤ 10 % (15 %), NPS ≥ 30 (27).
    expect(expensatron!.xla.map((e) => [e.id, e.status, e.measured])).toEqual([
      ['time-to-outcome-p95', 'broken', 600_000],
      ['longest-silence-p95', 'broken', 900_000],
      ['came-back', 'broken', 15],
      ['nps', 'broken', 27],
    ]);

    expect(vpn!.figures.journeys.timeToOutcomeMs.percentiles.map((p) => p.value)).toEqual([
      40_000, 80_000, 80_000, 80_000,
    ]);
    expect(vpn!.figures.nps.overall).toEqual({ responses: 8, promoters: 1, passives: 5, detractors: 2, score: -13 });

    const i = mail!.figures.incidents;
    expect([
      i.count,
      i.subscribersTold,
      i.affected,
      i.confirmedFixed,
      i.stillBroken,
      i.noAnswer,
      i.followedUp,
      i.reopened,
      i.unsettled,
    ]).toEqual([3, 250, 45, 36, 3, 6, 3, 1, 1]);
    expect(i.timeToFirstAnnouncementMs.percentiles.map((p) => p.value)).toEqual([120_000, 300_000, 300_000, 300_000]);
    expect(i.settleTimeMs.percentiles.map((p) => p.value)).toEqual([1_800_000, 7_200_000, 7_200_000, 7_200_000]);
    expect(mail!.figures.nps.overall).toEqual({ responses: 8, promoters: 4, passives: 1, detractors: 3, score: 13 });

    const [first, second] = fixtureDays(shifted);
    expect(report.daily.map((d) => [d.day, d.serviceId, d.journeys, d.incidents])).toEqual([
      [first, 'expensatron', 10, 0],
      [first, 'mail', 0, 1],
      [second, 'desk-phone', 10, 0],
      [second, 'expensatron', 10, 0],
      [second, 'mail', 0, 2],
      [second, 'vpn', 8, 0],
    ]);
    expect(report.worst.longestTimeToOutcome.map((w) => w.journeyId)).toEqual(
      [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((n) => `fulfil-desk-phone-d${n}`),
    );
  });

  it('narrows to one service, worst journeys included', async () => {
    const report = (await get('/api/v1/experience?days=7&service=expensatron')).json<ExperienceReport>();
    expect(report.services.map((s) => s.serviceId)).toEqual(['expensatron']);
    expect(report.daily.every((d) => d.serviceId === 'expensatron')).toBe(true);
    expect(report.worst.longestTimeToOutcome.slice(0, 3).map((w) => [w.journeyId, w.outcome, w.value])).toEqual([
      ['fulfilment-expensatron-e13', 'failed-compensated', 3_600_000],
      ['fulfilment-expensatron-e04', 'completed', 600_000],
      ['fulfilment-expensatron-e08', 'completed', 240_000],
    ]);
    expect(report.worst.lowestNps.map((w) => [w.journeyId, w.value, w.comment])).toEqual([
      ['fulfilment-expensatron-e13', 0, 'Lost my =SUM(A1) account, twice'],
      ['fulfilment-expensatron-e14', 4, 'Slow, "very" slow — better after the call'],
      ['fulfilment-expensatron-e11', 6, null],
    ]);
    // A service nobody recorded anything for: an empty report, not an error.
    const none = (await get('/api/v1/experience?service=printers')).json<ExperienceReport>();
    expect(none.services).toEqual([]);
    expect(none.worst.longestTimeToOutcome).toEqual([]);
  });

  it('is the export’s JSON document, and the OpenAPI schema describes every field of it', async () => {
    const body = (await get('/api/v1/experience?days=7')).json<ExperienceReport>();
    const port = fixtureCatalog;
    const direct = await createExperienceReports({
      store: t.deps.experience,
      definitions: () => port.xlaDefinitions(),
      now: () => new Date(body.generatedAt),
    }).report({ days: 7 });
    expect(body).toEqual(JSON.parse(renderReportJson(direct)));
    // zod objects drop keys they do not know: equality means nothing is undocumented.
    expect(experienceReportSchema.parse(body)).toEqual(body);
  });
});

describe('GET /api/v1/experience/{table}.csv', () => {
  it('services: one row per service with the exact figures', async () => {
    const res = await get('/api/v1/experience/services.csv?days=7');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="experience-services-7d.csv"');
    const lines = csvLines(res.body);
    expect(lines[0]).toBe(
      'service_id,service,window_from,window_to,journeys,came_back,' +
        'time_to_outcome_p50_ms,time_to_outcome_p90_ms,time_to_outcome_p95_ms,time_to_outcome_p99_ms,time_to_outcome_max_ms,' +
        'longest_silence_p50_ms,longest_silence_p90_ms,longest_silence_p95_ms,longest_silence_p99_ms,longest_silence_max_ms,' +
        'user_inputs_mean,messages_sent_mean,nps_responses,nps_promoters,nps_passives,nps_detractors,nps_score,' +
        'incidents,subscribers_told,affected,confirmed_fixed,still_broken,no_answer,followed_up,reopened,unsettled,' +
        'first_announcement_p50_ms,first_announcement_p90_ms,first_announcement_p95_ms,first_announcement_p99_ms,' +
        'settle_time_p50_ms,settle_time_p90_ms,settle_time_p95_ms,settle_time_p99_ms,settle_time_max_ms,xla_status',
    );
    expect(lines).toHaveLength(5);
    // window_from and window_to depend on the clock: check their span, then the rest exactly.
    const rows = lines.slice(1).map((l) => l.split(','));
    for (const r of rows) expect(Date.parse(r[3]!) - Date.parse(r[2]!)).toBe(7 * day);
    const figures = rows.map((r) => [...r.slice(0, 2), ...r.slice(4)].join(','));
    expect(figures).toEqual([
      'desk-phone,Desk phone,10,0,36000000,64800000,72000000,72000000,72000000,72000000,129600000,158400000,158400000,158400000,1,3,0,0,0,0,,0,0,0,0,0,0,0,0,0,,,,,,,,,,at-risk',
      'expensatron,Expensatron,20,3,61000,240000,600000,3600000,3600000,30000,120000,900000,1800000,1800000,1.25,3.1,11,6,2,3,27,0,0,0,0,0,0,0,0,0,,,,,,,,,,broken',
      'mail,mail,0,0,,,,,,,,,,,,,8,4,1,3,13,3,250,45,36,3,6,3,1,1,120000,300000,300000,300000,1800000,7200000,7200000,7200000,7200000,',
      'vpn,vpn,8,0,40000,80000,80000,80000,80000,20000,40000,40000,40000,40000,1,3,8,1,5,2,-13,0,0,0,0,0,0,0,0,0,,,,,,,,,,',
    ]);
  });

  it('xla, daily and worst', async () => {
    const xla = csvLines((await get('/api/v1/experience/xla.csv?days=7')).body);
    expect(xla).toEqual([
      'service_id,service,xla,description,status,measured,threshold,unit',
      'desk-phone,Desk phone,time-to-outcome-p90,90% delivered within 3 days,met,64800000,259200000,ms',
      'desk-phone,Desk phone,longest-silence-p95,Nobody waits more than 2 days without news,at-risk,158400000,172800000,ms',
      'expensatron,Expensatron,time-to-outcome-p95,95% of requests done in under 2 minutes,broken,600000,120000,ms',
      'expensatron,Expensatron,longest-silence-p95,Nobody waits more than 2 minutes without news,broken,900000,120000,ms',
      'expensatron,Expensatron,came-back,At most 1 in 10 people have to come back,broken,15,10,percent',
      'expensatron,Expensatron,nps,NPS of at least 30,broken,27,30,nps',
    ]);

    const [first, second] = fixtureDays(shifted);
    const daily = csvLines((await get('/api/v1/experience/daily.csv?days=7&service=vpn')).body);
    expect(daily).toEqual([
      'day,service_id,journeys,time_to_outcome_p50_ms,time_to_outcome_p90_ms,time_to_outcome_p95_ms,time_to_outcome_p99_ms,longest_silence_max_ms,nps_responses,nps_score,incidents,settle_time_p50_ms,settle_time_p90_ms,settle_time_p95_ms,settle_time_p99_ms',
      `${second},vpn,8,40000,80000,80000,80000,40000,8,-13,0,,,,`,
    ]);
    const all = csvLines((await get('/api/v1/experience/daily.csv?days=30')).body);
    // The old desk phone journey's day comes first, then the fixtures' two days.
    expect(all.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      `${new Date(fedAt.getTime() - 20 * day).toISOString().slice(0, 10)},desk-phone,1`,
      `${first},expensatron,10`,
      `${first},mail,0`,
      `${second},desk-phone,10`,
      `${second},expensatron,10`,
      `${second},mail,0`,
      `${second},vpn,8`,
    ]);

    const worst = csvLines((await get('/api/v1/experience/worst.csv?days=7&service=expensatron')).body);
    expect(worst[0]).toBe('list,journey_id,service_id,requester,outcome,at,value,comment');
    const e13 = expensatronAt('e13');
    expect(worst[1]).toBe(
      `longest-time-to-outcome,fulfilment-expensatron-e13,expensatron,user13,failed-compensated,${e13},3600000,`,
    );
    // RFC 4180 quoting, and a comment that a spreadsheet would run as a formula is neutralised.
    expect(worst).toContain(
      `lowest-nps,fulfilment-expensatron-e13,expensatron,user13,failed-compensated,${e13},0,"Lost my =SUM(A1) account, twice"`,
    );
    expect(worst.filter((l) => l.startsWith('lowest-nps,'))).toHaveLength(3);
    expect(worst.filter((l) => l.startsWith('longest-silence,'))[0]).toBe(
      `longest-silence,fulfilment-expensatron-e13,expensatron,user13,failed-compensated,${e13},1800000,`,
    );
  });

  it('answers 404 for a table that does not exist', async () => {
    const res = await get('/api/v1/experience/people.csv');
    expect(res.statusCode).toBe(404);
    expect(asProblem(res)).toMatchObject({
      kind: 'not-found',
      detail: 'No experience table "people": use services, xla, daily, worst',
    });
    expect((await get('/api/v1/experience/services.xlsx')).statusCode).toBe(404);
  });

  /** When e13 finished, after the shift (the fixtures put it at 2026-03-03T11:00Z). */
  function expensatronAt(id: 'e13'): string {
    const offsets = { e13: Date.parse('2026-03-03T11:00:00.000Z') };
    return new Date(offsets[id] + shifted * day).toISOString();
  }
});

describe('GET /api/v1/experience/metrics', () => {
  it('exposes the same figures for Prometheus, durations in seconds', async () => {
    const res = await get('/api/v1/experience/metrics?days=7');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(prometheusContentType);
    const m = samples(res.body);
    const p = 'service_journeys_experience_';
    expect(m.get(`${p}window_seconds`)).toBe(7 * 86_400);
    expect(m.get(`${p}journeys{service="expensatron"}`)).toBe(20);
    expect(m.get(`${p}journeys{service="desk-phone"}`)).toBe(10);
    expect(m.get(`${p}journeys_by_outcome{service="expensatron",outcome="not-eligible"}`)).toBe(2);
    expect(m.get(`${p}journeys_came_back{service="expensatron"}`)).toBe(3);
    expect(m.get(`${p}time_to_outcome_seconds{service="expensatron",quantile="0.5"}`)).toBe(61);
    expect(m.get(`${p}time_to_outcome_seconds{service="expensatron",quantile="0.95"}`)).toBe(600);
    expect(m.get(`${p}time_to_outcome_seconds{service="desk-phone",quantile="0.9"}`)).toBe(18 * 3600);
    expect(m.get(`${p}longest_silence_seconds{service="desk-phone",quantile="0.95"}`)).toBe(44 * 3600);
    expect(m.get(`${p}longest_silence_max_seconds{service="expensatron"}`)).toBe(1800);
    expect(m.get(`${p}nps_score{service="expensatron"}`)).toBe(27);
    expect(m.get(`${p}nps_score{service="vpn"}`)).toBe(-13);
    expect(m.get(`${p}nps_responses{service="mail",category="promoter"}`)).toBe(4);
    expect(m.get(`${p}nps_responses{service="mail",category="detractor"}`)).toBe(3);
    expect(m.get(`${p}incidents{service="mail"}`)).toBe(3);
    expect(m.get(`${p}incident_users{service="mail",state="affected"}`)).toBe(45);
    expect(m.get(`${p}incident_users{service="mail",state="followed_up"}`)).toBe(3);
    expect(m.get(`${p}incidents_unsettled{service="mail"}`)).toBe(1);
    expect(m.get(`${p}incident_settle_seconds{service="mail",quantile="0.5"}`)).toBe(1800);
    expect(m.get(`${p}incident_first_announcement_seconds{service="mail",quantile="0.5"}`)).toBe(120);
    expect(m.get(`${p}xla_status{service="desk-phone",xla="longest-silence-p95",status="at-risk"}`)).toBe(1);
    expect(m.get(`${p}xla_status{service="desk-phone",xla="longest-silence-p95",status="broken"}`)).toBe(0);
    expect(m.get(`${p}xla_status{service="desk-phone",xla="time-to-outcome-p90",status="met"}`)).toBe(1);
    expect(m.get(`${p}xla_measured{service="expensatron",xla="nps",unit="nps"}`)).toBe(27);
    expect(m.get(`${p}xla_threshold{service="desk-phone",xla="longest-silence-p95",unit="seconds"}`)).toBe(48 * 3600);
    expect(res.body).toContain(`# TYPE ${p}nps_score gauge`);
  });

  it('follows the window: in 30 days the desk phone silence target is broken', async () => {
    const m = samples((await get('/api/v1/experience/metrics')).body);
    const p = 'service_journeys_experience_';
    expect(m.get(`${p}window_seconds`)).toBe(30 * 86_400);
    expect(m.get(`${p}journeys{service="desk-phone"}`)).toBe(11);
    expect(m.get(`${p}xla_status{service="desk-phone",xla="longest-silence-p95",status="broken"}`)).toBe(1);
  });
});

describe('OpenAPI', () => {
  it('documents the experience endpoints, their scope and their query', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown;
            parameters?: { name: string; in: string; schema: { enum?: string[] } }[];
            responses: Record<string, { content?: Record<string, unknown> }>;
          }
        >
      >;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.includes('experience'))
        .sort(),
    ).toEqual(['/api/v1/experience', '/api/v1/experience/metrics', '/api/v1/experience/{table}.csv']);
    const report = doc.paths['/api/v1/experience']!.get!;
    expect(report.security).toEqual([{ bearerAuth: [] }]);
    expect(report.parameters?.find((p) => p.name === 'days')?.schema.enum).toEqual(['7', '30', '90']);
    expect(report.parameters?.find((p) => p.name === 'service')?.in).toBe('query');
    expect(JSON.stringify(report.responses['200'])).toContain('#/components/schemas/ExperienceReport');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ExperienceReport', 'XlaEvaluation', 'NpsSummary', 'WorstJourney']),
    );
    expect(Object.keys(doc.paths['/api/v1/experience/{table}.csv']!.get!.responses['200']!.content ?? {})).toEqual([
      'text/csv',
    ]);
    expect(Object.keys(doc.paths['/api/v1/experience/metrics']!.get!.responses['200']!.content ?? {})).toEqual([
      'text/plain',
    ]);
  });
});
