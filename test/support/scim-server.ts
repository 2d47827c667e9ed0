/**
 * A real SCIM 2.0 service provider (RFC 7643/7644) on loopback, built with `scimmy` (resources,
 * filters, PatchOp, error bodies) and `scimmy-routers` (the express endpoints), over an
 * in-memory user store. `userName` is unique case-insensitively (RFC 7643 §4.1.1: caseExact
 * false, uniqueness server): a clash is `409` with `scimType: "uniqueness"`. Requests need
 * `Authorization: Bearer <token>`.
 *
 * SCIMMY keeps its resource declarations in one process-wide registry, so `User` is declared
 * once and every server passes its own store to the handlers as the request context.
 *
 * Two places where scimmy 1.3.5 departs from RFC 7644 §3.4.2.2 are corrected here, so that the
 * adapter is tested against what the RFC says: its filter tokenizer does not unescape string
 * literals (`"o\"brien"` ends at the escaped quote and the filter is refused), and `eq` ignores
 * `caseExact` (userName is case-insensitive). The query parser therefore decodes each JSON
 * string literal of a filter and hands it to scimmy hex-encoded, and {@link matchesFilter}
 * evaluates scimmy's parsed filter with the decoded values and the schema's case rules.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

export interface ScimUser {
  id: string;
  userName: string;
  externalId?: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  emails?: { value: string; type?: string; primary?: boolean }[];
  active: boolean;
  meta: { created: string; lastModified: string };
}

export interface ScimRequest {
  method: string;
  path: string;
  /** The query string decoded, e.g. `{ filter: 'userName eq "a@b"' }`. */
  query: Record<string, string>;
  contentType: string | null;
  body: unknown;
}

export interface TestScimServer {
  /** The SCIM base URL (ends in /scim/v2): what SCIM_<APP>_URL would be. */
  baseUrl: string;
  token: string;
  /** Every request that reached the server, oldest first. */
  requests: ScimRequest[];
  /** How many `POST /Users` arrived (accepted or not). */
  postCount(): number;
  /** How many users the store holds. */
  userCount(): number;
  users(): ScimUser[];
  /** Puts a user straight into the store (as if someone created it in the application). */
  createUser(user: {
    userName: string;
    externalId?: string;
    active?: boolean;
    givenName?: string;
    familyName?: string;
  }): ScimUser;
  /** The next `times` requests are answered with 500 (or this 5xx/429) and a SCIM error body. */
  failNext(status?: 429 | 500 | 502 | 503, times?: number): void;
  /** Drops the failures and hangs still queued: the application is back. */
  recover(): void;
  /** While on, every `POST /Users` is refused with 400 `invalidValue` (a permanent rejection). */
  rejectCreates(on: boolean): void;
  /** The next `times` requests get no answer (until stop). */
  hangNext(times?: number): void;
  /** The next request gets this status and body verbatim. */
  respondNextWith(status: number, body: string, contentType?: string): void;
  stop(): Promise<void>;
}

interface Store {
  users: Map<string, ScimUser>;
}

const scimError = (status: number, scimType: string | null, detail: string) =>
  new SCIMMY.Types.Error(status, scimType as string, detail);

/** Plain data out of a SCIMMY schema instance. */
function plain(instance: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
}

function storeOf(ctx: unknown): Store {
  if (typeof ctx !== 'object' || ctx === null || !('users' in ctx))
    throw scimError(500, null, 'no store in the request context');
  return ctx as Store;
}

const literalMark = 'scim-literal:';

/** Replaces every JSON string literal of a filter by a hex-encoded one scimmy's tokenizer passes through intact. */
function protectLiterals(filter: string): string {
  return filter.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    try {
      const value = JSON.parse(literal) as string;
      return `"${literalMark}${Buffer.from(value, 'utf8').toString('hex')}"`;
    } catch {
      return literal; // not valid JSON: let scimmy refuse the filter (400 invalidFilter)
    }
  });
}

function parseScimQuery(queryString: string): Record<string, string> {
  const query = Object.fromEntries(new URLSearchParams(queryString));
  if (typeof query.filter === 'string') query.filter = protectLiterals(query.filter);
  return query;
}

