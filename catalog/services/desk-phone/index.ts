/** The desk phone on the portal: where to deliver it and which manager approves it. */
import { z } from 'zod';
import { defineService } from '../../types';
import { deskPhonePlan } from './plan';

export const deskPhoneForm = z.object({
  deskLocation: z
    .string({ error: 'Say where your desk is' })
    .trim()
    .min(3, 'Say where your desk is, e.g. Building 2, floor 3, desk 14')
    .max(120, 'Keep it under 120 characters')
    .meta({
      title: 'Where is your desk?',
      description: 'Building, floor and desk number, e.g. Building 2, floor 3, desk 14',
    }),
  manager: z
    .string({ error: "Enter your manager's user name" })
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9._-]{1,64}$/, "Enter your manager's user name, e.g. mia")
    .meta({ title: "Your manager's user name", description: 'They approve the phone. We email them for you.' }),
});

export const deskPhone = defineService({
  id: deskPhonePlan.serviceId,
  title: deskPhonePlan.title,
  summary: 'A desk phone with your own extension, delivered and connected at your desk.',
  description: [
    'A desk phone with your own extension number and voicemail, delivered to your desk and connected by the service desk.',
    'Your manager approves it first. Then someone from the service desk brings it to you.',
  ],
  keywords: ['telephone', 'phone', 'desk', 'extension', 'voicemail', 'landline', 'handset', 'office'],
  whatHappensNext: [
    'You get an email confirming we have your request.',
    'We ask your manager to approve it; you hear as soon as they decide.',
    'The service desk brings the phone to your desk and connects it.',
    'We tell you when it is done.',
  ],
  form: deskPhoneForm,
  plan: deskPhonePlan,
  guide: {
    title: 'Your desk phone',
    sections: [
      {
        heading: 'Your number',
        text: 'Your extension is on the label on the phone. Colleagues dial the four digits; outside callers use the main number and your extension.',
      },
      {
        heading: 'Voicemail',
        text: 'Press the envelope button and follow the spoken steps to set your voicemail PIN.',
      },
    ],
  },
  xla: [
    { kind: 'time-to-outcome', percentile: 90, underMs: 3 * 24 * 3600_000, description: '90% delivered within 3 days' },
    {
      kind: 'longest-silence',
      underMs: 2 * 24 * 3600_000,
      percentile: 95,
      description: 'Nobody waits more than 2 days without news',
    },
  ],
  describeRequest: (fields) => fields.deskLocation ?? '',
});
