/**
 * `npm run demo`: plays the Eagle5 demo organisation's journeys against a running `npm start`,
 * so the portal, the outbox, the Temporal UI and the IT console's experience page have real
 * journeys and real figures to show. Everything goes through the same journeys gateway the
 * portal and the API call (client/journeys/gateway.ts), i.e. real workflows on the real dev server,
 * run by npm start's worker:
 *
 *  - Expensatron for steve (Android) and tony (iPhone): done in seconds;
 *  - Expensatron for mia with a mistyped number: she corrects it and it completes (came back);
 *  - Expensatron for dana (Finance, not in Sales): not eligible, told how to get access;
 *  - a desk phone for steve, approved by mia and delivered by ivy; one for tony, rejected;
 *  - steve, tony, mia and dana rate their Expensatron requests (NPS 10, 9, 7, 4);
 *  - a CRM outage declared by ivy: steve, tony and mia say it affects them; it is resolved; steve
 *    (9) and tony (6) confirm with a score; mia never answers, is followed up and the incident
 *    closes at its final deadline (demo timings: seconds, not hours).
 *
 * Run it in a second terminal while `npm start` runs (same environment / DATA_DIR). It takes
 * about a minute and can be run again (every run plays new journeys).
 */
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createJourneys, type Journeys } from '../client/journeys/gateway';
import type { RequestView } from '../client/journeys/views';
import { loadCoreConfig } from '../config/core';
import { ConfigError } from '../config/env';
import { requireSecrets, publicUrl } from '../config/settings';
import { createLogger } from '../config/logger';
import { createFileCmdb } from '../integrations/cmdb/file-cmdb';
import { createEmbeddedDirectory } from '../integrations/directory/embedded-directory';
import { demoCmdbData, demoOrganisation } from '../embedded/demo-org';

/** Demo incident timings: the follow-up after 15 s, the final deadline after 30 s. */
const demoIncidentTimings = { followUpAfterSeconds: 15, finalDeadlineSeconds: 30, reportIntervalSeconds: 1 };

function say(line: string): void {
  console.log(line);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  read: () => Promise<T | null>,
  ok: (value: T) => boolean,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null && ok(value)) return value;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (is npm start's worker running?)`);
    await sleep(500);
  }
}

const finished = (r: RequestView) => !r.running && r.outcome !== null;

async function request(
  journeys: Journeys,
  requester: string,
  serviceId: string,
  fields: Record<string, unknown>,
): Promise<string> {
  const { id } = await journeys.submitRequest({ serviceId, requester, fields, requestKey: null });
  say(`  ${requester} asked for ${serviceId}: ${id}`);
  return id;
}

async function outcome(journeys: Journeys, id: string): Promise<string> {
  const r = await until(`request ${id} to finish`, () => journeys.request(id), finished);
  say(`  ${id}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`);
  return r.outcome!;
}

async function requests(journeys: Journeys): Promise<void> {
  say('Requests (value demand)…');
  const steve = await request(journeys, 'steve', 'expensatron', { phone: '07700 900123', os: 'android' });
  const tony = await request(journeys, 'tony', 'expensatron', { phone: '07700 900456', os: 'ios' });
  const dana = await request(journeys, 'dana', 'expensatron', { phone: '07700 900789', os: 'ios' });
  // Mia mistypes her number: the CMDB does not know it, she corrects it from the portal.
  const mia = await request(journeys, 'mia', 'expensatron', { phone: '07700 900988', os: 'ios' });
  await until(
    'mia to be asked for her number',
    () => journeys.request(mia),
    (r) => r.waitingFor?.kind === 'device-correction',
  );
  say('  mia corrects her phone number');
  await journeys.correctDevice(mia, 'mia', '+447700900987', 'ios');

  const phone = await request(journeys, 'steve', 'desk-phone', {
    deskLocation: 'Building 2, floor 3, desk 14',
    manager: 'mia',
  });
  const phone2 = await request(journeys, 'tony', 'desk-phone', {
    deskLocation: 'Building 1, floor 1, desk 2',
    manager: 'mia',
  });
  await until(
    'the approval request to mia',
    () => journeys.request(phone),
    (r) => r.waitingFor?.kind === 'approval',
  );
  say('  mia approves steve’s desk phone');
  await journeys.decide(phone, 'mia', { approve: true, reason: null });
  await until(
    'the approval request to mia',
    () => journeys.request(phone2),
    (r) => r.waitingFor?.kind === 'approval',
  );
  say('  mia rejects tony’s desk phone');
  await journeys.decide(phone2, 'mia', { approve: false, reason: 'Tony works from home this quarter.' });
  await until(
    'the delivery task',
    () => journeys.request(phone),
    (r) => r.waitingFor?.kind === 'manual-task',
  );
  say('  ivy delivers steve’s desk phone');
  await journeys.markDelivered(phone, 'ivy', 'Connected at desk 14.');

  for (const id of [steve, tony, dana, mia, phone, phone2]) await outcome(journeys, id);
  // How satisfied they are, on each request's page.
  for (const [id, who, score, comment] of [
    [steve, 'steve', 10, 'Had the app before my coffee was ready.'],
    [tony, 'tony', 9, null],
    [mia, 'mia', 7, 'My typo, but the fix was easy.'],
    [dana, 'dana', 4, 'I need it for travel claims too.'],
  ] as const) {
    await journeys.rateRequest(id, who, { score, comment });
    say(`  ${who} rates ${id}: ${score}`);
  }
}

