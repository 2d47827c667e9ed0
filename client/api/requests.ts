/**
 * `POST /api/v1/requests` starts a fulfilment journey; `GET /api/v1/requests/{id}` reads its
 * stage and timeline from the journey's status query. An `Idempotency-Key` makes a retried
 * POST return the first journey (200, same id) instead of starting a second.
 * `POST /api/v1/requests/{id}/nps` records the requester's NPS answer about a finished request.
 * `POST /api/v1/requests/{id}/decision`, `/device` and `/delivery` are the people's steps of a
 * running journey (approver, requester, service desk), for tools that act on their behalf.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mobileNumber } from '../../catalog/services/expensatron';
import { feedbackCommentMaxLength } from '../../workflows/fulfilment/definitions';
import type { Directory } from '../../integrations/directory/types';
import type { ApiKeyEntry } from './keys';
import { badField, notFound, unavailable } from '../errors';
import type { Journeys } from '../journeys/gateway';
import { textField } from '../web/text';
import { requireScope } from './auth';
import { problemResponses, readProblems, writeProblems } from './problems';
import {
  acceptedSchema,
  accountName,
  createRequestBody,
  createdRequestSchema,
  idempotencyHeaders,
  requestIdParams,
  requestSchema,
} from './schemas';

/** `POST /api/v1/requests/{id}/nps`: the requester's answer about a finished request. */
export const requestNpsBody = z
  .object({
    requester: accountName
      .describe('Directory account name of the person who asked for the request (only they may rate it)')
      .meta({ examples: ['steve'] }),
    score: z
      .int('must be a whole number 0–10')
      .min(0, 'must be 0–10')
      .max(10, 'must be 0–10')
      .describe('NPS: 0–10, how satisfied with how the request was handled'),
    comment: textField({ max: feedbackCommentMaxLength, multiline: true })
      .optional()
      .describe('Optional words to go with the score'),
  })
  .meta({ id: 'RequestNps' });

/** Mirrors the journey's approval validator, so a bad rejection is a field-level 400 here. */
const reasonMinLength = 3;
const reasonMaxLength = 500;

/** `POST /api/v1/requests/{id}/decision`: the named approver approves or turns the request down. */
export const requestDecisionBody = z
  .object({
    approver: accountName
      .describe('Directory account name of the approver the request waits for (only they may decide)')
      .meta({ examples: ['mia'] }),
    approve: z
      .boolean({ error: 'must be true (approve) or false (turn down)' })
      .describe('true approves; false turns the request down'),
    reason: textField({ max: reasonMaxLength, multiline: true, messages: { type: 'must be text' } })
      .optional()
      .describe(
        `Why: required (at least ${reasonMinLength} characters) when turning down, because the requester is told`,
      ),
  })
  .refine((b) => b.approve || (typeof b.reason === 'string' ? b.reason : '').length >= reasonMinLength, {
    path: ['reason'],
    message: `must say why (at least ${reasonMinLength} characters) when turning a request down: the requester is told`,
    // Also when another field is wrong, so one 400 lists every problem.
    when: (payload) => {
      const v = payload.value;
      return typeof v === 'object' && v !== null && (v as { approve?: unknown }).approve === false;
    },
  })
  .meta({ id: 'RequestDecision' });

/** `POST /api/v1/requests/{id}/device`: the requester gives the number of their registered phone. */
export const requestDeviceBody = z
  .object({
    requester: accountName
      .describe('Directory account name of the person who asked for the request (only they may correct it)')
      .meta({ examples: ['steve'] }),
    phone: mobileNumber
      .meta({ examples: ['07700 900123'] })
      .describe(
        'The mobile number of the phone registered to the requester, in any usual notation (UK numbers may omit +44); stored as E.164',
      ),
    os: z
      .enum(['ios', 'android'], { error: 'must be ios or android' })
      .optional()
      .describe('The kind of phone, when it changed'),
  })
  .meta({ id: 'RequestDevice' });

const deliveryNoteMaxLength = 1000;

/** `POST /api/v1/requests/{id}/delivery`: the service desk has done the request's manual task. */
export const requestDeliveryBody = z
  .object({
    by: accountName
      .describe('Directory account name of the service desk member who did it')
      .meta({ examples: ['ivy'] }),
    note: textField({ max: deliveryNoteMaxLength, multiline: true, messages: { type: 'must be text' } })
      .optional()
      .describe('What was done, e.g. "On the desk and connected"'),
  })
  .meta({ id: 'RequestDelivery' });

/** What the API routes are built over. */
export interface ApiRouteDeps {
  journeys: Journeys;
  apiKeys: readonly ApiKeyEntry[];
  directory: Directory;
}

const readErrors = problemResponses(...readProblems);
const actionErrors = problemResponses(...writeProblems);

