/**
 * A throwaway Samba Active Directory domain controller (Debian's `samba`) for the
 * `active-directory` preset: a real AD, so LDAP_MATCHING_RULE_IN_CHAIN, userAccountControl and
 * AD's bind diagnostics (`data 533` for a disabled account) come from the server itself.
 *
 * - Provisioned with `samba-tool domain provision` into a temp dir (about 5 s on an idle
 *   machine), then run in the foreground as our child (`samba -i -M single`), killed and deleted
 *   on stop. `samba -i` also ends when its stdin closes, so it dies with the test process even
 *   when that is killed without running stop().
 * - Samba has no setting for its LDAP ports: it always binds 389/636 (and 3268/3269 for the
 *   global catalog), which needs root. To share the machine with anything else it gets a
 *   loopback address of its own, random in 127.77.0.0/16, and only the LDAP service runs.
 * - One DC on this machine at a time: vitest runs test files in parallel, and other test runs
 *   may share the machine. A start waits for the DC lock (an abstract Unix socket, which the
 *   kernel frees when its process dies, so a crashed run never leaves it taken) and, holding it,
 *   first deletes what a crashed run left behind.
 * - LDAPS only, with a certificate from a throwaway CA for that address: the DC keeps its
 *   default `ldap server require strong auth = yes`, so a simple bind over plain ldap:// is
 *   refused, as a production DC should refuse it.
 * - The organisation is Eagle5 from `embedded/demo-org.ts`, added over LDAPS as Administrator
 *   so that AD itself computes `memberOf`; every person has a password of their own.
 * - Two service accounts, both ordinary domain users (AD lets any authenticated user read):
 *   `svc-journeys`, delegated "write member" on the groups under OU=Groups only (an inherited
 *   ACE set with `samba-tool dsacl`, as an AD admin delegates "Modify the membership of a
 *   group"), and `svc-reader`, with no delegation.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { demoDomain, demoGroups, demoPeople, type DemoPerson } from '../../embedded/demo-org';
import { escapeDnValue } from '../../integrations/directory/escape';

export interface SambaAdInstance {
  /** `ldaps://127.77.x.y:636`; the certificate names that address. */
  url: string;
  /** `ldap://127.77.x.y:389`: answers, but refuses simple binds (strong auth required). */
  plainUrl: string;
  /** PEM file of the CA that signed the DC's certificate. */
  caFile: string;
  /** `DC=eagle5,DC=example` */
  baseDn: string;
  /** `OU=Staff,…`: the people, and nothing else. */
  userBaseDn: string;
  /** `OU=Groups,…`: the demo groups (AD's built-in groups stay in CN=Users / CN=Builtin). */
  groupBaseDn: string;
  /** An ordinary domain user in `OU=Service Accounts`, delegated write of `member` on the groups under `groupBaseDn`. */
  bindDn: string;
  bindPassword: string;
  /** An ordinary domain user with no delegation: reads, may not change any group. */
  readOnlyBindDn: string;
  readOnlyBindPassword: string;
  /** Domain Administrator: for test set-up only. */
  adminDn: string;
  adminPassword: string;
  /** Every seeded person has their own password (meeting AD's complexity rules). */
  passwordOf(accountName: string): string;
  dnOf(accountName: string): string;
  /** A connection bound as Administrator over LDAPS, for changing the directory in a test. */
  admin(): Promise<Client>;
  /** How long the start took, in milliseconds: waiting for the DC lock, provisioning, starting samba, seeding. */
  timings: { lockWaitMs: number; provisionMs: number; startMs: number; seedMs: number };
  stop(): Promise<void>;
}

const exec = promisify(execFile);
const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';
const PROVISION_TEMPLATES = '/usr/share/samba/setup/provision.ldif';
const REALM = demoDomain.toUpperCase();
const BASE_DN = demoDomain
  .split('.')
  .map((part) => `DC=${part}`)
  .join(',');
