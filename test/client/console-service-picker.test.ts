/**
 * The IT console's service picker and confirm step in headless Chromium:
 * Ivy finds the service by typing part of its name (the datalist is refilled from
 * `/console/services` as she types), and before anything is sent the console says how many
 * subscribers will be told. The same without JavaScript: the GET search lists the matches, a
 * link fills the field in, and the confirm page's buttons are plain forms.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoPassword } from './support/app-env';
import { browserSuite, signInWithKeyboard } from './support/browser';

// With a worker: the declared incidents run (and answer the console's queries at once).
const s = browserSuite({ worker: true });

/** The values of the datalist's options, as the page has them now. */
const options = async (page: Page): Promise<(string | null)[]> => {
  const all = await page.locator('#cmdb-services option').all();
  return Promise.all(all.map((o) => o.getAttribute('value')));
};

async function describeOutage(page: Page, title: string): Promise<void> {
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Message to users').fill('Some users cannot open it; IT is on it.');
}

describe('the IT console service picker', () => {
  it('search as you type, then the count of subscribers before declaring', { timeout: 60_000 }, async () => {
    const context = await s.browser.newContext();
    const page = await context.newPage();
    await signInWithKeyboard(page, s.t.url, 'ivy', demoPassword);
    await page.goto(`${s.t.url}/console`);
    // Server-rendered: every CMDB service is in the datalist before anyone types.
    expect(await options(page)).toEqual(['crm', 'email', 'expensatron']);

    const field = page.getByRole('combobox', { name: /^Service/ });
    await field.pressSequentially('expen', { delay: 30 });
    await expect.poll(() => page.locator('#cmdb-services').getAttribute('data-for')).toBe('expen');
    expect(await options(page)).toEqual(['expensatron']);
    await field.fill('crm');
    await describeOutage(page, 'CRM web app unavailable (picker)');
    await page.getByRole('button', { name: 'Review and declare' }).click();

    await page.waitForURL(`${s.t.url}/console/incidents/confirm`);
    expect(await page.locator('h1').textContent()).toBe('Declare an incident on CRM?');
    expect(await page.locator('[data-subscribers]').getAttribute('data-subscribers')).toBe('4');
    expect(await page.locator('main').textContent()).toContain('4 subscribers of CRM will be told');
    await page.screenshot({ path: `${s.artifacts}console-declare-confirm.png`, fullPage: true });
    await page.getByRole('button', { name: 'Declare and notify 4 subscribers' }).click();
    await page.waitForURL(/\/console\/incidents\/crm-/);
    await context.close();
  });

  it('works without JavaScript: find, pick, confirm, change, declare', { timeout: 60_000 }, async () => {
    const context = await s.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInWithKeyboard(page, s.t.url, 'ivy', demoPassword);
    await page.goto(`${s.t.url}/console`);
    await page.getByRole('searchbox', { name: 'Find a service in the CMDB' }).fill('mail');
    await page.getByRole('button', { name: 'Find' }).click();
    const matches = page.getByRole('list', { name: 'Services matching “mail”' });
    expect(await matches.getByRole('link').allTextContents()).toEqual(['Email (email)']);
    await matches.getByRole('link', { name: 'Email (email)' }).click();
    const field = page.getByRole('combobox', { name: /^Service/ });
    expect(await field.inputValue()).toBe('email');

    await describeOutage(page, 'Email delayed (no JavaScript)');
    await page.getByRole('button', { name: 'Review and declare' }).click();
    expect(await page.locator('h1').textContent()).toBe('Declare an incident on Email?');
    expect(await page.locator('[data-subscribers]').getAttribute('data-subscribers')).toBe('5');
    // Change something: back to the form, every field as it was.
    await page.getByRole('button', { name: 'Change something' }).click();
    expect(await page.getByRole('combobox', { name: /^Service/ }).inputValue()).toBe('email');
    expect(await page.getByLabel('Title').inputValue()).toBe('Email delayed (no JavaScript)');
    await page.getByRole('button', { name: 'Review and declare' }).click();
    await page.getByRole('button', { name: 'Declare and notify 5 subscribers' }).click();
    await page.waitForURL(/\/console\/incidents\/email-/);

    // An id the CMDB does not know is refused on the form, before any confirm step.
    await page.goto(`${s.t.url}/console`);
    await page.getByRole('combobox', { name: /^Service/ }).fill('teleporter');
    await describeOutage(page, 'Teleporter jammed');
    await page.getByRole('button', { name: 'Review and declare' }).click();
    expect(await page.locator('#serviceId-error').textContent()).toBe('There is no service “teleporter” in the CMDB');
    await context.close();
  });
});
