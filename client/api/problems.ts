/**
 * The API's errors as RFC 9457 problem details: how every route documents them in OpenAPI,
 * how the error handler builds one, and `GET /api/v1/problems/{type}`, where each problem
 * `type` URI leads (a description of that kind of problem).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  errorCodes,
  notFound,
  problemField,
  problemMediaType,
  problemSchema,
  problemTypes,
  type ErrorCode,
  type HttpError,
  type Problem,
} from '../errors';

/** Where the description of each problem type is, below the API's prefix. */
export const problemsPath = '/api/v1/problems';

/** The `type` URI of a kind of problem, e.g. `https://it.example/api/v1/problems/invalid-request`. */
export function problemTypeUri(publicUrl: string, code: ErrorCode): string {
  return `${publicUrl.replace(/\/+$/, '')}${problemsPath}/${code}`;
}

const codeOfStatus = new Map<number, ErrorCode>(errorCodes.map((code) => [problemTypes[code].status, code]));

/** The OpenAPI responses for these error statuses: `application/problem+json` with the {@link problemSchema}. */
export function problemResponses<S extends number>(
  ...statuses: S[]
): Record<S, { description: string; content: Record<typeof problemMediaType, { schema: typeof problemSchema }> }> {
  const out = {} as Record<
    S,
    { description: string; content: Record<typeof problemMediaType, { schema: typeof problemSchema }> }
  >;
  for (const status of statuses) {
    const code = codeOfStatus.get(status);
    const t = code ? problemTypes[code] : null;
    out[status] = {
      description: t ? `${t.title} (problem type ${code}): ${t.description}` : 'Problem details (RFC 9457)',
      content: { [problemMediaType]: { schema: problemSchema } },
    };
  }
  return out;
}

/** Every error a read (GET) can answer. */
export const readProblems = [400, 401, 403, 404, 503] as const;
/** Every error an action with a JSON body can answer. */
export const writeProblems = [400, 401, 403, 404, 409, 413, 415, 503] as const;

/** The problem details of an error, for `request`. */
export function problemOf(error: HttpError, request: FastifyRequest, publicUrl: string): Problem {
  const t = problemTypes[error.code];
  return {
    type: problemTypeUri(publicUrl, error.code),
    title: t.title,
    status: t.status,
    detail: error.message,
    // The path only: query strings may carry what does not belong in an error report.
    instance: request.url.split('?')[0] ?? request.url,
    requestId: String(request.id),
    ...(error.issues && error.issues.length > 0 ? { errors: error.issues.map(problemField) } : {}),
  };
}

const problemTypeSchema = z
  .object({
    type: z.string().describe('This problem type’s URI, as in the problems the API answers'),
    title: z.string(),
    status: z.number().int(),
    description: z.string().describe('What it means and what to do about it'),
  })
  .meta({ id: 'ProblemType' });

/** `GET /api/v1/problems` and `GET /api/v1/problems/{type}`: no key needed. */
export function registerProblemRoutes(api: FastifyInstance, publicUrl: string): void {
  const r = api.withTypeProvider<ZodTypeProvider>();
  const describe = (code: ErrorCode) => ({ type: problemTypeUri(publicUrl, code), ...problemTypes[code] });
  r.get(
    '/problems',
    {
      schema: {
        tags: ['problems'],
        operationId: 'listProblemTypes',
        summary: 'Every kind of problem the API answers with (the `type` of its problem details)',
        response: { 200: z.object({ problems: z.array(problemTypeSchema) }) },
      },
    },
    () => ({ problems: errorCodes.map(describe) }),
  );
  r.get(
    '/problems/:type',
    {
      schema: {
        tags: ['problems'],
        operationId: 'getProblemType',
        summary: 'What one kind of problem means: where a problem’s `type` URI leads',
        params: z.object({
          type: z
            .string()
            .max(100)
            .describe(`One of ${errorCodes.join(', ')}`),
        }),
        response: { 200: problemTypeSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => {
      const code = errorCodes.find((c) => c === request.params.type);
      if (!code) throw notFound(`No problem type "${request.params.type}": the API's are ${errorCodes.join(', ')}`);
      return describe(code);
    },
  );
}
