/**
 * Expensatron on the portal: the page, the request form (only the phone number and its OS:
 * who is asking comes from the sign-in) and the quick-start guide.
 */
import { z } from 'zod';
import { parsePhone } from '../../../integrations/sms/phone';
import { defineService } from '../../types';
import { deviceOsLabels } from '../../../workflows/fulfilment/definitions';
import { expensatronPlan } from './plan';

/** A mobile number in any usual notation, stored as E.164 (UK numbers may omit +44). */
export const mobileNumber = z
  .string({ error: 'Enter the mobile number of your phone' })
  .trim()
  .min(1, 'Enter the mobile number of your phone')
  .transform((value, ctx) => {
    const parsed = parsePhone(value, 'GB');
    if (parsed.ok) return parsed.e164;
    ctx.addIssue({ code: 'custom', message: `Enter a mobile number such as 07700 900123 (${parsed.problem})` });
    return z.NEVER;
  });

export const expensatronForm = z.object({
  phone: mobileNumber.meta({
    title: 'Mobile phone number',
    description: 'The phone to install Expensatron on. We text the download link to it.',
  }),
  os: z
    .enum(['ios', 'android'], { error: 'Choose iPhone or Android' })
    .meta({ title: 'Type of phone', 'x-option-labels': { ios: deviceOsLabels.ios, android: deviceOsLabels.android } }),
});

export const expensatron = defineService({
  id: expensatronPlan.serviceId,
  title: expensatronPlan.title,
  summary: 'Expensatron: the mobile expenses app. Snap your receipts and claim expenses from your phone.',
  description: [
    'Expensatron is the app for claiming expenses from your phone. Take a photo of a receipt and it fills in the claim for you: no more pockets full of till slips.',
    'It is for the sales team. You need a company phone (iPhone or Android) registered to you.',
  ],
  keywords: [
    'expenses',
    'expense',
    'receipts',
    'receipt',
    'claims',
    'claim',
    'reimbursement',
    'travel',
    'mobile app',
    'app',
    'phone',
    'finance',
  ],
  whatHappensNext: [
    'You get an email confirming we have your request.',
    'We check you can have Expensatron and that the phone is registered to you.',
    'You get a text message with the link to install the app on your phone.',
    'We create your Expensatron account and email you your login id and a quick-start guide.',
    'Usually all within a couple of minutes. If anything takes longer, we tell you.',
  ],
  form: expensatronForm,
  plan: expensatronPlan,
  guide: {
    title: 'Expensatron in five minutes',
    sections: [
      {
        heading: 'Sign in',
        text: 'Open Expensatron and sign in with the login id from our email (your work email address) and your usual company password.',
      },
      {
        heading: 'Snap a receipt',
        text: 'Tap the camera button and photograph the receipt. Expensatron reads the amount, the date and the shop.',
      },
      {
        heading: 'Claim',
        text: 'Check the details, choose the trip or customer, and tap Submit. Finance pays approved claims with your next salary.',
      },
      {
        heading: 'Help',
        text: 'Stuck? Search the portal for Expensatron or contact the service desk from the portal.',
      },
    ],
  },
  xla: [
    {
      kind: 'time-to-outcome',
      percentile: 95,
      underMs: 2 * 60_000,
      description: '95% of requests done in under 2 minutes',
    },
    {
      kind: 'longest-silence',
      underMs: 2 * 60_000,
      percentile: 95,
      description: 'Nobody waits more than 2 minutes without news',
    },
    { kind: 'came-back', atMostPercent: 10, description: 'At most 1 in 10 people have to come back' },
    { kind: 'nps', atLeast: 30, description: 'NPS of at least 30' },
  ],
  describeRequest: (fields) => (fields.os === 'ios' ? 'iPhone' : fields.os === 'android' ? 'Android' : ''),
});
