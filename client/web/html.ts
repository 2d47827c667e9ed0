/**
 * A tiny server-side HTML builder. Every interpolated value is escaped unless it is already
 * {@link SafeHtml} (built by {@link html} itself), so user input, directory names and journey
 * text can never inject markup. Arrays are joined, `null`/`undefined`/`false` render nothing.
 */
import { escapeHtml } from '../../integrations/email/render';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What may be interpolated into {@link html}. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

// One escaping for every HTML this code base writes, the portal's pages and the emails alike.
export { escapeHtml };

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${name}</p>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Marks trusted, already-escaped markup (only for constants written in this code base). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Formats an ISO time for people, in the server's locale-independent short form (UTC). */
export function formatTime(iso: string | Date | null | undefined): string {
  if (!iso) return '';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

/** `<time>` element with a machine-readable datetime, so the page script can show local time. */
export function timeTag(iso: string | Date | null | undefined): SafeHtml {
  if (!iso) return html``;
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return html``;
  return html`<time datetime="${d.toISOString()}">${formatTime(d)}</time>`;
}
