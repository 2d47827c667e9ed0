/**
 * Production provisioning: a SCIM 2.0 service provider (RFC 7643 resources, RFC 7644 protocol),
 * one per application, spoken to with plain `fetch`.
 */
import { z } from 'zod';
import { IntegrationError, retryAfterMs, type IntegrationErrorCode } from '../errors';
import type { Account, AccountProvisioner, AccountRequest } from './types';

export interface ScimProvisionerConfig {
  /** The SCIM base URL, e.g. https://expensatron.example/scim/v2 (`/Users` is appended). */
  baseUrl: string;
  bearerToken: string;
  /** For each request, reading the body included. */
  timeoutMs: number;
}

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const patchOpSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const scimJson = 'application/scim+json';

/** The part of a User resource we read; anything else the provider sends is ignored. */
const userResource = z.object({
  id: z.string().min(1),
  userName: z.string(),
  externalId: z.string().nullish(),
  // RFC 7643 §4.1.1: `active` is optional; a provider that does not keep it has only active users.
  active: z.boolean().nullish(),
});

const listResponse = z.object({
  totalResults: z.number().int().min(0),
  Resources: z.array(z.unknown()).optional(),
});

/** RFC 7644 §3.12. `status` is a string in the RFC; some providers send a number. */
const errorResponse = z.object({
  status: z.union([z.string(), z.number()]).optional(),
  scimType: z.string().optional(),
  detail: z.string().optional(),
});

/**
 * A filter comparison value per RFC 7644 §3.4.2.2: a JSON string literal, so quotes,
 * backslashes and control characters are escaped and cannot end the value early.
 */
export function scimFilterValue(value: string): string {
  return JSON.stringify(value);
}

interface ScimAnswer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
}

/**
 * An {@link AccountProvisioner} over one application's SCIM endpoint.
 *
 * `ensureAccount` is idempotent: it first looks the person up by `externalId`
 * (`GET /Users?filter=externalId eq "…"`) and returns that account (`created: false`);
 * otherwise it creates the user (`POST /Users`); a `409` with `scimType: "uniqueness"` (the
 * userName exists, e.g. created by hand or by a request that timed out after the provider
 * committed it) is answered by looking the user up by userName and returning it
 * (`created: false`). An existing account that is inactive is switched back on (PATCH
 * active=true), since the journey asks for a working account. `deactivate` is a PATCH of
 * `active` to false; an unknown id (404) counts as done.
 *
 * Nothing is retried inside: 5xx, 429 (with `retryAfterMs` from Retry-After), network errors
 * and timeouts are a retryable `Unavailable`, and retrying `ensureAccount` is safe by the above.
 * Permanent: 400/413/other 4xx → `InvalidRequest`; 401/403 → `NotAuthorized`; 404 → `NotFound`;
 * 409/412 not resolvable as above → `Conflict`; a 2xx body not shaped like SCIM → `UnexpectedResponse`.
 */
