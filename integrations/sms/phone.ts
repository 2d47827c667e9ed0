/**
 * Phone numbers: one normalisation for the SMS adapters, the portal and the activities, so
 * a number typed as `07700 900123` and one stored as `+447700900123` compare equal.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type { CountryCode };

/** The outcome of {@link parsePhone}: the E.164 form, or why the input is not a usable number. */
export type PhoneParseResult = { ok: true; e164: string } | { ok: false; problem: string };

/**
 * Ofcom's drama range (07700 900000–900999) is reserved for fiction and tests; libphonenumber
 * calls it invalid, but the demo organisation and the tests use it.
 */
const ofcomDramaMobile = /^\+447700900\d{3}$/;

/**
 * Parses a number in any common notation (`07700 900123`, `+44 7700 900123`,
 * `0044 (0)7700-900123`) using `defaultRegion` for national forms. The whole input must be the
 * number: no extensions, no extra words. Numbers must be valid for their country per
 * libphonenumber's full metadata (plus the Ofcom drama range).
 */
export function parsePhone(input: string, defaultRegion: CountryCode): PhoneParseResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, problem: 'no phone number given' };
  if (trimmed.length > 40) return { ok: false, problem: 'too long to be a phone number' };
  const parsed = parsePhoneNumberFromString(trimmed, { defaultCountry: defaultRegion, extract: false });
  if (!parsed) return { ok: false, problem: 'not a phone number' };
  if (parsed.ext) return { ok: false, problem: 'a number with an extension cannot receive SMS' };
  if (!parsed.isValid() && !ofcomDramaMobile.test(parsed.number)) {
    return { ok: false, problem: 'not a valid number for its country' };
  }
  return { ok: true, e164: parsed.number };
}

/** The E.164 form of `input` (see {@link parsePhone}), or null when it is not a usable number. */
export function normalisePhone(input: string, defaultRegion: CountryCode = 'GB'): string | null {
  const result = parsePhone(input, defaultRegion);
  return result.ok ? result.e164 : null;
}

/** True for a two-letter region libphonenumber knows (for validating SMS_DEFAULT_REGION). */
export function isPhoneRegion(value: string): value is CountryCode {
  return /^[A-Z]{2}$/.test(value) && isSupportedCountry(value);
}
