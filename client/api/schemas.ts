/**
 * The API's JSON shapes, in zod: validation, TypeScript types and the OpenAPI document all come
 * from these.
 */
import { z } from 'zod';
import { formTextProblems, plainText, textField } from '../web/text';
import type { ServiceView } from '../journeys/views';

/** A directory account name, lower-cased. */
export const accountName = z
  .string({ error: 'must be a directory account name' })
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-z0-9._-]+$/, 'must be a directory account name (letters, digits, . _ -)');

// Loose: the validated object replaces request.headers, so every other header must survive.
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe(
      'Retrying with the same key and body returns the first result instead of starting a second journey; the same key with a different body is answered 422',
    )
    .meta({ examples: ['3f0c9a52-6d1e-4b8a-9c57-0d2b6f1e8a41'] }),
});

/** `{id}` of a request. */
export const requestIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'must be a request id as returned by POST /api/v1/requests'),
});

/** `{id}` of an incident. */
export const incidentIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'must be an incident id as returned by POST /api/v1/incidents'),
});

/** A service's form, also refusing control characters in any of its text values (see client/web/text.ts). */
function withPlainTextValues(form: z.ZodType<Record<string, unknown>>): z.ZodType<Record<string, unknown>> {
  return form.superRefine((values, ctx) => {
    for (const [name, message] of Object.entries(formTextProblems(values)))
      ctx.addIssue({ code: 'custom', path: [name], message });
  });
}

/**
 * `POST /api/v1/requests`: one alternative per catalog service, so each service's own form
 * schema validates `fields` and is documented in the OpenAPI document.
 */
export function createRequestBody(
  services: readonly ServiceView[],
): z.ZodType<{ serviceId: string; requester: string; fields: Record<string, unknown> }> {
  const alternatives = services.map((s) =>
    z
      .object({
        serviceId: z.literal(s.id),
        requester: accountName
          .describe('Directory account name of the person the request is for')
          .meta({ examples: ['steve'] }),
        fields: withPlainTextValues(s.form as z.ZodType<Record<string, unknown>>).describe(
          `What the ${s.title} request form asks (GET /api/v1/services/${s.id} has it as JSON Schema)`,
        ),
      })
      .meta({ title: s.title }),
  );
  if (alternatives.length === 0) throw new Error('the service catalog is empty');
  const [first, ...rest] = alternatives;
  const union =
    rest.length === 0
      ? first!
      : z.discriminatedUnion('serviceId', [first!, ...rest], {
          error: `serviceId must be one of ${services.map((s) => s.id).join(', ')}`,
        });
  // No registry id here: the app may be built more than once per process (tests).
  return union;
}

/** One stage of a request's timeline. */
export const stageSchema = z.object({
  stage: z.string(),
  label: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  state: z.enum(['pending', 'current', 'done', 'failed', 'skipped']),
});

/** `GET /api/v1/requests/{id}`. */
export const requestSchema = z
  .object({
    id: z.string().describe('The request id (the journey’s workflow id)'),
    serviceId: z.string(),
    requester: z.string(),
    startedAt: z.string(),
    running: z.boolean(),
    stage: z.string().describe('Current stage'),
    stageLabel: z.string(),
    outcome: z
      .string()
      .nullable()
      .describe(
        'How it ended (completed, not-eligible, rejected, device-not-registered, failed, cancelled); null while running',
      ),
    reason: z.string().nullable().describe('Why it ended that way, in plain words'),
    delayed: z.boolean().describe('The requester was told it is taking longer than usual'),
    timeline: z.array(stageSchema).describe('Each stage with its start and end time'),
    told: z
      .array(z.object({ at: z.string(), channel: z.string(), summary: z.string() }))
      .describe('What the requester has been told'),
    waitingFor: z
      .object({
        kind: z.enum(['approval', 'device-correction', 'manual-task']),
        since: z.string().nullable(),
        until: z.string().nullable(),
      })
      .nullable()
      .describe('A person the journey waits for, if any'),
  })
  .meta({ id: 'Request' });

/** The answer to `POST /api/v1/requests`. */
export const createdRequestSchema = z
  .object({
    id: z.string(),
    created: z.boolean().describe('false when an earlier call with the same Idempotency-Key started this journey'),
    statusUrl: z.string(),
  })
  .meta({ id: 'CreatedRequest' });