// Whatever the machine is called, the DC is dc1 (its computer account is `dc1$`).
const HOST_NAME = 'dc1';
/** Linux abstract socket name (leading NUL): held while a DC of these tests runs on this machine. */
const DC_LOCK = '\0service-journeys-samba-ad-dc';
const DIR_PREFIX = 'sj-samba-ad-';
/** How long a start waits for another test run's DC to stop. */
const LOCK_WAIT_MS = 300_000;
/** schemaIDGUID of the `member` attribute and of the `group` class (the same in every AD forest). */
const MEMBER_ATTRIBUTE_GUID = 'bf9679c0-0de6-11d0-a285-00aa003049e2';
const GROUP_CLASS_GUID = 'bf967a9c-0de6-11d0-a285-00aa003049e2';

/**
 * Waits for the machine's DC lock, provisions and starts a DC and seeds Eagle5: about 5 s on an
 * idle machine (4 of them `samba-tool domain provision`, which is CPU-bound: several times that
 * on a busy one). Throws (never skips) when not root or when samba is not installed. Call stop()
 * when done (it also frees the lock).
 */
export async function startSambaAd(): Promise<SambaAdInstance> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(
      'The Samba AD tests need root: a Samba domain controller always binds the LDAP ports 389 and 636 ' +
        '(on a loopback address of its own, 127.77.x.y) and has no setting to move them. Run the tests as root, as CI does.',
    );
  }
  for (const file of [SAMBA, SAMBA_TOOL, PROVISION_TEMPLATES]) {
    if (!existsSync(file))
      throw new Error(
        `${file} is missing: install Debian's samba and samba-ad-provision (npm run prereqs does it as root).`,
      );
  }

  let mark = Date.now();
  const lap = (): number => {
    const now = Date.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
  const lock = await acquireDcLock();
  const lockWaitMs = lap();
  let dir: string | null = null;
  let child: ChildProcess | null = null;
  try {
    await removeLeftovers();
    dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
    const ip = await freeLoopbackAddress();
    const certificates = await makeCertificates(dir, ip);
    const adminPassword = `Adm-${randomBytes(12).toString('hex')}-Z9`;
    const conf = await provision(dir, ip, adminPassword, certificates);
    const provisionMs = lap();
    child = await launch(conf, ip);
    const startMs = lap();
    const timings = { lockWaitMs, provisionMs, startMs, seedMs: 0 };
    const instance = describeInstance({ dir, ip, caFile: certificates.caFile, adminPassword, child, lock, timings });
    await seed(instance);
    await delegateMembershipWrites(instance, conf, join(dir, 'dc', 'private', 'sam.ldb'));
    timings.seedMs = lap();
    return instance;
  } catch (err) {
    if (child) await kill(child);
    if (dir) await rm(dir, { recursive: true, force: true });
    await releaseDcLock(lock);
    throw err;
  }
}

/**
 * Takes the machine's DC lock: listening on an abstract Unix socket succeeds for one process at
 * a time, and the kernel frees it when that process exits, however it exits.
 */
