import { describe, expect, it } from 'vitest';
import { maskPhone } from '../../config/mask';

describe('maskPhone', () => {
  it('keeps the country code and the last four digits', () => {
    expect(maskPhone('+447700900123')).toBe('+44…0123');
    expect(maskPhone('+14155552671')).toBe('+1…2671');
    expect(maskPhone('+353851234567')).toBe('+353…4567');
    expect(maskPhone('+79161234567')).toBe('+7…4567');
    expect(maskPhone('07700 900123')).toBe('…23');
    expect(maskPhone('12')).toBe('…');
  });
});
