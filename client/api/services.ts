/**
 * Discovery for other systems (scope `requests:read`): `GET /api/v1/services` lists what can be
 * asked for and `GET /api/v1/services/{id}` shows one service: its page text, its request form
 * as JSON Schema (made by zod's `z.toJSONSchema` from the very schema that validates `fields` in
 * `POST /api/v1/requests` and builds the portal's form), what happens next (in plain words and
 * as the plan's stages, the `stage` values `GET /api/v1/requests/{id}` reports) and its
 * experience level agreement targets.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeXla, xlaId, xlaTargetSchema } from '../../experience/xla';
import type { ApiKeyEntry } from './keys';
import type { CatalogPort } from '../journeys/catalog-port';
import { notFound } from '../errors';
import { plainText } from '../web/text';
import type { ServiceView } from '../journeys/views';
import { requireScope } from './auth';
import { problemResponses } from './problems';

/** What the discovery routes are built over. */
export interface ApiServiceDeps {
  catalog: CatalogPort;
  apiKeys: readonly ApiKeyEntry[];
}

const jsonSchemaObject = z.record(z.string(), z.unknown());

/** One service as `GET /api/v1/services/{id}` answers it. */
export const serviceSchema = z
  .object({
    id: z
      .string()
      .describe('The serviceId to send in POST /api/v1/requests')
      .meta({ examples: ['expensatron'] }),
    title: z.string(),
    summary: z.string().describe('One plain sentence'),
    description: z.array(z.string()).describe('What it is, in paragraphs of plain words'),
    keywords: z.array(z.string()).describe('Other words people search for it with'),
    needsApproval: z.boolean().describe('A manager approves each request before anything happens'),
    form: jsonSchemaObject.describe(
      'JSON Schema (draft 2020-12) of `fields` in POST /api/v1/requests: exactly what the person types (who they are comes from `requester`). Each property has a `title` and often a `description`, as the portal labels its form.',
    ),
    whatHappensNext: z
      .array(z.string())
      .describe('What happens after asking, step by step, in the words the portal shows'),
    stages: z
      .array(z.object({ stage: z.string(), label: z.string() }))
      .describe(
        'The plan’s stages in order, ending with "completed": the `stage` and `stageLabel` values GET /api/v1/requests/{id} reports',
      ),
    xla: z
      .array(
        z.object({
          id: z.string().describe('Stable within the service, e.g. time-to-outcome-p95'),
          description: z.string(),
          target: xlaTargetSchema,
        }),
      )
      .describe('Experience level agreement targets; GET /api/v1/experience says how each is doing'),
    links: z.object({
      self: z.string().describe('This description'),
      request: z.string().describe('Where to POST a request for it'),
      portal: z.string().describe('The service’s page on the portal'),
      guide: z.string().describe('Its quick-start guide on the portal'),
    }),
  })
  .meta({ id: 'Service' });

const serviceListSchema = z
  .object({ services: z.array(serviceSchema).describe('Every service in the catalog, by title') })
  .meta({ id: 'ServiceList' });

const serviceIdParams = z.object({
  id: z
    .string()
    .max(100, 'must be at most 100 characters')
    .superRefine(plainText())
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be a service id as listed by GET /api/v1/services, e.g. expensatron')
    .meta({ examples: ['expensatron'] }),
});

/** A form's JSON Schema, made once per form. */
const formSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();
function formJsonSchema(form: z.ZodType): Record<string, unknown> {
  let schema = formSchemas.get(form);
  if (!schema) {
    // The input side: what a caller sends (e.g. a phone number in any notation, before it becomes E.164).
    schema = z.toJSONSchema(form, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
    formSchemas.set(form, schema);
  }
  return schema;
}

function toJson(s: ServiceView): z.infer<typeof serviceSchema> {
  const id = encodeURIComponent(s.id);
  return {
    id: s.id,
    title: s.title,
    summary: s.summary,
    description: s.description,
    keywords: s.keywords,
    needsApproval: s.needsApproval,
    form: formJsonSchema(s.form),
    whatHappensNext: s.whatHappensNext,
    stages: s.stages,
    xla: s.xla.map((target) => ({ id: xlaId(target), description: describeXla(target), target })),
    links: {
      self: `/api/v1/services/${id}`,
      request: '/api/v1/requests',
      portal: `/catalog/${id}`,
      guide: `/catalog/${id}/guide`,
    },
  };
}

/** `GET /api/v1/services` and `GET /api/v1/services/{id}`. */
export function registerApiServiceRoutes(api: FastifyInstance, deps: ApiServiceDeps): void {
  const r = api.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireScope(deps.apiKeys, 'requests:read');

  r.get(
    '/services',
    {
      onRequest,
      schema: {
        tags: ['services'],
        operationId: 'listServices',
        summary:
          'The service catalog: every service with its request form as JSON Schema, its stages and its experience targets',
        security: [{ bearerAuth: [] }],
        response: { 200: serviceListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    () => ({ services: deps.catalog.services().map(toJson) }),
  );

  r.get(
    '/services/:id',
    {
      onRequest,
      schema: {
        tags: ['services'],
        operationId: 'getService',
        summary:
          'One service: what to send in `fields` (JSON Schema), what happens next (its stages) and its experience targets',
        security: [{ bearerAuth: [] }],
        params: serviceIdParams,
        response: { 200: serviceSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    (request) => {
      const service = deps.catalog.service(request.params.id);
      if (!service) throw notFound(`No service "${request.params.id}": GET /api/v1/services lists them`);
      return toJson(service);
    },
  );
}
