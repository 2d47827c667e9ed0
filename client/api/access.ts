/**
 * Access grants over the API, read from the grant workflows: `GET /api/v1/access?person=` (what
 * a person has through this product), `GET /api/v1/access/ending-soon?days=` (the IT console's
 * list), `POST /api/v1/access/{id}/extend` (approved again; an Idempotency-Key makes a retry the
 * same extension), `POST /api/v1/access/{id}/end` (the person, or IT staff: checked in the
 * directory) and `POST /api/v1/access/{id}/extension-decision` (the approver).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { untilPattern } from '../../workflows/access/definitions';
import type { Directory } from '../../integrations/directory/types';
import type { AccessGrants } from '../journeys/access-grants';
import type { ApiKeyEntry } from './keys';
import { notFound } from '../errors';
import { textField } from '../web/text';
import { requireScope } from './auth';
import { problemResponses, readProblems, writeProblems } from './problems';
import { acceptedSchema, accountName, idempotencyHeaders } from './schemas';

const readErrors = problemResponses(...readProblems);
const actionErrors = problemResponses(...writeProblems);

const extensionSchema = z.object({
  requestId: z.string(),
  until: z.string(),
  reason: z.string(),
  askedAt: z.string(),
  approver: z.string().nullable(),
  anyMemberOf: z.string().nullable(),
  state: z.enum(['pending', 'approved', 'rejected', 'expired']),
});

export const accessGrantSchema = z
  .object({
    id: z.string().describe('The grant id (its workflow id), for the extend and end endpoints'),
    requestId: z.string().describe('The request that granted it'),
    serviceId: z.string(),
    serviceTitle: z.string(),
    person: z.string(),
    role: z.string(),
    roleLabel: z.string(),
    since: z.string(),
    until: z.string().nullable().describe('When it ends by itself; null: until someone ends it'),
    state: z.enum(['active', 'ending', 'ended']),
    pendingExtension: extensionSchema.nullable(),
    reminderSent: z.boolean(),
    complete: z
      .boolean()
      .describe(
        'false: details unavailable right now (the grant did not answer in time); shown from its search attributes, so pendingExtension and reminderSent are not known',
      ),
  })
  .meta({ id: 'AccessGrant' });

const grantsSchema = z.object({ grants: z.array(accessGrantSchema) });
const grantIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'must be a grant id as returned by GET /api/v1/access'),
});

const untilField = z
  .string({ error: 'must be a date (2027-03-31) or "for 30 days"' })
  .trim()
  .regex(untilPattern, 'must be a date (2027-03-31) or "for 30 days"');

export const extendAccessBody = z
  .object({
    person: accountName.describe('Who has the access (only they may ask to extend it)'),
    until: untilField.describe('The new end: a date or "for N days" from today'),
    reason: textField({ max: 500, multiline: true }).pipe(z.string().min(3, 'must say why (at least 3 characters)')),
  })
  .meta({ id: 'ExtendAccess' });

export const endAccessBody = z
  .object({
    by: accountName.describe('Who ends it: the person who has it, or a member of IT staff'),
    reason: textField({ max: 500, multiline: true }).optional(),
  })
  .meta({ id: 'EndAccess' });

export const extensionDecisionBody = z
  .object({
    approver: accountName,
    approve: z.boolean({ error: 'must be true (approve) or false (turn down)' }),
    reason: textField({ max: 500, multiline: true }).optional(),
  })
  .meta({ id: 'ExtensionDecision' });

export function grantView(s: Awaited<ReturnType<AccessGrants['grantsOf']>>[number]): z.infer<typeof accessGrantSchema> {
  return {
    id: s.grantId,
    requestId: s.requestWorkflowId,
    serviceId: s.serviceId,
    serviceTitle: s.serviceTitle,
    person: s.person,
    role: s.role,
    roleLabel: s.roleLabel,
    since: s.since,
    until: s.until,
    state: s.state,
    pendingExtension: s.pendingExtension,
    reminderSent: s.reminderSent,
    complete: s.complete,
  };
}

/** An extension's id from the caller's Idempotency-Key: the same key is the same extension. */
function extensionIdOf(key: string | undefined): string | undefined {
  return key === undefined ? undefined : `key-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export function registerApiAccessRoutes(
  api: FastifyInstance,
  deps: { grants: AccessGrants; apiKeys: readonly ApiKeyEntry[]; directory: Directory; itStaffGroup: string },
): void {
  const r = api.withTypeProvider<ZodTypeProvider>();
  const { grants, apiKeys } = deps;

  r.get(
    '/access',
    {
      onRequest: requireScope(apiKeys, 'requests:read'),
      schema: {
        tags: ['requests'],
        operationId: 'listAccess',
        summary: 'What a person has through access requests: role, since, until, a pending extension',
        security: [{ bearerAuth: [] }],
        querystring: z.object({ person: accountName }),
        response: { 200: grantsSchema, ...readErrors },
      },
    },
    async (request) => ({ grants: (await grants.grantsOf(request.query.person)).map(grantView) }),
  );

  r.get(
    '/access/ending-soon',
    {
      onRequest: requireScope(apiKeys, 'requests:read'),
      schema: {
        tags: ['requests'],
        operationId: 'listAccessEndingSoon',
        summary: 'Grants that end within `days` days, soonest first',
        security: [{ bearerAuth: [] }],
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(14) }),
        response: { 200: grantsSchema, ...readErrors },
      },
    },
    async (request) => {
      const before = new Date(Date.now() + request.query.days * 86_400_000).toISOString();
      return { grants: (await grants.endingBefore(before)).map(grantView) };
    },
  );

  r.post(
    '/access/:id/extend',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        operationId: 'extendAccess',
        summary: 'Ask for a later end; the manager approves again. The same Idempotency-Key is the same extension',
        security: [{ bearerAuth: [] }],
        params: grantIdParams,
        headers: idempotencyHeaders,
        body: extendAccessBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      const requestId = extensionIdOf(request.headers['idempotency-key']);
      const result = await grants.extend(request.params.id, b.person, {
        until: b.until,
        reason: b.reason,
        ...(requestId ? { requestId } : {}),
      });
      return {
        ok: true as const,
        message: result.created ? 'Asked; the approver decides' : 'Already asked with this key: nothing new',
      };
    },
  );

  r.post(
    '/access/:id/end',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        operationId: 'endAccess',
        summary: 'End the access now, as the person who has it or as IT staff',
        security: [{ bearerAuth: [] }],
        params: grantIdParams,
        body: endAccessBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      const grant = await grants.grant(request.params.id);
      if (!grant) throw notFound(`No access grant ${request.params.id}`);
      const staff =
        b.by !== grant.person &&
        ((await deps.directory.findUser(b.by))?.groups ?? []).some(
          (g) => g.toLowerCase() === deps.itStaffGroup.toLowerCase(),
        );
      await grants.end(request.params.id, b.by, staff, b.reason ?? null);
      return { ok: true as const, message: 'Ending: the membership is being removed' };
    },
  );

  r.post(
    '/access/:id/extension-decision',
    {
      onRequest: requireScope(apiKeys, 'requests:write'),
      schema: {
        tags: ['requests'],
        operationId: 'decideAccessExtension',
        summary: 'Approve or turn down a pending extension, as its approver',
        security: [{ bearerAuth: [] }],
        params: grantIdParams,
        body: extensionDecisionBody,
        response: { 200: acceptedSchema, ...actionErrors },
      },
    },
    async (request) => {
      const b = request.body;
      await grants.decideExtension(request.params.id, b.approver, b.approve, b.reason ?? null);
      return { ok: true as const, message: b.approve ? 'Extended' : 'Turned down; the person is told why' };
    },
  );
}
