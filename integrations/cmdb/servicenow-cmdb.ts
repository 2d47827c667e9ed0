/**
 * Production CMDB: ServiceNow's Table API (`GET /api/now/table/<table>`).
 *
 * How Eagle5's data sits in ServiceNow (the tables and fields read):
 * - devices: `cmdb_ci_comm` (Communication Device): `phone_number` (E.164), `os` (free text
 *   such as "iOS 17" or "Android 14"), `model_id` → `cmdb_model.name`, `assigned_to` → `sys_user`,
 *   `install_status` (7 = Retired, skipped);
 * - people: `sys_user`: `user_name`, `name`, `email`, `mobile_phone`, `active`, and a boolean
 *   field for "text me as well" (`u_prefers_sms` unless configured otherwise);
 * - business services: `cmdb_ci_service` (service offerings are a child class, so they are found
 *   there too): `name` and our service id in `u_service_id` (configurable);
 * - subscriptions: `service_subscribe_sys_user` ("Service Subscriptions by User"):
 *   `service_offering` → `cmdb_ci_service`, `sys_user` → `sys_user`.
 * Referenced records are read by dot-walking in `sysparm_fields` (`sys_user.email`), so every
 * method, and every subscriber page, is one request.
 */
import { z } from 'zod';
import { IntegrationError, retryAfterMs } from '../errors';
import { normalisePhone, type CountryCode } from '../sms/phone';
import type { CmdbConfig } from './config';
import { decodeCursor, encodeCursor, pageSize, requireE164, requireId } from './inputs';
import type { BusinessService, Cmdb, Device, DeviceOs, Subscriber, SubscriberPage } from './types';
import { maskPhone } from '../../config/mask';

/** Tables read; see the file comment. */
export const serviceNowTables = {
  devices: 'cmdb_ci_comm',
  services: 'cmdb_ci_service',
  subscriptions: 'service_subscribe_sys_user',
} as const;

/** `install_status` of a retired CI. */
const retired = '7';
/** Devices and subscriptions of one person are few; more than this is read in further pages. */
const smallListPage = 500;
/** Upper bound for the small lists, so that a runaway table cannot stall an activity. */
const smallListMax = 5000;

/**
 * Makes a value safe to put into an encoded query. ServiceNow has no escape for `^` (the
 * condition separator: `^OR`, `^NQ` would widen the query), a line break ends the query, and a
 * value starting with `javascript:` is evaluated as a server-side script. Such values are
 * refused rather than altered, as none of them is a real phone number, account or service id.
 */
export function encodedQueryValue(what: string, value: string): string {
  if (/[\^\u0000-\u001f\u007f]/.test(value) || /^\s*javascript\s*:/i.test(value)) {
    throw new IntegrationError(
      'cmdb',
      'InvalidRequest',
      `${what} contains characters that cannot be used in a ServiceNow query`,
      false,
    );
  }
  return value;
}

/** With display_value=false a reference is its sys_id; an instance ignoring exclude_reference_link sends `{ link, value }`. */
const fieldValue = z.union([z.string(), z.object({ value: z.string() }).transform((r) => r.value)]);
const envelope = z.object({ result: z.array(z.unknown()) });
const errorBody = z.object({
  error: z.object({ message: z.string().nullish(), detail: z.string().nullish() }),
  status: z.string().optional(),
});

/** A record as read: every requested field is present (checked), so {@link field} never falls back. */
type Row = Record<string, string>;
const field = (row: Row, name: string): string => row[name] ?? '';

interface TablePage {
  rows: Row[];
  /** X-Total-Count: the number of records the query matches; null when the header is missing. */
  total: number | null;
}

