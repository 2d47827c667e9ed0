/**
 * `npm run demo` against a running `npm start` fills the experience figures with real journeys:
 * the product as a person runs it (its own dev server, worker, portal and API in a throwaway
 * data folder), the demo script as a second process, and the figures read back through the
 * versioned API (the same report the IT console's experience page renders).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashApiKey } from '../../client/api/keys';
import { repoRoot, startProduct, type RunningProduct } from '../support/npm-start';

const apiKey = `sj_demo_${randomBytes(12).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'sj-demo-'));
let product: RunningProduct | undefined;
afterAll(async () => {
  await product?.stop(60_000).catch(() => product?.kill());
  rmSync(dataDir, { recursive: true, force: true });
});

const nps = z.object({
  responses: z.number(),
  promoters: z.number(),
  passives: z.number(),
  detractors: z.number(),
  score: z.number().nullable(),
});
const reportSchema = z.object({
  services: z.array(
    z.object({
      serviceId: z.string(),
      figures: z.object({
        journeys: z.object({ count: z.number(), outcomes: z.record(z.string(), z.number()), cameBack: z.number() }),
        incidents: z.object({
          count: z.number(),
          subscribersTold: z.number(),
          affected: z.number(),
          confirmedFixed: z.number(),
          noAnswer: z.number(),
          followedUp: z.number(),
          unsettled: z.number(),
          settleTimeMs: z.object({ count: z.number(), max: z.number().nullable() }),
        }),
        nps: z.object({ journeys: nps, incidents: nps }),
      }),
      xla: z.array(z.object({ status: z.string() })),
    }),
  ),
});

describe('npm run demo', () => {
  it(
    'plays the Eagle5 journeys on npm start and the experience report shows their figures',
    { timeout: 300_000 },
    async () => {
      product = await startProduct({
        dataDir,
        env: {
          API_KEYS: JSON.stringify([{ name: 'demo-test', hash: hashApiKey(apiKey), scopes: ['experience:read'] }]),
        },
      });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATA_DIR: dataDir,
        TEMPORAL_PORT: String(product.ports.temporal),
        HTTP_PORT: String(product.ports.http),
        PUBLIC_URL: product.portalUrl,
      };
      delete env.TEMPORAL_ADDRESS;
      const demo = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/demo-journeys.ts'], {
        cwd: repoRoot,
        env,
        timeout: 240_000,
      });
      expect(demo.stdout).toContain('closed (deadline-passed)');
      expect(demo.stdout).toContain(`${product.portalUrl}/console/experience`);

      const res = await fetch(`${product.portalUrl}/api/v1/experience?days=7`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(res.status).toBe(200);
      const report = reportSchema.parse(await res.json());
      const service = (id: string) => report.services.find((s) => s.serviceId === id)!.figures;

      const expensatron = service('expensatron');
      expect(expensatron.journeys).toMatchObject({
        count: 4,
        outcomes: { completed: 3, 'not-eligible': 1 },
        cameBack: 1,
      });
      // Ratings 10, 9, 7, 4: two promoters, one passive, one detractor → (2 − 1) / 4 = +25.
      expect(expensatron.nps.journeys).toEqual({ responses: 4, promoters: 2, passives: 1, detractors: 1, score: 25 });
      expect(report.services.find((s) => s.serviceId === 'expensatron')!.xla.every((x) => x.status !== 'no-data')).toBe(
        true,
      );

      expect(service('desk-phone').journeys).toMatchObject({ count: 2, outcomes: { completed: 1, rejected: 1 } });

      const crm = service('crm');
      expect(crm.incidents).toMatchObject({
        count: 1,
        subscribersTold: 4,
        affected: 3,
        confirmedFixed: 2,
        noAnswer: 1,
        followedUp: 1,
        unsettled: 0,
      });
      expect(crm.incidents.settleTimeMs.count).toBe(1);
      // Steve 9, Tony 6: one promoter, one detractor.
      expect(crm.nps.incidents).toEqual({ responses: 2, promoters: 1, passives: 0, detractors: 1, score: 0 });
    },
  );
});
