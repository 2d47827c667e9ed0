/**
 * A throwaway OpenLDAP `slapd` for directory tests: its own generated slapd.conf and mdb
 * database in a temp dir, on free loopback ports, killed on stop. Two shapes:
 *
 * - `openldap`: inetOrgPerson people under ou=People (uid), groupOfNames groups, the memberof
 *   and refint overlays, and ppolicy (for `pwdAccountLockedTime`; only entries that name a policy
 *   in `pwdPolicySubentry` are governed by it).
 * - `active-directory`: AD-shaped entries from Debian's msuser.schema (`user`/`group`,
 *   sAMAccountName, userPrincipalName, userAccountControl) under ou=Staff, with the memberof
 *   overlay keeping `memberOf` as AD does. slapd has no LDAP_MATCHING_RULE_IN_CHAIN, so nested
 *   groups must be resolved recursively against it.
 *
 * The organisation is Eagle5 from `embedded/demo-org.ts` (steve in "Sales EMEA" in "Sales",
 * dana in Finance, olaf disabled, ...). Entries are added over LDAP after start so that the
 * overlays fill in `memberOf` exactly as they would in production.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from '../../embedded/free-port';
import { demoGroups, demoPeople, type DemoPerson } from '../../embedded/demo-org';
import { escapeDnValue } from '../../integrations/directory/escape';

export type SlapdPreset = 'openldap' | 'active-directory';

export interface StartSlapdOptions {
  preset: SlapdPreset;
  /**
   * Also listen on ldaps:// and offer StartTLS with a certificate from a throwaway CA, and
   * require TLS for every operation (`security tls=1`), so a client that skips it is refused.
   */
  tls?: boolean;
  /** People to add besides Eagle5's (the chaos run's synthetic sales staff). */
  extraPeople?: DemoPerson[];
}

