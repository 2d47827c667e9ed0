/**
 * The experience report as JSON and CSV downloads (the same figures as the page and /metrics).
 *
 * CSV follows RFC 4180: fields separated by commas, lines ended by CRLF, a field containing a
 * comma, a double quote, CR or LF is enclosed in double quotes with inner quotes doubled. Text
 * fields that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR — an NPS
 * comment is user input) get a leading apostrophe; numbers are written as they are.
 */
import { percentileOf } from './aggregate';
import type { ExperienceReport } from './report';
import type { Distribution } from './types';

export type CsvValue = string | number | boolean | null | undefined;

/** One CSV field: quoted when needed, formula-like text neutralised, null/undefined empty. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: header line then rows, each line ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/** The whole report as JSON (what the page shows, machine-readable). */
export function renderReportJson(report: ExperienceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const pcols = (report: ExperienceReport, name: string): string[] => report.percentiles.map((p) => `${name}_p${p}_ms`);
const pvals = (report: ExperienceReport, d: Distribution): CsvValue[] =>
  report.percentiles.map((p) => percentileOf(d, p));

/** One row per service: journeys, time to outcome, silence, effort, NPS, incidents, XLA status. */
export function renderServicesCsv(report: ExperienceReport): string {
  const header = [
    'service_id',
    'service',
    'window_from',
    'window_to',
    'journeys',
    'came_back',
    ...pcols(report, 'time_to_outcome'),
    'time_to_outcome_max_ms',
    ...pcols(report, 'longest_silence'),
    'longest_silence_max_ms',
    'user_inputs_mean',
    'messages_sent_mean',
    'nps_responses',
    'nps_promoters',
    'nps_passives',
    'nps_detractors',
    'nps_score',
    'incidents',
    'subscribers_told',
    'affected',
    'confirmed_fixed',
    'still_broken',
    'no_answer',
    'followed_up',
    'reopened',
    'unsettled',
    ...pcols(report, 'first_announcement'),
    ...pcols(report, 'settle_time'),
    'settle_time_max_ms',
    'xla_status',
  ];
  const rows = report.services.map((s) => {
    const j = s.figures.journeys;
    const i = s.figures.incidents;
    const n = s.figures.nps.overall;
    return [
      s.serviceId,
      s.name,
      report.window.from,
      report.window.to,
      j.count,
      j.cameBack,
      ...pvals(report, j.timeToOutcomeMs),
      j.timeToOutcomeMs.max,
      ...pvals(report, j.longestSilenceMs),
      j.longestSilenceMs.max,
      j.userInputs.mean,
      j.messagesSent.mean,
      n.responses,
      n.promoters,
      n.passives,
      n.detractors,
      n.score,
      i.count,
      i.subscribersTold,
      i.affected,
      i.confirmedFixed,
      i.stillBroken,
      i.noAnswer,
      i.followedUp,
      i.reopened,
      i.unsettled,
      ...pvals(report, i.timeToFirstAnnouncementMs),
      ...pvals(report, i.settleTimeMs),
      i.settleTimeMs.max,
      s.xlaStatus,
    ];
  });
  return toCsv(header, rows);
}

/** One row per XLA target and service. */
export function renderXlaCsv(report: ExperienceReport): string {
  const rows = report.services.flatMap((s) =>
    s.xla.map((e) => [s.serviceId, s.name, e.id, e.description, e.status, e.measured, e.threshold, e.unit]),
  );
  return toCsv(['service_id', 'service', 'xla', 'description', 'status', 'measured', 'threshold', 'unit'], rows);
}

/** One row per service per UTC day. */
export function renderDailyCsv(report: ExperienceReport): string {
  const header = [
    'day',
    'service_id',
    'journeys',
    ...pcols(report, 'time_to_outcome'),
    'longest_silence_max_ms',
    'nps_responses',
    'nps_score',
    'incidents',
    ...pcols(report, 'settle_time'),
  ];
  const rows = report.daily.map((d) => [
    d.day,
    d.serviceId,
    d.journeys,
    ...pvals(report, d.timeToOutcomeMs),
    d.longestSilenceMs.max,
    d.nps.responses,
    d.nps.score,
    d.incidents,
    ...pvals(report, d.settleTimeMs),
  ]);
  return toCsv(header, rows);
}

/** The three worst-journey lists in one table, `list` naming which. */
export function renderWorstJourneysCsv(report: ExperienceReport): string {
  const lists = [
    ['longest-time-to-outcome', report.worst.longestTimeToOutcome],
    ['lowest-nps', report.worst.lowestNps],
    ['longest-silence', report.worst.longestSilence],
  ] as const;
  const rows = lists.flatMap(([list, entries]) =>
    entries.map((e) => [list, e.journeyId, e.serviceId, e.requester, e.outcome, e.at, e.value, e.comment]),
  );
  return toCsv(['list', 'journey_id', 'service_id', 'requester', 'outcome', 'at', 'value', 'comment'], rows);
}
