import { flatHtml } from './support/flat-html';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkForm, formFields, renderField } from '../../client/web/forms';
import { html } from '../../client/web/html';

const form = z.object({
  phone: z
    .string({ error: 'Enter your mobile number' })
    .trim()
    .min(6, 'Enter your mobile number')
    .meta({ title: 'Mobile phone number', description: 'The phone to install the app on' }),
  os: z
    .enum(['ios', 'android'], { error: 'Choose iPhone or Android' })
    .meta({ title: 'Operating system', 'x-option-labels': { ios: 'iPhone (iOS)', android: 'Android' } }),
  seats: z.number().int().min(1).optional(),
});

describe('forms generated from a service schema', () => {
  it('asks exactly what the schema asks, with labels, hints and input kinds', () => {
    const fields = formFields(form);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['phone', 'tel', true],
      ['os', 'radio', true],
      ['seats', 'number', false],
    ]);
    expect(fields[0]).toMatchObject({
      label: 'Mobile phone number',
      hint: 'The phone to install the app on',
      autocomplete: 'tel',
    });
    expect(fields[1]!.options).toEqual([
      { value: 'ios', label: 'iPhone (iOS)' },
      { value: 'android', label: 'Android' },
    ]);
  });

  it('gives one message per field, the schema’s own words, and coerces numbers', () => {
    const fields = formFields(form);
    expect(checkForm(form, fields, { phone: '', os: 'windows' })).toEqual({
      ok: false,
      errors: { phone: 'Enter your mobile number', os: 'Choose iPhone or Android' },
    });
    expect(checkForm(form, fields, { phone: ' +447700900123 ', os: 'ios', seats: '2' })).toEqual({
      ok: true,
      value: { phone: '+447700900123', os: 'ios', seats: 2 },
    });
  });

  it('renders labelled, described inputs and escapes what people typed', () => {
    const [phone, os] = formFields(form);
    const markup =
      html`${renderField(phone!, { phone: '"><script>x</script>' }, { phone: 'Enter your mobile number' })}${renderField(os!, { os: 'android' }, {})}`
        .value;
    expect(flatHtml(markup)).toContain('<label for="f-phone">Mobile phone number');
    expect(flatHtml(markup)).toContain('id="f-phone" name="phone" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(flatHtml(markup)).toContain('aria-invalid="true"');
    expect(flatHtml(markup)).toContain(
      '<span class="error" id="phone-error" aria-live="polite">Enter your mobile number</span>',
    );
    expect(markup).toMatch(/<legend><strong>Operating system<\/strong><\/legend>/);
    expect(flatHtml(markup)).toContain('value="android" checked');
    expect(markup).not.toContain('<script>');
  });
});
