/**
 * `/console/experience`: the experience page for IT staff (the IT console's check and refusal),
 * with the JSON and CSV downloads behind the same sign-in — the API's bearer keys are for
 * machines, people download from here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderReportJson } from '../../experience/export';
import type { ExperienceReport } from '../../experience/report';
import { issuesFromZod, notFound, type FieldIssue } from '../errors';
import { renderExperiencePage } from '../experience/page';
import {
  experienceCsvTables,
  experienceQuerySchema,
  experienceWindows,
  exportFileName,
  isExperienceCsvTable,
  type ExperienceQuery,
  type ExperienceReports,
} from '../experience/reports';
import { html, raw, type SafeHtml } from '../web/html';
import { hasRole, itOnly, renderPage, routeGroup } from './context';
import type { PortalDeps } from './deps';

/** What the experience page is built over, besides the portal's own dependencies. */
export interface ExperiencePageDeps {
  reports: ExperienceReports;
  /** Services to offer in the filter: the catalog's (id → title). */
  services: () => readonly { serviceId: string; name?: string }[];
}

const tableNames = Object.keys(experienceCsvTables);

function queryString(query: ExperienceQuery): string {
  const params = new URLSearchParams({ days: String(query.days) });
  if (query.service) params.set('service', query.service);
  return params.toString();
}

/** `/console/experience`, `/console/experience/report.json` and `/console/experience/{table}.csv`. */
export function registerExperiencePages(app: FastifyInstance, deps: PortalDeps & ExperiencePageDeps): void {
  const { env, config, reports } = deps;

  const filterForm = (
    query: { days: number; service?: string | undefined },
    report: ExperienceReport | null,
  ): SafeHtml => {
    const names = new Map<string, string>();
    for (const s of deps.services()) names.set(s.serviceId, s.name ?? s.serviceId);
    // Incidents are about CMDB business services, which the catalog does not list.
    for (const s of report?.services ?? []) if (!names.has(s.serviceId)) names.set(s.serviceId, s.name);
    if (query.service && !names.has(query.service)) names.set(query.service, query.service);
    const options = [...names].sort((a, b) => a[1].localeCompare(b[1], 'en'));
    return html`<form method="get" action="/console/experience" class="experience-filter" aria-label="Choose what to show">
<label for="f-days">Window</label><select id="f-days" name="days">${experienceWindows.map(
      (d) => html`<option value="${d}"${String(query.days) === d ? html` selected` : null}>Last ${d} days</option>`,
    )}</select>
<label for="f-service">Service</label><select id="f-service" name="service"><option value="">All services</option>${options.map(
      ([id, name]) => html`<option value="${id}"${query.service === id ? html` selected` : null}>${name}</option>`,
    )}</select>
<div><button type="submit">Show</button></div></form>`;
  };

  const parse = (
    request: FastifyRequest,
  ): { ok: true; query: ExperienceQuery } | { ok: false; issues: FieldIssue[] } => {
    const parsed = experienceQuerySchema.safeParse(request.query ?? {});
    return parsed.success ? { ok: true, query: parsed.data } : { ok: false, issues: issuesFromZod(parsed.error) };
  };

  const refuse = (request: FastifyRequest, reply: FastifyReply, issues: FieldIssue[]): FastifyReply =>
    renderPage(
      request,
      reply,
      env,
      'Please check',
      html`<p><a href="/console">← IT console</a></p>
<h1>Experience metrics</h1>
<div class="alert" role="alert"><p>This page cannot show that:</p><ul>${issues.map((i) => html`<li>${i.message}</li>`)}</ul></div>
${filterForm({ days: 30 }, null)}`,
      400,
    );

  routeGroup(app, hasRole(env, 'it-staff', itOnly), (staff) => {
    staff.get('/console/experience', async (request, reply) => {
      const q = parse(request);
      if (!q.ok) return refuse(request, reply, q.issues);
      const report = await reports.report(q.query);
      const qs = queryString(q.query);
      const ui = config.temporalUiUrl ? config.temporalUiUrl.replace(/\/+$/, '') : null;
      // The fragment escapes every value itself (client/experience/page.ts): embed it as it is.
      const fragment = raw(renderExperiencePage(report, { temporalUiUrl: ui, namespace: config.namespace }));
      return renderPage(
        request,
        reply,
        env,
        'Experience metrics',
        html`<p><a href="/console">← IT console</a></p>
<h1>Experience metrics</h1>
${filterForm(q.query, report)}
<p class="experience-downloads">Download these figures: <a href="/console/experience/report.json?${qs}">JSON</a> · CSV: ${tableNames.map(
          (t, i) => html`${i > 0 ? ', ' : ''}<a href="/console/experience/${t}.csv?${qs}">${t}</a>`,
        )}. Prometheus scrapes <code>/api/v1/experience/metrics</code> with an API key (scope experience:read).</p>
${ui ? html`<p><a href="${ui}/namespaces/${encodeURIComponent(config.namespace)}/workflows">Open every journey in the Temporal UI</a>; the worst journeys below link to theirs.</p>` : null}
${fragment}`,
      );
    });

    staff.get('/console/experience/report.json', async (request, reply) => {
      const q = parse(request);
      if (!q.ok) return refuse(request, reply, q.issues);
      const report = await reports.report(q.query);
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${exportFileName('report', q.query, 'json')}"`)
        .send(renderReportJson(report));
    });

    staff.get<{ Params: { table: string } }>('/console/experience/:table.csv', async (request, reply) => {
      const { table } = request.params;
      if (!isExperienceCsvTable(table))
        throw notFound(`There is no experience table “${table}”: choose ${tableNames.join(', ')}`);
      const q = parse(request);
      if (!q.ok) return refuse(request, reply, q.issues);
      const report = await reports.report(q.query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${exportFileName(table, q.query, 'csv')}"`)
        .send(experienceCsvTables[table](report));
    });
  });
}
