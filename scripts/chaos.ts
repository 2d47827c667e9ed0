/**
 * `npm run chaos`: the chaos run at full size on the cluster (cluster/chaos.ts), printing what it
 * counted. Sizes from the environment: CHAOS_EXPENSATRON (1000; at most 1,494, the fictional
 * phone numbers there are), CHAOS_DESK_PHONES (60), CHAOS_SUBSCRIBERS (10000), CHAOS_AFFECTED (300),
 * CHAOS_WORKERS (3), CHAOS_KILL_EVERY_SECONDS (5), CHAOS_CONCURRENCY (12 journeys in flight). Exits non-zero when anything was lost,
 * left unfinished or delivered twice.
 */
import { z } from 'zod';
import { formatChaosReport, maxChaosPeople, runChaos } from '../cluster/chaos';
import { parseEnv } from '../config/env';

const count = (fallback: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int().min(0).max(max).default(fallback);
const env = parseEnv(
  z.object({
    CHAOS_EXPENSATRON: count(1000, maxChaosPeople),
    CHAOS_DESK_PHONES: count(60, maxChaosPeople),
    CHAOS_SUBSCRIBERS: count(10_000, 200_000),
    CHAOS_AFFECTED: count(300, maxChaosPeople),
    CHAOS_WORKERS: count(3, 8),
    CHAOS_KILL_EVERY_SECONDS: count(5, 600),
    CHAOS_CONCURRENCY: count(12, 200),
    CHAOS_DATA_DIR: z.string().min(1).optional(),
  }),
  process.env,
);

// Ctrl-C or a kill of this script still ends the cluster's programs (they die with the process).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const report = await runChaos({
  workers: env.CHAOS_WORKERS,
  expensatron: env.CHAOS_EXPENSATRON,
  doubleSubmitEvery: 10,
  deskPhones: env.CHAOS_DESK_PHONES,
  subscribers: env.CHAOS_SUBSCRIBERS,
  affected: env.CHAOS_AFFECTED,
  killEverySeconds: env.CHAOS_KILL_EVERY_SECONDS,
  workerKills: null,
  apiKills: 2,
  serverRestarts: 1,
  concurrency: env.CHAOS_CONCURRENCY,
  log: (line) => console.log(line),
  ...(env.CHAOS_DATA_DIR ? { dataDir: env.CHAOS_DATA_DIR } : {}),
});
console.log('');
for (const line of formatChaosReport(report)) console.log(line);
const emailDuplicates = Object.values(report.duplicates.emailsByKind).reduce((a, n) => a + n, 0);
const bad =
  report.journeys.lost +
  report.journeys.notCompleted +
  report.duplicates.sms +
  emailDuplicates +
  report.duplicates.scimAccounts +
  report.subscribers.notifiedTwice +
  report.subscribers.notNotified +
  report.subscribers.resolvedTwice +
  report.subscribers.resolvedNotTold;
process.exit(bad === 0 ? 0 : 1);
