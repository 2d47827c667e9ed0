/**
 * `npm run docs:screenshots`: the README ops guide's pictures of the real Temporal UI.
 *
 * Runs the product as a person does (`npm start`, with a throwaway data folder and free ports),
 * signs in to the portal as Steve in headless Chromium, asks for Expensatron with a phone number
 * the demo CMDB does not know (so the journey waits at Stage "device-check"), then finds that
 * journey in the Temporal UI by search attribute and photographs the list and the journey:
 *   docs/images/temporal-ui-search.png   the workflows list, filtered by ServiceId and Stage
 *   docs/images/temporal-ui-journey.png  Steve's journey: summary, details, current details
 * Stops the product with Ctrl-C (SIGINT) and removes the data folder, whatever happened.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, startProduct, type RunningProduct } from '../test/support/npm-start';

const chromiumPath = '/usr/bin/chromium';
const imagesDir = join(repoRoot, 'docs', 'images');
const searchShot = join(imagesDir, 'temporal-ui-search.png');
const journeyShot = join(imagesDir, 'temporal-ui-journey.png');
/** The filter the README gives ops: every Expensatron request waiting for a phone check. */
const listQuery = 'ServiceId = "expensatron" AND Stage = "device-check"';
/** Well-formed, but registered to nobody in embedded/demo-org.ts. */
const unregisteredPhone = '07700 900555';

function say(line: string): void {
  console.log(line);
}

async function until<T>(what: string, read: () => Promise<T | null>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function requestExpensatron(page: Page, portalUrl: string, password: string): Promise<string> {
  await page.goto(`${portalUrl}/`);
  await page.waitForURL(/\/signin/);
  // Type only once the page has loaded and the account field really has the focus.
  await page.waitForLoadState('load');
  await until(
    'the sign-in form to focus the account field',
    async () =>
      (await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id,
      )) === 'username'
        ? true
        : null,
    10_000,
    100,
  );
  await page.keyboard.type('steve');
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${portalUrl}/`);

  await page.goto(`${portalUrl}/catalog/expensatron`);
  await page.getByLabel('Mobile phone number').fill(unregisteredPhone);
  await page.getByLabel('Android').check();
  await page.getByRole('button', { name: 'OK, ask for Expensatron' }).click();
  await page.waitForURL(/\/requests\/[^/]+\/recorded$/);
  const id = /\/requests\/([^/]+)\/recorded$/.exec(page.url())?.[1];
  if (!id) throw new Error(`the portal did not say which request it recorded (at ${page.url()})`);
  const workflowId = decodeURIComponent(id);

  // The portal offers the correction form once the journey waits at the device check.
  await until(
    'the journey to wait at the device check',
    async () => {
      await page.goto(`${portalUrl}/requests/${id}`);
      return (await page.locator(`form[action="/requests/${workflowId}/device"]`).count()) > 0 ? true : null;
    },
    60_000,
  );
  return workflowId;
}

async function photograph(browser: Browser, uiUrl: string, workflowId: string): Promise<void> {
  const context = await browser.newContext({
    viewport: { width: 1600, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
  });
  const page = await context.newPage();
  const listUrl = `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(listQuery)}`;
  say(`  ${listUrl}`);
  // Visibility is eventually consistent: reload until Steve's row is listed.
  const row = page.getByRole('link', { name: workflowId }).first();
  await until(
    `${workflowId} in the filtered list`,
    async () => {
      await page.goto(listUrl);
      await page.waitForLoadState('networkidle');
      return (await row.isVisible()) ? true : null;
    },
    60_000,
    2000,
  );
  // The top of the page: the filter and Steve's row (the rest is empty space).
  await page.screenshot({ path: searchShot, clip: { x: 0, y: 0, width: 1600, height: 335 } });
  say(`Saved ${searchShot}`);

  await row.click();
  await page.waitForURL(new RegExp(`/workflows/${workflowId}/`));
  // The User Metadata tab shows what the journey says about itself: its static summary and
  // details, its current details (the stage and what it waits for) and each step's summary.
  await page.getByText('User Metadata', { exact: true }).first().click();
  await page.getByText('Current Details', { exact: true }).first().waitFor({ timeout: 30_000 });
  // The UI renders each markdown block in its own sandboxed frame: wait until they show the journey's words.
  for (const words of ['Expensatron for steve', 'Checking your phone is registered to you']) {
    await until(
      `"${words}" on the journey page`,
      async () => {
        for (const frame of page.frames())
          if ((await frame.getByText(words, { exact: false }).count()) > 0) return true;
        return null;
      },
      30_000,
      500,
    );
  }
  await page.screenshot({ path: journeyShot });
  say(`Saved ${journeyShot}`);
  await context.close();
}

async function main(): Promise<void> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium is not installed at ${chromiumPath}. Install it with: apt-get install -y chromium`);
  }
  mkdirSync(imagesDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'sj-screenshots-'));
  let product: RunningProduct | null = null;
  let browser: Browser | null = null;
  try {
    say(`Starting the product (npm start, data in ${dataDir}); the first start bundles the workflows…`);
    product = await startProduct({ dataDir, readyTimeoutMs: 180_000 });
    say(`Ready: portal ${product.portalUrl}, Temporal UI ${product.temporalUiUrl}`);
    browser = await chromium.launch({
      executablePath: chromiumPath,
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
    const page = await browser.newPage();
    say(`Signing in as steve and asking for Expensatron with ${unregisteredPhone} (not registered to him)…`);
    const workflowId = await requestExpensatron(page, product.portalUrl, product.demoPassword);
    say(`Journey ${workflowId} waits at Stage "device-check"`);
    say(`Opening the Temporal UI filtered by ${listQuery}…`);
    await photograph(browser, product.temporalUiUrl, workflowId);
  } finally {
    await browser?.close().catch(() => undefined);
    if (product) {
      say('Stopping the product (Ctrl-C)…');
      const exit = await product.stop(90_000).catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : String(err));
        return null;
      });
      if (exit && !exit.stoppedCleanly)
        console.error('The product did not print its "Stopped." line; its output:\n' + product.output().slice(-3000));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  say('Done.');
}

main().catch((err: unknown) => {
  console.error(`docs:screenshots failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
