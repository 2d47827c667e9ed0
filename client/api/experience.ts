/**
 * Experience metrics for other systems (scope `experience:read`): the report as JSON, its tables
 * as CSV, and the same figures as Prometheus text so Prometheus can scrape them with a bearer
 * token. All read-only; every answer is built from one read of the experience store.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { prometheusContentType, renderPrometheus } from '../../experience/prometheus';
import type { ApiKeyEntry } from './keys';
import { notFound } from '../errors';
import {
  experienceCsvTables,
  experienceQuerySchema,
  exportFileName,
  isExperienceCsvTable,
  type ExperienceReports,
} from '../experience/reports';
import { requireScope } from './auth';
import { problemResponses } from './problems';
import { experienceReportSchema } from './experience-schemas';

/** What the experience API is built over. */
export interface ApiExperienceDeps {
  reports: ExperienceReports;
  apiKeys: readonly ApiKeyEntry[];
}

const errors = problemResponses(400, 401, 403, 503);
const tableNames = Object.keys(experienceCsvTables);

/** `GET /api/v1/experience`, `/api/v1/experience/{table}.csv` and `/api/v1/experience/metrics`. */
export function registerApiExperienceRoutes(api: FastifyInstance, deps: ApiExperienceDeps): void {
  const { reports, apiKeys } = deps;
  const r = api.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireScope(apiKeys, 'experience:read');

  r.get(
    '/experience',
    {
      onRequest,
      schema: {
        tags: ['experience'],
        operationId: 'getExperienceReport',
        summary:
          'Experience report: time to outcome, silence, effort, NPS, incidents and XLA status per service, per day, and the worst journeys',
        security: [{ bearerAuth: [] }],
        querystring: experienceQuerySchema,
        response: { 200: experienceReportSchema, ...errors },
      },
    },
    async (request, reply) => {
      // Through the documented schema (as every API answer): the same document as the portal's
      // JSON download (renderReportJson), without its indentation.
      return reply
        .header('content-disposition', `inline; filename="${exportFileName('report', request.query, 'json')}"`)
        .send(await reports.report(request.query));
    },
  );

  r.get(
    '/experience/metrics',
    {
      onRequest,
      schema: {
        tags: ['experience'],
        operationId: 'getExperienceMetrics',
        summary:
          'The same figures as Prometheus text exposition (gauges over the window), for a scrape job with a bearer token',
        security: [{ bearerAuth: [] }],
        querystring: experienceQuerySchema,
        response: {
          200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const report = await reports.report(request.query);
      return reply
        .type(prometheusContentType)
        .header('cache-control', 'no-store')
        .send(await renderPrometheus(report));
    },
  );

  r.get(
    '/experience/:table.csv',
    {
      onRequest,
      schema: {
        tags: ['experience'],
        operationId: 'getExperienceTable',
        summary: 'One table of the report as CSV (RFC 4180): services, xla, daily or worst',
        security: [{ bearerAuth: [] }],
        params: z.object({
          table: z
            .string()
            .max(40)
            .describe(`One of ${tableNames.join(', ')}`),
        }),
        querystring: experienceQuerySchema,
        response: {
          200: { description: 'CSV with a header line', content: { 'text/csv': { schema: z.string() } } },
          ...problemResponses(400, 401, 403, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { table } = request.params;
      // Checked here rather than in the schema: an unknown table is a missing resource (404), not a bad request.
      if (!isExperienceCsvTable(table)) throw notFound(`No experience table "${table}": use ${tableNames.join(', ')}`);
      const report = await reports.report(request.query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${exportFileName(table, request.query, 'csv')}"`)
        .send(experienceCsvTables[table](report));
    },
  );
}
