/**
 * What logs, summaries and pages may show of a phone number: its country calling code and last
 * four digits (`+44…0123`), never the whole number. Pure and dependency-free, so workflow code
 * (Temporal's sandbox), the integrations, the activities and the portal all use this one.
 */

// Two-digit country calling codes (ITU-T E.164); 1 and 7 are one digit, every other is three.
const twoDigitCodes = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

/** `+447700900123` → `+44…0123`; input that is not E.164 keeps only its last two characters. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  if (/^\+\d{8,15}$/.test(digits)) {
    const d = digits.slice(1);
    const cc =
      d[0] === '1' || d[0] === '7' ? d.slice(0, 1) : twoDigitCodes.has(d.slice(0, 2)) ? d.slice(0, 2) : d.slice(0, 3);
    return `+${cc}…${digits.slice(-4)}`;
  }
  return digits.length <= 2 ? '…' : `…${digits.slice(-2)}`;
}
