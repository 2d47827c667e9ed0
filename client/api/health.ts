/**
 * `GET /healthz`: answers 200 when the Temporal frontend answers within a second, 503 when it
 * does not. No authentication (load balancers and compose health checks call it); says nothing
 * secret.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const healthSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    temporal: z.enum(['reachable', 'unreachable']),
  })
  .meta({ id: 'Health' });

/** `GET /healthz`. */
export function registerHealthRoutes(app: FastifyInstance, options: { temporal: Client; timeoutMs?: number }): void {
  const timeoutMs = options.timeoutMs ?? 1000;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness and readiness: is the workflow service reachable?',
        response: { 200: healthSchema, 503: healthSchema },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      try {
        await options.temporal.connection.withDeadline(Date.now() + timeoutMs, () =>
          options.temporal.workflowService.getSystemInfo({}),
        );
        return reply.code(200).send({ status: 'ok', temporal: 'reachable' });
      } catch {
        return reply.code(503).send({ status: 'unavailable', temporal: 'unreachable' });
      }
    },
  );
}