/**
 * A {@link Cmdb} over ServiceNow. Everything is read-only and safe to retry.
 *
 * Retried here: a 429 is waited out as its Retry-After says (or 1 s), up to `rateLimitRetries`
 * times (2) and only while the wait is at most `maxRateLimitWaitMs` (10 s); after that it is a
 * retryable `Unavailable` carrying `retryAfterMs` for the caller's retry policy. Nothing else is
 * retried inside: 5xx, network errors and timeouts are retryable `Unavailable` at once.
 * Permanent: 401/403 → `NotAuthorized`; 400 and other 4xx → `InvalidRequest`; a 2xx answer not
 * shaped like the Table API's (a requested field missing, not JSON) → `UnexpectedResponse`.
 * A 404 (older instances answer "No Record found" to a query matching nothing) is an empty result.
 *
 * Values placed in queries are checked ({@link encodedQueryValue}); a phone must be E.164.
 * Devices without an owner, retired ones, and those whose OS is neither iOS nor Android are
 * skipped. Account names are returned in lower case, as the directory adapters return them.
 */
export function createServiceNowCmdb(config: CmdbConfig): Cmdb {
  const base = config.url.replace(/\/+$/, '');
  const idField = config.serviceIdField ?? 'u_service_id';
  const smsField = config.smsPreferenceField ?? 'u_prefers_sms';
  const rateLimitRetries = config.rateLimitRetries ?? 2;
  const maxWaitMs = config.maxRateLimitWaitMs ?? 10_000;
  const region: CountryCode = 'GB';
  // Numbers are usually stored as E.164 already; only others go through libphonenumber (costly at 100,000 subscribers).
  const e164 = (phone: string): string | null =>
    /^\+[1-9]\d{6,14}$/.test(phone) ? phone : normalisePhone(phone, region);
  const authorization =
    config.auth.kind === 'bearer'
      ? `Bearer ${config.auth.token}`
      : `Basic ${Buffer.from(`${config.auth.user}:${config.auth.password}`, 'utf8').toString('base64')}`;

  async function getPage(
    table: string,
    query: string,
    fields: readonly string[],
    limit: number,
    offset: number,
    about: string,
  ): Promise<TablePage> {
    const params = new URLSearchParams({
      sysparm_query: query,
      sysparm_fields: fields.join(','),
      sysparm_limit: String(limit),
      sysparm_offset: String(offset),
      sysparm_display_value: 'false',
      sysparm_exclude_reference_link: 'true',
    });
    const url = `${base}/api/now/table/${table}?${params.toString()}`;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let text: string;
      let headers: Headers;
      try {
        const res = await fetch(url, {
          headers: { Accept: 'application/json', Authorization: authorization },
          signal: AbortSignal.timeout(config.timeoutMs),
        });
        status = res.status;
        headers = res.headers;
        text = await res.text();
      } catch (err) {
        throw unreachable(err, config.timeoutMs, about);
      }
      if (status === 429) {
        const waitMs = retryAfterMs(headers.get('retry-after')) ?? 1000;
        if (attempt < rateLimitRetries && waitMs <= maxWaitMs) {
          await new Promise((resolve) => setTimeout(resolve, waitMs));
          continue;
        }
        throw new IntegrationError(
          'cmdb',
          'Unavailable',
          `ServiceNow is rate limiting (429) while ${about}; gave up after ${attempt + 1} attempts`,
          true,
          { retryAfterMs: waitMs },
        );
      }
      if (status === 404) return { rows: [], total: 0 };
      if (status < 200 || status >= 300) throw failed(status, text, about);
      return { rows: parseRows(text, table, fields, about), total: totalCount(headers.get('x-total-count')) };
    }
  }

  /** Every row of a small list (a person's devices or subscriptions), page by page, up to {@link smallListMax}. */
  async function getAll(table: string, query: string, fields: readonly string[], about: string): Promise<Row[]> {
    const rows: Row[] = [];
    for (let offset = 0; offset < smallListMax; offset += smallListPage) {
      const page = await getPage(table, query, fields, smallListPage, offset, about);
      rows.push(...page.rows);
      if (page.rows.length < smallListPage || (page.total !== null && offset + page.rows.length >= page.total)) break;
    }
    return rows;
  }

  const deviceFields = ['sys_id', 'phone_number', 'os', 'model_id.name', 'assigned_to.user_name'] as const;
  const toDevice = (row: Row): Device | null => {
    const os = deviceOs(field(row, 'os'));
    const phone = e164(field(row, 'phone_number'));
    const owner = field(row, 'assigned_to.user_name').trim().toLowerCase();
    if (os === null || phone === null || owner === '') return null;
    return { phone, os, model: field(row, 'model_id.name'), owner };
  };

  return {
    async findDeviceByPhone(phone: string): Promise<Device | null> {
      const number = encodedQueryValue('phone', requireE164(phone));
      // Newest first: a number moved to a new handset is the new handset's.
      const query = `phone_number=${number}^install_status!=${retired}^ORDERBYDESCsys_updated_on`;
      const { rows } = await getPage(
        serviceNowTables.devices,
        query,
        deviceFields,
        20,
        0,
        `looking up the device ${maskPhone(number)}`,
      );
      for (const row of rows) {
        const device = toDevice(row);
        if (device !== null && device.phone === number) return device;
      }
      return null;
    },

    async devicesOf(accountName: string): Promise<Device[]> {
      const name = encodedQueryValue('account name', requireId('account name', accountName));
      const query = `assigned_to.user_name=${name}^install_status!=${retired}^ORDERBYsys_id`;
      const rows = await getAll(serviceNowTables.devices, query, deviceFields, `listing the devices of ${name}`);
      return rows.map(toDevice).filter((d): d is Device => d !== null);
    },

    async subscriptionsOf(accountName: string): Promise<BusinessService[]> {
      const name = encodedQueryValue('account name', requireId('account name', accountName));
      const fields = [`service_offering.${idField}`, 'service_offering.name'];
      const query = `sys_user.user_name=${name}^ORDERBYsys_id`;
      const rows = await getAll(serviceNowTables.subscriptions, query, fields, `listing the subscriptions of ${name}`);
      const services = new Map<string, BusinessService>();
      for (const row of rows) {
        const id = field(row, `service_offering.${idField}`).trim();
        // An offering without our id is not one of the catalog's services.
        if (id !== '' && !services.has(id)) services.set(id, { id, name: field(row, 'service_offering.name') || id });
      }
      return [...services.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async getService(serviceId: string): Promise<BusinessService | null> {
      const id = encodedQueryValue('service id', requireId('service id', serviceId));
      const fields = ['sys_id', 'name', idField];
      const { rows } = await getPage(
        serviceNowTables.services,
        `${idField}=${id}^ORDERBYsys_id`,
        fields,
        1,
        0,
        `looking up service ${id}`,
      );
      const row = rows[0];
      return row === undefined ? null : { id: field(row, idField), name: field(row, 'name') || field(row, idField) };
    },

    async searchServices(query: string, limit: number): Promise<BusinessService[]> {
      // Characters an encoded query cannot hold are not in any service's name or id either.
      const q = query
        .replace(/[\^\u0000-\u001f\u007f]/g, '')
        .trim()
        .slice(0, 100);
      const size = Math.min(100, Math.max(1, Math.floor(limit)));
      const like =
        q === '' ? '' : `^nameLIKE${encodedQueryValue('search', q)}^OR${idField}LIKE${encodedQueryValue('search', q)}`;
      const { rows } = await getPage(
        serviceNowTables.services,
        `${idField}ISNOTEMPTY${like}^ORDERBYname`,
        ['name', idField],
        size,
        0,
        'searching services',
      );
      return rows.map((row) => ({ id: field(row, idField), name: field(row, 'name') || field(row, idField) }));
    },

    async countSubscribers(serviceId: string): Promise<number> {
      const id = encodedQueryValue('service id', requireId('service id', serviceId));
      // One row asked for; the count is the X-Total-Count header (the query subscribersPage pages over).
      const { rows, total } = await getPage(
        serviceNowTables.subscriptions,
        `service_offering.${idField}=${id}^sys_user.active=true^ORDERBYsys_id`,
        ['sys_id'],
        1,
        0,
        `counting subscribers of ${id}`,
      );
      if (total === null)
        throw new IntegrationError(
          'cmdb',
          'UnexpectedResponse',
          `ServiceNow sent no X-Total-Count while counting subscribers of ${id}`,
          true,
        );
      return rows.length === 0 ? 0 : total;
    },

    async subscribersPage(serviceId: string, cursor: string | null, limit: number): Promise<SubscriberPage> {
      const id = encodedQueryValue('service id', requireId('service id', serviceId));
      const offset = decodeCursor(id, cursor);
      const size = pageSize(limit);
      const fields = [
        'sys_id',
        'sys_user.user_name',
        'sys_user.name',
        'sys_user.email',
        'sys_user.mobile_phone',
        `sys_user.${smsField}`,
      ];
      // Ordered by the subscription's sys_id so that an offset names the same page on every read.
      const query = `service_offering.${idField}=${id}^sys_user.active=true^ORDERBYsys_id`;
      const { rows, total } = await getPage(
        serviceNowTables.subscriptions,
        query,
        fields,
        size,
        offset,
        `reading subscribers of ${id}`,
      );
      const subscribers: Subscriber[] = [];
      for (const row of rows) {
        const accountName = field(row, 'sys_user.user_name').trim().toLowerCase();
        if (accountName === '') continue;
        const mobile = field(row, 'sys_user.mobile_phone').trim();
        subscribers.push({
          accountName,
          displayName: field(row, 'sys_user.name').trim() || accountName,
          email: field(row, 'sys_user.email').trim(),
          mobile: mobile === '' ? null : e164(mobile),
          prefersSms: field(row, `sys_user.${smsField}`) === 'true',
        });
      }
      const next = offset + rows.length;
      const more = rows.length === size && (total === null || next < total);
      return { subscribers, nextCursor: more ? encodeCursor(id, next) : null };
    },
  };
}

function deviceOs(os: string): DeviceOs | null {
  const s = os.toLowerCase();
  if (/\b(ios|ipados|iphone)\b/.test(s)) return 'ios';
  if (s.includes('android')) return 'android';
  return null;
}

function parseRows(text: string, table: string, fields: readonly string[], about: string): Row[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IntegrationError('cmdb', 'UnexpectedResponse', `ServiceNow's answer while ${about} was not JSON`, false);
  }
  const body = envelope.safeParse(json);
  if (!body.success) {
    throw new IntegrationError(
      'cmdb',
      'UnexpectedResponse',
      `ServiceNow's answer while ${about} has no "result" list`,
      false,
    );
  }
  // Missing fields mean the table no longer holds what we read (renamed, dropped, no read ACL).
  const row = z.object(Object.fromEntries(fields.map((f) => [f, fieldValue])));
  return body.data.result.map((r, i) => {
    const parsed = row.safeParse(r);
    if (!parsed.success) {
      const missing = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '(record)')))].join(', ');
      throw new IntegrationError(
        'cmdb',
        'UnexpectedResponse',
        `ServiceNow record ${i} of ${table} lacks ${missing} (while ${about})`,
        false,
      );
    }
    return parsed.data;
  });
}

