/**
 * The journeys' outside world for workflow tests, all real and on loopback: slapd (the
 * directory), the SMTP server, the Twilio-API server, the ServiceNow-API server (the CMDB) and
 * one SCIM server per application, each seeded with Eagle5 from embedded/demo-org.ts, and the
 * production adapters over them. Returns the `ActivityDeps` a worker needs plus handles on the
 * servers to count what arrived and to break them on purpose.
 *
 * The org (from demo-org.ts): steve (Sales EMEA, nested in Sales; Android +447700900123),
 * tony (Sales; iPhone +447700900456), dana (Finance; iPhone), olaf (Sales, disabled),
 * ivy (Service Desk), mia (Managers and Sales; iPhone). Each CMDB service (crm, expensatron, email)
 * has its subscribers; add more with `servicenow.addUser` / `servicenow.subscribe`.
 */
import { createThrowawayExperienceStore } from './experience';
import { randomBytes } from 'node:crypto';
import type { ActivityDeps } from '../../activities/deps';
import { createServiceNowCmdb } from '../../integrations/cmdb/servicenow-cmdb';
import { directoryConfigFromEnv } from '../../integrations/directory/config';
import { createLdapDirectory } from '../../integrations/directory/ldap-directory';
import { createSmtpMailer } from '../../integrations/email/smtp-mailer';
import { createMemoryLedger } from '../../integrations/ledger/memory-ledger';
import { createScimRegistry } from '../../integrations/provisioning/config';
import { createTwilioSms } from '../../integrations/sms/twilio-sms';
import {
  startScimServer,
  startServiceNowServer,
  startSlapd,
  startSmtpServer,
  startTwilioServer,
  type ReceivedEmail,
  type ReceivedSms,
  type SlapdInstance,
  type SlapdPreset,
  type TestScimServer,
  type TestServiceNowServer,
  type TestSmtpServer,
  type TestTwilioServer,
} from './servers';

export interface IntegrationEnvOptions {
  /** SCIM applications to run a server for (default: `expensatron`). */
  scimApplications?: string[];
  /** Directory shape (default `openldap`). */
  directoryPreset?: SlapdPreset;
  publicUrl?: string;
  serviceDeskEmail?: string;
  /** Another directory for the activities (e.g. a Samba AD DC); slapd still runs. Closed on stop. */
  directory?: ActivityDeps['directory'];
}

export interface IntegrationEnv {
  deps: ActivityDeps;
  slapd: SlapdInstance;
  smtp: TestSmtpServer;
  twilio: TestTwilioServer;
  servicenow: TestServiceNowServer;
  /** By application id. */
  scim: Record<string, TestScimServer>;
  /** The send ledger the deliveries use (in memory: one per environment). */
  ledger: ReturnType<typeof createMemoryLedger>;
  settings: ActivityDeps['settings'];
  /** Emails that arrived for this address (case-insensitive), oldest first. */
  emailsTo(address: string): ReceivedEmail[];
  /** SMS that arrived for this E.164 number, oldest first. */
  smsTo(phone: string): ReceivedSms[];
  stop(): Promise<void>;
}

/** Eagle5 people the tests use, as the servers hold them. */
export const org = {
  steve: { accountName: 'steve', email: 'steve@eagle5.example', phone: '+447700900123', os: 'android' as const },
  tony: { accountName: 'tony', email: 'tony@eagle5.example', phone: '+447700900456', os: 'ios' as const },
  dana: { accountName: 'dana', email: 'dana@eagle5.example', phone: '+447700900789', os: 'ios' as const },
  olaf: { accountName: 'olaf', email: 'olaf@eagle5.example', phone: '+447700900321', os: 'android' as const },
  ivy: { accountName: 'ivy', email: 'ivy@eagle5.example' },
  mia: { accountName: 'mia', email: 'mia@eagle5.example', phone: '+447700900987', os: 'ios' as const },
} as const;

/** Starts every server (in parallel), builds the adapters, returns the environment. */
export async function startIntegrationEnv(options: IntegrationEnvOptions = {}): Promise<IntegrationEnv> {
  const applications = options.scimApplications ?? ['expensatron'];
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const [slapd, smtp, twilio, servicenow, ...scimServers] = await Promise.all([
      startSlapd({ preset: options.directoryPreset ?? 'openldap' }),
      startSmtpServer(),
      startTwilioServer(),
      startServiceNowServer(),
      ...applications.map(() => startScimServer({ token: `scim-${randomBytes(12).toString('hex')}` })),
    ]);
    stops.push(
      () => slapd.stop(),
      () => smtp.stop(),
      () => twilio.stop(),
      () => servicenow.stop(),
      ...scimServers.map((s) => () => s.stop()),
    );
    const scim = Object.fromEntries(applications.map((id, i) => [id, scimServers[i]!]));

    const directory =
      options.directory ??
      createLdapDirectory(
        directoryConfigFromEnv({
          LDAP_URL: slapd.url,
          LDAP_BIND_DN: slapd.bindDn,
          LDAP_BIND_PASSWORD: slapd.bindPassword,
          LDAP_USER_BASE_DN: slapd.userBaseDn,
          LDAP_GROUP_BASE_DN: slapd.groupBaseDn,
          LDAP_PRESET: slapd.preset,
          // slapd has no LDAP_MATCHING_RULE_IN_CHAIN: nested groups are expanded recursively.
          LDAP_NESTED_GROUPS: 'recursive',
          LDAP_TIMEOUT_MS: '3000',
        }),
      );
    stops.unshift(() => directory.close());
    const mailer = createSmtpMailer({
      host: smtp.host,
      port: smtp.port,
      secure: false,
      requireTls: false,
      auth: null,
      from: { name: 'IT Service Desk', address: 'it@eagle5.example' },
      ca: null,
      timeoutMs: 3_000,
      maxConnections: 2,
    });
    stops.unshift(() => mailer.close());
    const sms = createTwilioSms({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: '+447700900000',
      messagingServiceSid: null,
      apiBaseUrl: twilio.baseUrl,
      defaultRegion: 'GB',
      timeoutMs: 3_000,
    });
    const cmdb = createServiceNowCmdb({
      url: servicenow.baseUrl,
      auth: { kind: 'basic', user: servicenow.user, password: servicenow.password },
      timeoutMs: 3_000,
    });
    const provisioners = createScimRegistry({
      applications: Object.fromEntries(
        applications.map((id) => [id, { baseUrl: scim[id]!.baseUrl, bearerToken: scim[id]!.token, timeoutMs: 3_000 }]),
      ),
    });
    const ledger = createMemoryLedger();
    const settings: ActivityDeps['settings'] = {
      publicUrl: options.publicUrl ?? 'http://portal.eagle5.test',
      linkSecret: randomBytes(24).toString('hex'),
      serviceDeskEmail: options.serviceDeskEmail ?? 'servicedesk@eagle5.example',
    };
    const deps: ActivityDeps = {
      directory,
      cmdb,
      mailer,
      sms,
      provisioners,
      ledger,
      experience: createThrowawayExperienceStore(),
      settings,
    };

    return {
      deps,
      slapd,
      smtp,
      twilio,
      servicenow,
      scim,
      ledger,
      settings,
      emailsTo: (address) =>
        smtp.messages.filter((m) => m.envelope.to.some((t) => t.toLowerCase() === address.toLowerCase())),
      smsTo: (phone) => twilio.messages.filter((m) => m.to === phone),
      async stop() {
        for (const stop of stops.splice(0)) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const stop of stops.splice(0)) await stop().catch(() => undefined);
    throw err;
  }
}
