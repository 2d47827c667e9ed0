import { describe, expect, it } from 'vitest';
import { messageIdFor } from '../../../integrations/email/mailbox';
import { createOutboxMailer } from '../../../integrations/email/outbox-mailer';
import { renderMessage } from '../../../integrations/email/render';
import { IntegrationError } from '../../../integrations/errors';
import { createMemoryOutbox } from '../../../integrations/outbox/memory-outbox';

describe('createOutboxMailer', () => {
  const rendered = renderMessage({
    title: 'Fixed',
    paragraphs: ['The CRM web app is back.'],
    actions: [{ label: 'Confirm', url: 'http://localhost:3000/c/1' }],
  });
  const message = {
    to: { name: 'Steve Jones', address: 'steve@eagle5.example' },
    ...rendered,
    idempotencyKey: 'incident-INC-7/resolved/steve',
  };

  it("appends to the outbox once per key and returns the SMTP mailer's Message-ID", async () => {
    const outbox = createMemoryOutbox();
    const mailer = createOutboxMailer(outbox, { fromAddress: 'it@eagle5.example' });
    const first = await mailer.send(message);
    const again = await mailer.send(message);
    expect(first.messageId).toBe(messageIdFor(message.idempotencyKey, 'it@eagle5.example'));
    expect(again).toEqual(first);
    const entries = await outbox.list();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      channel: 'email',
      to: 'steve@eagle5.example',
      toName: 'Steve Jones',
      subject: 'Fixed',
      text: rendered.text,
      html: rendered.html,
    });
  });

  it('rejects what SMTP would reject, without appending', async () => {
    const outbox = createMemoryOutbox();
    const mailer = createOutboxMailer(outbox);
    await expect(mailer.send({ ...message, to: { name: '', address: 'nobody' } })).rejects.toBeInstanceOf(
      IntegrationError,
    );
    expect(await outbox.list()).toHaveLength(0);
  });
});