function failed(status: number, text: string, about: string): IntegrationError {
  let said = '';
  try {
    const body = errorBody.safeParse(JSON.parse(text));
    if (body.success) said = [body.data.error.message, body.data.error.detail].filter(Boolean).join(': ');
  } catch {
    // Not the documented error body (a proxy's page): the status says enough.
  }
  const label = `ServiceNow ${status}${said ? ` (${said})` : ''} while ${about}`;
  if (status === 401 || status === 403)
    return new IntegrationError(
      'cmdb',
      'NotAuthorized',
      `${label}: check the integration user's credentials and roles`,
      false,
    );
  if (status >= 500) return new IntegrationError('cmdb', 'Unavailable', label, true);
  return new IntegrationError('cmdb', 'InvalidRequest', label, false);
}

function unreachable(err: unknown, timeoutMs: number, about: string): IntegrationError {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new IntegrationError(
      'cmdb',
      'Unavailable',
      `ServiceNow did not answer within ${timeoutMs} ms while ${about}`,
      true,
      { cause: err },
    );
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : 'network error';
  return new IntegrationError('cmdb', 'Unavailable', `ServiceNow unreachable (${code}) while ${about}`, true, {
    cause: err,
  });
}

function totalCount(header: string | null): number | null {
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) : null;
}
