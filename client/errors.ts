/**
 * One mapping from everything that can go wrong in a request to an HTTP answer. A client's
 * mistake is always a 4xx with a message that says what to change; only our own faults are
 * 500s (and those are logged with the request id, never shown in detail).
 */
import { WorkflowNotFoundError, WorkflowExecutionAlreadyStartedError, ApplicationFailure } from '@temporalio/common';
import { ServiceError, WorkflowUpdateFailedError, QueryNotRegisteredError, QueryRejectedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isIntegrationError } from '../integrations/errors';

/** One field's problem in a 400 answer. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `fields.phone`; empty for the whole body. */
  path: string;
  message: string;
}

/** The `error` values of API answers. */
export const errorCodes = [
  'invalid-request',
  'unauthenticated',
  'forbidden',
  'not-found',
  'conflict',
  'unsupported-media-type',
  'payload-too-large',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** The JSON body of every API error. */
export const problemSchema = z
  .object({
    error: z.enum(errorCodes).describe('Machine-readable kind of error'),
    message: z.string().describe('What went wrong, in words a person can act on'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('For invalid-request: every field that is wrong and why'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

const statusOf: Record<ErrorCode, number> = {
  'invalid-request': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'unsupported-media-type': 415,
  'payload-too-large': 413,
  unavailable: 503,
  internal: 500,
};

/** An error with the HTTP answer it deserves; thrown by routes and the journeys gateway. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
  }
  get statusCode(): number {
    return statusOf[this.code];
  }
}

/** Shorthands for the common {@link HttpError}s. */
export const badRequest = (message: string, issues?: FieldIssue[]): HttpError => new HttpError('invalid-request', message, issues);
export const notFound = (message: string): HttpError => new HttpError('not-found', message);
export const conflict = (message: string): HttpError => new HttpError('conflict', message);
export const forbidden = (message: string): HttpError => new HttpError('forbidden', message);
export const unavailable = (message: string): HttpError => new HttpError('unavailable', message);

/** A zod error as field issues with dotted paths. */
export function issuesFromZod(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldIssue[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path].map(String).join('.'), message: i.message }));
}

/** Application failure types a workflow uses to say "not in this state": answered with 409. */
const conflictFailureTypes = /closed|resolved|already|not.?awaiting|not.?waiting|state|conflict|expired|duplicate|reject/i;

/**
 * Turns any thrown value into an {@link HttpError}. Unknown errors become `internal` (500);
 * a 500 means a bug or an outage on our side, never a client's mistake.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext;
    const issues = err.validation.map((v) => ({
      path: [where === 'body' ? '' : where ?? '', v.instancePath.replace(/^\//, '').replace(/\//g, '.')].filter(Boolean).join('.'),
      message: v.message ?? 'is invalid',
    }));
    return badRequest(`The request is not valid: ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
  }
  if (err instanceof z.ZodError) return badRequest('The request is not valid', issuesFromZod(err));
  if (err instanceof WorkflowNotFoundError) return notFound('No such journey');
  if (err instanceof WorkflowExecutionAlreadyStartedError) return conflict('That journey already exists');
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause instanceof Error ? cause.message : err.message;
    if (cause instanceof ApplicationFailure && cause.type === 'NotAllowed') return forbidden(message);
    if (cause instanceof ApplicationFailure && cause.type && /invalid|validation|bad/i.test(cause.type) && !conflictFailureTypes.test(cause.type)) {
      return badRequest(message);
    }
    return conflict(message);
  }
  if (err instanceof QueryNotRegisteredError || err instanceof QueryRejectedError) return conflict('The journey cannot answer that now');
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable('The journey did not answer in time; try again');
  if (err instanceof ServiceError) return unavailable('The workflow service is not reachable; try again shortly');
  if (isIntegrationError(err) && err.retryable) return unavailable(`The ${err.system} is not reachable; try again shortly`);
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const status = err.statusCode;
    const message = err instanceof Error ? err.message : 'Bad request';
    if (status === 415) return new HttpError('unsupported-media-type', message);
    if (status === 413) return new HttpError('payload-too-large', message);
    if (status === 404) return notFound(message);
    if (status === 403) return forbidden(message);
    if (status === 401) return new HttpError('unauthenticated', message);
    if (typeof status === 'number' && status >= 400 && status < 500) return badRequest(message);
  }
  return new HttpError('internal', 'Something went wrong on our side; it has been logged');
}
