/**
 * Step 2 of "Add a step kind" for the test's kind: its activities, a factory over what they talk
 * to (here a badge printer the test holds), as activities/access.ts `createAccessActivities(deps)`.
 */

/** What the activities need: the printer's queue. */
export interface BadgePrinter {
  print(job: BadgeJob): Promise<string>;
}

export interface BadgeJob {
  /** `<workflowId>/<step>`: the printer prints a job id once, whatever is retried. */
  key: string;
  printer: string;
  nameOnBadge: string;
  requester: string;
}

export interface PrintBadgeResult {
  jobId: string;
}

export function createBadgeActivities(printer: BadgePrinter) {
  return {
    /** Prints the badge; idempotent by `key` (the printer's job id). */
    async printBadge(job: BadgeJob): Promise<PrintBadgeResult> {
      return { jobId: await printer.print(job) };
    },
  };
}

export type BadgeActivities = ReturnType<typeof createBadgeActivities>;
