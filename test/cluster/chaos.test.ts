/**
 * The production shape under faults, small: the real Temporal server on PostgreSQL, two worker
 * processes and the API process (npm run cluster's own code), Expensatron and desk-phone journeys
 * and an incident driven through the HTTP API, while workers, the API and the Temporal server
 * are SIGKILLed. Then everything the protocol servers received is counted (cluster/chaos.ts).
 *
 * What is asserted is exact: nothing lost or left unfinished, no SMS, SCIM account or email sent
 * twice as a new message, every subscriber told once of the outage and once of the fix. The one
 * thing SMTP cannot give, a kill between the mail server's "250 OK" and the ledger's record, shows
 * as a copy with the same Message-ID; each such copy must be one the ledger counted as an
 * in-doubt resend. How often a kill lands in that window is chance, so its number is printed,
 * never asserted.
 */
import { describe, expect, it } from 'vitest';
import { formatChaosReport, runChaos } from '../../cluster/chaos';

describe('the cluster under SIGKILLs (small chaos run)', () => {
  it('loses nothing and sends nothing twice', { timeout: 900_000 }, async () => {
    const report = await runChaos({
      workers: 2,
      expensatron: 100,
      doubleSubmitEvery: 10,
      deskPhones: 10,
      subscribers: 1_000,
      affected: 50,
      killEverySeconds: 4,
      workerKills: 3,
      apiKills: 1,
      serverRestarts: 1,
      concurrency: 8,
      log: () => undefined,
    });
    console.log(formatChaosReport(report).join('\n'));

    expect(report.kills).toEqual({ workers: 3, api: 1, server: 1 });
    expect(report.journeys.details).toEqual([]);
    expect(report.journeys).toMatchObject({ submitted: 110, lost: 0, notCompleted: 0 });
    expect(report.duplicates).toMatchObject({ sms: 0, emailsByKind: {}, scimAccounts: 0, workaroundSms: 0 });
    expect(report.duplicates.sameMessageIdEmails).toBeLessThanOrEqual(report.duplicates.inDoubtEmailResends);
    expect(report.subscribers).toEqual({
      total: 1_000,
      notifiedTwice: 0,
      notNotified: 0,
      resolvedTwice: 0,
      resolvedNotTold: 0,
    });
  });
});
