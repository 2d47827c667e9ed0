/**
 * Real servers on loopback that stand in for the outside systems when `npm run cluster` is not
 * given real ones: OpenLDAP slapd (the directory), an SMTP server, and HTTP servers speaking the
 * Twilio, ServiceNow and SCIM 2.0 wire formats, all seeded with the Eagle5 demo organisation.
 * The production adapters talk to them exactly as they would to the real systems; what they
 * received is appended to an outbox file the portal shows at /outbox, and counted for the
 * chaos run.
 */
import { randomBytes } from 'node:crypto';
import { createFileOutbox } from '../integrations/outbox/file-outbox';
import type { Outbox } from '../integrations/outbox/types';
import type { DemoPerson } from '../embedded/demo-org';
import {
  startScimServer,
  startServiceNowServer,
  startSlapd,
  startSmtpServer,
  startTwilioServer,
  type SlapdInstance,
  type TestScimServer,
  type TestServiceNowServer,
  type TestSmtpServer,
  type TestTwilioServer,
} from '../test/support/servers';

export interface LocalSystems {
  slapd: SlapdInstance;
  smtp: TestSmtpServer;
  twilio: TestTwilioServer;
  servicenow: TestServiceNowServer;
  scim: Record<string, TestScimServer>;
  /** The production adapters' variables pointing at these servers. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** SCIM applications the catalog provisions accounts in. */
const scimApplications = ['expensatron'];

/** People to add to the directory and the CMDB besides Eagle5 (the chaos run's synthetic staff). */
export interface ExtraPerson extends DemoPerson {
  device: { phone: string; os: 'ios' | 'android'; model: string } | null;
  /** CMDB service ids the person is subscribed to. */
  subscribedTo: string[];
}

export async function startLocalSystems(options: {
  outboxFile: string;
  extraPeople?: ExtraPerson[];
}): Promise<LocalSystems> {
  const extraPeople = options.extraPeople ?? [];
  const [slapd, smtp, twilio, servicenow, ...scimServers] = await Promise.all([
    startSlapd({ preset: 'openldap', extraPeople }),
    startSmtpServer(),
    startTwilioServer(),
    startServiceNowServer(),
    ...scimApplications.map(() => startScimServer({ token: `scim-${randomBytes(12).toString('hex')}` })),
  ]);
  const scim = Object.fromEntries(scimApplications.map((id, i) => [id, scimServers[i]!]));
  for (const p of extraPeople) {
    servicenow.addUser({
      userName: p.accountName,
      name: `${p.givenName} ${p.familyName}`,
      email: p.email,
      ...(p.mobile ? { mobile: p.mobile } : {}),
      prefersSms: p.prefersSms,
    });
    if (p.device) servicenow.addDevice({ ...p.device, owner: p.accountName });
    for (const service of p.subscribedTo) servicenow.subscribe(service, p.accountName);
  }
  const env: Record<string, string> = {
    LDAP_URL: slapd.url,
    LDAP_PRESET: slapd.preset,
    LDAP_BIND_DN: slapd.bindDn,
    LDAP_BIND_PASSWORD: slapd.bindPassword,
    LDAP_USER_BASE_DN: slapd.userBaseDn,
    LDAP_GROUP_BASE_DN: slapd.groupBaseDn,
    // slapd has no LDAP_MATCHING_RULE_IN_CHAIN: nested groups are expanded recursively.
    LDAP_NESTED_GROUPS: 'recursive',
    SERVICENOW_URL: servicenow.baseUrl,
    SERVICENOW_USER: servicenow.user,
    SERVICENOW_PASSWORD: servicenow.password,
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_STARTTLS: 'false',
    SMTP_MAX_CONNECTIONS: '8',
    MAIL_FROM: 'IT Service Desk <it@eagle5.example>',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+447700900000',
    TWILIO_API_BASE_URL: twilio.baseUrl,
    SMS_DEFAULT_REGION: 'GB',
  };
  for (const [id, server] of Object.entries(scim)) {
    const name = id.toUpperCase().replace(/-/g, '_');
    env[`SCIM_${name}_URL`] = server.baseUrl;
    env[`SCIM_${name}_TOKEN`] = server.token;
  }

  // What the servers received, for the portal's outbox page: one entry per delivery (keyed by
  // the Message-ID or SID), so a message delivered twice would show twice.
  const outbox: Outbox = createFileOutbox(options.outboxFile);
  let copiedEmails = 0;
  let copiedSms = 0;
  let copying: Promise<void> = Promise.resolve();
  const copy = (): Promise<void> => {
    copying = copying
      .then(async () => {
        for (; copiedEmails < smtp.messages.length; copiedEmails++) {
          const m = smtp.messages[copiedEmails]!;
          for (const to of m.envelope.to) {
            await outbox.append({
              channel: 'email',
              to,
              toName: null,
              subject: m.subject ?? null,
              text: m.text ?? '',
              html: null,
              idempotencyKey: `${m.messageId ?? copiedEmails}/${to}`,
            });
          }
        }
        for (; copiedSms < twilio.messages.length; copiedSms++) {
          const m = twilio.messages[copiedSms]!;
          await outbox.append({
            channel: 'sms',
            to: m.to,
            toName: null,
            subject: null,
            text: m.body,
            html: null,
            idempotencyKey: m.sid,
          });
        }
      })
      .catch(() => undefined);
    return copying;
  };
  const timer = setInterval(() => void copy(), 1000);

  return {
    slapd,
    smtp,
    twilio,
    servicenow,
    scim,
    env,
    async stop() {
      clearInterval(timer);
      await copy();
      await Promise.allSettled([
        slapd.stop(),
        smtp.stop(),
        twilio.stop(),
        servicenow.stop(),
        ...scimServers.map((s) => s.stop()),
      ]);
    },
  };
}
