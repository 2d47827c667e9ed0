/**
 * The eligibility rule of a service, evaluated against a directory entry. Pure: the activity
 * `checkEligibility` reads the person from the directory and asks this; the catalog tests check
 * it without one.
 */
import type { EligibilityRule } from '../workflows/fulfilment/definitions';

/** The directory facts a rule looks at (a subset of `DirectoryUser`). */
export interface EligibilityFacts {
  enabled: boolean;
  /** Every group the person is in, nested groups included (the directory adapter expands them). */
  groups: readonly string[];
}

export type EligibilityVerdict = { eligible: true; reasons: [] } | { eligible: false; reasons: string[] };

/**
 * Whether the person may have the service, and if not every reason, in plain words for the
 * person ("Your account is disabled."). Group names compare case-insensitively, as AD does.
 */
export function evaluateEligibility(rule: EligibilityRule, person: EligibilityFacts): EligibilityVerdict {
  const reasons: string[] = [];
  if (rule.requireEnabled && !person.enabled) reasons.push('Your account is disabled.');
  if (rule.anyOfGroups.length > 0) {
    const mine = new Set(person.groups.map((g) => g.toLowerCase()));
    if (!rule.anyOfGroups.some((g) => mine.has(g.toLowerCase()))) {
      reasons.push(
        `It is for members of ${listWords(rule.anyOfGroups.map((g) => `the ${g} group`))}, and you are not a member.`,
      );
    }
  }
  return reasons.length === 0 ? { eligible: true, reasons: [] } : { eligible: false, reasons };
}

/** `a`, `a or b`, `a, b or c`. */
function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
