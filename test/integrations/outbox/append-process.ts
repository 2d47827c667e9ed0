/**
 * Run as a separate process by the outbox and ledger tests: appends `count` messages with keys
 * `<prefix>-<i>` and `shared-<i>` (the latter also appended by the other process) to the file.
 * Usage: node --import tsx append-process.ts <outbox|ledger> <path> <prefix> <count>
 */
import { createFileLedger } from '../../../integrations/ledger/file-ledger';
import { createFileOutbox } from '../../../integrations/outbox/file-outbox';

const [kind, path, prefix, countText] = process.argv.slice(2);
if (!kind || !path || !prefix || !countText)
  throw new Error('usage: append-process.ts <outbox|ledger> <path> <prefix> <count>');
const count = Number(countText);

if (kind === 'outbox') {
  const outbox = createFileOutbox(path);
  for (let i = 0; i < count; i++) {
    await outbox.append({
      channel: 'email',
      to: `${prefix}@eagle5.example`,
      toName: null,
      subject: `${prefix} ${i}`,
      text: 'x'.repeat(2000),
      html: null,
      idempotencyKey: `${prefix}-${i}`,
    });
    await outbox.append({
      channel: 'sms',
      to: '+447700900123',
      toName: null,
      subject: null,
      text: `shared ${i} from ${prefix}`,
      html: null,
      idempotencyKey: `shared-${i}`,
    });
  }
} else {
  const ledger = createFileLedger(path);
  for (let i = 0; i < count; i++) {
    await ledger.record(`${prefix}-${i}`, `${prefix}-provider-${i}`);
    await ledger.record(`shared-${i}`, `${prefix}-shared-${i}`);
  }
}
