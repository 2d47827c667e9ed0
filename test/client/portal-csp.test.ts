/**
 * The portal's own stylesheet and script under its Content-Security-Policy, in headless Chromium
 * (Debian's /usr/bin/chromium): both load and apply, and nothing on the pages Steve goes through
 * is refused by the policy. A resource the policy does not allow is refused, and noticed.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demoPassword } from './support/app-env';
import { browserSuite, expectPhoneFlaggedAsTyped, signInWithKeyboard } from './support/browser';

const s = browserSuite({});

/** The little of the browser's window these checks use (the project's TypeScript has no DOM types). */
interface Win {
  document: {
    styleSheets: Iterable<{ readonly cssRules: Iterable<{ cssText: string }> }>;
    querySelector(selector: string): object;
    createElement(tag: 'img'): { src: string };
    body: { appendChild(node: object): void };
    addEventListener(type: 'securitypolicyviolation', listener: (e: SecurityPolicyViolation) => void): void;
  };
  getComputedStyle(element: object): { position: string; maxWidth: string };
  violations: string[];
}
interface SecurityPolicyViolation {
  effectiveDirective: string;
  blockedURI: string;
}

/** Every page of the context records what the policy refused (`securitypolicyviolation` events). */
async function recordingViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = globalThis as unknown as Win;
    w.violations = [];
    w.document.addEventListener('securitypolicyviolation', (e) =>
      w.violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
  });
}

const violations = (page: Page): Promise<string[]> => page.evaluate(() => (globalThis as unknown as Win).violations);

/** What the stylesheet did: a few computed styles, and whether the charts' rules are in it. */
const styled = (page: Page): Promise<{ skip: string; main: string; chartRules: boolean }> =>
  page.evaluate(() => {
    const w = globalThis as unknown as Win;
    const rules = [...w.document.styleSheets].flatMap((sheet) => {
      try {
        return [...sheet.cssRules].map((r) => r.cssText);
      } catch {
        return []; // a sheet the browser refused: its rules cannot be read
      }
    });
    return {
      skip: w.getComputedStyle(w.document.querySelector('.skip')).position,
      main: w.getComputedStyle(w.document.querySelector('main')).maxWidth,
      chartRules: rules.some((r) => r.startsWith('.chart-bar {')),
    };
  });

describe('the portal under its Content-Security-Policy', () => {
  it('loads and applies its stylesheet and script, and the policy refuses nothing of them', async () => {
    const context = await s.browser.newContext();
    await recordingViolations(context);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      // The portal has no favicon: the browser's own request for one is answered 404.
      if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico'))
        consoleErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    await signInWithKeyboard(page, s.t.url, 'steve', demoPassword);
    expect(await styled(page)).toEqual({ skip: 'absolute', main: '832px', chartRules: true });

    // The script: validation as you type on a service's form.
    await page.goto(`${s.t.url}/catalog/expensatron`);
    await expectPhoneFlaggedAsTyped(page);
    expect(await styled(page)).toEqual({ skip: 'absolute', main: '832px', chartRules: true });
    expect(await violations(page)).toEqual([]);
    expect(consoleErrors).toEqual([]);

    // What the policy does not allow is refused, and the recording sees it.
    await page.evaluate(() => {
      const d = (globalThis as unknown as Win).document;
      const img = d.createElement('img');
      img.src = 'https://elsewhere.invalid/pixel.png';
      d.body.appendChild(img);
    });
    await expect.poll(() => violations(page)).toEqual(['img-src https://elsewhere.invalid/pixel.png']);
    await context.close();
  });
});
