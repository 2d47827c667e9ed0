/**
 * One mapping from everything that can go wrong in a request to an HTTP answer. A client's
 * mistake is always a 4xx with a message that says what to change; only our own faults are
 * 500s (and those are logged with the request id, never shown in detail).
 *
 * The API answers every error as `application/problem+json` (RFC 9457, "Problem Details for
 * HTTP APIs"): `type` (a URI naming the kind of problem; GET it for a description), `title`,
 * `status`, `detail`, `instance`, and for a request that is not valid an `errors` array with
 * every field's problem (`pointer` into the body, or the `parameter` / `header` it is about).
 */
import { WorkflowNotFoundError, WorkflowExecutionAlreadyStartedError, ApplicationFailure } from '@temporalio/common';
import {
  ServiceError,
  WorkflowUpdateFailedError,
  QueryNotRegisteredError,
  QueryRejectedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isIntegrationError } from '../integrations/errors';

/** Which part of the request a field problem is about. */
export type FieldLocation = 'body' | 'path' | 'query' | 'header';

/** One field's problem in a 400 answer. */
export interface FieldIssue {
  in: FieldLocation;
  /** Keys from the root of that part: `['fields', 'phone']` in the body, `['id']` for a path parameter; empty for the whole body. */
  path: readonly (string | number)[];
  message: string;
}

/** A problem with a body member given as a dotted path (`fields.phone`, `workaround.links.ios`; '' for the whole body). */
export function bodyIssue(dotted: string, message: string): FieldIssue {
  return { in: 'body', path: dotted === '' ? [] : dotted.split('.'), message };
}

/** A field as people read it: `fields.phone`, `path parameter id`, `header idempotency-key`. */
export function issueLabel(issue: FieldIssue): string {
  const name = issue.path.map(String).join('.');
  if (issue.in === 'body') return name === '' ? 'the body' : name;
  return `${issue.in === 'header' ? 'header' : issue.in === 'path' ? 'path parameter' : 'query parameter'} ${name}`;
}