function literal(value: unknown): unknown {
  return typeof value === 'string' && value.startsWith(literalMark)
    ? Buffer.from(value.slice(literalMark.length), 'hex').toString('utf8')
    : value;
}

/** RFC 7643 §4.1: of the User attributes, only id and externalId (and meta's) compare case-exactly. */
function caseExact(path: string[]): boolean {
  return path[0] === 'id' || path[0] === 'externalid' || path[0] === 'meta';
}

function lookUp(value: unknown, attr: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.entries(value).find(([key]) => key.toLowerCase() === attr.toLowerCase())?.[1];
}

function compare(expression: unknown[], actual: unknown, path: string[]): boolean {
  const negate = String(expression[0]).toLowerCase() === 'not';
  const [op, raw] = negate ? expression.slice(1) : expression;
  const expected = literal(raw);
  const fold = (v: unknown): unknown => (typeof v === 'string' && !caseExact(path) ? v.toLowerCase() : v);
  const a = fold(actual);
  const e = fold(expected);
  let result: boolean;
  switch (String(op).toLowerCase()) {
    case 'eq':
      result = a === e;
      break;
    case 'ne':
      result = a !== e;
      break;
    case 'co':
      result = typeof a === 'string' && typeof e === 'string' && a.includes(e);
      break;
    case 'sw':
      result = typeof a === 'string' && typeof e === 'string' && a.startsWith(e);
      break;
    case 'ew':
      result = typeof a === 'string' && typeof e === 'string' && a.endsWith(e);
      break;
    case 'pr':
      result = actual !== undefined && actual !== null && actual !== '';
      break;
    default:
      throw scimError(400, 'invalidFilter', `Comparison "${String(op)}" is not supported by this test server`);
  }
  return negate ? !result : result;
}

function matchesExpression(expression: unknown, actual: unknown, path: string[]): boolean {
  if (Array.isArray(actual)) return actual.some((element) => matchesExpression(expression, element, path));
  if (!Array.isArray(expression)) {
    return (
      typeof expression === 'object' &&
      expression !== null &&
      matchesBranch(expression as Record<string, unknown>, actual, path)
    );
  }
  const list = (expression as unknown[]).every(Array.isArray) ? (expression as unknown[][]) : [expression as unknown[]];
  return list.every((e) => compare(e, actual, path));
}

function matchesBranch(branch: Record<string, unknown>, value: unknown, path: string[]): boolean {
  return Object.entries(branch).every(([attr, expression]) =>
    matchesExpression(expression, lookUp(value, attr), [...path, attr.toLowerCase()]),
  );
}

/** scimmy's parsed filter (an OR of AND-branches) over plain users, as RFC 7644 §3.4.2.2 compares. */
function matchesFilter(filter: readonly object[], user: ScimUser): boolean {
  return filter.some((branch) => matchesBranch(branch as Record<string, unknown>, user, []));
}

function declareUsers(): void {
  if (SCIMMY.Resources.declared(SCIMMY.Resources.User)) return;
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, instance, ctx) => {
      const store = storeOf(ctx);
      const data = plain(instance);
      const userName = typeof data.userName === 'string' ? data.userName : '';
      const clash = [...store.users.values()].find(
        (u) => u.userName.toLowerCase() === userName.toLowerCase() && u.id !== resource.id,
      );
      if (clash) throw scimError(409, 'uniqueness', `userName "${userName}" is already taken`);
      const now = new Date().toISOString();
      const existing = resource.id === undefined ? undefined : store.users.get(resource.id);
      if (resource.id !== undefined && existing === undefined)
        throw scimError(404, null, `Resource ${resource.id} not found`);
      const user: ScimUser = {
        id: existing?.id ?? randomUUID(),
        userName,
        ...(typeof data.externalId === 'string' ? { externalId: data.externalId } : {}),
        ...(data.name !== undefined ? { name: data.name as ScimUser['name'] } : {}),
        ...(Array.isArray(data.emails) ? { emails: data.emails as ScimUser['emails'] } : {}),
        active: data.active === undefined ? true : data.active === true,
        meta: { created: existing?.meta.created ?? now, lastModified: now },
      };
      store.users.set(user.id, user);
      return { ...user, meta: { ...user.meta, resourceType: 'User' } };
    })
    .egress((resource, ctx) => {
      const store = storeOf(ctx);
      if (resource.id !== undefined) {
        const user = store.users.get(resource.id);
        if (user === undefined) throw scimError(404, null, `Resource ${resource.id} not found`);
        return { ...user };
      }
      const all = [...store.users.values()].map((u) => ({ ...u }));
      const filter = resource.filter;
      return filter ? all.filter((u) => matchesFilter(filter, u)) : all;
    })
    .degress((resource, ctx) => {
      const store = storeOf(ctx);
      if (resource.id === undefined || !store.users.delete(resource.id))
        throw scimError(404, null, `Resource ${String(resource.id)} not found`);
    });
}