/** A business service id in the CMDB: what incident ids and workflow ids are made of. */
export const cmdbServiceId = z
  .string({ error: 'must be a CMDB service id' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .superRefine(plainText())
  .regex(/^[A-Za-z0-9_.-]*$/, 'must be a CMDB service id such as crm (letters, digits, _ . -)');

/** A web address for a workaround link: http(s), no spaces or control characters. */
const downloadLink = z
  .url({ protocol: /^https?$/, error: 'must be a web address starting with https://' })
  .max(500, 'must be at most 500 characters')
  .superRefine(plainText())
  .regex(/^https?:\/\/\S+$/, 'must be a web address without spaces');

/** `POST /api/v1/incidents`. */
export const declareIncidentBody = z
  .object({
    serviceId: cmdbServiceId.describe('Business service id in the CMDB, e.g. crm').meta({ examples: ['crm'] }),
    title: textField({ min: 3, max: 200 }).meta({ examples: ['CRM web app unavailable'] }),
    message: textField({ min: 3, max: 2000, multiline: true })
      .describe('What users see, in plain words')
      .meta({ examples: ['The CRM web app does not load. We are working on it; the mobile app works.'] }),
    workaround: z
      .object({
        text: textField({ min: 1, max: 1000, multiline: true })
          .describe('What affected people can do meanwhile, e.g. "The mobile CRM app works"')
          .meta({ examples: ['Use the mobile CRM app meanwhile'] }),
        links: z
          .object({
            ios: downloadLink.optional().meta({ examples: ['https://apps.example/crm-ios'] }),
            android: downloadLink.optional().meta({ examples: ['https://apps.example/crm-android'] }),
          })
          .optional()
          .describe('Download links per mobile OS; affected people can have the one for their phone texted to them'),
      })
      .nullable()
      .optional(),
    declaredBy: accountName.describe('Account name of the IT staff member declaring').meta({ examples: ['ivy'] }),
  })
  .meta({ id: 'DeclareIncident' });

/** `POST /api/v1/incidents/{id}/progress`. */
export const progressBody = z
  .object({
    text: textField({ min: 3, max: 2000, multiline: true }).meta({
      examples: ['We found the cause; a fix is being deployed.'],
    }),
    notifyAffected: z.boolean().default(false),
    by: accountName.meta({ examples: ['ivy'] }),
  })
  .meta({ id: 'IncidentProgress' });

/** `POST /api/v1/incidents/{id}/affected`. */
export const affectedBody = z
  .object({
    accountName: accountName.meta({ examples: ['steve'] }),
    workaroundSms: z.boolean().default(false).describe('Also text the workaround link to the user’s registered phone'),
  })
  .meta({ id: 'IncidentAffected' });

/** `POST /api/v1/incidents/{id}/resolve`. */
export const resolveBody = z
  .object({
    note: textField({ min: 3, max: 2000, multiline: true }).meta({
      examples: ['The web servers were restarted; the CRM works again.'],
    }),
    by: accountName.meta({ examples: ['ivy'] }),
  })
  .meta({ id: 'IncidentResolve' });

/** `POST /api/v1/incidents/{id}/confirmations`: the answer, with the NPS score when fixed. */
export const confirmationBody = z
  .object({
    accountName: accountName.meta({ examples: ['steve'] }),
    answer: z.enum(['fixed', 'still-broken']),
    score: z.number().int().min(0).max(10).optional().describe('NPS: 0–10, how satisfied with the support'),
    comment: textField({ max: 500, multiline: true }).optional(),
  })
  .meta({ id: 'IncidentConfirmation' });

/** `GET /api/v1/incidents/{id}`. */
export const incidentSchema = z
  .object({
    id: z.string(),
    serviceId: z.string(),
    serviceName: z.string(),
    title: z.string(),
    message: z.string(),
    workaround: z.string().nullable(),
    workaroundHasLinks: z.boolean(),
    status: z.enum(['open', 'resolved', 'following-up', 'closed']).or(z.string()),
    phase: z.number(),
    declaredAt: z.string().nullable(),
    declaredBy: z.string().nullable(),
    updates: z.array(z.object({ at: z.string(), text: z.string() })),
    resolvedAt: z.string().nullable(),
    resolutionNote: z.string().nullable(),
    counts: z.object({
      subscribers: z.number().nullable(),
      notified: z.number().nullable(),
      affected: z.number(),
      fixed: z.number(),
      stillBroken: z.number(),
      noAnswer: z.number().nullable(),
      followedUp: z.number(),
    }),
    nps: z
      .object({ responses: z.number(), average: z.number().nullable(), score: z.number().nullable() })
      .describe('Net Promoter answers of this incident'),
    followUp: z
      .array(z.object({ accountName: z.string(), reason: z.string() }))
      .describe('Affected users the service desk follows up'),
    closeReason: z.string().nullable(),
    running: z.boolean(),
  })
  .meta({ id: 'Incident' });

/** The answer to `POST /api/v1/incidents`. */
export const createdIncidentSchema = z
  .object({ id: z.string(), created: z.boolean(), statusUrl: z.string() })
  .meta({ id: 'CreatedIncident' });

/** The answer to an action that was accepted. */
export const acceptedSchema = z.object({ ok: z.literal(true), message: z.string() }).meta({ id: 'Accepted' });