async function acquireDcLock(): Promise<Server> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const server = createServer();
    const taken = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
      server.listen(DC_LOCK, () => resolve(true));
    });
    if (taken) {
      // Never keeps the test process alive by itself.
      server.unref();
      return server;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `another Samba AD test DC has been running on this machine for more than ${LOCK_WAIT_MS / 1000} s (lock ${DC_LOCK.slice(1)})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function releaseDcLock(lock: Server): Promise<void> {
  return new Promise((resolve) => lock.close(() => resolve()));
}

/**
 * With the lock held no other DC of these tests runs, so any DC folder is a crashed run's: stop
 * its samba if it somehow outlived its parent, and delete the folder.
 */
async function removeLeftovers(): Promise<void> {
  const names = (await readdir(tmpdir())).filter((name) => name.startsWith(DIR_PREFIX));
  for (const name of names) {
    const dir = join(tmpdir(), name);
    const pid = Number((await readFile(join(dir, 'run', 'samba.pid'), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 1 && (await isSambaOf(pid, dir))) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether `pid` is a samba with files open in `dir` (its command line is only "samba: root process"). */
async function isSambaOf(pid: number, dir: string): Promise<boolean> {
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
  if (exe !== SAMBA) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')).startsWith(`${dir}/`)) return true;
  }
  return false;
}

function describeInstance(o: {
  dir: string;
  ip: string;
  caFile: string;
  adminPassword: string;
  child: ChildProcess;
  lock: Server;
  timings: SambaAdInstance['timings'];
}): SambaAdInstance {
  const { dir, ip, caFile, adminPassword, child, lock } = o;
  const userBaseDn = `OU=Staff,${BASE_DN}`;
  // Per person and per run; never contains the account name, which AD's complexity rule forbids.
  const passwords = new Map(demoPeople.map((p) => [p.accountName, `Pässw0rd-${randomBytes(6).toString('hex')} ✓`]));
  const instance: SambaAdInstance = {
    url: `ldaps://${ip}:636`,
    plainUrl: `ldap://${ip}:389`,
    caFile,
    baseDn: BASE_DN,
    userBaseDn,
    groupBaseDn: `OU=Groups,${BASE_DN}`,
    bindDn: `CN=svc-journeys,OU=Service Accounts,${BASE_DN}`,
    bindPassword: `Svc-${randomBytes(12).toString('hex')}-9`,
    readOnlyBindDn: `CN=svc-reader,OU=Service Accounts,${BASE_DN}`,
    readOnlyBindPassword: `Rdr-${randomBytes(12).toString('hex')}-9`,
    adminDn: `CN=Administrator,CN=Users,${BASE_DN}`,
    adminPassword,
    passwordOf(accountName) {
      const password = passwords.get(accountName);
      if (password === undefined) throw new Error(`no seeded person ${accountName}`);
      return password;
    },
    dnOf(accountName) {
      const p = demoPeople.find((x) => x.accountName === accountName);
      if (!p) throw new Error(`no seeded person ${accountName}`);
      return `CN=${escapeDnValue(`${p.givenName} ${p.familyName}`)},${userBaseDn}`;
    },
    async admin() {
      const client = new Client({
        url: instance.url,
        timeout: 10_000,
        connectTimeout: 10_000,
        tlsOptions: { ca: await readFile(caFile, 'utf8') },
      });
      await client.bind(instance.adminDn, instance.adminPassword);
      return client;
    },
    timings: o.timings,
    async stop() {
      try {
        await kill(child);
        await rm(dir, { recursive: true, force: true });
      } finally {
        await releaseDcLock(lock);
      }
    },
  };
  return instance;
}

/** A random 127.77.x.y where nothing answers on the DC's ports (the whole of 127/8 is loopback on Linux). */
async function freeLoopbackAddress(): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const ip = `127.77.${randomInt(1, 255)}.${randomInt(1, 255)}`;
    const busy = await Promise.all([389, 636, 3268, 3269].map((port) => canConnect(ip, port)));
    if (!busy.includes(true)) return ip;
  }
  throw new Error('no free loopback address in 127.77.0.0/16 after 20 tries');
}

interface Certificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway CA and a certificate for the DC's address. Samba would generate its own, but
 * for its host name only, which a client connecting to 127.77.x.y rightly refuses.
 */
async function makeCertificates(dir: string, ip: string): Promise<Certificates> {
  const certs = join(dir, 'certs');
  await mkdir(certs);
  const f = (name: string) => join(certs, name);
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
    '/CN=Service Journeys test AD CA',
  ]);
  await exec('openssl', [
    'req',
    ...ec,
    '-keyout',
    f('dc.key'),
    '-out',
    f('dc.csr'),
    '-subj',
    `/CN=${HOST_NAME}.${demoDomain}`,
  ]);
  await writeFile(f('dc.ext'), `subjectAltName=DNS:${HOST_NAME}.${demoDomain},IP:${ip}\nextendedKeyUsage=serverAuth\n`);
  await exec('openssl', [
    'x509',
    '-req',
    '-in',
    f('dc.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('dc.pem'),
    '-days',
    '2',
    '-extfile',
    f('dc.ext'),
  ]);
  return { caFile: f('ca.pem'), certFile: f('dc.pem'), keyFile: f('dc.key') };
}

