/**
 * The portal and the API as one Fastify application, built over injected dependencies so tests
 * and `npm start` wire the same code to different integrations. It never loads workflow code:
 * it starts journeys by type name and reads them through queries, updates and search attributes.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifySwagger from '@fastify/swagger';
import type { Client } from '@temporalio/client';
import Fastify, {
  type FastifyInstance,
  type FastifyServerOptions,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler } from 'fastify-type-provider-zod';
import type { Logger as PinoLogger } from 'pino';
import type { Cmdb } from '../integrations/cmdb/types';
import type { Directory } from '../integrations/directory/types';
import type { ExperienceStore } from '../experience/types';
import type { Outbox } from '../integrations/outbox/types';
import type { ApiKeyEntry } from './api/keys';
import { registerApiRequestRoutes } from './api/requests';
import { registerApiAccessRoutes } from './api/access';
import { createAccessGrants } from './journeys/access-grants';
import { registerAccessPages } from './portal/access';
import { registerApiIncidentRoutes } from './api/incidents';
import { registerApiExperienceRoutes } from './api/experience';
import { registerHealthRoutes } from './api/health';
import { problemOf, registerProblemRoutes } from './api/problems';
import { registerApiServiceRoutes } from './api/services';
import { assetPaths, css, js } from './web/static';
import { createCatalogPort } from './journeys/catalog-port';
import { defaultTimeouts } from './journeys/common';
import { badRequest, issueLabel, notFound, problemMediaType, toHttpError } from './errors';
import { createExperienceReports } from './experience/reports';
import { escapeHtml, html } from './web/html';
import { createJourneys } from './journeys/gateway';
import type { PortalConfig } from './portal/deps';
import { registerAuthRoutes } from './portal/auth';
import { registerCatalogRoutes } from './portal/catalog';
import { registerConsoleRoutes } from './portal/console';
import { renderPage, type PortalEnv } from './portal/context';
import { registerExperiencePages } from './portal/experience';
import { registerHomeRoutes } from './portal/home';
import { registerIncidentPages } from './portal/incidents';
import { registerOutboxRoutes } from './portal/outbox';
import { registerRequestPages } from './portal/requests';
import { readSession, type SessionOptions } from './web/session';
import { validatorCompiler } from './validation';

/** Everything the app is built over (injected: tests and `npm start` wire different integrations). */
export interface AppDeps {
  /** One long-lived Temporal client for the whole process. */
  temporal: Client;
  /** Task queue journeys are started on. */
  taskQueue: string;
  directory: Directory;
  cmdb: Cmdb;
  /** Only in the embedded default: the outbox page shows what the journeys sent. */
  outbox: Outbox | null;
  /** Where the journeys' experience figures are (read-only here; the caller readies and closes it). */
  experience: ExperienceStore;
  config: PortalConfig;
  /** Hashed API keys with scopes (see client/api/keys.ts). */
  apiKeys: readonly ApiKeyEntry[];
  /** A pino logger to log through; default: Fastify's own at `info`. `false` silences logging (tests). */
  logger?: PinoLogger | false;
}

