/**
 * The experience page's charts: what IT managers would rather see than read.
 * Server-rendered SVG, no script: readable without JavaScript, in print and to screen readers
 * (each chart is `role="img"` named by its `<title>` and described by a `<desc>` that says in
 * words what it shows; every point carries its value as a `<title>` tooltip). The tables below
 * the charts keep every figure. Their styles (the `chart-*` classes) are in the portal's
 * stylesheet, client/web/assets/portal.css.
 *
 * - Time to outcome p50 and p95 per day, one small chart per service: percentiles of different
 *   services cannot be merged, so each service gets its own (p50 solid, p95 dashed: not colour
 *   alone).
 * - NPS per ISO week over every service: promoters, passives and detractors add up exactly, so
 *   the week's score is computed from the daily sums.
 */
import { percentileOf } from '../../experience/aggregate';
import { formatDuration, formatNps } from '../../experience/format';
import type { ExperienceReport } from '../../experience/report';
import type { DailyExperience } from '../../experience/types';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (value: string | number): string => String(value).replace(/[&<>"']/g, (c) => escapes[c] ?? c);

const width = 640;
const height = 220;
const pad = { left: 64, right: 16, top: 16, bottom: 40 };
const plotW = width - pad.left - pad.right;
const plotH = height - pad.top - pad.bottom;

/** Monday (UTC) of the ISO week of a YYYY-MM-DD day, as YYYY-MM-DD. */
export function weekOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

export interface WeekNps {
  week: string;
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  score: number | null;
}

/** NPS per week over all services, from the daily sums; weeks without answers are left out. */
export function npsPerWeek(daily: DailyExperience[]): WeekNps[] {
  const weeks = new Map<string, WeekNps>();
  for (const d of daily) {
    if (d.nps.responses === 0) continue;
    const week = weekOf(d.day);
    const w = weeks.get(week) ?? { week, responses: 0, promoters: 0, passives: 0, detractors: 0, score: null };
    w.responses += d.nps.responses;
    w.promoters += d.nps.promoters;
    w.passives += d.nps.passives;
    w.detractors += d.nps.detractors;
    weeks.set(week, w);
  }
  return [...weeks.values()]
    .sort((a, b) => a.week.localeCompare(b.week))
    .map((w) => {
      const raw = ((w.promoters - w.detractors) / w.responses) * 100;
      return { ...w, score: Math.sign(raw) * Math.round(Math.abs(raw)) + 0 };
    });
}

/** A short day label: 2 Dec. */
const dayLabel = (day: string): string =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

function xAt(i: number, count: number): number {
  return pad.left + (count <= 1 ? plotW / 2 : (i * plotW) / (count - 1));
}

/** Labels under the x axis: at most about eight, always the first and the last. */
function xLabels(labels: string[], x: (i: number) => number): string {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return labels
    .map((label, i) =>
      i % every === 0 || i === labels.length - 1
        ? `<text x="${x(i).toFixed(1)}" y="${height - pad.bottom + 18}" text-anchor="middle" class="chart-axis">${esc(label)}</text>`
        : '',
    )
    .join('');
}

function frame(id: string, title: string, desc: string, body: string): string {
  return `<figure class="chart" id="${id}">
<svg role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${esc(title)}</title>
<desc id="${id}-desc">${esc(desc)}</desc>
<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" class="chart-plot"/>
${body}
</svg>
<figcaption>${esc(title)}. ${esc(desc)}</figcaption>
</figure>`;
}

/** Time to outcome p50/p95 per day of one service. */
export function timeToOutcomeChart(id: string, serviceName: string, days: DailyExperience[]): string {
  const points = days
    .map((d) => ({
      day: d.day,
      journeys: d.journeys,
      p50: percentileOf(d.timeToOutcomeMs, 50) ?? null,
      p95: percentileOf(d.timeToOutcomeMs, 95) ?? null,
    }))
    .filter((p) => p.journeys > 0 && p.p50 !== null && p.p95 !== null) as {
    day: string;
    journeys: number;
    p50: number;
    p95: number;
  }[];
  const title = `Time to outcome per day: ${serviceName}`;
  if (points.length === 0) return '';
  const max = Math.max(...points.map((p) => p.p95), 1);
  const x = (i: number) => xAt(i, points.length);
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const ticks = [0, 0.5, 1]
    .map((f) => {
      const v = max * f;
      return `<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="chart-grid"/><text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="chart-axis">${esc(formatDuration(v))}</text>`;
    })
    .join('');
  const line = (key: 'p50' | 'p95', cls: string) =>
    `<polyline class="${cls}" fill="none" points="${points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')}"/>` +
    points
      .map(
        (p, i) =>
          `<circle class="${cls}" cx="${x(i).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="3.5"><title>${esc(`${p.day}: ${key} ${formatDuration(p[key])} (${p.journeys} journeys)`)}</title></circle>`,
      )
      .join('');
  const worst = points.reduce((a, b) => (b.p95 > a.p95 ? b : a));
  const desc =
    `${points.length} day${points.length === 1 ? '' : 's'} from ${points[0]!.day} to ${points.at(-1)!.day}, ` +
    `${points.reduce((s, p) => s + p.journeys, 0)} journeys. p50 (solid line) from ${formatDuration(Math.min(...points.map((p) => p.p50)))} ` +
    `to ${formatDuration(Math.max(...points.map((p) => p.p50)))}; p95 (dashed line) highest on ${worst.day} at ${formatDuration(worst.p95)}.`;
  const legend = `<g class="chart-legend" transform="translate(${pad.left + 8},${height - 8})"><line x1="0" x2="24" y1="-4" y2="-4" class="chart-p50"/><text x="30" y="0">p50</text><line x1="80" x2="104" y1="-4" y2="-4" class="chart-p95"/><text x="110" y="0">p95</text></g>`;
  return frame(
    id,
    title,
    desc,
    ticks +
      line('p95', 'chart-p95') +
      line('p50', 'chart-p50') +
      xLabels(
        points.map((p) => dayLabel(p.day)),
        x,
      ) +
      legend,
  );
}

/** NPS per week over all services, as bars from the zero line (−100 to +100). */
export function npsWeeklyChart(id: string, weeks: WeekNps[]): string {
  if (weeks.length === 0) return '';
  const y = (v: number) => pad.top + plotH / 2 - (v / 100) * (plotH / 2);
  const slot = plotW / weeks.length;
  const barW = Math.min(48, slot * 0.6);
  const x = (i: number) => pad.left + slot * i + slot / 2;
  const ticks = [-100, 0, 100]
    .map(
      (v) =>
        `<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${y(v)}" y2="${y(v)}" class="${v === 0 ? 'chart-zero' : 'chart-grid'}"/><text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end" class="chart-axis">${esc(formatNps(v))}</text>`,
    )
    .join('');
  const bars = weeks
    .map((w, i) => {
      const score = w.score ?? 0;
      const top = Math.min(y(score), y(0));
      const h = Math.max(1, Math.abs(y(score) - y(0)));
      const label = `Week of ${w.week}: NPS ${formatNps(w.score)} from ${w.responses} answers (${w.promoters} promoters, ${w.passives} passives, ${w.detractors} detractors)`;
      return `<rect class="${score < 0 ? 'chart-bar-negative' : 'chart-bar'}" x="${(x(i) - barW / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(label)}</title></rect><text x="${x(i).toFixed(1)}" y="${(score < 0 ? top + h + 14 : top - 4).toFixed(1)}" text-anchor="middle" class="chart-value">${esc(formatNps(w.score))}</text>`;
    })
    .join('');
  const desc =
    `${weeks.length} week${weeks.length === 1 ? '' : 's'} with answers, from the week of ${weeks[0]!.week} to the week of ${weeks.at(-1)!.week}: ` +
    weeks.map((w) => `${w.week} ${formatNps(w.score)} (${w.responses} answers)`).join(', ') +
    '.';
  return frame(
    id,
    'Net Promoter Score per week, all services',
    desc,
    ticks +
      bars +
      xLabels(
        weeks.map((w) => `w/c ${dayLabel(w.week)}`),
        x,
      ),
  );
}

/** The charts section of the experience page; empty when nothing was recorded. */
export function renderTrendCharts(report: ExperienceReport): string {
  const byService = new Map<string, DailyExperience[]>();
  for (const d of [...report.daily].sort((a, b) => a.day.localeCompare(b.day))) {
    const list = byService.get(d.serviceId) ?? [];
    list.push(d);
    byService.set(d.serviceId, list);
  }
  const names = new Map(report.services.map((s) => [s.serviceId, s.name]));
  const time = [...byService]
    .map(([serviceId, days]) => ({ name: names.get(serviceId) ?? serviceId, serviceId, days }))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, serviceId, days }) =>
      timeToOutcomeChart(`chart-time-${serviceId.replace(/[^A-Za-z0-9_-]/g, '_')}`, name, days),
    )
    .filter((c) => c !== '');
  const nps = npsWeeklyChart('chart-nps-weekly', npsPerWeek(report.daily));
  if (time.length === 0 && nps === '') return '';
  return `<section class="experience-charts" aria-labelledby="experience-charts-title">
<h3 id="experience-charts-title">Trends</h3>
${nps}
${time.join('\n')}
</section>`;
}
