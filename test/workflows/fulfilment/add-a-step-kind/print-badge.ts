/**
 * Steps 1 and 3 of "Add a step kind" (catalog/README.md) for a kind the test defines: its
 * settings as plain data in the plan, and its unit. Workflow code: it imports the activity types
 * only, and nothing but workflow modules.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { defineStepKind } from '../../../../workflows/fulfilment/step-kind';
import type { BadgeActivities } from './badge-activities';

/** Prints the requester's building badge at `printer`, with the name from form field `nameOnBadge`. */
export interface PrintBadgeStep {
  kind: 'print-badge';
  printer: string;
}

/** The printer's own preset: a print job takes seconds; a printer out of paper is retried. */
const badgePrinting: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

const badges = proxyActivities<BadgeActivities>(badgePrinting);

export const printBadgeStep = defineStepKind<PrintBadgeStep>({
  kind: 'print-badge',
  stage: 'badge',
  label: 'Printing your badge',
  fieldsNeeded: () => ['nameOnBadge'],
  problems: (step) =>
    typeof step.printer !== 'string' || step.printer.trim() === '' ? ['printer must name a badge printer'] : [],
  async run(j, step) {
    j.enter('badge');
    const nameOnBadge = j.fields.nameOnBadge ?? '';
    const printed = await j.watched(() =>
      badges.printBadge.executeWithOptions(j.opts(badgePrinting, `Print ${nameOnBadge}'s badge at ${step.printer}`), [
        { key: `${j.ref.workflowId}/badge`, printer: step.printer, nameOnBadge, requester: j.ref.requester },
      ]),
    );
    j.stepState['print-badge'] = printed.jobId;
    return null;
  },
});