/**
 * `POST /api/v1/requests`, `GET /api/v1/requests/{id}` and the actions on one request:
 * `nps`, `decision`, `device`, `delivery` (scopes requests:write / requests:read / requests:write).
 * Each action is one journey update: the journey's validator decides (403 not that person,
 * 409 not waiting for it), and a retried action after success is a 409, never a second effect.
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
        operationId: 'createRequest',
        summary: 'Ask for a service on behalf of a person (starts the fulfilment journey)',
        description: [
          '`serviceId` is one of GET /api/v1/services; `fields` is what that service’s form asks (its JSON Schema is in the service’s `form`).',
          'Send an `Idempotency-Key` to make retries safe: the same key with the same body answers 200 with the first request (`created: false`); the same key with a different body answers 422 (problem type idempotency-key-reused). Keys are per API key.',
        ].join(' '),
        security: [{ bearerAuth: [] }],
        headers: idempotencyHeaders,
        body: createRequestBody(journeys.catalog()),
        response: {
          200: createdRequestSchema.describe(
            'An earlier call with this Idempotency-Key and the same body started this request',
          ),
          201: createdRequestSchema.describe('The request is recorded and its journey started'),
          ...problemResponses(...writeProblems, 422),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const user = await directory.findUser(body.requester).catch((err: unknown) => {
        request.log.warn({ err }, 'directory lookup failed');
        throw unavailable('The company directory is not reachable; try again shortly');
      });
      if (!user) throw badField('requester', `no directory account "${body.requester}"`);
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
        operationId: 'getRequest',
        summary: 'Where a request is: current stage, each stage’s times, what the requester was told',
        security: [{ bearerAuth: [] }],
        params: requestIdParams,
        response: { 200: requestSchema, ...readErrors },
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
        operationId: 'rateRequest',
        summary:
          'Record the requester’s NPS answer (0–10) about a finished request; answering again replaces the earlier answer',
        description:
          'Only the requester may rate (403), only once the request has finished with an outcome (409). The answer is durable when this returns and reaches the experience figures within seconds.',
        security: [{ bearerAuth: [] }],
        params: requestIdParams,
        body: requestNpsBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      await journeys.rateRequest(request.params.id, b.requester, { score: b.score, comment: b.comment ?? null });
      return { ok: true as const, message: 'Answer recorded' };
    },
  );
  /** 404 for an id no journey has; the gateway alone would answer an unknown id like a finished one (409). */
  async function existing(id: string): Promise<void> {
    if (!(await journeys.request(id))) throw notFound(`No request ${id}`);
  }

  r.post(
    '/requests/:id/decision',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        operationId: 'decideRequest',
        summary: 'Approve or turn down a request waiting for approval, as its approver',
        description:
          'Only the approver the request waits for may decide, never the requester (403); only while it waits for approval (409). Turning down needs a reason: the requester is told. Sending the same decision again (a retry after a lost answer) answers 200 with the first one’s outcome; a different decision after one was taken answers 409.',
        security: [{ bearerAuth: [] }],
        params: requestIdParams,
        body: requestDecisionBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      await existing(request.params.id);
      await journeys.decide(request.params.id, b.approver, { approve: b.approve, reason: b.reason || null });
      return { ok: true as const, message: b.approve ? 'Approved' : 'Turned down; the requester is told why' };
    },
  );

  r.post(
    '/requests/:id/device',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        operationId: 'correctRequestDevice',
        summary: 'Correct the phone number the CMDB did not know for the requester; the check runs again',
        description:
          'Only the requester may correct it (403); only while the request waits for a phone number (409). With an `Idempotency-Key`, the same correction retried (after a lost answer) gets the first one’s answer instead of a 409.',
        security: [{ bearerAuth: [] }],
        headers: idempotencyHeaders,
        params: requestIdParams,
        body: requestDeviceBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      await existing(request.params.id);
      const key = request.headers['idempotency-key'];
      const caller = request.apiCaller?.name ?? 'api';
      await journeys.correctDevice(
        request.params.id,
        b.requester,
        b.phone,
        b.os ?? null,
        key ? `api:${caller}:${key}` : undefined,
      );
      return { ok: true as const, message: 'Number recorded; checking it again' };
    },
  );

  r.post(
    '/requests/:id/delivery',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        operationId: 'markRequestDelivered',
        summary: 'Mark the request’s manual task (e.g. delivering a desk phone) done, as the service desk',
        description:
          'Only while the request waits for the service desk (409). The requester is told it is done. The same body sent again (a retry after a lost answer) answers 200 with the first one’s outcome.',
        security: [{ bearerAuth: [] }],
        params: requestIdParams,
        body: requestDeliveryBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      await existing(request.params.id);
      await journeys.markDelivered(request.params.id, b.by, b.note || null);
      return { ok: true as const, message: 'Marked done; the requester is told' };
    },
  );
}