/** `samba-tool domain provision` into `<dir>/dc`; returns the smb.conf it wrote. */
async function provision(dir: string, ip: string, adminPassword: string, certificates: Certificates): Promise<string> {
  const target = join(dir, 'dc');
  // Start from an empty configuration, not the machine's /etc/samba/smb.conf.
  const empty = join(dir, 'empty.conf');
  await writeFile(empty, '');
  const options = [
    // Samba accepts only addresses of local interfaces; with a netmask it takes this one inside lo's 127/8.
    `interfaces = ${ip}/8`,
    'bind interfaces only = yes',
    // LDAP only: no SMB, DNS, Kerberos, NetBIOS, RPC, so no other fixed ports and a quick start.
    'server services = ldap',
    'tls enabled = yes',
    `tls keyfile = ${certificates.keyFile}`,
    `tls certfile = ${certificates.certFile}`,
    `tls cafile = ${certificates.caFile}`,
    // Everything else a DC writes stays in the temp dir.
    `pid directory = ${join(dir, 'run')}`,
    `ncalrpc dir = ${join(dir, 'run', 'ncalrpc')}`,
    `log file = ${join(dir, 'log.%m')}`,
  ];
  await mkdir(join(dir, 'run', 'ncalrpc'), { recursive: true });
  const args = [
    'domain',
    'provision',
    `--configfile=${empty}`,
    '--use-rfc2307',
    `--realm=${REALM}`,
    `--domain=${REALM.split('.')[0] ?? REALM}`,
    `--host-name=${HOST_NAME}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    `--adminpass=${adminPassword}`,
    `--targetdir=${target}`,
    ...options.map((o) => `--option=${o}`),
  ];
  try {
    await exec(SAMBA_TOOL, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const output = err instanceof Error && 'stderr' in err ? String(err.stderr).slice(-3000) : String(err);
    // The admin password is on the command line: keep it out of the message.
    throw new Error(`samba-tool domain provision failed:\n${output.replaceAll(adminPassword, '***')}`);
  }
  return join(target, 'etc', 'smb.conf');
}

async function launch(conf: string, ip: string): Promise<ChildProcess> {
  // -i: foreground, our child. samba -i stops when its stdin closes, so a pipe also ends it if
  // this process dies without calling stop(). -M single: one process, nothing left behind.
  const child = spawn(SAMBA, ['-i', '-M', 'single', '-s', conf], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`samba exited (${code ?? signal}) while starting:\n${output}`)),
    );
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await Promise.race([canConnect(ip, 636), exited]);
    if (ready) return child;
    if (Date.now() > deadline) {
      await kill(child);
      throw new Error(`samba did not listen on ${ip}:636 within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
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
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** AD takes a password only as the UTF-16LE of the quoted password, and only over an encrypted connection. */
function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

function attributes(values: Record<string, string | string[] | Buffer>): Attribute[] {
  return Object.entries(values).map(([type, value]) =>
    Buffer.isBuffer(value)
      ? new Attribute({ type, values: [value] })
      : new Attribute({ type, values: Array.isArray(value) ? value : [value] }),
  );
}

function personAttributes(s: SambaAdInstance, p: DemoPerson): Attribute[] {
  return attributes({
    objectClass: 'user',
    sAMAccountName: p.accountName,
    userPrincipalName: `${p.accountName}@${demoDomain}`,
    givenName: p.givenName,
    sn: p.familyName,
    displayName: `${p.givenName} ${p.familyName}`,
    mail: p.email,
    ...(p.mobile === null ? {} : { mobile: p.mobile }),
    unicodePwd: unicodePwd(s.passwordOf(p.accountName)),
    // 512 NORMAL_ACCOUNT; 514 = NORMAL_ACCOUNT | ACCOUNTDISABLE.
    userAccountControl: p.enabled ? '512' : '514',
  });
}

/** OUs, the service account, the people, then the groups innermost first (AD fills in memberOf). */
async function seed(s: SambaAdInstance): Promise<void> {
  const client = await s.admin();
  try {
    for (const ou of [s.userBaseDn, s.groupBaseDn, `OU=Service Accounts,${BASE_DN}`]) {
      await client.add(ou, { objectClass: 'organizationalUnit' });
    }
    for (const [dn, name, password] of [
      [s.bindDn, 'svc-journeys', s.bindPassword],
      [s.readOnlyBindDn, 'svc-reader', s.readOnlyBindPassword],
    ] as const) {
      await client.add(
        dn,
        attributes({
          objectClass: 'user',
          sAMAccountName: name,
          unicodePwd: unicodePwd(password),
          userAccountControl: '512',
        }),
      );
    }
    for (const p of demoPeople) await client.add(s.dnOf(p.accountName), personAttributes(s, p));
    for (const p of demoPeople.filter((x) => x.manager)) {
      await client.modify(
        s.dnOf(p.accountName),
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'manager', values: [s.dnOf(p.manager!)] }),
        }),
      );
    }
    const groupDn = (name: string) => `CN=${escapeDnValue(name)},${s.groupBaseDn}`;
    for (const group of innermostFirst()) {
      const members = [
        ...demoPeople.filter((p) => p.groups.includes(group)).map((p) => s.dnOf(p.accountName)),
        ...demoGroups.filter((g) => g.memberOf.includes(group)).map((g) => groupDn(g.name)),
      ];
      await client.add(groupDn(group), {
        objectClass: 'group',
        sAMAccountName: group,
        ...(members.length > 0 ? { member: members } : {}),
      });
    }
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/**
 * Lets svc-journeys write `member` of every group under OU=Groups, now and later, and nothing
 * else: one object ACE on the OU, inherited by group objects only ("CIIO", object type group),
 * granting Write Property on the member attribute. samba-tool edits the DC's database directly,
 * as on any DC; the running samba sees the change at once.
 */
