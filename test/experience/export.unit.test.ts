import { beforeAll, describe, expect, it } from 'vitest';
import {
  csvField,
  renderDailyCsv,
  renderReportJson,
  renderServicesCsv,
  renderWorstJourneysCsv,
  renderXlaCsv,
  toCsv,
} from '../../experience/export';
import type { ExperienceReport } from '../../experience/report';
import { fixtureReport } from './fixtures';

/** An RFC 4180 reader, to prove what we write reads back as the same fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('last line not ended by CRLF');
  return rows;
}

describe('CSV escaping', () => {
  it('quotes fields with commas, quotes, CR or LF and doubles inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('')).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(true)).toBe('true');
  });

  it('neutralises text a spreadsheet would run as a formula, but not numbers', () => {
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('+44 7700')).toBe("'+44 7700");
    expect(csvField('-1+1')).toBe("'-1+1");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('=1,"2"')).toBe('"\'=1,""2"""');
    expect(csvField(-13)).toBe('-13');
    expect(csvField(1.25)).toBe('1.25');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('ends every line with CRLF and reads back field for field', () => {
    const fields = ['a,b', 'say "hi"', 'two\r\nlines', 'x'];
    const csv = toCsv(['h1', 'h2', 'h3', 'h4'], [fields]);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(parseCsv(csv)).toEqual([['h1', 'h2', 'h3', 'h4'], fields]);
  });
});

describe('report export', () => {
  let report: ExperienceReport;

  beforeAll(async () => {
    report = await fixtureReport();
  });

  it('exports the whole report as JSON', () => {
    expect(JSON.parse(renderReportJson(report))).toEqual(report);
  });

  it('exports one row per service with the figures of the page', () => {
    const [header, ...rows] = parseCsv(renderServicesCsv(report));
    const byName = (row: string[]): Record<string, string> =>
      Object.fromEntries(header!.map((h, i) => [h, row[i] ?? '']));
    expect(rows.map((r) => byName(r).service_id)).toEqual(['expensatron', 'laptop', 'mail', 'vpn']);
    const e = byName(rows[0]!);
    expect(e).toMatchObject({
      service: 'Expensatron',
      window_from: '2026-03-02T00:00:00.000Z',
      journeys: '20',
      came_back: '3',
      time_to_outcome_p50_ms: '61000',
      time_to_outcome_p80_ms: '110000',
      time_to_outcome_p95_ms: '600000',
      time_to_outcome_p99_ms: '3600000',
      longest_silence_max_ms: '1800000',
      user_inputs_mean: '1.25',
      nps_responses: '11',
      nps_promoters: '6',
      nps_passives: '2',
      nps_detractors: '3',
      nps_score: '27',
      xla_status: 'broken',
    });
    const laptop = byName(rows[1]!);
    expect(laptop.journeys).toBe('0');
    expect(laptop.time_to_outcome_p50_ms).toBe('');
    expect(laptop.nps_score).toBe('');
    expect(byName(rows[2]!)).toMatchObject({
      incidents: '3',
      affected: '45',
      settle_time_p50_ms: '1800000',
      unsettled: '1',
    });
    expect(byName(rows[3]!)).toMatchObject({ nps_score: '-13', xla_status: '' });
  });

  it('exports XLA evaluations, the daily series and the worst journeys', () => {
    const xla = parseCsv(renderXlaCsv(report));
    expect(xla[0]).toEqual(['service_id', 'service', 'xla', 'description', 'status', 'measured', 'threshold', 'unit']);
    expect(xla[1]).toEqual([
      'expensatron',
      'Expensatron',
      'time-to-outcome-p95',
      '95% of journeys reach an outcome in under 2 min',
      'broken',
      '600000',
      '120000',
      'ms',
    ]);
    expect(xla).toHaveLength(1 + 7 + 1 + 3);

    const daily = parseCsv(renderDailyCsv(report));
    expect(daily.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      ['2026-03-02', 'expensatron', '10'],
      ['2026-03-02', 'mail', '0'],
      ['2026-03-03', 'expensatron', '10'],
      ['2026-03-03', 'mail', '0'],
      ['2026-03-03', 'vpn', '8'],
    ]);

    const worst = parseCsv(renderWorstJourneysCsv(report));
    expect(worst[0]).toEqual(['list', 'journey_id', 'service_id', 'requester', 'outcome', 'at', 'value', 'comment']);
    const nps = worst.filter((r) => r[0] === 'lowest-nps');
    // user comments come back intact (text only runs as a formula when it starts with =, +, -, @)
    expect(nps.map((r) => [r[1], r[6], r[7]])).toEqual([
      ['fulfilment-expensatron-e13', '0', 'Lost my =SUM(A1) account, twice'],
      ['fulfilment-vpn-v2', '0', ''],
      ['fulfilment-expensatron-e14', '4', 'Slow, "very" slow — better after the call'],
    ]);
    expect(worst.filter((r) => r[0] === 'longest-time-to-outcome').map((r) => r[1])).toEqual([
      'fulfilment-expensatron-e13',
      'fulfilment-expensatron-e04',
      'fulfilment-expensatron-e08',
    ]);
  });
});
