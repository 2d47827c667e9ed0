import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue } from '../../../integrations/directory/escape';

describe('escapeDnValue (RFC 4514 section 2.4)', () => {
  it('leaves ordinary values alone, non-ASCII included', () => {
    expect(escapeDnValue('Steve Jones')).toBe('Steve Jones');
    expect(escapeDnValue("O'Brien")).toBe("O'Brien");
    expect(escapeDnValue('Zoë Ångström')).toBe('Zoë Ångström');
    expect(escapeDnValue('')).toBe('');
  });

  it('escapes the special characters wherever they are', () => {
    expect(escapeDnValue('Rossi, Tony')).toBe('Rossi\\, Tony');
    expect(escapeDnValue('a+b;c<d>e"f\\g=h')).toBe('a\\+b\\;c\\<d\\>e\\"f\\\\g\\=h');
    // A value that tries to add an RDN of its own stays one value.
    expect(escapeDnValue('x,CN=Domain Admins,CN=Users')).toBe('x\\,CN\\=Domain Admins\\,CN\\=Users');
  });

  it('escapes a leading # or space and a trailing space, not those inside', () => {
    expect(escapeDnValue('#1 team')).toBe('\\#1 team');
    expect(escapeDnValue(' padded ')).toBe('\\ padded\\ ');
    expect(escapeDnValue('a # b')).toBe('a # b');
    expect(escapeDnValue(' ')).toBe('\\ ');
  });

  it('writes NUL and other control characters as hex pairs', () => {
    expect(escapeDnValue('steve\u0000')).toBe('steve\\00');
    expect(escapeDnValue('a\nb\u007f')).toBe('a\\0ab\\7f');
  });
});

describe('escapeFilterValue (RFC 4515 section 3)', () => {
  it('escapes * ( ) \\ and NUL as hex pairs and nothing else', () => {
    expect(escapeFilterValue('*)(uid=*')).toBe('\\2a\\29\\28uid=\\2a');
    expect(escapeFilterValue('a\\b\u0000')).toBe('a\\5cb\\00');
    expect(escapeFilterValue('Rossi, Tony <#1>')).toBe('Rossi, Tony <#1>');
    expect(escapeFilterValue('\\2a')).toBe('\\5c2a');
  });
});