/** Paths whose values never reach a log line. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
  'body.password',
  'body.token',
];

function isApiPath(url: string): boolean {
  return url.startsWith('/api/') || url === '/api' || url.startsWith('/healthz');
}

/** Builds the app, not listening: `app.inject()` in tests, `app.listen()` in {@link startApiServer}. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const secure = deps.config.publicUrl.startsWith('https:');
  const logging: Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> =
    deps.logger === false
      ? { logger: false }
      : deps.logger
        ? { loggerInstance: deps.logger }
        : { logger: { level: 'info', redact: { paths: redactPaths, censor: '[redacted]' } } };
  const app: FastifyInstance = Fastify({
    ...logging,
    bodyLimit: 64 * 1024,
    trustProxy: secure,
    // Ids are at most 200 characters: longer ones reach the schemas and get their message.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A URL the router cannot even read (a broken %-escape, bytes that are not UTF-8) or with a
    // path segment longer than any id: answered like every other error, never Fastify's own shape.
    frameworkErrors: (error, request, untypedReply) => {
      const reply = untypedReply as unknown as FastifyReply;
      const httpError =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? notFound('There is no such resource: a part of the path is longer than any id')
          : badRequest('The URL is not valid: it has a malformed %-escape, or escaped bytes that are not UTF-8 text');
      if (isApiPath(request.url)) {
        void reply
          .code(httpError.statusCode)
          .type(problemMediaType)
          .send(problemOf(httpError, request, deps.config.publicUrl));
        return;
      }
      const title = httpError.code === 'not-found' ? 'Not found' : 'Please check';
      void reply
        .code(httpError.statusCode)
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(httpError.message)}</p><p><a href="/">Go to the home page</a></p></body></html>`,
        );
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifyCookie, { secret: deps.config.sessionSecret, hook: 'onRequest' });
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await app.register(fastifyCsrf, {
    cookieKey: 'sj_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/' },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Service Journeys API',
        version: '1.0.0',
        description: [
          'Start and follow IT service journeys (request fulfilment, incidents). Authenticate with "Authorization: Bearer <API key>"; each key has scopes (requests:write, requests:read, incidents:write, incidents:read, experience:read).',
          'GET /api/v1/services lists what can be asked for, with each service’s form as JSON Schema.',
          'POST /api/v1/requests and POST /api/v1/incidents take an Idempotency-Key header: a retry with the same key and body returns the first result (200, created: false); the same key with a different body is answered 422.',
          'Every error is application/problem+json (RFC 9457): type, title, status, detail, instance, and for a 400 an errors array with every field’s problem.',
        ].join('\n\n'),
      },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: [
        {
          name: 'services',
          description:
            'The service catalog: what can be asked for, its form as JSON Schema, its stages and experience targets',
        },
        { name: 'requests', description: 'Service requests (fulfilment journeys)' },
        { name: 'incidents', description: 'Incidents on business services' },
        { name: 'experience', description: 'Experience metrics: JSON, CSV and Prometheus' },
        { name: 'health', description: 'Health checks' },
        { name: 'problems', description: 'The kinds of error (RFC 9457 problem types) the API answers with' },
      ],
    },
    // Only the API is documented; the portal's HTML routes are not part of the contract.
    transform: (input) =>
      isApiPath(input.url) ? jsonSchemaTransform(input) : { schema: { hide: true }, url: input.url },
    // Schemas with a registry id (`.meta({ id })`) become components the paths refer to.
    transformObject: jsonSchemaTransformObject,
  });

  app.decorateRequest('portalSession', null);
  app.decorateRequest('apiCaller', null);
  app.addHook('onRequest', (request, _reply, done) => {
    if (!isApiPath(request.url)) request.portalSession = readSession(request);
    done();
  });
  // Security headers on every answer, the API's JSON too (harmless there; it has no docs page to
  // load): only the portal's own script and stylesheet, no inline code, never framed.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        // Only behind https: on plain http (npm start) it would send the browser to an https
        // address nobody listens on.
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Confirmation links carry tokens in the query string: never pass them on as a Referer.
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    // Meaningless on plain http; behind https, the browser keeps to https.
    strictTransportSecurity: secure,
  });
  // Pages and API answers are one person's journeys: never kept by a browser or a proxy (the
  // assets, whose URLs carry their hash, say otherwise).
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  const env: PortalEnv = { hasOutbox: deps.outbox !== null };
  const sessionOptions: SessionOptions = {
    secure,
    ttlSeconds: deps.config.sessionTtlSeconds ?? 8 * 3600,
    itStaffGroup: deps.config.itStaffGroup ?? 'IT Staff',
    approverGroup: deps.config.approverGroup ?? 'Managers',
  };

  app.setErrorHandler((err, request: FastifyRequest, reply: FastifyReply) => {
    // On no route at all, a body that could not be read is beside the point: the answer is 404.
    const httpError = request.is404
      ? notFound(`No such endpoint: ${request.method} ${request.url.split('?')[0]}`)
      : toHttpError(err);
    if (httpError.statusCode >= 500 && httpError.code === 'internal') request.log.error({ err }, 'request failed');
    else if (httpError.statusCode >= 500)
      request.log.warn({ err: { message: (err as Error).message } }, httpError.message);
    if (isApiPath(request.url)) {
      const problem = problemOf(httpError, request, deps.config.publicUrl);
      return reply.code(problem.status).type(problemMediaType).send(problem);
    }
    const title =
      httpError.code === 'forbidden'
        ? 'Not allowed'
        : httpError.code === 'not-found'
          ? 'Not found'
          : httpError.statusCode >= 500
            ? 'Sorry'
            : 'Please check';
    const detail =
      httpError.code === 'forbidden' && /csrf/i.test((err as Error).message)
        ? 'This form has expired. Go back, reload the page and try again.'
        : httpError.message;
    return renderPage(
      request,
      reply,
      env,
      title,
      html`<h1>${title}</h1><p>${detail}</p>${httpError.issues ? html`<ul>${httpError.issues.map((i) => html`<li>${issueLabel(i)}: ${i.message}</li>`)}</ul>` : null}<p><a href="/">Back to the home page</a></p>`,
      httpError.statusCode,
    );
  });
  app.setNotFoundHandler((request, reply) => {
    if (isApiPath(request.url)) {
      const problem = problemOf(
        notFound(`No such endpoint: ${request.method} ${request.url.split('?')[0]}`),
        request,
        deps.config.publicUrl,
      );
      return reply.code(404).type(problemMediaType).send(problem);
    }
    return renderPage(
      request,
      reply,
      env,
      'Not found',
      html`<h1>Page not found</h1><p>There is no page at this address.</p><p><a href="/">Go to the home page</a></p>`,
      404,
    );
  });

  app.get(assetPaths.css, (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(css),
  );
  app.get(assetPaths.js, (_req, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(js),
  );

  const catalog = deps.config.catalog ?? createCatalogPort();
  const journeys = createJourneys({
    client: deps.temporal,
    taskQueue: deps.taskQueue,
    cmdb: deps.cmdb,
    directory: deps.directory,
    linkSecret: deps.config.linkSecret,
    timeouts: deps.config.timeouts,
    log: app.log,
    ...(deps.config.incidentDefaults ? { incidentDefaults: deps.config.incidentDefaults } : {}),
    catalog,
    ...(deps.config.events ? { events: deps.config.events } : {}),
    ...(deps.config.retryInitialIntervalMs !== undefined
      ? { retryInitialIntervalMs: deps.config.retryInitialIntervalMs }
      : {}),
  });
  app.addHook('onClose', () => journeys.close());

  registerHealthRoutes(app, { temporal: deps.temporal });
  registerAuthRoutes(app, { env, directory: deps.directory, session: sessionOptions });
  if (deps.outbox) registerOutboxRoutes(app, { env, outbox: deps.outbox });
  const portal = { env, journeys, directory: deps.directory, cmdb: deps.cmdb, config: deps.config };
  registerHomeRoutes(app, portal);
  registerCatalogRoutes(app, portal);
  registerRequestPages(app, portal);
  registerIncidentPages(app, portal);
  registerConsoleRoutes(app, portal);
  const grantTimeouts = { ...defaultTimeouts, ...deps.config.timeouts };
  const grants = createAccessGrants({
    client: deps.temporal,
    catalog,
    log: app.log,
    readMs: grantTimeouts.detailMs,
    queryMs: grantTimeouts.queryMs,
    listMs: grantTimeouts.listMs,
    updateMs: grantTimeouts.updateMs,
  });
  registerAccessPages(app, { env, grants });
  const reports = createExperienceReports({
    store: deps.experience,
    definitions: () => catalog.xlaDefinitions(),
    serviceName: async (serviceId) => (await deps.cmdb.getService(serviceId))?.name ?? null,
  });
  registerExperiencePages(app, { ...portal, reports, services: () => catalog.xlaDefinitions() });

  await app.register(
    (api, _opts, done) => {
      registerApiServiceRoutes(api, { catalog, apiKeys: deps.apiKeys });
      registerApiRequestRoutes(api, { journeys, apiKeys: deps.apiKeys, directory: deps.directory });
      registerApiIncidentRoutes(api, { journeys, apiKeys: deps.apiKeys, directory: deps.directory });
      registerApiAccessRoutes(api, {
        grants,
        apiKeys: deps.apiKeys,
        directory: deps.directory,
        itStaffGroup: sessionOptions.itStaffGroup,
      });
      registerApiExperienceRoutes(api, { reports, apiKeys: deps.apiKeys });
      registerProblemRoutes(api, deps.config.publicUrl);
      api.get('/openapi.json', { schema: { hide: true } }, (_request, reply) => reply.send(app.swagger()));
      done();
    },
    { prefix: '/api/v1' },
  );
  return app;
}
