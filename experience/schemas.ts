/**
 * Validation of experience records at the edges (activities, the file store's lines, rows read
 * back from PostgreSQL). Timestamps are normalised to `Date#toISOString()` (UTC, milliseconds) so
 * both stores hold, compare and return exactly the same strings.
 */
import { z } from 'zod';
import type { IncidentRecord, JourneyRecord, NpsAnswer } from './types';

const id = z.string().trim().min(1, 'must not be empty').max(400, 'must be at most 400 characters');
const ms = z.int('must be a whole number of ms').nonnegative('must not be negative').max(Number.MAX_SAFE_INTEGER);
const count = z.int('must be a whole number').nonnegative('must not be negative').max(2_147_483_647);
const timestamp = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 timestamp with a time zone' })
  .transform((s) => new Date(s).toISOString());
const score = z.int('must be a whole number').min(0, 'must be 0–10').max(10, 'must be 0–10');
const comment = z.string().max(4000, 'must be at most 4000 characters').nullable();

export const journeyRecordSchema = z
  .object({
    journeyId: id,
    serviceId: id,
    requester: id,
    outcome: id,
    requestedAt: timestamp,
    finishedAt: timestamp,
    timeToOutcomeMs: ms,
    stageDurationsMs: z.record(z.string().min(1).max(200), ms),
    userInputs: count,
    messagesSent: count,
    longestSilenceMs: ms,
    cameBack: z.boolean(),
    nps: score.nullable(),
    npsComment: comment,
  })
  .refine((r) => r.finishedAt >= r.requestedAt, { message: 'must not be before requestedAt', path: ['finishedAt'] });

export const incidentRecordSchema = z
  .object({
    incidentId: id,
    serviceId: id,
    declaredAt: timestamp,
    firstAnnouncementAt: timestamp.nullable(),
    timeToFirstAnnouncementMs: ms.nullable(),
    subscribersTold: count,
    affected: count,
    confirmedFixed: count,
    stillBroken: count,
    noAnswer: count,
    followedUp: count,
    lastSettledAt: timestamp.nullable(),
    settleTimeMs: ms.nullable(),
    reopened: count,
  })
  .refine((r) => r.firstAnnouncementAt === null || r.firstAnnouncementAt >= r.declaredAt, {
    message: 'must not be before declaredAt',
    path: ['firstAnnouncementAt'],
  })
  .refine((r) => r.lastSettledAt === null || r.lastSettledAt >= r.declaredAt, {
    message: 'must not be before declaredAt',
    path: ['lastSettledAt'],
  });

export const npsAnswerSchema = z
  .object({
    journeyId: id.optional(),
    incidentId: id.optional(),
    serviceId: id,
    user: id,
    score,
    comment,
    at: timestamp,
  })
  .refine((a) => (a.journeyId === undefined) !== (a.incidentId === undefined), {
    message: 'exactly one of journeyId and incidentId must be set',
    path: ['journeyId'],
  })
  .transform((a): NpsAnswer => {
    const { journeyId, incidentId, ...rest } = a;
    return journeyId !== undefined ? { journeyId, ...rest } : { incidentId, ...rest };
  });

/** Thrown for a record that does not have the documented shape; `issues` name each field. */
export class InvalidExperienceRecordError extends Error {
  override readonly name = 'InvalidExperienceRecordError';
  constructor(
    readonly kind: 'journey' | 'incident' | 'nps answer',
    readonly issues: string[],
  ) {
    super(`invalid ${kind}: ${issues.join('; ')}`);
  }
}

function parseWith<S extends z.ZodType>(
  schema: S,
  kind: InvalidExperienceRecordError['kind'],
  value: unknown,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidExperienceRecordError(
    kind,
    result.error.issues.map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`,
    ),
  );
}

/** Validates and normalises a journey record; throws {@link InvalidExperienceRecordError}. */
export function parseJourneyRecord(value: unknown): JourneyRecord {
  return parseWith(journeyRecordSchema, 'journey', value);
}

/** Validates and normalises an incident record; throws {@link InvalidExperienceRecordError}. */
export function parseIncidentRecord(value: unknown): IncidentRecord {
  return parseWith(incidentRecordSchema, 'incident', value);
}

/** Validates and normalises an NPS answer; throws {@link InvalidExperienceRecordError}. */
export function parseNpsAnswer(value: unknown): NpsAnswer {
  return parseWith(npsAnswerSchema, 'nps answer', value);
}