export function createScimProvisioner(config: ScimProvisionerConfig): AccountProvisioner {
  const base = config.baseUrl.replace(/\/+$/, '');
  const users = `${base}/Users`;

  async function call(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    about: string,
    body?: unknown,
  ): Promise<ScimAnswer> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          Accept: `${scimJson}, application/json`,
          Authorization: `Bearer ${config.bearerToken}`,
          ...(body !== undefined ? { 'Content-Type': scimJson } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw unreachable(err, config.timeoutMs, about);
    }
    let parsed: unknown = undefined;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.ok)
          throw new IntegrationError(
            'provisioning',
            'UnexpectedResponse',
            `the SCIM answer while ${about} was not JSON`,
            false,
          );
      }
    }
    return { status: res.status, body: parsed, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
  }

  async function search(attribute: 'userName' | 'externalId', value: string): Promise<Account | null> {
    const about = `looking up ${attribute} ${value}`;
    const filter = `${attribute} eq ${scimFilterValue(value)}`;
    const answer = await call('GET', `${users}?${new URLSearchParams({ filter }).toString()}`, about);
    if (answer.status !== 200) throw failure(answer, about);
    const list = listResponse.safeParse(answer.body);
    if (!list.success)
      throw new IntegrationError(
        'provisioning',
        'UnexpectedResponse',
        `the SCIM answer while ${about} is not a ListResponse`,
        false,
      );
    const found = (list.data.Resources ?? []).map((r) => toAccount(r, about));
    // Checked again here: a provider that ignores a filter it does not support answers with every user.
    if (attribute === 'externalId') return found.find((a) => a.externalId === value) ?? null;
    // userName compares without case (RFC 7643 §4.1.1: caseExact false); an exact match first.
    const same = found.filter((a) => a.userName.toLowerCase() === value.toLowerCase());
    return same.find((a) => a.userName === value) ?? same[0] ?? null;
  }

  async function setActive(account: Account, active: boolean): Promise<Account> {
    const about = `${active ? 'reactivating' : 'deactivating'} account ${account.id} (${account.userName})`;
    const answer = await call('PATCH', `${users}/${encodeURIComponent(account.id)}`, about, {
      schemas: [patchOpSchema],
      Operations: [{ op: 'replace', path: 'active', value: active }],
    });
    // 204: the provider had nothing to change or returns no body.
    if (answer.status === 204) return { ...account, active };
    if (answer.status !== 200) throw failure(answer, about);
    return toAccount(answer.body, about);
  }

  const ensureActive = async (account: Account): Promise<Account> =>
    account.active ? account : setActive(account, true);

  return {
    async ensureAccount(request: AccountRequest): Promise<{ account: Account; created: boolean }> {
      checkRequest(request);
      const existing = await search('externalId', request.externalId);
      if (existing !== null) return { account: await ensureActive(existing), created: false };

      const about = `creating account ${request.userName}`;
      const answer = await call('POST', users, about, {
        schemas: [userSchema],
        externalId: request.externalId,
        userName: request.userName,
        name: {
          givenName: request.givenName,
          familyName: request.familyName,
          formatted: `${request.givenName} ${request.familyName}`,
        },
        displayName: `${request.givenName} ${request.familyName}`,
        emails: [{ value: request.email, primary: true, type: 'work' }],
        active: true,
      });
      if (answer.status === 201 || answer.status === 200)
        return { account: toAccount(answer.body, about), created: true };
      if (answer.status === 409 && scimError(answer.body)?.scimType === 'uniqueness') {
        const taken = await search('userName', request.userName);
        if (taken !== null) return { account: await ensureActive(taken), created: false };
      }
      throw failure(answer, about);
    },

    async findByUserName(userName: string): Promise<Account | null> {
      if (typeof userName !== 'string' || userName.trim() === '') {
        throw new IntegrationError('provisioning', 'InvalidRequest', 'userName must not be empty', false);
      }
      return search('userName', userName);
    },

    async deactivate(accountId: string): Promise<void> {
      if (typeof accountId !== 'string' || accountId.trim() === '') {
        throw new IntegrationError('provisioning', 'InvalidRequest', 'the account id must not be empty', false);
      }
      try {
        await setActive({ id: accountId, userName: '', externalId: null, active: true }, false);
      } catch (err) {
        // Already gone: nothing left to switch off.
        if (err instanceof IntegrationError && err.code === 'NotFound') return;
        throw err;
      }
    },
  };
}

function checkRequest(request: AccountRequest): void {
  for (const field of ['userName', 'externalId', 'givenName', 'familyName', 'email'] as const) {
    const value: unknown = request[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new IntegrationError('provisioning', 'InvalidRequest', `${field} must not be empty`, false);
    }
  }
}

function toAccount(body: unknown, about: string): Account {
  const parsed = userResource.safeParse(body);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '(body)')))].join(', ');
    throw new IntegrationError(
      'provisioning',
      'UnexpectedResponse',
      `the SCIM User while ${about} lacks a valid ${fields}`,
      false,
    );
  }
  return {
    id: parsed.data.id,
    userName: parsed.data.userName,
    externalId: parsed.data.externalId ?? null,
    active: parsed.data.active ?? true,
  };
}

function scimError(body: unknown): z.infer<typeof errorResponse> | null {
  const parsed = errorResponse.safeParse(body);
  return parsed.success ? parsed.data : null;
}

function failure(answer: ScimAnswer, about: string): IntegrationError {
  const { status } = answer;
  const error = scimError(answer.body);
  const said = [error?.scimType, error?.detail].filter(Boolean).join(': ');
  const label = `SCIM ${status}${said ? ` (${said})` : ''} while ${about}`;
  const permanent = (code: IntegrationErrorCode) => new IntegrationError('provisioning', code, label, false);
  if (status === 429 || status >= 500) {
    return new IntegrationError(
      'provisioning',
      'Unavailable',
      label,
      true,
      answer.retryAfterMs === undefined ? undefined : { retryAfterMs: answer.retryAfterMs },
    );
  }
  if (status === 401 || status === 403) return permanent('NotAuthorized');
  if (status === 404) return permanent('NotFound');
  if (status === 409 || status === 412) return permanent('Conflict');
  if (status >= 400) return permanent('InvalidRequest');
  return permanent('UnexpectedResponse');
}

function unreachable(err: unknown, timeoutMs: number, about: string): IntegrationError {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new IntegrationError(
      'provisioning',
      'Unavailable',
      `the SCIM endpoint did not answer within ${timeoutMs} ms while ${about}`,
      true,
      { cause: err },
    );
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : 'network error';
  return new IntegrationError(
    'provisioning',
    'Unavailable',
    `the SCIM endpoint is unreachable (${code}) while ${about}`,
    true,
    { cause: err },
  );
}
