/**
 * Both journeys (a request fulfilled, an outage declared and settled), driven through headless Chromium (Debian's /usr/bin/chromium) as
 * Steve and IT see them, against the app wired like `npm start`: the embedded directory, CMDB,
 * outbox and SCIM stand-ins, the real worker and the suite's Temporal dev server.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { expectPhoneFlaggedAsTyped, launchChromium, signInWithKeyboard } from './support/browser';

const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));

let t: AppEnv;
let browser: Browser;
beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  [t, browser] = await Promise.all([
    startAppEnv({
      worker: true,
      listen: true,
      config: {
        incidentDefaults: {
          timings: {
            followUpAfterSeconds: 30,
            finalDeadlineSeconds: 60,
            reportIntervalSeconds: 1,
            linkValidSeconds: 3600,
            lingerAfterCloseSeconds: 300,
          },
          scale: { shardCount: 2 },
          retryInitialIntervalMs: 100,
        },
      },
    }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function signIn(context: BrowserContext, account: string): Promise<Page> {
  const page = await context.newPage();
  await signInWithKeyboard(page, t.url, account, demoPassword);
  return page;
}

describe('in a real browser', () => {
  it(
    'Steve gets Expensatron: sign in, search, request with phone and OS, watch the stages, see the SMS',
    { timeout: 120_000 },
    async () => {
      const context = await browser.newContext();
      const page = await signIn(context, 'steve');
      await expect.poll(() => page.locator('h1').textContent()).toBe('Hello, Steve Jones');

      await page.getByLabel('What do you need?').fill('Expensatron');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/catalog\?q=Expensatron/);
      await page.locator('#results a').first().click();
      await page.waitForURL(`${t.url}/catalog/expensatron`);
      expect(await page.locator('main').textContent()).toContain('What happens next');

      // Validation as you type: a wrong number is flagged before submitting.
      const phone = await expectPhoneFlaggedAsTyped(page);
      await phone.fill('07700 900123');
      await expect.poll(() => page.locator('#phone-error').textContent(), { timeout: 5000 }).toBe('');
      await page.getByLabel('Android').check();
      await page.getByRole('button', { name: 'OK, ask for Expensatron' }).click();

      await page.waitForURL(/\/requests\/fulfil-expensatron-[^/]+\/recorded$/);
      expect(await page.locator('h1').textContent()).toBe('Your request has been recorded');
      expect(
        await page.getByRole('link', { name: 'Read the Expensatron quick-start guide' }).getAttribute('href'),
      ).toBe('/catalog/expensatron/guide');

      // The stages update without a reload: a marker on the window survives until "Done".
      await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
      await expect.poll(() => page.locator('#stage').textContent(), { timeout: 45_000 }).toBe('Done');
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      expect(await page.locator('ol.timeline').innerText()).toContain('Texting you the download link — done');
      await page.screenshot({ path: `${artifacts}expensatron-done.png`, fullPage: true });

      // His phone beeps: the SMS with the download link is in the outbox.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outbox' }).click();
      await page.waitForURL(`${t.url}/outbox`);
      const sms = page.locator('.outbox-entry[data-channel="sms"]', { hasText: '+447700900123' }).first();
      expect(await sms.textContent()).toMatch(/Expensatron/i);
      await page.screenshot({ path: `${artifacts}outbox-sms.png`, fullPage: true });
      await context.close();
    },
  );

  it(
    'the CRM outage: IT declares, Steve says it affects him, IT resolves, Steve confirms and gives NPS 9',
    { timeout: 120_000 },
    async () => {
      const it = await browser.newContext();
      const ivy = await signIn(it, 'ivy');
      await ivy.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'IT console' }).click();
      await ivy.getByRole('combobox', { name: /^Service/ }).fill('crm');
      await ivy.getByLabel('Title').fill('CRM web app unavailable');
      await ivy
        .getByLabel('Message to users')
        .fill('Some CRM users are experiencing issues with the web app, but the mobile app is fully operational.');
      await ivy.getByLabel('Workaround (optional)').fill('The mobile CRM app works');
      await ivy.getByLabel('Download link for Android (optional)').fill('https://apps.example/crm-android');
      await ivy.getByLabel('Download link for iPhone (optional)').fill('https://apps.example/crm-ios');
      await ivy.getByRole('button', { name: 'Review and declare' }).click();
      // The confirm step: how many subscribers will be told, before anyone is.
      await ivy.getByRole('button', { name: /^Declare and notify \d+ subscribers?$/ }).click();
      await ivy.waitForURL(/\/console\/incidents\/crm-/);
      const incidentUrl = ivy.url();

      const user = await browser.newContext();
      const steve = await signIn(user, 'steve');
      // Steve opens the portal: the notice about the CRM is on the home page.
      const banner = steve.locator('section.banner', { hasText: 'CRM web app unavailable' });
      await expect
        .poll(
          async () => {
            await steve.reload();
            return banner.count();
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe(1);
      expect(await banner.textContent()).toContain('the mobile app is fully operational');
      await banner.getByRole('button', { name: 'This affects me' }).click();
      expect(await steve.locator('h1').textContent()).toBe('Thank you, IT now know this affects you');
      await steve.getByRole('button', { name: /Text me the download link/ }).click();
      expect(await steve.locator('main').textContent()).toContain('texted you the link');
      await steve.screenshot({ path: `${artifacts}incident-affected.png`, fullPage: true });

      // IT sees Steve among the affected and resolves.
      await ivy.goto(incidentUrl);
      await expect.poll(() => ivy.locator('[data-count="Affected"]').textContent(), { timeout: 15_000 }).toBe('1');
      await ivy.getByLabel('What was fixed').fill('The web server was restarted; the CRM web app is back.');
      await ivy.getByRole('button', { name: 'Resolve and tell everyone' }).click();
      await expect.poll(() => ivy.locator('#incident-status').textContent(), { timeout: 15_000 }).not.toBe('open');

      // The resolution email, read in the outbox, links to the confirmation page.
      await steve.goto(`${t.url}/outbox?to=steve%40eagle5.example&channel=email`);
      const confirmLink = steve.locator('.outbox-entry a[href*="/confirm?token="]').first();
      await expect
        .poll(
          async () => {
            await steve.reload();
            return confirmLink.count();
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBe(1);
      await confirmLink.click();
      await steve.waitForURL(/\/incidents\/crm-[^/]+\/confirm\?token=/);
      expect(await steve.locator('h1').textContent()).toBe('Is CRM working for you again?');
      // "Fixed", and the NPS question on the same page.
      await steve.getByLabel('Yes, it is fixed').check();
      await steve.getByLabel('9', { exact: true }).check();
      await steve.getByLabel('Anything you want to tell us? (optional)').fill('Fixed before my customer call.');
      await steve.getByRole('button', { name: 'Send' }).click();
      expect(await steve.locator('main').textContent()).toContain('You gave IT 9 out of 10');
      await steve.screenshot({ path: `${artifacts}incident-nps.png`, fullPage: true });

      await ivy.goto(incidentUrl);
      await expect
        .poll(() => ivy.locator('[data-count="Confirmed fixed"]').textContent(), { timeout: 15_000 })
        .toBe('1');
      await it.close();
      await user.close();
    },
  );
});
