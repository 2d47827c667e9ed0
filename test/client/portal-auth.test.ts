import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disabledAccountMessage, wrongCredentialsMessage } from '../../client/portal/auth';
import { sessionCookieName } from '../../client/web/session';
import { demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { PortalSession, csrfTokenOf, textOf } from './support/portal-session';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv();
});
afterAll(async () => {
  await t?.close();
});

describe('portal sign-in', () => {
  it('sends a signed-out visitor to the sign-in page and back to where they were going', async () => {
    const s = new PortalSession(t.app);
    const home = await s.get('/requests');
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe('/signin?next=%2Frequests');
    const form = await s.get('/signin?next=%2Frequests');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="username">Account name</label>');
    expect(form.body).toContain('<label for="password">Password</label>');
    expect(form.body).toContain('autocomplete="current-password"');
    const res = await s.post('/signin', {
      _csrf: csrfTokenOf(form.body),
      username: 'steve',
      password: demoPassword,
      next: '/requests',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/requests');
    expect((await s.get('/requests')).statusCode).toBe(200);
  });

  it('sets a signed, httpOnly, SameSite=Lax session cookie that holds no password', async () => {
    const s = new PortalSession(t.app);
    const res = await s.signIn('steve', demoPassword);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith(`${sessionCookieName}=`));
    expect(session).toBeDefined();
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(session).not.toMatch(/Secure/i);
    const value = decodeURIComponent(session!.split(';')[0]!.split('=').slice(1).join('='));
    const payload = Buffer.from(value.slice(0, value.lastIndexOf('.')), 'base64url').toString('utf8');
    expect(JSON.parse(payload)).toMatchObject({ accountName: 'steve', displayName: 'Steve Jones' });
    expect(payload).not.toContain(demoPassword);
    const home = await s.get('/');
    expect(textOf(home.body)).toContain('Hello, Steve Jones');
  });

  it('gives the same message for a wrong password and an unknown account', async () => {
    const wrong = await new PortalSession(t.app).signIn('steve', 'not-the-password');
    const unknown = await new PortalSession(t.app).signIn('nobody-here', 'not-the-password');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(textOf(wrong.body)).toContain(wrongCredentialsMessage);
    expect(textOf(unknown.body)).toContain(wrongCredentialsMessage);
    expect(wrong.headers['set-cookie']?.toString() ?? '').not.toContain(`${sessionCookieName}=`);
    // The account name is kept in the form, the password never is.
    expect(wrong.body).toContain('value="steve"');
    expect(wrong.body).not.toContain('not-the-password');
  });

  it('tells a disabled account clearly', async () => {
    const res = await new PortalSession(t.app).signIn('olaf', demoPassword);
    expect(res.statusCode).toBe(403);
    expect(textOf(res.body)).toContain(disabledAccountMessage);
  });

  it('refuses a sign-in without the CSRF token of the form', async () => {
    const s = new PortalSession(t.app);
    await s.get('/signin');
    const res = await s.post('/signin', { username: 'steve', password: demoPassword });
    expect(res.statusCode).toBe(403);
    expect(textOf(res.body)).toContain('This form has expired');
    const forged = await s.post('/signin', { _csrf: 'forged-token', username: 'steve', password: demoPassword });
    expect(forged.statusCode).toBe(403);
  });

  it('never redirects to another site after sign-in', async () => {
    const s = new PortalSession(t.app);
    const form = await s.get('/signin');
    const res = await s.post('/signin', {
      _csrf: csrfTokenOf(form.body),
      username: 'steve',
      password: demoPassword,
      next: '//evil.example/',
    });
    expect(res.headers.location).toBe('/');
  });

  it('treats a tampered session cookie as signed out', async () => {
    const s = new PortalSession(t.app);
    await s.signIn('steve', demoPassword);
    const value = s.cookies.get(sessionCookieName)!;
    const forged = Buffer.from(
      JSON.stringify({ accountName: 'ivy', displayName: 'Ivy', email: 'x', roles: ['it-staff'], expiresAt: 9e9 }),
    ).toString('base64url');
    s.cookies.set(sessionCookieName, `${forged}.${value.split('.').at(-1)}`);
    const res = await s.get('/console');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/signin/);
  });

  it('signs out: the cookie is cleared and pages ask to sign in again', async () => {
    const s = new PortalSession(t.app);
    await s.signIn('steve', demoPassword);
    const home = await s.get('/');
    const out = await s.post('/signout', { _csrf: csrfTokenOf(home.body) });
    expect(out.statusCode).toBe(200);
    expect(textOf(out.body)).toContain('You are signed out');
    expect(s.cookies.has(sessionCookieName)).toBe(false);
    expect((await s.get('/')).statusCode).toBe(303);
  });

  it('shows the IT console only to IT staff (nested Service Desk members count)', async () => {
    const ivy = new PortalSession(t.app);
    await ivy.signIn('ivy', demoPassword);
    expect((await ivy.get('/')).body).toContain('href="/console"');
    expect((await ivy.get('/console')).statusCode).toBe(200);
    const steve = new PortalSession(t.app);
    await steve.signIn('steve', demoPassword);
    expect((await steve.get('/')).body).not.toContain('href="/console"');
    const denied = await steve.get('/console');
    expect(denied.statusCode).toBe(403);
    expect(textOf(denied.body)).toContain('The IT console is for IT staff.');
  });

  it('never logs a password or a session cookie', async () => {
    const s = new PortalSession(t.app);
    await new PortalSession(t.app).signIn('steve', 'wrong-password-123');
    await s.signIn('steve', demoPassword);
    await s.get('/');
    const all = JSON.stringify(t.logs);
    expect(t.logs.length).toBeGreaterThan(0);
    expect(all).not.toContain(demoPassword);
    expect(all).not.toContain('wrong-password-123');
    expect(all).not.toContain(s.cookies.get(sessionCookieName)!);
  });

  it('serves pages that are small, labelled and keyboard-usable', async () => {
    const s = new PortalSession(t.app);
    await s.signIn('steve', demoPassword);
    const home = await s.get('/');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect(home.body).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(home.body).toContain('<html lang="en">');
    expect(home.body).toContain('<label for="q">');
    expect(Buffer.byteLength(home.body)).toBeLessThan(8_000);
    const css = /href="(\/assets\/app\.[0-9a-f]+\.css)"/.exec(home.body)![1]!;
    const asset = await s.get(css);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });
});

describe('portal over https', () => {
  let secure: AppEnv;
  beforeAll(async () => {
    secure = await startAppEnv({ publicUrl: 'https://portal.test' });
  });
  afterAll(async () => {
    await secure?.close();
  });

  it('marks the session and CSRF cookies Secure', async () => {
    const s = new PortalSession(secure.app);
    const form = await s.get('/signin');
    expect(([] as string[]).concat(form.headers['set-cookie'] ?? []).join('\n')).toMatch(/sj_csrf=.*Secure/i);
    const res = await s.post('/signin', { _csrf: csrfTokenOf(form.body), username: 'steve', password: demoPassword });
    const session = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith(`${sessionCookieName}=`));
    expect(session).toMatch(/Secure/);
  });
});