/** The kinds of API problem; each is a problem `type` URI `<public URL>/api/v1/problems/<code>`. */
export const errorCodes = [
  'invalid-request',
  'unauthenticated',
  'forbidden',
  'not-found',
  'conflict',
  'payload-too-large',
  'unsupported-media-type',
  'idempotency-key-reused',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** Each problem type: its status, its title (the same for every occurrence) and what it means. */
export const problemTypes: Record<ErrorCode, { status: number; title: string; description: string }> = {
  'invalid-request': {
    status: 400,
    title: 'The request is not valid',
    description:
      'A parameter, header or body member is missing or wrong. `errors` lists every one with what to change: `pointer` (a JSON Pointer into the body), `parameter` or `header`.',
  },
  unauthenticated: {
    status: 401,
    title: 'Not authenticated',
    description: 'Send a valid API key as "Authorization: Bearer <key>".',
  },
  forbidden: {
    status: 403,
    title: 'Not allowed',
    description: 'The API key lacks the scope this operation needs, or the person named may not take this step.',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description: 'There is no such resource (request, incident, service) or endpoint.',
  },
  conflict: {
    status: 409,
    title: 'Not possible now',
    description:
      'The journey is not in a state where this step can be taken (e.g. not waiting for it, or already closed).',
  },
  'payload-too-large': {
    status: 413,
    title: 'Request body too large',
    description: 'The body is larger than the API accepts (64 KiB).',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported content type',
    description: 'Send the body as application/json.',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'Idempotency-Key already used for a different request',
    description:
      'An earlier call with this Idempotency-Key had a different body. Retry with exactly the first body to get its result, or use a new key for a new request.',
  },
  unavailable: {
    status: 503,
    title: 'Temporarily unavailable',
    description:
      'A system the API needs (the workflow service, the directory, the CMDB) did not answer. Try again shortly.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description: 'Something went wrong on our side. It has been logged with the request id.',
  },
};

/** One entry of a problem's `errors`: exactly one of `pointer`, `parameter` or `header` says where. */
export const problemFieldSchema = z
  .object({
    detail: z.string().describe('What is wrong with this field and what to send instead'),
    pointer: z
      .string()
      .optional()
      .describe(
        'For a body member: a JSON Pointer (RFC 6901) as a URI fragment, e.g. "#/fields/phone"; "#" is the whole body',
      ),
    parameter: z.string().optional().describe('For a path or query parameter: its name'),
    header: z.string().optional().describe('For a request header: its name, lower-case'),
  })
  .meta({ id: 'ProblemField' });

/** The body of every API error (RFC 9457 problem details), sent as `application/problem+json`. */
export const problemSchema = z
  .object({
    type: z.string().describe('URI of the kind of problem; GET it for a description'),
    title: z.string().describe('Short summary of the kind of problem: the same for every occurrence'),
    status: z.number().int().describe('The HTTP status code'),
    detail: z.string().describe('What went wrong this time, in words a person can act on'),
    instance: z.string().describe('The request path this occurrence happened on'),
    requestId: z.string().optional().describe('The id our logs know this request by'),
    errors: z.array(problemFieldSchema).optional().describe('For invalid-request: every field that is wrong and why'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;
export type ProblemField = z.infer<typeof problemFieldSchema>;

/** The media type of error answers. */
export const problemMediaType = 'application/problem+json';

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
    return problemTypes[this.code].status;
  }
}

/** Shorthands for the common {@link HttpError}s. */
export const badRequest = (message: string, issues?: FieldIssue[]): HttpError =>
  new HttpError('invalid-request', message, issues);
export const notFound = (message: string): HttpError => new HttpError('not-found', message);
export const conflict = (message: string): HttpError => new HttpError('conflict', message);
export const forbidden = (message: string): HttpError => new HttpError('forbidden', message);
export const unavailable = (message: string): HttpError => new HttpError('unavailable', message);
export const idempotencyKeyReused = (message: string): HttpError => new HttpError('idempotency-key-reused', message);

/** A 400 for one body member, worded like the schema's own: "The request is not valid: 1 problem". */
export const badField = (dotted: string, message: string): HttpError =>
  badRequest('The request is not valid: 1 problem', [bodyIssue(dotted, message)]);

/** A zod error as field issues of one part of the request. */
export function issuesFromZod(
  error: z.ZodError,
  location: FieldLocation = 'body',
  prefix: readonly (string | number)[] = [],
): FieldIssue[] {
  return error.issues.map((i) => ({
    in: location,
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
}

const partLocation: Record<string, FieldLocation> = {
  body: 'body',
  params: 'path',
  querystring: 'query',
  headers: 'header',
};

/** What the request validator (client/validation.ts) throws: the zod issues of one part of the request. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly statusCode = 400;
  constructor(
    readonly part: string,
    readonly zodError: z.ZodError,
  ) {
    super(`The request is not valid: ${zodError.issues.length} problem${zodError.issues.length === 1 ? '' : 's'}`);
  }
}

function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Percent-encodes what a URI fragment cannot hold; a lone surrogate (not text) becomes U+FFFD first. */
function encodeFragment(text: string): string {
  const wellFormed = text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return encodeURI(wellFormed).replace(/#/g, '%23');
}

/** One {@link FieldIssue} as an entry of a problem's `errors`. */
export function problemField(issue: FieldIssue): ProblemField {
  if (issue.in === 'body') {
    // A URI fragment: characters outside the fragment set are percent-encoded (RFC 6901 §6).
    const pointer = issue.path.map(escapePointerToken).join('/');
    return { detail: issue.message, pointer: `#${pointer === '' ? '' : '/'}${encodeFragment(pointer)}` };
  }
  const name = issue.path.map(String).join('.');
  return issue.in === 'header'
    ? { detail: issue.message, header: name.toLowerCase() }
    : { detail: issue.message, parameter: name };
}

/** Application failure types a workflow uses to say "not in this state": answered with 409. */
const conflictFailureTypes =
  /closed|resolved|already|not.?awaiting|not.?waiting|state|conflict|expired|duplicate|reject/i;

/** Fastify's own errors about the body, keyed by their code: answered with a problem about the whole body. */
const bodyErrorCodes = /^FST_ERR_CTP_/;

/**
 * Turns any thrown value into an {@link HttpError}. Unknown errors become `internal` (500);
 * a 500 means a bug or an outage on our side, never a client's mistake.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof RequestValidationError) {
    const location = partLocation[err.part] ?? 'body';
    return badRequest(err.message, issuesFromZod(err.zodError, location));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const location = partLocation[(err as { validationContext?: string }).validationContext ?? 'body'] ?? 'body';
    const issues = err.validation.map((v) => ({
      in: location,
      path: v.instancePath.split('/').filter(Boolean),
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
    if (
      cause instanceof ApplicationFailure &&
      cause.type &&
      /invalid|validation|bad/i.test(cause.type) &&
      !conflictFailureTypes.test(cause.type)
    ) {
      return badRequest(message);
    }
    return conflict(message);
  }
  if (err instanceof QueryNotRegisteredError || err instanceof QueryRejectedError)
    return conflict('The journey cannot answer that now');
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
    return unavailable('The journey did not answer in time; try again');
  if (err instanceof ServiceError) return unavailable('The workflow service is not reachable; try again shortly');
  if (isIntegrationError(err)) {
    if (err.retryable) return unavailable(`The ${err.system} is not reachable; try again shortly`);
    // A permanent refusal of what was asked (the adapters' input checks): the caller's to change.
    // The routes check their input before it gets this far; this keeps a missed case a 4xx.
    if (err.code === 'InvalidRequest') return badRequest(`The ${err.system} cannot look that up: ${err.message}`);
    if (err.code === 'NotFound') return notFound(err.message);
  }
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const status = err.statusCode;
    const message = err instanceof Error ? err.message : 'Bad request';
    const code = (err as { code?: unknown }).code;
    if (status === 415) return new HttpError('unsupported-media-type', message);
    if (status === 413) return new HttpError('payload-too-large', message);
    if (status === 404) return notFound(message);
    if (status === 403) return forbidden(message);
    if (status === 401) return new HttpError('unauthenticated', message);
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // A body Fastify could not read (bad JSON, a forbidden __proto__ key, empty JSON): the whole body is the field.
      const aboutBody = (typeof code === 'string' && bodyErrorCodes.test(code)) || /JSON|prototype|body/i.test(message);
      return badRequest(message, aboutBody ? [bodyIssue('', message)] : undefined);
    }
  }
  return new HttpError('internal', 'Something went wrong on our side; it has been logged');
}
