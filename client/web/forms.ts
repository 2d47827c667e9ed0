/**
 * Request forms generated from a service's zod form schema: the portal asks exactly what the
 * schema asks, labels each field from the schema's `title`/`description` metadata, and checks
 * input with the same schema as you type and on submit.
 */
import { z } from 'zod';
import { html, type SafeHtml } from './html';
import { asSentence, formTextProblems } from './text';

/** One choice of a radio group or select. */
export interface FormOption {
  value: string;
  label: string;
}

/** One field of a generated request form. */
export interface FormField {
  name: string;
  label: string;
  hint: string | null;
  required: boolean;
  kind: 'text' | 'tel' | 'email' | 'number' | 'select' | 'radio' | 'textarea' | 'checkbox';
  options: FormOption[];
  minLength?: number;
  maxLength?: number;
  autocomplete?: string;
  /** JSON-schema type, used to turn form strings back into values. */
  valueType: 'string' | 'number' | 'integer' | 'boolean';
}

interface JsonSchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchemaNode[];
  anyOf?: JsonSchemaNode[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  'x-option-labels'?: Record<string, string>;
  optionLabels?: Record<string, string>;
  widget?: string;
}

function humanize(name: string): string {
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function optionsOf(node: JsonSchemaNode): FormOption[] {
  const labels = node['x-option-labels'] ?? node.optionLabels ?? {};
  if (node.enum) return node.enum.map((v) => ({ value: String(v), label: labels[String(v)] ?? humanize(String(v)) }));
  const alternatives = node.oneOf ?? node.anyOf;
  if (alternatives?.every((a) => a.const !== undefined)) {
    return alternatives.map((a) => ({
      value: String(a.const),
      label: a.title ?? a.description ?? labels[String(a.const)] ?? humanize(String(a.const)),
    }));
  }
  return [];
}

function typeOf(node: JsonSchemaNode): FormField['valueType'] {
  const t = Array.isArray(node.type) ? node.type.find((x) => x !== 'null') : node.type;
  if (t === 'number' || t === 'integer' || t === 'boolean') return t;
  return 'string';
}

/** The fields a form schema asks for, in declaration order. Non-object schemas ask nothing. */
export function formFields(schema: z.ZodType): FormField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, node]) => {
    const options = optionsOf(node);
    const valueType = typeOf(node);
    const text = `${name} ${node.title ?? ''}`.toLowerCase();
    let kind: FormField['kind'] = 'text';
    let autocomplete: string | undefined;
    if (options.length > 0) kind = options.length <= 4 ? 'radio' : 'select';
    else if (valueType === 'boolean') kind = 'checkbox';
    else if (valueType === 'number' || valueType === 'integer') kind = 'number';
    else if (node.format === 'email' || /e-?mail/.test(text)) {
      kind = 'email';
      autocomplete = 'email';
    } else if (/phone|mobile|msisdn/.test(text)) {
      kind = 'tel';
      autocomplete = 'tel';
    } else if (node.widget === 'textarea' || (node.maxLength ?? 0) > 200) kind = 'textarea';
    const label = node.title ?? (node.description && node.description.length <= 60 ? node.description : humanize(name));
    const hint = node.title
      ? (node.description ?? null)
      : node.description && node.description !== label
        ? node.description
        : null;
    return {
      name,
      label,
      hint,
      required: required.has(name),
      kind,
      options,
      valueType,
      ...(node.minLength !== undefined ? { minLength: node.minLength } : {}),
      ...(node.maxLength !== undefined ? { maxLength: node.maxLength } : {}),
      ...(autocomplete ? { autocomplete } : {}),
    };
  });
}

/** Turns posted form strings into the values the schema expects; empty optional fields are left out. */
export function coerceFormValues(fields: readonly FormField[], body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const rawValue = body[f.name];
    const v = Array.isArray(rawValue) ? (rawValue as unknown[])[0] : rawValue;
    if (f.valueType === 'boolean') {
      if (v !== undefined) out[f.name] = v === true || v === 'on' || v === 'true' || v === '1';
      continue;
    }
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) continue;
    if ((f.valueType === 'number' || f.valueType === 'integer') && typeof v === 'string') {
      const n = Number(v.trim());
      out[f.name] = Number.isFinite(n) ? n : v;
      continue;
    }
    out[f.name] = typeof v === 'string' ? v.trim() : v;
  }
  return out;
}

