import { describe, expect, it } from 'vitest';
import { escapeHtml, renderMessage } from '../../../integrations/email/render';
import { IntegrationError } from '../../../integrations/errors';

const base = {
  greetingName: 'Steve',
  title: 'Your Expensatron account is ready',
  paragraphs: ['You can sign in now.', 'Keep this message:\nyou will need the login ID.'],
  facts: [
    { label: 'Request', value: 'REQ-1042' },
    { label: 'Login ID', value: 'sjones' },
  ],
  actions: [
    { label: 'Open Expensatron', url: 'https://expensatron.example/login?user=sjones&src=mail' },
    { label: 'Report a problem', url: 'http://localhost:3000/requests/REQ-1042/problem' },
  ],
  smallPrint: 'You get this email because you asked for Expensatron in the service portal.',
};

describe('renderMessage', () => {
  it('renders subject, text and html with every link in both parts', () => {
    const r = renderMessage(base);
    expect(r.subject).toBe('Your Expensatron account is ready');
    for (const action of base.actions) {
      expect(r.text).toContain(action.url);
      expect(r.text).toContain(action.label);
      expect(r.html).toContain(`href="${action.url.replace(/&/g, '&amp;')}"`);
      expect(r.html).toContain(`>${action.label}</a>`);
    }
    expect(r.text).toMatch(/^Hello Steve,\n\nYour Expensatron account is ready\n=+\n\nYou can sign in now\./);
    expect(r.text).toMatch(/Request: +REQ-1042\nLogin ID: +sjones/);
    expect(r.text).toContain('\n--\nYou get this email because');
    expect(r.text).toContain('IT Service Desk');
    expect(r.html).toContain('<th scope="row"');
    expect(r.html).toContain('Keep this message:<br>you will need the login ID.');
    expect(r.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(r.html).toContain('<title>Your Expensatron account is ready</title>');
  });

  it('escapes every value in the HTML part and leaves the text part literal', () => {
    const evil = '<script>alert("x")</script>';
    const r = renderMessage({
      ...base,
      greetingName: evil,
      title: `Title ${evil}`,
      paragraphs: [`Body & ${evil}`],
      facts: [{ label: `L${evil}`, value: `V'${evil}` }],
      actions: [{ label: `A${evil}`, url: 'https://x.example/?q="><script>' }],
      smallPrint: [evil],
      signature: evil,
    });
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toMatch(/"><script/);
    expect(r.html).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,');
    expect(r.html).toContain('Body &amp; &lt;script&gt;');
    expect(r.html).toContain('V&#39;&lt;script&gt;');
    expect(r.text).toContain(`Hello ${evil},`);
    expect(r.text).toContain(`Body & ${evil}`);
  });

  it('refuses links that are not absolute http(s) URLs', () => {
    for (const url of ['javascript:alert(1)', '/relative/path', 'data:text/html,hi', 'ftp://files.example/x']) {
      let caught: unknown;
      try {
        renderMessage({ ...base, actions: [{ label: 'Go', url }] });
      } catch (err) {
        caught = err;
      }
      expect(caught, url).toBeInstanceOf(IntegrationError);
      expect((caught as IntegrationError).retryable).toBe(false);
      expect((caught as IntegrationError).message).toContain('actions.0.url');
    }
  });

  it('keeps the subject on one line and allows a subject different from the title', () => {
    const r = renderMessage({ ...base, subject: 'Account\r\nready', title: 'Welcome' });
    expect(r.subject).toBe('Account ready');
    expect(r.html).toContain('>Welcome</h1>');
  });

  it('leaves out what is not given', () => {
    const r = renderMessage({ title: 'Done', paragraphs: ['All fixed.'] });
    expect(r.text).toBe('Done\n====\n\nAll fixed.\n\nIT Service Desk\n');
    expect(r.html).not.toContain('Hello');
    expect(r.html).not.toContain('<table style');
    expect(r.html).not.toContain('<a ');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
