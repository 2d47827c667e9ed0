/**
 * Reading the API's RFC 9457 problem details in tests: the kind (the last part of `type`), the
 * detail, and each field's problem as a short name (`fields.phone` for a body member,
 * `parameter:id`, `header:idempotency-key`).
 */
import type { LightMyRequestResponse } from 'fastify';

export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId?: string;
  errors?: { detail: string; pointer?: string; parameter?: string; header?: string }[];
}

/** A field problem's short name: body pointers dotted, parameters and headers prefixed. */
export function fieldName(e: NonNullable<ProblemJson['errors']>[number]): string {
  if (e.pointer !== undefined) {
    return decodeURIComponent(e.pointer.replace(/^#\/?/, ''))
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
      .join('.');
  }
  if (e.parameter !== undefined) return `parameter:${e.parameter}`;
  return `header:${e.header ?? ''}`;
}

/** The problem in an answer, checked to be `application/problem+json`, in a shape easy to match. */
/** `fields`: each wrong field once, sorted; `messages`: the last message per field. */
export function asProblem(
  res: LightMyRequestResponse,
): ProblemJson & { kind: string; fields: string[]; messages: Record<string, string> } {
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json'))
    throw new Error(`not a problem (${type || 'no content type'}): ${res.statusCode} ${res.body.slice(0, 300)}`);
  const p = res.json<ProblemJson>();
  const errors = p.errors ?? [];
  return {
    ...p,
    kind: p.type.slice(p.type.lastIndexOf('/') + 1),
    fields: [...new Set(errors.map(fieldName))].sort(),
    messages: Object.fromEntries(errors.map((e) => [fieldName(e), e.detail])),
  };
}
