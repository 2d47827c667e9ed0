/**
 * Incident endpoints for monitoring tools, chat bots and other systems: declare, read, post
 * progress, mark a user affected, resolve, and record a user's confirmation (with the NPS
 * answer). Acting on a closed incident answers 409.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { badField, conflict, notFound, unavailable } from '../errors';
import type { IncidentView } from '../journeys/views';
import { requireScope } from './auth';
import { problemResponses, readProblems, writeProblems } from './problems';
import type { ApiRouteDeps } from './requests';
import {
  acceptedSchema,
  affectedBody,
  confirmationBody,
  createdIncidentSchema,
  declareIncidentBody,
  idempotencyHeaders,
  incidentIdParams,
  incidentSchema,
  progressBody,
  resolveBody,
} from './schemas';

const readErrors = problemResponses(...readProblems);
const actionErrors = problemResponses(...writeProblems);

function toJson(i: IncidentView) {
  const { workflowId: _workflowId, ...rest } = i;
  return rest;
}

/** The `/api/v1/incidents` endpoints (scopes incidents:write / incidents:read). */
export function registerApiIncidentRoutes(api: FastifyInstance, deps: ApiRouteDeps): void {
  const { journeys, apiKeys, directory } = deps;
  const r = api.withTypeProvider<ZodTypeProvider>();
  const write = requireScope(apiKeys, 'incidents:write');
  const read = requireScope(apiKeys, 'incidents:read');

  const knownAccount = async (name: string, path: string): Promise<void> => {
    const user = await directory.findUser(name).catch(() => {
      throw unavailable('The company directory is not reachable; try again shortly');
    });
    if (!user) throw badField(path, `no directory account "${name}"`);
  };

  const existing = async (id: string): Promise<IncidentView> => {
    const incident = await journeys.incident(id);
    if (!incident) throw notFound(`No incident ${id}`);
    return incident;
  };

  r.post(
    '/incidents',
    {
      onRequest: write,
      schema: {
        tags: ['incidents'],
        operationId: 'declareIncident',
        summary: 'Declare an incident: every subscriber of the service is notified',
        description:
          'Send an `Idempotency-Key` to make retries safe: the same key with the same body answers 200 with the first incident (`created: false`); the same key with a different body answers 422 (problem type idempotency-key-reused). Keys are per API key.',
        security: [{ bearerAuth: [] }],
        headers: idempotencyHeaders,
        body: declareIncidentBody,
        response: {
          200: createdIncidentSchema.describe(
            'An earlier call with this Idempotency-Key and the same body declared this incident',
          ),
          201: createdIncidentSchema.describe('Declared; subscribers are being told'),
          ...problemResponses(...writeProblems, 422),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const service = await journeys.cmdbService(b.serviceId);
      if (!service) throw badField('serviceId', `no service "${b.serviceId}" in the CMDB`);
      await knownAccount(b.declaredBy, 'declaredBy');
      const key = request.headers['idempotency-key'];
      const declared = await journeys.declareIncident({
        serviceId: service.id,
        title: b.title,
        message: b.message,
        workaround: b.workaround
          ? { text: b.workaround.text, ...(b.workaround.links ? { links: b.workaround.links } : {}) }
          : null,
        declaredBy: b.declaredBy,
        incidentKey: key ? `api:${request.apiCaller?.name ?? 'api'}:${key}` : null,
      });
      const statusUrl = `/api/v1/incidents/${encodeURIComponent(declared.id)}`;
      return reply
        .code(declared.created ? 201 : 200)
        .header('location', statusUrl)
        .send({ id: declared.id, created: declared.created, statusUrl });
    },
  );

  r.get(
    '/incidents/:id',
    {
      onRequest: read,
      schema: {
        tags: ['incidents'],
        operationId: 'getIncident',
        summary: 'The incident: status, updates, affected and confirmation counts, follow-up list',
        security: [{ bearerAuth: [] }],
        params: incidentIdParams,
        response: { 200: incidentSchema, ...readErrors },
      },
    },
    async (request) => toJson(await existing(request.params.id)),
  );

  r.post(
    '/incidents/:id/progress',
    {
      onRequest: write,
      schema: {
        tags: ['incidents'],
        operationId: 'postIncidentProgress',
        summary: 'Post a progress note to the banner (and optionally email the affected users)',
        security: [{ bearerAuth: [] }],
        params: incidentIdParams,
        body: progressBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const incident = await existing(request.params.id);
      if (!incident.running || incident.status !== 'open')
        throw conflict(`Incident ${incident.id} is ${incident.status}; progress can only be posted while it is open`);
      await journeys.postProgress(incident.id, {
        text: request.body.text,
        notifyAffected: request.body.notifyAffected,
        by: request.body.by,
      });
      return { ok: true as const, message: 'Progress posted' };
    },
  );

  r.post(
    '/incidents/:id/affected',
    {
      onRequest: write,
      schema: {
        tags: ['incidents'],
        operationId: 'markIncidentAffected',
        summary: 'Add a user to the affected list (idempotent: twice counts once)',
        security: [{ bearerAuth: [] }],
        params: incidentIdParams,
        body: affectedBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      await knownAccount(request.body.accountName, 'accountName');
      const result = await journeys.markAffected(request.params.id, {
        accountName: request.body.accountName,
        workaroundSms: request.body.workaroundSms,
      });
      if (result.status === 'not-found') throw notFound(`No incident ${request.params.id}`);
      if (result.status === 'closed') throw conflict(`Incident ${request.params.id} is closed`);
      return { ok: true as const, message: `${request.body.accountName} is on the affected list` };
    },
  );

  r.post(
    '/incidents/:id/resolve',
    {
      onRequest: write,
      schema: {
        tags: ['incidents'],
        operationId: 'resolveIncident',
        summary: 'Resolve: subscribers are told the service is back, affected users get confirmation links',
        security: [{ bearerAuth: [] }],
        params: incidentIdParams,
        body: resolveBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const incident = await existing(request.params.id);
      if (!incident.running || incident.status !== 'open')
        throw conflict(`Incident ${incident.id} is already ${incident.status}`);
      await journeys.resolveIncident(incident.id, { note: request.body.note, by: request.body.by });
      return { ok: true as const, message: 'Resolved; subscribers are being told' };
    },
  );

  r.post(
    '/incidents/:id/confirmations',
    {
      onRequest: write,
      schema: {
        tags: ['incidents'],
        operationId: 'confirmIncident',
        summary: 'Record a user’s answer after resolution ("fixed" / "still-broken"), with the optional NPS score',
        security: [{ bearerAuth: [] }],
        params: incidentIdParams,
        body: confirmationBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      if (b.score !== undefined && b.answer !== 'fixed') throw badField('score', 'only with the answer "fixed"');
      const confirmed = await journeys.confirm(request.params.id, {
        accountName: b.accountName,
        answer: b.answer,
        ...(b.score !== undefined ? { score: b.score, ...(b.comment ? { comment: b.comment } : {}) } : {}),
      });
      if (confirmed.status === 'not-found') throw notFound(`No incident ${request.params.id}`);
      if (confirmed.status === 'closed') throw conflict(`Incident ${request.params.id} is closed`);
      if (confirmed.status === 'not-affected')
        throw conflict(`${b.accountName} is not on the affected list of incident ${request.params.id}`);
      if (confirmed.status === 'not-resolved') throw conflict(`Incident ${request.params.id} is not resolved`);
      return { ok: true as const, message: 'Answer recorded' };
    },
  );
}
