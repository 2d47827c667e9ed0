/** A shared mailbox on the portal: the same access form as CRM access. */
import { accessRequestForm } from '../../access-form';
import { defineService } from '../../types';
import { sharedMailboxPlan } from './plan';

export const sharedMailbox = defineService({
  id: sharedMailboxPlan.serviceId,
  title: sharedMailboxPlan.title,
  summary: 'Read and answer a team mailbox, such as sales@eagle5.example.',
  description: [
    'A shared mailbox is an address a team answers together. You see it next to your own mailbox.',
    'Your manager approves it. Ask for it until a date if you are covering for someone; it then ends by itself.',
  ],
  keywords: ['mailbox', 'shared', 'email', 'inbox', 'sales@', 'team', 'access', 'delegate'],
  whatHappensNext: [
    'You get an email confirming we have your request.',
    'We ask your manager to approve it.',
    'We add you to the mailbox and email you how to find it.',
  ],
  form: accessRequestForm(sharedMailboxPlan, { maxDays: 180 }),
  plan: sharedMailboxPlan,
  guide: {
    title: 'Your shared mailbox',
    sections: [{ heading: 'Find it', text: 'It appears under your own mailbox in Outlook and on the web.' }],
  },
  xla: [{ kind: 'time-to-outcome', percentile: 90, underMs: 24 * 3600_000, description: '90% within a day' }],
  describeRequest: (fields) => fields.role ?? '',
});
