import { describe, expect, it } from 'vitest';
import { isPhoneRegion, normalisePhone, parsePhone } from '../../../integrations/sms/phone';

describe('normalisePhone', () => {
  it.each([
    ['07700 900123', 'GB', '+447700900123'],
    ['+44 7700 900123', 'GB', '+447700900123'],
    ['0044 (0)7700-900123', 'GB', '+447700900123'],
    ['07911 123456', 'GB', '+447911123456'],
    ['+1 (415) 555-2671', 'GB', '+14155552671'],
    ['(415) 555-2671', 'US', '+14155552671'],
    ['0151 23456789', 'DE', '+4915123456789'],
  ] as const)('%s in %s → %s', (input, region, expected) => {
    expect(normalisePhone(input, region)).toBe(expected);
  });

  it.each([
    '',
    '12345',
    '0770090012',
    'call 07700 900123',
    '+44 7700 900123 ext. 4',
    '07700 9001234',
    '+999 123456',
    'x'.repeat(50),
  ])('rejects %j', (input) => {
    expect(normalisePhone(input, 'GB')).toBeNull();
  });

  it('says why a number is refused', () => {
    expect(parsePhone('+44 7700 900123 ext. 4', 'GB')).toEqual({
      ok: false,
      problem: 'a number with an extension cannot receive SMS',
    });
    expect(parsePhone('0770090012', 'GB')).toEqual({ ok: false, problem: 'not a valid number for its country' });
  });
});

describe('isPhoneRegion', () => {
  it('accepts known two-letter regions only', () => {
    expect(isPhoneRegion('GB')).toBe(true);
    expect(isPhoneRegion('gb')).toBe(false);
    expect(isPhoneRegion('XX')).toBe(false);
  });
});
