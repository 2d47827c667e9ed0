/**
 * A real HTTP server speaking the part of ServiceNow's Table API the CMDB adapter uses, over an
 * in-memory instance: `GET /api/now/table/<table>` (and `/<table>/<sys_id>`) with
 * `sysparm_query`, `sysparm_fields` (dot-walked too), `sysparm_limit`, `sysparm_offset`,
 * `sysparm_exclude_reference_link`; basic auth or a bearer token; `{ "result": ... }` answers,
 * `X-Total-Count` and `Link` paging headers, and the documented error bodies
 * `{ "error": { "message", "detail" }, "status": "failure" }`.
 *
 * Encoded queries: `field=value`, `!=`, `ISEMPTY`, `ISNOTEMPTY`, `STARTSWITH`, `LIKE` (contains), `^` (and),
 * `^OR` (or with the previous condition), `ORDERBY<field>` / `ORDERBYDESC<field>`, dot-walked
 * fields everywhere. Like a real instance (glide.invalid_query.returns_no_rows=false), a
 * condition on an unknown field is ignored, so a query that is widened really is wider.
 * `=` compares case-insensitively, as on a MySQL-backed instance.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoDevices, demoPeople, demoServices } from '../../embedded/demo-org';

type Row = Record<string, string>;

interface TableDef {
  columns: string[];
  /** Reference columns → the table they point into. */
  references: Record<string, string>;
}

/** The tables of the instance, with the columns the real ones have that matter here. */
const schema: Record<string, TableDef> = {
  sys_user: {
    columns: [
      'sys_id',
      'user_name',
      'name',
      'first_name',
      'last_name',
      'email',
      'mobile_phone',
      'active',
      'notification',
      'u_prefers_sms',
      'sys_updated_on',
    ],
    references: {},
  },
  cmdb_model: { columns: ['sys_id', 'name', 'manufacturer', 'sys_updated_on'], references: {} },
  cmdb_ci_comm: {
    columns: [
      'sys_id',
      'name',
      'phone_number',
      'os',
      'type',
      'model_id',
      'assigned_to',
      'install_status',
      'sys_class_name',
      'sys_updated_on',
    ],
    references: { model_id: 'cmdb_model', assigned_to: 'sys_user' },
  },
  cmdb_ci_service: {
    columns: ['sys_id', 'name', 'u_service_id', 'number', 'operational_status', 'sys_class_name', 'sys_updated_on'],
    references: {},
  },
  service_subscribe_sys_user: {
    columns: ['sys_id', 'service_offering', 'sys_user', 'sys_updated_on'],
    references: { service_offering: 'cmdb_ci_service', sys_user: 'sys_user' },
  },
};

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  /** `basic`, `bearer` or `none`: which scheme the client used. */
  auth: 'basic' | 'bearer' | 'none';
  at: number;
}

export interface TestServiceNowServer {
  /** The instance URL (what SERVICENOW_URL would be). */
  baseUrl: string;
  user: string;
  password: string;
  token: string;
  /** Every request, oldest first. */
  requests: RecordedRequest[];
  /** Inserts a record (sys_id generated unless given) and returns its sys_id. */
  insert(table: string, fields: Row): string;
  update(table: string, sysId: string, fields: Row): void;
  /** Records of a table, as stored. */
  records(table: string): readonly Row[];
  addUser(user: {
    userName: string;
    name?: string;
    email?: string;
    mobile?: string;
    prefersSms?: boolean;
    active?: boolean;
  }): string;
  /** A business service with `u_service_id` = `id`. */
  addService(service: { id: string; name: string }): string;
  addDevice(device: {
    phone: string;
    os: string;
    model: string;
    owner: string | null;
    retired?: boolean;
    updatedOn?: string;
  }): string;
  /** A `service_subscribe_sys_user` record for a user (by user_name) and a service (by u_service_id). */
  subscribe(serviceId: string, userName: string): string;
  /**
   * Adds `count` synthetic people (`<prefix>000001`…, every third prefers SMS) subscribed to the
   * service. Cheap enough for 100,000.
   */
  addSyntheticSubscribers(serviceId: string, count: number, options?: { prefix?: string }): void;
  /** The next `times` requests get 429 with `Retry-After: <seconds>` (omitted when null). */
  rateLimitNext(times: number, retryAfterSeconds: number | null): void;
  /** The next `times` requests get this 5xx with ServiceNow's error body. */
  failNext(status: 500 | 502 | 503, times?: number): void;
  /** The next `times` requests get this body verbatim (status 200 unless given). */
  respondNextWith(body: string, options?: { status?: number; contentType?: string; times?: number }): void;
  /** The next `times` requests get no answer at all (until stop). */
  hangNext(times?: number): void;
  /** Requests to this table are refused with 403 (an ACL). */
  denyTable(table: string): void;
  stop(): Promise<void>;
}