export interface SlapdInstance {
  preset: SlapdPreset;
  /** ldap://127.0.0.1:<port> */
  url: string;
  /** ldaps://localhost:<port> with `tls`, else null. */
  ldapsUrl: string | null;
  /** PEM file of the CA that signed the server certificate, with `tls`. */
  caFile: string | null;
  baseDn: string;
  userBaseDn: string;
  groupBaseDn: string;
  /**
   * The service account (a plain entry with a password, subject to ACLs): it may read
   * everything but passwords, and write `member` of the groups under `groupBaseDn`, nothing else.
   */
  bindDn: string;
  bindPassword: string;
  /** A second service account that may only read (for "permission denied" on writes). */
  readOnlyBindDn: string;
  readOnlyBindPassword: string;
  /** rootdn: for test set-up and cn=Monitor only. */
  adminDn: string;
  adminPassword: string;
  /** Every seeded person has their own password. */
  passwordOf(accountName: string): string;
  dnOf(accountName: string): string;
  /** Connections slapd accepted since start (`total`) and has open now (`current`), from cn=Monitor. */
  connections(): Promise<{ total: number; current: number }>;
  /** The `member` values of the group `cn` under `groupBaseDn`, as slapd holds them (read as the admin). */
  groupMembers(cn: string): Promise<string[]>;
  /** Stops and starts slapd again on the same ports with the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const exec = promisify(execFile);
const SLAPD = '/usr/sbin/slapd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const DOMAIN = 'eagle5.example';
const BASE_DN = 'dc=eagle5,dc=example';

/**
 * Not in the demo organisation: an OpenLDAP account locked by a password policy that the server
 * enforces itself (ppolicy with pwdLockout), so slapd refuses even the right password.
 */
const lockedByPolicy: DemoPerson = {
  accountName: 'lena',
  givenName: 'Lena',
  familyName: 'Fischer',
  email: `lena@${DOMAIN}`,
  mobile: null,
  enabled: false,
  groups: [],
  prefersSms: false,
};

/** Starts slapd and seeds Eagle5; typically well under a second (a little more with `tls`). */
export async function startSlapd(options: StartSlapdOptions): Promise<SlapdInstance> {
  const { preset } = options;
  const tls = options.tls === true;
  const dir = await mkdtemp(join(tmpdir(), `sj-slapd-${preset}-`));
  await mkdir(join(dir, 'data'));
  const adminDn = `cn=admin,${BASE_DN}`;
  const adminPassword = randomBytes(12).toString('hex');
  const bindDn = `cn=svc-journeys,ou=Service Accounts,${BASE_DN}`;
  const bindPassword = `svc-${randomBytes(12).toString('hex')}`;
  const readOnlyBindDn = `cn=svc-reader,ou=Service Accounts,${BASE_DN}`;
  const readOnlyBindPassword = `reader-${randomBytes(12).toString('hex')}`;
  const userBaseDn = preset === 'openldap' ? `ou=People,${BASE_DN}` : `ou=Staff,${BASE_DN}`;
  const groupBaseDn = `ou=Groups,${BASE_DN}`;
  const people = [
    ...(preset === 'openldap' ? [...demoPeople, lockedByPolicy] : [...demoPeople]),
    ...(options.extraPeople ?? []),
  ];
  const passwordOf = (accountName: string): string => `${accountName}:Pässw0rd ✓`;
  const dnOf = (accountName: string): string => {
    const p = people.find((x) => x.accountName === accountName);
    if (!p) throw new Error(`no seeded person ${accountName}`);
    return preset === 'openldap'
      ? `uid=${escapeDnValue(p.accountName)},${userBaseDn}`
      : `cn=${escapeDnValue(`${p.givenName} ${p.familyName}`)},${userBaseDn}`;
  };

  const certificates = tls ? await makeCertificates(dir) : null;
  if (preset === 'active-directory') await writeFile(join(dir, 'msuser.schema'), await adSchema());
  const conf = join(dir, 'slapd.conf');
  await writeFile(
    conf,
    slapdConf({ preset, dir, adminDn, adminPassword, bindDn, readOnlyBindDn, groupBaseDn, certificates }),
  );

  const [port, tlsPort] = await Promise.all([freePort(), tls ? freePort() : Promise.resolve(null)]);
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = tlsPort === null ? null : `ldaps://localhost:${tlsPort}`;
  const listen = [`ldap://127.0.0.1:${port}/`, ...(tlsPort === null ? [] : [`ldaps://127.0.0.1:${tlsPort}/`])].join(
    ' ',
  );

  let child = await launch(conf, listen, port);
  let monitor: Client | null = null;

  const instance: SlapdInstance = {
    preset,
    url,
    ldapsUrl,
    caFile: certificates?.caFile ?? null,
    baseDn: BASE_DN,
    userBaseDn,
    groupBaseDn,
    bindDn,
    bindPassword,
    readOnlyBindDn,
    readOnlyBindPassword,
    adminDn,
    adminPassword,
    passwordOf,
    dnOf,
    async connections() {
      // One admin connection kept open, so reading the counters does not move them.
      if (monitor === null || !monitor.isBound) {
        monitor = await adminClient(instance);
      }
      const { searchEntries } = await monitor.search('cn=Connections,cn=Monitor', {
        scope: 'one',
        filter: '(|(cn=Total)(cn=Current))',
        attributes: ['cn', 'monitorCounter'],
      });
      const counter = (cn: string): number => Number(searchEntries.find((e) => e.cn === cn)?.monitorCounter);
      return { total: counter('Total'), current: counter('Current') };
    },
    async groupMembers(cn) {
      const admin = await adminClient(instance);
      try {
        const { searchEntries } = await admin.search(`cn=${escapeDnValue(cn)},${groupBaseDn}`, {
          scope: 'base',
          attributes: ['member'],
        });
        return searchEntries.flatMap((e) => [e.member ?? []].flat().map(String));
      } finally {
        await admin.unbind();
      }
    },
    async restart() {
      await monitor?.unbind().catch(() => undefined);
      monitor = null;
      await kill(child);
      child = await launch(conf, listen, port);
    },
    async stop() {
      await monitor?.unbind().catch(() => undefined);
      monitor = null;
      await kill(child);
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await seed(instance, people);
  } catch (err) {
    await instance.stop();
    throw err;
  }
  return instance;
}

interface Certificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A throwaway CA and a server certificate it signed, for 127.0.0.1 and localhost (openssl, EC P-256). */
async function makeCertificates(dir: string): Promise<Certificates> {
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await exec('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Service Journeys test CA',
  ]);
  await exec('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  await writeFile(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await exec('openssl', [
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
  ]);
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') };
}

/**
 * Debian's msuser.schema with the matching rules AD applies but the file leaves out: without an
 * EQUALITY rule slapd evaluates `(sAMAccountName=steve)` as Undefined, so nothing ever matches,
 * and the memberof overlay cannot give anyone a second group.
 */
async function adSchema(): Promise<string> {
  let schema = await readFile(join(SCHEMA_DIR, 'msuser.schema'), 'utf8');
  const rules: Record<string, string> = {
    sAMAccountName: 'EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch',
    userPrincipalName: 'EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch',
    userAccountControl: 'EQUALITY integerMatch',
    // The memberof overlay can add a second memberOf value only if it can compare values.
    memberOf: 'EQUALITY distinguishedNameMatch',
  };
  for (const [name, rule] of Object.entries(rules)) {
    const definition = new RegExp(`(NAME '${name}'\\s+)(SYNTAX)`);
    if (!definition.test(schema))
      throw new Error(`msuser.schema: cannot find the definition of ${name} to add its matching rule`);
    schema = schema.replace(definition, `$1${rule}\n\t$2`);
  }
  return schema;
}

