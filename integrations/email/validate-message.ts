import { z } from 'zod';
import { IntegrationError } from '../errors';
import type { EmailMessage } from './types';

const emailMessageSchema = z.object({
  to: z.object({
    name: z.string(),
    address: z.email('is not an email address'),
  }),
  subject: z.string().trim().min(1, 'must not be empty').max(998, 'is longer than a header line may be'),
  text: z.string().min(1, 'must not be empty'),
  html: z.string().min(1, 'must not be empty'),
  idempotencyKey: z.string().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
});

/**
 * Checks a message before it goes anywhere; a bad one is a permanent InvalidRequest (it would
 * be just as bad on every retry). Line breaks in the subject and the display name are folded
 * into spaces, because they are never intended and would otherwise end the header.
 */
export function validateEmailMessage(message: EmailMessage): EmailMessage {
  const parsed = emailMessageSchema.safeParse(message);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new IntegrationError('email', 'InvalidRequest', `email message rejected before sending: ${problems}`);
  }
  const m = parsed.data;
  return {
    ...m,
    subject: m.subject.replace(/[\r\n]+\s*/g, ' '),
    to: { name: m.to.name.replace(/[\r\n]+\s*/g, ' ').trim(), address: m.to.address },
  };
}
