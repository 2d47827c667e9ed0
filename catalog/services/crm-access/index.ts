/** CRM access on the portal: the role, why, and until when. Identity from the sign-in, approver from the directory. */
import { accessRequestForm } from '../../access-form';
import { defineService } from '../../types';
import { crmAccessPlan } from './plan';

export const crmAccess = defineService({
  id: crmAccessPlan.serviceId,
  title: crmAccessPlan.title,
  summary: 'Access to the CRM system: as a CRM user, or as a sales manager.',
  description: [
    'The CRM holds our customers, contacts and sales opportunities. Choose the role your work needs.',
    'Your manager approves it (we find them in the company directory). You can ask for it until a date, or for a number of days; it then ends by itself, and we remind you a few days before.',
  ],
  keywords: ['crm', 'customers', 'contacts', 'opportunities', 'pipeline', 'sales', 'access', 'permission', 'role'],
  whatHappensNext: [
    'You get an email confirming we have your request.',
    'We ask your manager to approve it; you hear as soon as they decide.',
    'We give you the role and email you what you can now do.',
    'If you asked until a date, we remind you a few days before it ends; you can extend it or end it earlier under "My access".',
  ],
  form: accessRequestForm(crmAccessPlan, { maxDays: 365 }),
  plan: crmAccessPlan,
  guide: {
    title: 'The CRM in two minutes',
    sections: [
      { heading: 'Sign in', text: 'Open https://crm.eagle5.example and sign in with your company account.' },
      {
        heading: 'Find a customer',
        text: 'Type a name in the search bar; the customer page shows contacts and open opportunities.',
      },
    ],
  },
  xla: [
    { kind: 'time-to-outcome', percentile: 90, underMs: 24 * 3600_000, description: '90% have access within a day' },
  ],
  describeRequest: (fields) => fields.role ?? '',
});