type Failure =
  | { kind: 'rate-limit'; retryAfterSeconds: number | null }
  | { kind: 'status'; status: number }
  | { kind: 'body'; body: string; status: number; contentType: string }
  | { kind: 'hang' };

interface Condition {
  field: string;
  op: string;
  value: string;
}

interface ParsedQuery {
  /** AND of OR-groups. */
  groups: Condition[][];
  orderBy: { field: string; desc: boolean }[];
}

const operators = ['ISNOTEMPTY', 'ISEMPTY', 'STARTSWITH', 'ENDSWITH', 'LIKE', '!=', '='];

function parseQuery(query: string): ParsedQuery {
  const groups: Condition[][] = [];
  const orderBy: { field: string; desc: boolean }[] = [];
  if (query === '') return { groups, orderBy };
  for (const raw of query.split('^')) {
    if (raw === '' || raw === 'EQ') continue;
    if (raw.startsWith('ORDERBYDESC')) {
      orderBy.push({ field: raw.slice('ORDERBYDESC'.length), desc: true });
      continue;
    }
    if (raw.startsWith('ORDERBY')) {
      orderBy.push({ field: raw.slice('ORDERBY'.length), desc: false });
      continue;
    }
    const or = raw.startsWith('OR');
    const term = or ? raw.slice(2) : raw;
    const m = /^([a-z0-9_.]+)(.*)$/.exec(term);
    if (!m) continue;
    const op = operators.find((o) => m[2]!.startsWith(o));
    if (op === undefined) continue;
    const condition = { field: m[1]!, op, value: m[2]!.slice(op.length) };
    const last = groups[groups.length - 1];
    if (or && last !== undefined) last.push(condition);
    else groups.push([condition]);
  }
  return { groups, orderBy };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function snError(
  res: ServerResponse,
  status: number,
  message: string,
  detail: string | null,
  headers: Record<string, string> = {},
): void {
  json(res, status, { error: { message, detail }, status: 'failure' }, headers);
}

function timestamp(n: number): string {
  return new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * Starts the server on 127.0.0.1 and a free port. With `seed: 'demo'` (the default) the instance
 * holds Eagle5 from embedded/demo-org.ts: people, devices (iOS/Android phones), services and
 * their subscribers.
 */
export async function startServiceNowServer(
  options: {
    user?: string;
    password?: string;
    token?: string;
    seed?: 'demo' | 'empty';
    notFoundWhenEmpty?: boolean;
  } = {},
): Promise<TestServiceNowServer> {
  const user = options.user ?? 'svc.journeys';
  const password = options.password ?? 'correct horse battery staple';
  const token = options.token ?? 'oauth-test-token-0123456789';
  const tables = new Map<string, { rows: Row[]; byId: Map<string, Row> }>();
  for (const name of Object.keys(schema)) tables.set(name, { rows: [], byId: new Map() });
  const requests: RecordedRequest[] = [];
  const failures: Failure[] = [];
  const denied = new Set<string>();
  const hanging = new Set<ServerResponse>();
  // Query results by table+query, dropped on every write: paging through 100,000 rows sorts once.
  const cache = new Map<string, Row[]>();
  let nextId = 1;
  let clock = 0;

  const table = (name: string) => {
    const t = tables.get(name);
    if (t === undefined) throw new Error(`no table ${name} in the test instance`);
    return t;
  };
  const newSysId = (): string => (nextId++).toString(16).padStart(32, '0');

  const insert = (name: string, fields: Row): string => {
    const t = table(name);
    const sysId = fields.sys_id ?? newSysId();
    const record: Row = { sys_updated_on: timestamp(clock++), ...fields, sys_id: sysId };
    t.rows.push(record);
    t.byId.set(sysId, record);
    cache.clear();
    return sysId;
  };

  const findOne = (name: string, field: string, value: string): Row => {
    const found = table(name).rows.find((r) => (r[field] ?? '').toLowerCase() === value.toLowerCase());
    if (found === undefined) throw new Error(`no ${name} record with ${field}=${value}`);
    return found;
  };

  /** The value of a possibly dot-walked field, or undefined when the field does not exist. */
  const resolve = (tableName: string, record: Row, path: string): string | undefined => {
    const [head, ...rest] = path.split('.');
    const def = schema[tableName];
    if (def === undefined || head === undefined || !def.columns.includes(head)) return undefined;
    const value = record[head] ?? '';
    if (rest.length === 0) return value;
    const target = def.references[head];
    if (target === undefined) return undefined;
    const referenced = table(target).byId.get(value);
    // Dot-walking through an empty reference gives an empty value, as on an instance.
    if (referenced === undefined) return schema[target] !== undefined ? '' : undefined;
    return resolve(target, referenced, rest.join('.'));
  };

  const matches = (tableName: string, record: Row, c: Condition): boolean | null => {
    const v = resolve(tableName, record, c.field);
    if (v === undefined) return null;
    switch (c.op) {
      case '=':
        return v.toLowerCase() === c.value.toLowerCase();
      case '!=':
        return v.toLowerCase() !== c.value.toLowerCase();
      case 'ISEMPTY':
        return v === '';
      case 'ISNOTEMPTY':
        return v !== '';
      case 'LIKE':
        return v.toLowerCase().includes(c.value.toLowerCase());
      case 'STARTSWITH':
        return v.toLowerCase().startsWith(c.value.toLowerCase());
      case 'ENDSWITH':
        return v.toLowerCase().endsWith(c.value.toLowerCase());
      default:
        return null;
    }
  };

  const select = (tableName: string, query: string): Row[] => {
    const key = `${tableName}\u0000${query}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const parsed = parseQuery(query);
    const result = table(tableName).rows.filter((r) =>
      parsed.groups.every((group) => {
        const outcomes = group.map((c) => matches(tableName, r, c)).filter((o): o is boolean => o !== null);
        // Only unknown fields in the group: the instance drops the condition.
        return outcomes.length === 0 || outcomes.some(Boolean);
      }),
    );
    if (parsed.orderBy.length > 0) {
      const keyed = result.map((r) => ({ r, keys: parsed.orderBy.map((o) => resolve(tableName, r, o.field) ?? '') }));
      keyed.sort((a, b) => {
        for (let i = 0; i < parsed.orderBy.length; i++) {
          const cmp = a.keys[i]! < b.keys[i]! ? -1 : a.keys[i]! > b.keys[i]! ? 1 : 0;
          if (cmp !== 0) return parsed.orderBy[i]!.desc ? -cmp : cmp;
        }
        return 0;
      });
      result.splice(0, result.length, ...keyed.map((k) => k.r));
    }
    cache.set(key, result);
    return result;
  };

  const project = (
    tableName: string,
    record: Row,
    fields: string[] | null,
    excludeLinks: boolean,
    base: string,
  ): Record<string, unknown> => {
    const def = schema[tableName]!;
    const out: Record<string, unknown> = {};
    for (const f of fields ?? def.columns) {
      const v = resolve(tableName, record, f);
      if (v === undefined) continue; // the instance leaves out fields it does not know
      const target = !f.includes('.') ? def.references[f] : undefined;
      out[f] =
        target !== undefined && !excludeLinks && v !== ''
          ? { link: `${base}/api/now/table/${target}/${v}`, value: v }
          : v;
    }
    return out;
  };

  const authOf = (req: IncomingMessage): RecordedRequest['auth'] => {
    const h = req.headers.authorization ?? '';
    return h.startsWith('Basic ') ? 'basic' : h.startsWith('Bearer ') ? 'bearer' : 'none';
  };

  const authorised = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? '';
    return h === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` || h === `Bearer ${token}`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const host = req.headers.host ?? '127.0.0.1';
    const base = `http://${host}`;
    const url = new URL(req.url ?? '/', base);
    const params = Object.fromEntries(url.searchParams);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, params, auth: authOf(req), at: Date.now() });

    const failure = failures.shift();
    if (failure?.kind === 'hang') {
      hanging.add(res);
      return;
    }
    if (failure?.kind === 'rate-limit') {
      const headers: Record<string, string> =
        failure.retryAfterSeconds === null ? {} : { 'Retry-After': String(failure.retryAfterSeconds) };
      return snError(
        res,
        429,
        'Too many requests',
        'The rate limit for this user and endpoint has been exceeded',
        headers,
      );
    }
    if (failure?.kind === 'status')
      return snError(
        res,
        failure.status,
        'Internal server error',
        'The server encountered an error processing the request',
      );
    if (failure?.kind === 'body') {
      res.writeHead(failure.status, { 'Content-Type': failure.contentType });
      res.end(failure.body);
      return;
    }

    if (!authorised(req)) return snError(res, 401, 'User Not Authenticated', 'Required to provide Auth information');
    const m = /^\/api\/now(?:\/v\d+)?\/table\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return snError(res, 400, 'Requested URI does not represent any resource', null);
    if (req.method !== 'GET')
      return snError(res, 405, 'Method not Supported', `Method ${req.method} is not supported by this test instance`);
    const tableName = decodeURIComponent(m[1]!);
    if (schema[tableName] === undefined) return snError(res, 400, `Invalid table ${tableName}`, null);
    if (denied.has(tableName))
      return snError(res, 403, 'Operation Failed', 'ACL Exception Read Failed due to security constraints');

    const fields = params.sysparm_fields
      ? params.sysparm_fields
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
      : null;
    const excludeLinks = params.sysparm_exclude_reference_link === 'true';
    if (m[2] !== undefined) {
      const record = table(tableName).byId.get(decodeURIComponent(m[2]));
      if (record === undefined)
        return snError(res, 404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
      return json(res, 200, { result: project(tableName, record, fields, excludeLinks, base) });
    }

    const all = select(tableName, params.sysparm_query ?? '');
    const limit = Math.max(1, Number(params.sysparm_limit ?? 10_000) || 10_000);
    const offset = Math.max(0, Number(params.sysparm_offset ?? 0) || 0);
    const page = all.slice(offset, offset + limit);
    if (page.length === 0 && options.notFoundWhenEmpty)
      return snError(res, 404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");

    const headers: Record<string, string> = { 'X-Total-Count': String(all.length) };
    if (all.length > limit) {
      const at = (o: number): string => {
        const q = new URLSearchParams(url.searchParams);
        q.set('sysparm_limit', String(limit));
        q.set('sysparm_offset', String(o));
        return `<${base}${url.pathname}?${q.toString()}>`;
      };
      const links = [`${at(0)};rel="first"`];
      if (offset > 0) links.push(`${at(Math.max(0, offset - limit))};rel="prev"`);
      if (offset + limit < all.length) links.push(`${at(offset + limit)};rel="next"`);
      links.push(`${at(Math.floor((all.length - 1) / limit) * limit)};rel="last"`);
      headers.Link = links.join(',');
    }
    json(res, 200, { result: page.map((r) => project(tableName, r, fields, excludeLinks, base)) }, headers);
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      try {
        handle(req, res);
      } catch (err) {
        if (!res.headersSent)
          snError(res, 500, 'Internal server error', err instanceof Error ? err.message : String(err));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const api: TestServiceNowServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    user,
    password,
    token,
    requests,
    insert,
    update(name, sysId, fields) {
      const record = table(name).byId.get(sysId);
      if (record === undefined) throw new Error(`no ${name} record ${sysId}`);
      Object.assign(record, fields, { sys_id: sysId, sys_updated_on: timestamp(clock++) });
      cache.clear();
    },
    records: (name) => table(name).rows,
    addUser(u) {
      return insert('sys_user', {
        user_name: u.userName,
        name: u.name ?? u.userName,
        email: u.email ?? `${u.userName}@eagle5.example`,
        mobile_phone: u.mobile ?? '',
        u_prefers_sms: String(u.prefersSms ?? false),
        active: String(u.active ?? true),
        notification: '2',
      });
    },
    addService(s) {
      return insert('cmdb_ci_service', {
        name: s.name,
        u_service_id: s.id,
        operational_status: '1',
        sys_class_name: 'cmdb_ci_service',
      });
    },
    addDevice(d) {
      let model = table('cmdb_model').rows.find((r) => r.name === d.model)?.sys_id;
      model ??= insert('cmdb_model', { name: d.model });
      return insert('cmdb_ci_comm', {
        name: `${d.model} (${d.owner ?? 'spare'})`,
        phone_number: d.phone,
        os: d.os,
        type: 'cell_phone',
        model_id: model,
        assigned_to: d.owner === null ? '' : findOne('sys_user', 'user_name', d.owner).sys_id!,
        install_status: d.retired ? '7' : '1',
        sys_class_name: 'cmdb_ci_comm',
        ...(d.updatedOn !== undefined ? { sys_updated_on: d.updatedOn } : {}),
      });
    },
    subscribe(serviceId, userName) {
      return insert('service_subscribe_sys_user', {
        service_offering: findOne('cmdb_ci_service', 'u_service_id', serviceId).sys_id!,
        sys_user: findOne('sys_user', 'user_name', userName).sys_id!,
      });
    },
    addSyntheticSubscribers(serviceId, count, opts = {}) {
      const prefix = opts.prefix ?? `${serviceId}-sub-`;
      const service = findOne('cmdb_ci_service', 'u_service_id', serviceId).sys_id!;
      const users = table('sys_user');
      const updatedOn = timestamp(clock++);
      const subs = table('service_subscribe_sys_user');
      for (let i = 1; i <= count; i++) {
        const n = String(i).padStart(6, '0');
        const userId = newSysId();
        const u: Row = {
          sys_id: userId,
          user_name: `${prefix}${n}`,
          name: `Subscriber ${n}`,
          email: `${prefix}${n}@eagle5.example`,
          // Ofcom's drama range has only 1,000 numbers: synthetic people share them.
          mobile_phone: `+447700900${String(i % 1000).padStart(3, '0')}`,
          u_prefers_sms: String(i % 3 === 0),
          active: 'true',
          notification: '2',
          sys_updated_on: updatedOn,
        };
        users.rows.push(u);
        users.byId.set(userId, u);
        const subId = newSysId();
        const s: Row = { sys_id: subId, service_offering: service, sys_user: userId, sys_updated_on: updatedOn };
        subs.rows.push(s);
        subs.byId.set(subId, s);
      }
      cache.clear();
    },
    rateLimitNext(times, retryAfterSeconds) {
      for (let i = 0; i < times; i++) failures.push({ kind: 'rate-limit', retryAfterSeconds });
    },
    failNext(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ kind: 'status', status });
    },
    respondNextWith(body, o = {}) {
      for (let i = 0; i < (o.times ?? 1); i++)
        failures.push({
          kind: 'body',
          body,
          status: o.status ?? 200,
          contentType: o.contentType ?? 'application/json',
        });
    },
    hangNext(times = 1) {
      for (let i = 0; i < times; i++) failures.push({ kind: 'hang' });
    },
    denyTable(name) {
      denied.add(name);
    },
    async stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  if ((options.seed ?? 'demo') === 'demo') {
    for (const p of demoPeople) {
      api.addUser({
        userName: p.accountName,
        name: `${p.givenName} ${p.familyName}`,
        email: p.email,
        mobile: p.mobile ?? '',
        prefersSms: p.prefersSms,
        active: p.enabled,
      });
    }
    for (const d of demoDevices)
      api.addDevice({ phone: d.phone, os: d.os === 'ios' ? 'iOS 17.4' : 'Android 14', model: d.model, owner: d.owner });
    for (const s of demoServices) {
      api.addService({ id: s.id, name: s.name });
      for (const name of s.subscribers) api.subscribe(s.id, name);
    }
  }
  return api;
}