/** Starts a SCIM server on 127.0.0.1 and a free port with a fresh bearer token unless given. */
export async function startScimServer(options: { token?: string } = {}): Promise<TestScimServer> {
  declareUsers();
  const token = options.token ?? `scim-${randomUUID()}`;
  const store: Store = { users: new Map() };
  const requests: ScimRequest[] = [];
  const failures: ('hang' | number | { status: number; body: string; contentType: string })[] = [];
  const hanging = new Set<Response>();
  let posts = 0;
  let rejecting = false;

  const app = express();
  app.set('query parser', parseScimQuery);
  app.use(express.json({ type: ['application/scim+json', 'application/json'] }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const query = Object.fromEntries(new URL(req.originalUrl, 'http://x').searchParams);
    requests.push({
      method: req.method,
      path,
      query,
      contentType: req.get('content-type') ?? null,
      body: req.body as unknown,
    });
    if (req.method === 'POST' && /\/Users\/?$/.test(path)) posts++;
    const failure = failures.shift();
    if (failure === 'hang') {
      hanging.add(res);
      return;
    }
    const error = (status: number, scimType: string | null, detail: string): void => {
      res
        .status(status)
        .type('application/scim+json')
        .send(
          JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: String(status),
            ...(scimType ? { scimType } : {}),
            detail,
          }),
        );
    };
    if (typeof failure === 'object') {
      res.status(failure.status).type(failure.contentType).send(failure.body);
      return;
    }
    if (typeof failure === 'number') {
      if (failure === 429) res.setHeader('Retry-After', '2');
      return error(failure, null, failure === 429 ? 'Too many requests' : 'Internal error');
    }
    if (
      rejecting &&
      req.method === 'POST' &&
      /\/Users\/?$/.test(path) &&
      req.get('authorization') === `Bearer ${token}`
    ) {
      return error(400, 'invalidValue', 'This application does not accept new users');
    }
    next();
  });
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      handler: (req) => {
        if (req.get('authorization') !== `Bearer ${token}`) throw new Error('Bearer token missing or not valid');
        return 'provisioning-client';
      },
      context: () => store,
    }),
  );

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    token,
    requests,
    postCount: () => posts,
    userCount: () => store.users.size,
    users: () => [...store.users.values()].map((u) => structuredClone(u)),
    createUser(u) {
      const now = new Date().toISOString();
      const user: ScimUser = {
        id: randomUUID(),
        userName: u.userName,
        ...(u.externalId !== undefined ? { externalId: u.externalId } : {}),
        name: { givenName: u.givenName ?? 'Pre', familyName: u.familyName ?? 'Existing' },
        emails: [{ value: u.userName, type: 'work', primary: true }],
        active: u.active ?? true,
        meta: { created: now, lastModified: now },
      };
      store.users.set(user.id, user);
      return structuredClone(user);
    },
    failNext(status = 500, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    recover() {
      failures.length = 0;
    },
    rejectCreates(on) {
      rejecting = on;
    },
    hangNext(times = 1) {
      for (let i = 0; i < times; i++) failures.push('hang');
    },
    respondNextWith(status, body, contentType = 'application/scim+json') {
      failures.push({ status, body, contentType });
    },
    async stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
