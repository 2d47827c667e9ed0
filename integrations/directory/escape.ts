/**
 * Escaping for the two places where a value becomes part of LDAP text.
 *
 * The LDAP adapter itself never needs them: it never builds a DN from input (people and groups
 * are found by searching, and only DNs the server returned are written back), and every filter
 * value travels as an ldapts filter object, i.e. as a BER value that cannot change the filter's
 * structure. Anything that does put a value into a DN or filter string (set-up tools, tests,
 * scripts) must go through these.
 */

/**
 * One attribute value made safe to stand in an RDN, per RFC 4514 section 2.4:
 * `CN=${escapeDnValue('Rossi, Tony')},OU=Staff,…` → `CN=Rossi\, Tony,OU=Staff,…`.
 *
 * Escapes `"` `+` `,` `;` `<` `>` `\` and `=` with a backslash, a leading `#` or space and a
 * trailing space, and NUL and the other control characters as `\XX` hex pairs.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  const last = value.length - 1;
  for (let i = 0; i <= last; i++) {
    const ch = value.charAt(i);
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else if ('"+,;<>\\='.includes(ch)) out += `\\${ch}`;
    else if (i === 0 && (ch === '#' || ch === ' ')) out += `\\${ch}`;
    else if (i === last && ch === ' ') out += '\\ ';
    else out += ch;
  }
  return out;
}

/**
 * One assertion value made safe for a filter string, per RFC 4515 section 3:
 * `(cn=${escapeFilterValue('*)(cn=*')})` → `(cn=\2a\29\28cn=\2a)`.
 * Escapes `*` `(` `)` `\` and NUL as `\XX` hex pairs.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\u0000]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