/** A form's values as the service's schema parsed them, or one message per field. */
export type FormCheck = { ok: true; value: Record<string, unknown> } | { ok: false; errors: Record<string, string> };

/** Validates with the service's own schema; the first message per field, keyed by field name. */
export function checkForm(schema: z.ZodType, fields: readonly FormField[], body: Record<string, unknown>): FormCheck {
  const values = coerceFormValues(fields, body);
  // Control characters never reach the service's form (or the journey): the same check as the API's.
  const errors: Record<string, string> = Object.fromEntries(
    Object.entries(formTextProblems(values)).map(([name, problem]) => [name, asSentence(problem)]),
  );
  const parsed = schema.safeParse(values);
  if (parsed.success && Object.keys(errors).length === 0)
    return { ok: true, value: parsed.data as Record<string, unknown> };
  if (parsed.success) return { ok: false, errors };
  for (const issue of parsed.error.issues) {
    const key = issue.path.length > 0 ? String(issue.path[0]) : '_form';
    if (errors[key] !== undefined) continue;
    const missing = body[key] === undefined || body[key] === '';
    // zod's generic type message means nothing to a person; a schema's own message wins.
    errors[key] =
      missing && issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')
        ? 'This field is required'
        : issue.message;
  }
  return { ok: false, errors };
}

function fieldValue(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** Renders one field with its label, hint and error slot, wired for assistive technology. */
export function renderField(
  field: FormField,
  values: Record<string, unknown>,
  errors: Record<string, string>,
): SafeHtml {
  const id = `f-${field.name}`;
  const error = errors[field.name];
  const describedBy = [field.hint ? `${field.name}-hint` : null, `${field.name}-error`].filter(Boolean).join(' ');
  const hint = field.hint ? html`<span class="hint" id="${field.name}-hint">${field.hint}</span>` : null;
  const errorSlot = html`<span class="error" id="${field.name}-error" aria-live="polite">${error ?? ''}</span>`;
  const value = fieldValue(values, field.name);
  const invalid = error ? html` aria-invalid="true"` : null;
  const req = field.required ? html` required aria-required="true"` : null;
  if (field.kind === 'radio') {
    return html`<fieldset aria-describedby="${describedBy}" data-field="${field.name}"${invalid}>
<legend><strong>${field.label}</strong>${field.required ? '' : ' (optional)'}</legend>${hint}
${field.options.map(
  (o, i) =>
    html`<input type="radio" id="${id}-${i}" name="${field.name}" value="${o.value}"${value === o.value ? html` checked` : null}${field.required ? html` required` : null}><label for="${id}-${i}">${o.label}</label>`,
)}
<div>${errorSlot}</div></fieldset>`;
  }
  const label = html`<label for="${id}">${field.label}${field.required ? '' : ' (optional)'}${hint}</label>`;
  if (field.kind === 'select') {
    return html`${label}<select id="${id}" name="${field.name}" data-field="${field.name}" aria-describedby="${describedBy}"${req}${invalid}>
<option value="">Choose…</option>${field.options.map((o) => html`<option value="${o.value}"${value === o.value ? html` selected` : null}>${o.label}</option>`)}
</select>${errorSlot}`;
  }
  if (field.kind === 'textarea') {
    return html`${label}<textarea id="${id}" name="${field.name}" rows="4" data-field="${field.name}" aria-describedby="${describedBy}"${req}${invalid}>${value}</textarea>${errorSlot}`;
  }
  if (field.kind === 'checkbox') {
    return html`<div><input type="checkbox" id="${id}" name="${field.name}" data-field="${field.name}" aria-describedby="${describedBy}"${value === 'true' ? html` checked` : null}${invalid}>
<label for="${id}" class="inline">${field.label}</label>${hint}${errorSlot}</div>`;
  }
  const attrs = html`${field.autocomplete ? html` autocomplete="${field.autocomplete}"` : null}${field.maxLength !== undefined ? html` maxlength="${field.maxLength}"` : null}${field.kind === 'tel' ? html` inputmode="tel"` : null}`;
  return html`${label}<input type="${field.kind}" id="${id}" name="${field.name}" value="${value}" data-field="${field.name}" aria-describedby="${describedBy}"${attrs}${req}${invalid}>${errorSlot}`;
}
