/**
 * Headless Chromium for the portal's browser tests (Debian's /usr/bin/chromium, or
 * CHROMIUM_PATH), and signing in the way a person does: keyboard only.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startAppEnv, type AppEnv, type AppEnvOptions } from './app-env';

const artifacts = fileURLToPath(new URL('../../artifacts/', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * On a service's form (the page is open): a wrong mobile number is flagged as it is typed, by the
 * portal's script, before anything is submitted. Returns the phone field.
 */
export async function expectPhoneFlaggedAsTyped(page: Page): Promise<Locator> {
  const phone = page.getByLabel('Mobile phone number');
  await phone.fill('call me');
  await expect
    .poll(() => page.locator('#phone-error').textContent(), { timeout: 5000 })
    .toContain('Enter a mobile number');
  expect(await phone.getAttribute('aria-invalid')).toBe('true');
  return phone;
}

/**
 * Opens the portal signed out (it asks to sign in first), types the account and password into
 * the focused form and waits for the home page.
 */
export async function signInWithKeyboard(
  page: Page,
  portalUrl: string,
  account: string,
  password: string,
): Promise<void> {
  await page.goto(`${portalUrl}/`);
  await expect.poll(() => page.url()).toContain('/signin');
  // Type only once the page has loaded and the account field really has the focus.
  await page.waitForLoadState('load');
  await expect
    .poll(
      () =>
        page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement
              ?.id,
        ),
      { timeout: 10_000 },
    )
    .toBe('username');
  await page.keyboard.type(account);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${portalUrl}/`);
}

/**
 * One test file's portal (listening on a free port) and headless Chromium, started in
 * `beforeAll` (then `prepare`, e.g. feeding figures) and closed in `afterAll`. Read `t` and
 * `browser` inside the tests. Also makes test/artifacts/ for screenshots (`artifacts`).
 */
export function browserSuite(
  options: AppEnvOptions,
  prepare?: (t: AppEnv) => Promise<unknown>,
): { t: AppEnv; browser: Browser; artifacts: string } {
  const suite = { artifacts } as { t: AppEnv; browser: Browser; artifacts: string };
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [suite.t, suite.browser] = await Promise.all([startAppEnv({ listen: true, ...options }), launchChromium()]);
    await prepare?.(suite.t);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.t?.close();
  });
  return suite;
}
