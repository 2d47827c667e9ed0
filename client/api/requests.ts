/**
 * `POST /api/v1/requests` starts a fulfilment journey; `GET /api/v1/requests/{id}` reads its
 * stage and timeline from the journey's status query. An `Idempotency-Key` makes a retried
 * POST return the first journey (200, same id) instead of starting a second.
 * `POST /api/v1/requests/{id}/nps` records the requester's NPS answer about a finished request.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { feedbackCommentMaxLength } from '../../workflows/fulfilment/definitions';
import type { Directory } from '../../integrations/directory/types';
import type { ApiKeyEntry } from '../api-keys';
import { badRequest, notFound, problemSchema, unavailable } from '../errors';
import type { Journeys } from '../journeys';
import { requireScope } from './auth';
import { acceptedSchema, accountName, createRequestBody, createdRequestSchema, idempotencyHeaders, requestIdParams, requestSchema } from './schemas';

/** `POST /api/v1/requests/{id}/nps`: the requester's answer about a finished request. */
export const requestNpsBody = z
  .object({
    requester: accountName.describe('Directory account name of the person who asked for the request (only they may rate it)'),
    score: z.int('must be a whole number 0–10').min(0, 'must be 0–10').max(10, 'must be 0–10').describe('NPS: 0–10, how satisfied with how the request was handled'),
    comment: z.string().trim().max(feedbackCommentMaxLength, `must be at most ${feedbackCommentMaxLength} characters`).optional().describe('Optional words to go with the score'),
  })
  .meta({ id: 'RequestNps' });

/** What the API routes are built over. */
export interface ApiRouteDeps {
  journeys: Journeys;
  apiKeys: readonly ApiKeyEntry[];
  directory: Directory;
}

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 503: problemSchema };

/**
 * `POST /api/v1/requests`, `GET /api/v1/requests/{id}` and `POST /api/v1/requests/{id}/nps`
 * (scopes requests:write / requests:read / requests:write).
 */
export function registerApiRequestRoutes(api: FastifyInstance, deps: ApiRouteDeps): void {
  const { journeys, apiKeys, directory } = deps;
  const r = api.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/requests',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        summary: 'Ask for a service on behalf of a person (starts the fulfilment journey)',
        security: [{ bearerAuth: [] }],
        headers: idempotencyHeaders,
        body: createRequestBody(journeys.catalog()),
        response: { 200: createdRequestSchema, 201: createdRequestSchema, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const user = await directory.findUser(body.requester).catch((err: unknown) => {
        request.log.warn({ err }, 'directory lookup failed');
        throw unavailable('The company directory is not reachable; try again shortly');
      });
      if (!user) throw badRequest('The request is not valid: 1 problem', [{ path: 'requester', message: `no directory account "${body.requester}"` }]);
      const key = request.headers['idempotency-key'];
      const caller = request.apiCaller?.name ?? 'api';
      const started = await journeys.submitRequest({
        serviceId: body.serviceId,
        requester: user.accountName,
        fields: body.fields,
        requestKey: key ? `api:${caller}:${key}` : null,
        requesterLabel: user.email,
      });
      const statusUrl = `/api/v1/requests/${encodeURIComponent(started.id)}`;
      return reply
        .code(started.created ? 201 : 200)
        .header('location', statusUrl)
        .send({ id: started.id, created: started.created, statusUrl });
    },
  );

  r.get(
    '/requests/:id',
    {
      onRequest: requireScope(apiKeys, 'requests:read'),
      schema: {
        tags: ['requests'],
        summary: 'Where a request is: current stage, each stage’s times, what the requester was told',
        security: [{ bearerAuth: [] }],
        params: requestIdParams,
        response: { 200: requestSchema, ...errors },
      },
    },
    async (request) => {
      const view = await journeys.request(request.params.id);
      if (!view) throw notFound(`No request ${request.params.id}`);
      return {
        id: view.id,
        serviceId: view.serviceId,
        requester: view.requester,
        startedAt: view.startedAt,
        running: view.running,
        stage: view.stage,
        stageLabel: view.stageLabel,
        outcome: view.outcome,
        reason: view.reason,
        delayed: view.delayed,
        timeline: view.timeline,
        told: view.told,
        waitingFor: !view.waitingFor
          ? null
          : view.waitingFor.kind === 'manual-task'
            ? { kind: view.waitingFor.kind, since: view.waitingFor.since, until: null }
            : { kind: view.waitingFor.kind, since: null, until: view.waitingFor.until },
      };
    },
  );
  r.post(
    '/requests/:id/nps',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        summary: 'Record the requester’s NPS answer (0–10) about a finished request; answering again replaces the earlier answer',
        description:
          'Only the requester may rate (403), only once the request has finished with an outcome (409). The answer is durable when this returns and reaches the experience figures within seconds.',
        security: [{ bearerAuth: [] }],
        params: requestIdParams,
        body: requestNpsBody,
        response: { 200: acceptedSchema, ...errors },
      },
    },
    async (request) => {
      const b = request.body;
      await journeys.rateRequest(request.params.id, b.requester, { score: b.score, comment: b.comment ?? null });
      return { ok: true as const, message: 'Answer recorded' };
    },
  );
}
