/**
 * The experience page for IT staff: an HTML fragment (the portal puts it inside its layout) built
 * from an {@link ExperienceReport}. Pure and self-contained: plain tables with captions and
 * scoped headers, status in words (not colour alone), no script needed. Every value from the
 * report is escaped — NPS comments and ids are user input.
 */
import { percentileOf } from '../../experience/aggregate';
import { formatDuration, formatNps, formatPercent } from '../../experience/format';
import type { ExperienceReport, ServiceReport } from '../../experience/report';
import type { Distribution, WorstJourney, XlaEvaluation, XlaStatus } from '../../experience/types';
import { escapeHtml } from '../web/html';
import { renderTrendCharts } from './charts';

export interface ExperiencePageOptions {
  /** Where people open the Temporal UI, e.g. http://localhost:8233; null: journey ids without links. */
  temporalUiUrl: string | null;
  namespace: string;
}

function esc(value: string | number): string {
  return escapeHtml(String(value));
}

/** Link to a workflow in the Temporal UI (`<ui>/namespaces/<ns>/workflows/<workflowId>`). */
export function temporalWorkflowUrl(
  options: ExperiencePageOptions & { temporalUiUrl: string },
  workflowId: string,
): string {
  return `${options.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(options.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

const statusLabel: Record<XlaStatus, string> = {
  met: 'Met',
  'at-risk': 'At risk',
  broken: 'Broken',
  'no-data': 'No data',
};
const statusMark: Record<XlaStatus, string> = { met: '✓', 'at-risk': '!', broken: '✗', 'no-data': '–' };

function status(s: XlaStatus | null): string {
  if (s === null) return '<span class="xla-status xla-none">No targets</span>';
  return `<span class="xla-status xla-${s}"><span aria-hidden="true">${statusMark[s]} </span>${statusLabel[s]}</span>`;
}

function time(iso: string): string {
  const d = new Date(iso);
  return `<time datetime="${esc(d.toISOString())}">${esc(`${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`)}</time>`;
}

function measured(e: XlaEvaluation): string {
  if (e.measured === null) return '—';
  if (e.unit === 'ms') return formatDuration(e.measured);
  if (e.unit === 'nps') return formatNps(e.measured);
  return formatPercent(e.measured);
}

function threshold(e: XlaEvaluation): string {
  if (e.unit === 'ms') return `under ${formatDuration(e.threshold)}`;
  if (e.unit === 'nps') return `at least ${formatNps(e.threshold)}`;
  return `at most ${formatPercent(e.threshold)}`;
}

interface Column<T> {
  header: string;
  /** Already-escaped cell HTML. */
  cell: (row: T) => string;
  numeric?: boolean;
}

/** A table whose first column heads each row; a paragraph instead when there are no rows. */
function table<T>(
  id: string,
  caption: string,
  columns: readonly Column<T>[],
  rows: readonly T[],
  empty: string,
): string {
  if (rows.length === 0)
    return `<section aria-labelledby="${id}-title"><h3 id="${id}-title">${esc(caption)}</h3><p class="empty">${esc(empty)}</p></section>`;
  const head = columns.map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${esc(c.header)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${columns
          .map((c, i) =>
            i === 0
              ? `<th scope="row">${c.cell(row)}</th>`
              : `<td${c.numeric ? ' class="num"' : ''}>${c.cell(row)}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<section aria-labelledby="${id}-title"><h3 id="${id}-title">${esc(caption)}</h3>
<table id="${id}"><caption>${esc(caption)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></section>`;
}

const pct = (d: Distribution, p: number): string => esc(formatDuration(percentileOf(d, p)));
const n = (v: number): string => esc(v);
const mean = (v: number | null): string => (v === null ? '—' : esc(Math.round(v * 10) / 10));

/** The experience page fragment. Pure: same report, same HTML. */
export function renderExperiencePage(report: ExperienceReport, options: ExperiencePageOptions): string {
  const services = report.services;
  const serviceName = new Map(services.map((s) => [s.serviceId, s.name]));
  const nameOf = (id: string): string => esc(serviceName.get(id) ?? id);
  const ps = report.percentiles;

  const xlaRows = services.flatMap((s) => s.xla.map((e) => ({ s, e })));
  const xla = table<{ s: ServiceReport; e: XlaEvaluation }>(
    'experience-xla',
    'Experience level agreements',
    [
      { header: 'Service', cell: ({ s }) => esc(s.name) },
      { header: 'Target', cell: ({ e }) => esc(e.description) },
      { header: 'Threshold', cell: ({ e }) => esc(threshold(e)) },
      { header: 'Measured', cell: ({ e }) => esc(measured(e)), numeric: true },
      { header: 'Status', cell: ({ e }) => status(e.status) },
    ],
    xlaRows,
    'No service has experience targets yet.',
  );

  const timeToOutcome = table<ServiceReport>(
    'experience-time-to-outcome',
    'Time to outcome per service',
    [
      { header: 'Service', cell: (s) => esc(s.name) },
      { header: 'Journeys', cell: (s) => n(s.figures.journeys.count), numeric: true },
      ...ps.map((p): Column<ServiceReport> => ({
        header: `p${p}`,
        cell: (s) => pct(s.figures.journeys.timeToOutcomeMs, p),
        numeric: true,
      })),
      {
        header: 'Longest silence (max)',
        cell: (s) => esc(formatDuration(s.figures.journeys.longestSilenceMs.max)),
        numeric: true,
      },
      { header: 'Came back', cell: (s) => n(s.figures.journeys.cameBack), numeric: true },
      { header: 'Inputs per journey (mean)', cell: (s) => mean(s.figures.journeys.userInputs.mean), numeric: true },
      { header: 'Messages per journey (mean)', cell: (s) => mean(s.figures.journeys.messagesSent.mean), numeric: true },
      { header: 'XLA', cell: (s) => status(s.xlaStatus) },
    ],
    services,
    'No services yet.',
  );

  const nps = table<ServiceReport>(
    'experience-nps',
    'Net Promoter Score per service',
    [
      { header: 'Service', cell: (s) => esc(s.name) },
      { header: 'Responses', cell: (s) => n(s.figures.nps.overall.responses), numeric: true },
      { header: 'Promoters (9–10)', cell: (s) => n(s.figures.nps.overall.promoters), numeric: true },
      { header: 'Passives (7–8)', cell: (s) => n(s.figures.nps.overall.passives), numeric: true },
      { header: 'Detractors (0–6)', cell: (s) => n(s.figures.nps.overall.detractors), numeric: true },
      { header: 'NPS', cell: (s) => esc(formatNps(s.figures.nps.overall.score)), numeric: true },
    ],
    services,
    'No services yet.',
  );

  const withIncidents = services.filter((s) => s.figures.incidents.count > 0);
  const incidents = table<ServiceReport>(
    'experience-incidents',
    'Incident settle times per service',
    [
      { header: 'Service', cell: (s) => esc(s.name) },
      { header: 'Incidents', cell: (s) => n(s.figures.incidents.count), numeric: true },
      {
        header: 'First announcement (p50)',
        cell: (s) => pct(s.figures.incidents.timeToFirstAnnouncementMs, 50),
        numeric: true,
      },
      { header: 'Told', cell: (s) => n(s.figures.incidents.subscribersTold), numeric: true },
      { header: 'Affected', cell: (s) => n(s.figures.incidents.affected), numeric: true },
      { header: 'Confirmed fixed', cell: (s) => n(s.figures.incidents.confirmedFixed), numeric: true },
      { header: 'Still broken', cell: (s) => n(s.figures.incidents.stillBroken), numeric: true },
      { header: 'No answer', cell: (s) => n(s.figures.incidents.noAnswer), numeric: true },
      { header: 'Followed up', cell: (s) => n(s.figures.incidents.followedUp), numeric: true },
      ...ps.map((p): Column<ServiceReport> => ({
        header: `Settled p${p}`,
        cell: (s) => pct(s.figures.incidents.settleTimeMs, p),
        numeric: true,
      })),
      { header: 'Not yet settled', cell: (s) => n(s.figures.incidents.unsettled), numeric: true },
    ],
    withIncidents,
    'No incidents in this window.',
  );

  const daily = table(
    'experience-daily',
    'Per day',
    [
      { header: 'Day', cell: (d) => `<time datetime="${esc(d.day)}">${esc(d.day)}</time>` },
      { header: 'Service', cell: (d) => nameOf(d.serviceId) },
      { header: 'Journeys', cell: (d) => n(d.journeys), numeric: true },
      { header: 'Time to outcome p50', cell: (d) => pct(d.timeToOutcomeMs, 50), numeric: true },
      { header: 'Time to outcome p95', cell: (d) => pct(d.timeToOutcomeMs, 95), numeric: true },
      { header: 'NPS', cell: (d) => esc(formatNps(d.nps.score)), numeric: true },
      { header: 'NPS responses', cell: (d) => n(d.nps.responses), numeric: true },
      { header: 'Incidents', cell: (d) => n(d.incidents), numeric: true },
      { header: 'Settled p95', cell: (d) => pct(d.settleTimeMs, 95), numeric: true },
    ],
    report.daily,
    'Nothing recorded in this window.',
  );

  const ui = options.temporalUiUrl;
  const journeyLink = (w: WorstJourney): string =>
    ui === null
      ? esc(w.journeyId)
      : `<a href="${esc(temporalWorkflowUrl({ ...options, temporalUiUrl: ui }, w.journeyId))}">${esc(w.journeyId)}</a>`;
  const worstColumns = (
    valueHeader: string,
    value: (w: WorstJourney) => string,
    withComment = false,
  ): Column<WorstJourney>[] => [
    { header: 'Journey', cell: journeyLink },
    { header: 'Service', cell: (w) => nameOf(w.serviceId) },
    { header: 'Requester', cell: (w) => esc(w.requester) },
    { header: 'Outcome', cell: (w) => esc(w.outcome ?? '—') },
    { header: valueHeader, cell: value, numeric: true },
    ...(withComment ? [{ header: 'Comment', cell: (w: WorstJourney) => esc(w.comment ?? '') }] : []),
    { header: withComment ? 'Answered' : 'Finished', cell: (w) => time(w.at) },
  ];
  const worst = [
    table(
      'experience-worst-time',
      'Longest time to outcome',
      worstColumns('Time to outcome', (w) => esc(formatDuration(w.value))),
      report.worst.longestTimeToOutcome,
      'No journeys in this window.',
    ),
    table(
      'experience-worst-nps',
      'Lowest NPS (detractors)',
      worstColumns('Score', (w) => n(w.value), true),
      report.worst.lowestNps,
      'No detractors in this window.',
    ),
    table(
      'experience-worst-silence',
      'Longest silence',
      worstColumns('Longest silence', (w) => esc(formatDuration(w.value))),
      report.worst.longestSilence,
      'No journeys in this window.',
    ),
  ].join('\n');

  return `<section class="experience" aria-labelledby="experience-title">
<h2 id="experience-title">Experience</h2>
<p class="experience-window">From ${time(report.window.from)} to ${time(report.window.to)}. Percentiles are nearest-rank: p95 is the time within which 95% of journeys reached their outcome. NPS = % promoters − % detractors.</p>
${renderTrendCharts(report)}
${xla}
${timeToOutcome}
${nps}
${incidents}
${daily}
<section aria-labelledby="experience-worst-title"><h2 id="experience-worst-title">Worst journeys</h2>
${worst}
</section>
</section>
`;
}