function slapdConf(o: {
  preset: SlapdPreset;
  dir: string;
  adminDn: string;
  adminPassword: string;
  bindDn: string;
  readOnlyBindDn: string;
  groupBaseDn: string;
  certificates: Certificates | null;
}): string {
  const ad = o.preset === 'active-directory';
  const schemas = ['core', 'cosine', 'inetorgperson', ...(ad ? ['nis'] : [])].map((s) =>
    join(SCHEMA_DIR, `${s}.schema`),
  );
  if (ad) schemas.push(join(o.dir, 'msuser.schema'));
  const modules = ['back_mdb', 'memberof', 'refint', ...(ad ? [] : ['ppolicy'])];
  return [
    ...schemas.map((file) => `include ${file}`),
    // msuser.schema (which needs nis.schema for homeDirectory) defines sAMAccountName, but no
    // class there allows it: in AD it comes from the auxiliary class securityPrincipal.
    ...(ad
      ? [
          "objectclass ( 1.2.840.113556.1.5.6 NAME 'securityPrincipal' SUP top AUXILIARY MAY ( sAMAccountName $ objectSid ) )",
        ]
      : []),
    `modulepath ${MODULE_DIR}`,
    ...modules.map((m) => `moduleload ${m}.la`),
    // Like AD (and many servers): a bind with a DN and an empty password is an anonymous bind
    // that succeeds. slapd refuses it by default, which would hide a missing guard in a client.
    'allow bind_anon_dn',
    `pidfile ${join(o.dir, 'slapd.pid')}`,
    `argsfile ${join(o.dir, 'slapd.args')}`,
    ...(o.certificates
      ? [
          `TLSCACertificateFile ${o.certificates.caFile}`,
          `TLSCertificateFile ${o.certificates.certFile}`,
          `TLSCertificateKeyFile ${o.certificates.keyFile}`,
          'security tls=1',
        ]
      : []),
    '',
    'database mdb',
    `suffix "${BASE_DN}"`,
    `rootdn "${o.adminDn}"`,
    `rootpw ${o.adminPassword}`,
    `directory ${join(o.dir, 'data')}`,
    'maxsize 16777216',
    'dbnosync',
    // As in production: passwords only for binding, everything else readable by the service
    // accounts, and group memberships (`member` of the groups under the group base) writable by
    // the one the journeys use. The first matching rule decides.
    'access to attrs=userPassword by anonymous auth by * none',
    `access to dn.subtree="${o.groupBaseDn}" attrs=member by dn.exact="${o.bindDn}" write by dn.exact="${o.readOnlyBindDn}" read by self read by * none`,
    `access to * by dn.exact="${o.bindDn}" read by dn.exact="${o.readOnlyBindDn}" read by self read by * none`,
    'overlay memberof',
    ...(ad ? ['memberof-group-oc group'] : []),
    'overlay refint',
    'refint_attributes member',
    ...(ad ? [] : ['overlay ppolicy']),
    '',
    'database monitor',
    `access to dn.subtree="cn=Monitor" by dn.exact="${o.adminDn}" read by * none`,
    '',
  ].join('\n');
}

