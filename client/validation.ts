/**
 * The request validator of every route with a zod schema. Like fastify-type-provider-zod's, it
 * parses each part of the request (params, body, querystring, headers) with its schema; unlike
 * it, a failure keeps zod's own issues with their key paths, so a 400 can point at each field
 * exactly (a JSON Pointer into the body, or the parameter or header it is about).
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { RequestValidationError } from './errors';

/** `app.setValidatorCompiler(validatorCompiler)`. */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    return result.success
      ? { value: result.data }
      : { error: new RequestValidationError(httpPart ?? 'body', result.error) };
  };
