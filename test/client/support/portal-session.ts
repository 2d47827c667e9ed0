/**
 * A small cookie-keeping client over `app.inject()` for portal tests: it follows what a browser
 * does with cookies and CSRF tokens (reads the token from the page's form, posts it back).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export class PortalSession {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  private keep(res: LightMyRequestResponse): void {
    const raw = res.headers['set-cookie'];
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1);
      const expired = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), ...headers } });
    this.keep(res);
    return res;
  }

  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(form).toString(),
    });
    this.keep(res);
    return res;
  }

  async postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(body),
    });
    this.keep(res);
    return res;
  }

  /** GETs `pageUrl`, takes the CSRF token of its first form, and posts `form` to `action`. */
  async submit(pageUrl: string, action: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    const page = await this.get(pageUrl);
    const token = csrfTokenOf(page.body);
    return this.post(action, { _csrf: token, ...form });
  }

  async signIn(accountName: string, password: string): Promise<LightMyRequestResponse> {
    return this.submit('/signin', '/signin', { username: accountName, password });
  }
}

export function csrfTokenOf(body: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}

/** The value of a hidden input on a page. */
export function hiddenValue(body: string, name: string): string {
  const v = new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1];
  if (v === undefined) throw new Error(`no hidden field ${name} on the page`);
  return v;
}

/** Text content without tags, whitespace collapsed: for "the page says …" assertions. */
export function textOf(body: string): string {
  return body
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A session signed in as `account`; throws when the portal does not accept the sign-in (303). */
export async function signedInSession(app: FastifyInstance, account: string, password: string): Promise<PortalSession> {
  const session = new PortalSession(app);
  const res = await session.signIn(account, password);
  if (res.statusCode !== 303) throw new Error(`sign-in as ${account} answered ${res.statusCode}, not 303`);
  return session;
}
