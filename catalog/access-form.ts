/**
 * The request form every access service shares (catalog/services/crm-access, shared-mailbox):
 * the role, why, and optionally until when ("2027-03-31" or "for 30 days"). Who is asking comes
 * from the sign-in; the manager who approves comes from the directory, never from the form.
 */
import { z } from 'zod';
import { resolveUntil, tooFarAway, type GrantAccessStep } from '../workflows/access/definitions';
import type { RequestFields, ServicePlan } from './types';

/** The form for a plan with a `grant-access` step: one choice per role, labelled by the role's name. */
export function accessRequestForm(plan: ServicePlan, options: { maxDays: number }): z.ZodType<RequestFields> {
  const grant = plan.steps.find((s): s is GrantAccessStep => s.kind === 'grant-access');
  if (!grant) throw new Error(`${plan.serviceId}: an access form needs a grant-access step`);
  const ids = Object.keys(grant.roles);
  const labels = Object.fromEntries(ids.map((id) => [id, grant.roles[id]!.label]));
  return z.object({
    role: z
      .enum(ids as [string, ...string[]], { error: `Choose a role: ${ids.map((id) => labels[id]).join(' or ')}` })
      .meta({ title: 'Which role do you need?', 'x-option-labels': labels }),
    reason: z
      .string({ error: 'Say why you need it' })
      .trim()
      .min(10, 'Say in a few words why you need it (at least 10 characters): your manager reads it')
      .max(500, 'Keep it under 500 characters')
      .meta({ title: 'Why do you need it?', description: 'Your manager reads this when approving.' }),
    until: z
      .string()
      .trim()
      .max(20, 'A date such as 2027-03-31, or "for 30 days"')
      .optional()
      .superRefine((value, ctx) => {
        if (value === undefined || value === '') return;
        const resolved = resolveUntil(value, Date.now());
        if (resolved === null) {
          ctx.addIssue({ code: 'custom', message: 'A date in the future such as 2027-03-31, or "for 30 days"' });
        } else if (resolved.until && tooFarAway(resolved.until, Date.now(), options.maxDays)) {
          ctx.addIssue({ code: 'custom', message: `At most ${options.maxDays} days from today` });
        }
      })
      .meta({
        title: 'Until when? (optional)',
        description: 'A date (2027-03-31) or "for 30 days". Empty: until you or IT end it.',
      }),
  });
}