async function delegateMembershipWrites(s: SambaAdInstance, conf: string, samLdb: string): Promise<void> {
  const client = await s.admin();
  let sid: string;
  try {
    const { searchEntries } = await client.search(s.bindDn, {
      scope: 'base',
      attributes: ['objectSid'],
      explicitBufferAttributes: ['objectSid'],
    });
    const raw = searchEntries[0]?.objectSid;
    if (!Buffer.isBuffer(raw)) throw new Error(`no objectSid on ${s.bindDn}`);
    sid = sidToString(raw);
  } finally {
    await client.unbind().catch(() => undefined);
  }
  const ace = `(OA;CIIO;WP;${MEMBER_ATTRIBUTE_GUID};${GROUP_CLASS_GUID};${sid})`;
  try {
    await exec(
      SAMBA_TOOL,
      ['dsacl', 'set', `--configfile=${conf}`, `-H`, samLdb, `--objectdn=${s.groupBaseDn}`, `--sddl=${ace}`],
      { timeout: 60_000 },
    );
  } catch (err) {
    const output = err instanceof Error && 'stderr' in err ? String(err.stderr).slice(-2000) : String(err);
    throw new Error(`samba-tool dsacl set ${ace} on ${s.groupBaseDn} failed:\n${output}`);
  }
}

/** A binary SID (revision, count, 48-bit authority big-endian, 32-bit sub-authorities little-endian) as S-1-5-21-…. */
function sidToString(sid: Buffer): string {
  const count = sid.readUInt8(1);
  const authority = sid.readUIntBE(2, 6);
  const subAuthorities = Array.from({ length: count }, (_, i) => sid.readUInt32LE(8 + 4 * i));
  return ['S', sid.readUInt8(0), authority, ...subAuthorities].join('-');
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

/** The environment a worker would be given for this DC (the `active-directory` preset, in-chain groups). */
export function sambaDirectoryEnv(dc: SambaAdInstance, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LDAP_URL: dc.url,
    LDAP_CA_FILE: dc.caFile,
    LDAP_BIND_DN: dc.bindDn,
    LDAP_BIND_PASSWORD: dc.bindPassword,
    LDAP_USER_BASE_DN: dc.userBaseDn,
    LDAP_GROUP_BASE_DN: dc.groupBaseDn,
    LDAP_PRESET: 'active-directory',
    LDAP_NESTED_GROUPS: 'in-chain',
    LDAP_TIMEOUT_MS: '5000',
    ...extra,
  };
}
