/**
 * CRM access (the seed's "I need access to the CRM system"): a role in the CRM is a directory
 * group; the requester's manager approves; time-bound access ends by itself.
 */
import type { ServicePlan } from '../../types';

export const crmAccessPlan: ServicePlan = {
  serviceId: 'crm-access',
  title: 'CRM access',
  version: 1,
  eligibility: {
    anyOfGroups: ['Sales', 'IT Staff'],
    requireEnabled: true,
    howToGetAccess:
      'The CRM is for the sales team and IT. Ask your manager if your work needs it: they can ask the service desk.',
  },
  steps: [
    { kind: 'acknowledge' },
    { kind: 'check-eligibility' },
    { kind: 'access-approval', fallbackApproverGroup: 'Managers' },
    {
      kind: 'grant-access',
      roles: {
        'crm-user': {
          group: 'CRM Users',
          label: 'CRM user',
          whatYouCanDo: 'You can see and update customers, contacts and opportunities in the CRM.',
          howToStart: 'Open https://crm.eagle5.example and sign in with your company account.',
        },
        'crm-sales-manager': {
          group: 'CRM Sales Managers',
          label: 'CRM sales manager',
          whatYouCanDo:
            "You can do everything a CRM user can, and also see your team's pipeline, reassign opportunities and run the forecast reports.",
          howToStart: 'Open https://crm.eagle5.example/manager and sign in with your company account.',
        },
      },
    },
    {
      kind: 'confirm-access',
      reminderDaysBefore: 5,
      maxDays: 365,
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