async function incident(journeys: Journeys): Promise<void> {
  say('An outage (failure demand)…');
  const { id } = await journeys.declareIncident({
    serviceId: 'crm',
    title: 'CRM web app unavailable',
    message: 'Some CRM users cannot open the web app. The mobile CRM app works.',
    workaround: {
      text: 'Use the mobile CRM app.',
      links: { android: 'https://play.example/store/apps/crm', ios: 'https://apps.example/crm' },
    },
    declaredBy: 'ivy',
    incidentKey: null,
  });
  say(`  ivy declared incident ${id}`);
  await until(
    'the announcement',
    () => journeys.incident(id),
    (i) => i.counts.notified !== null && i.counts.notified === i.counts.subscribers,
  );
  for (const who of ['steve', 'tony', 'mia']) {
    await journeys.markAffected(id, { accountName: who, workaroundSms: who === 'steve' });
    say(`  ${who}: "this affects me"${who === 'steve' ? ' (with the workaround by SMS)' : ''}`);
  }
  await until(
    'the affected count',
    () => journeys.incident(id),
    (i) => i.counts.affected === 3,
  );
  await journeys.postProgress(id, {
    text: 'We found the cause: a full disk on the web server.',
    notifyAffected: true,
    by: 'ivy',
  });
  await journeys.resolveIncident(id, { note: 'The disk was cleaned up and the web app restarted.', by: 'ivy' });
  say('  ivy resolved it');
  for (const [who, score] of [
    ['steve', 9],
    ['tony', 6],
  ] as const) {
    await until(
      `${who}'s confirmation link`,
      () => journeys.confirm(id, { accountName: who, answer: 'fixed', score }),
      (r) => r.status !== 'not-resolved',
    );
    say(`  ${who}: fixed, NPS ${score}`);
  }
  say(
    `  mia does not answer: the service desk follows up after ${demoIncidentTimings.followUpAfterSeconds} s, it closes after ${demoIncidentTimings.finalDeadlineSeconds} s`,
  );
  const closed = await until(
    'the incident to close',
    () => journeys.incident(id),
    (i) => i.status === 'closed',
    120_000,
  );
  say(
    `  ${id}: closed (${closed.closeReason}); affected ${closed.counts.affected}, fixed ${closed.counts.fixed}, NPS ${closed.nps.score}`,
  );
}

async function main(): Promise<void> {
  const config = loadCoreConfig();
  const secrets = requireSecrets(config);
  const dataDir = resolve(config.DATA_DIR);
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
  const connection = await Connection.connect({ address, connectTimeout: '5 seconds' }).catch((err: unknown) => {
    throw new Error(
      `no Temporal server at ${address}: start the product first with \`npm start\` (${err instanceof Error ? err.message : String(err)})`,
    );
  });
  const journeys = createJourneys({
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    cmdb: createFileCmdb(join(dataDir, 'cmdb.json'), demoCmdbData()),
    directory: createEmbeddedDirectory({ organisation: demoOrganisation, password: secrets.demoPassword }),
    linkSecret: secrets.linkSecret,
    log: createLogger({ level: 'warn', pretty: false }),
    incidentDefaults: { timings: demoIncidentTimings },
  });
  try {
    await Promise.all([requests(journeys), incident(journeys)]);
  } finally {
    await journeys.close();
    await connection.close();
  }
  const portal = publicUrl(config);
  say('');
  say(`Done. Sign in as ivy at ${portal}/ and open the IT console's experience page (${portal}/console/experience),`);
  say(`or read the mail and SMS at ${portal}/outbox.`);
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? `Configuration error:\n${err.message}`
      : `The demo stopped: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
