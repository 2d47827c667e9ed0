/**
 * What text from outside may contain. Every string the API and the portal forms accept goes
 * through one of these checks before it can reach the directory (an LDAP filter or bind), the
 * CMDB, a workflow's input, a search attribute or an email: control characters (NUL and the
 * other C0 and C1 codes, DEL) and lone UTF-16 surrogates (not text at all) are refused at the
 * boundary with a 400 that says which character and where, instead of failing deep inside an
 * integration as a 500.
 */
import { z } from 'zod';

/** C0 controls except tab, line feed and carriage return; DEL; C1 controls. */
const controlInMultiline = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** Any C0 or C1 control, DEL, and the Unicode line and paragraph separators. */
const controlInLine = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * What is wrong with a piece of text, or null when it is fine. `multiline` allows line breaks
 * and tabs (messages, notes); otherwise the text must be one line (names, titles, ids).
 */
export function textProblem(value: string, options: { multiline?: boolean } = {}): string | null {
  const surrogate = loneSurrogate.exec(value);
  if (surrogate)
    return `must be text: it has an unpaired UTF-16 surrogate (${codePoint(surrogate[0])}) at position ${surrogate.index + 1}`;
  const control = (options.multiline ? controlInMultiline : controlInLine).exec(value);
  if (!control) return null;
  const char = control[0];
  const where = `at position ${control.index + 1}`;
  if (!options.multiline && /[\t\n\r\u2028\u2029]/.test(char))
    return `must be on one line: it has a line break or tab (${codePoint(char)}) ${where}`;
  return `must not contain control characters: it has ${char === '\u0000' ? 'a NUL character (U+0000)' : `the control character ${codePoint(char)}`} ${where}`;
}

/** A problem as a sentence for a form: "Must not contain control characters: …". */
export function asSentence(problem: string): string {
  return problem.charAt(0).toUpperCase() + problem.slice(1);
}

/** A zod check refusing control characters and lone surrogates (see {@link textProblem}). */
export function plainText(options: { multiline?: boolean } = {}) {
  return (value: string, ctx: z.RefinementCtx): void => {
    const problem = textProblem(value, options);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/**
 * A string field of the API or a form: trimmed, `min`–`max` characters, no control characters.
 * `messages` override the default wording.
 */
export function textField(options: {
  min?: number;
  max: number;
  multiline?: boolean;
  messages?: { type?: string; min?: string; max?: string };
}) {
  const m = options.messages ?? {};
  let s = z.string(m.type ? { error: m.type } : undefined).trim();
  if (options.min !== undefined && options.min > 0) {
    s = s.min(
      options.min,
      m.min ?? (options.min === 1 ? 'must not be empty' : `must be at least ${options.min} characters`),
    );
  }
  s = s.max(options.max, m.max ?? `must be at most ${options.max} characters`);
  return s.superRefine(plainText({ multiline: options.multiline ?? false }));
}

/**
 * Problems of every string in a form's values (a service's request form: its values are text),
 * keyed by field name. Line breaks and tabs are allowed: a service may ask for a paragraph.
 */
export function formTextProblems(values: Record<string, unknown>): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const strings =
      typeof value === 'string'
        ? [value]
        : Array.isArray(value)
          ? value.filter((v): v is string => typeof v === 'string')
          : [];
    for (const s of strings) {
      const problem = textProblem(s, { multiline: true });
      if (problem) {
        problems[name] = problem;
        break;
      }
    }
  }
  return problems;
}
