/** A shared mailbox (sales@eagle5.example): the same access journey, another directory group. */
import type { ServicePlan } from '../../types';

export const sharedMailboxPlan: ServicePlan = {
  serviceId: 'shared-mailbox',
  title: 'Shared mailbox',
  version: 1,
  eligibility: {
    anyOfGroups: [],
    requireEnabled: true,
    howToGetAccess: 'Your company account must be active. The service desk can help if it is not.',
  },
  steps: [
    { kind: 'acknowledge' },
    { kind: 'check-eligibility' },
    { kind: 'access-approval', fallbackApproverGroup: 'Managers' },
    {
      kind: 'grant-access',
      roles: {
        'sales-mailbox': {
          group: 'Sales Mailbox',
          label: 'Sales mailbox (sales@eagle5.example)',
          whatYouCanDo: 'You can read and answer the email sent to sales@eagle5.example, and send as that address.',
          howToStart: 'The mailbox appears in your mail app within an hour; restart it if it does not.',
        },
      },
    },
    {
      kind: 'confirm-access',
      reminderDaysBefore: 3,
      maxDays: 180,
      dayLengthSeconds: 86_400,
      fallbackApproverGroup: 'Managers',
    },
  ],
  durations: {
    takingLongerAfterSeconds: 120,
    approvalWaitSeconds: 3 * 24 * 3600,
    correctionWaitSeconds: 2 * 24 * 3600,
    taskReminderSeconds: 0,
  },
};