async function launch(conf: string, listen: string, port: number): Promise<ChildProcess> {
  // -d keeps slapd in the foreground (so it is our child and dies with us); 0 logs nothing but errors.
  const child = spawn(SLAPD, ['-f', conf, '-h', listen, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`slapd exited (${code ?? signal}) while starting:\n${stderr}`)),
    );
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ready = await Promise.race([canConnect(port), exited]);
    if (ready) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`slapd did not listen on ${port} within 10 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

async function adminClient(s: SlapdInstance): Promise<Client> {
  const client = new Client({ url: s.url, timeout: 5_000, connectTimeout: 5_000 });
  if (s.caFile !== null) {
    await client.startTLS({ ca: await readFile(s.caFile, 'utf8'), host: 'localhost', servername: 'localhost' });
  }
  await client.bind(s.adminDn, s.adminPassword);
  return client;
}

/** `{SSHA}` as slapd stores it: SHA-1 over password + salt, then the salt. */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const hash = createHash('sha1').update(Buffer.from(password, 'utf8')).update(salt).digest();
  return `{SSHA}${Buffer.concat([hash, salt]).toString('base64')}`;
}

/** Adds the organisation over LDAP: people first, then groups innermost first, so memberof sees every link. */
async function seed(s: SlapdInstance, people: DemoPerson[]): Promise<void> {
  const ad = s.preset === 'active-directory';
  const client = await adminClient(s);
  try {
    const add = (dn: string, attributes: Record<string, string | string[]>) => client.add(dn, attributes);
    await add(BASE_DN, { objectClass: ['dcObject', 'organization'], dc: 'eagle5', o: 'Eagle5' });
    for (const ou of [
      s.userBaseDn,
      s.groupBaseDn,
      `ou=Service Accounts,${BASE_DN}`,
      ...(ad ? [] : [`ou=Policies,${BASE_DN}`]),
    ]) {
      await add(ou, { objectClass: 'organizationalUnit', ou: ou.slice(3, ou.indexOf(',')) });
    }
    await add(s.bindDn, {
      objectClass: ['applicationProcess', 'simpleSecurityObject'],
      cn: 'svc-journeys',
      userPassword: ssha(s.bindPassword),
    });
    await add(s.readOnlyBindDn, {
      objectClass: ['applicationProcess', 'simpleSecurityObject'],
      cn: 'svc-reader',
      userPassword: ssha(s.readOnlyBindPassword),
    });
    const lockingPolicy = `cn=Locked accounts,ou=Policies,${BASE_DN}`;
    if (!ad) {
      await add(lockingPolicy, {
        objectClass: ['device', 'pwdPolicy'],
        cn: 'Locked accounts',
        pwdAttribute: 'userPassword',
        pwdLockout: 'TRUE',
      });
    }

    // AD's mandatory bookkeeping attributes (mstop MUST), with plausible values.
    const adBookkeeping = (category: string) => ({
      instanceType: '4',
      nTSecurityDescriptor: 'test',
      objectCategory: `CN=${category},CN=Schema,CN=Configuration,DC=eagle5,DC=example`,
    });
    for (const p of people) {
      const common = {
        cn: `${p.givenName} ${p.familyName}`,
        givenName: p.givenName,
        sn: p.familyName,
        displayName: `${p.givenName} ${p.familyName}`,
        mail: p.email,
        ...(p.mobile === null ? {} : { mobile: p.mobile }),
        userPassword: ssha(s.passwordOf(p.accountName)),
      };
      if (ad) {
        await add(s.dnOf(p.accountName), {
          objectClass: ['top', 'person', 'organizationalPerson', 'user', 'securityPrincipal'],
          ...common,
          sAMAccountName: p.accountName,
          userPrincipalName: `${p.accountName}@${DOMAIN}`,
          // 512 NORMAL_ACCOUNT; 514 = NORMAL_ACCOUNT | ACCOUNTDISABLE.
          userAccountControl: p.enabled ? '512' : '514',
          ...adBookkeeping('Person'),
        });
      } else {
        await add(s.dnOf(p.accountName), { objectClass: 'inetOrgPerson', ...common, uid: p.accountName });
        if (!p.enabled) {
          // ppolicy's administrative lock; pwdPolicySubentry makes slapd enforce it for lena only.
          const lock = [{ type: 'pwdAccountLockedTime', values: ['000001010000Z'] }];
          if (p === lockedByPolicy) lock.push({ type: 'pwdPolicySubentry', values: [lockingPolicy] });
          await client.modify(
            s.dnOf(p.accountName),
            lock.map((a) => new Change({ operation: 'add', modification: new Attribute(a) })),
          );
        }
      }
    }

    // Managers (inetOrgPerson's `manager`, a DN) once everyone exists. Debian's AD `user` class
    // has no `manager`: the active-directory preset goes without (its journeys use the fallback).
    if (!ad) {
      for (const p of people.filter((x) => x.manager)) {
        await client.modify(
          s.dnOf(p.accountName),
          new Change({
            operation: 'add',
            modification: new Attribute({ type: 'manager', values: [s.dnOf(p.manager!)] }),
          }),
        );
      }
    }

    const groupDn = (name: string) => `cn=${escapeDnValue(name)},${s.groupBaseDn}`;
    for (const group of innermostFirst()) {
      const members = [
        ...people.filter((p) => p.groups.includes(group)).map((p) => s.dnOf(p.accountName)),
        ...demoGroups.filter((g) => g.memberOf.includes(group)).map((g) => groupDn(g.name)),
      ];
      await add(
        groupDn(group),
        ad
          ? {
              objectClass: ['top', 'group'],
              cn: group,
              groupType: '-2147483646',
              ...(members.length > 0 ? { member: members } : {}),
              ...adBookkeeping('Group'),
            }
          : { objectClass: 'groupOfNames', cn: group, member: members },
      );
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Demo group names ordered so that a group comes after every group nested in it. */
function innermostFirst(): string[] {
  const ordered: string[] = [];
  const visit = (name: string): void => {
    if (ordered.includes(name)) return;
    for (const child of demoGroups.filter((g) => g.memberOf.includes(name))) visit(child.name);
    ordered.push(name);
  };
  demoGroups.forEach((g) => visit(g.name));
  return ordered;
}
