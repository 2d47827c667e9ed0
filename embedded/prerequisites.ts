/**
 * Makes sure this machine has what `npm start`, `npm test` and `npm run cluster` need, and says
 * exactly what to do when it cannot fix something itself. Run as `npm run prereqs`; `npm test`
 * runs it first (`--for-tests`), `npm run cluster` too (`--for-cluster`). A missing prerequisite
 * stops the run here: it never turns into skipped tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { debianLibDir, postgresBinary } from './debian';
import { resolveTemporalBinaries } from './temporal-server-binaries';
import { resolveTemporalCli } from './temporal-cli';
import { environment } from '../config/env';

/** Debian packages and the file that proves each is installed. */
const testPackages: { pkg: string; proof: string; why: string }[] = [
  {
    pkg: 'postgresql',
    proof: postgresBinary('initdb'),
    why: 'PostgreSQL server the experience-metrics store is tested against',
  },
  { pkg: 'slapd', proof: '/usr/sbin/slapd', why: 'OpenLDAP server the directory tests run against' },
  { pkg: 'ldap-utils', proof: '/usr/bin/ldapadd', why: 'ldapadd/ldapsearch used to seed the test directory' },
  { pkg: 'chromium', proof: '/usr/bin/chromium', why: 'headless browser for the portal tests' },
  { pkg: 'openssl', proof: '/usr/bin/openssl', why: 'throwaway TLS certificates for LDAPS/StartTLS tests' },
  { pkg: 'samba', proof: '/usr/sbin/samba', why: 'Active Directory domain controller the AD preset is tested against' },
  // Only recommended by samba, and prereqs installs without recommends: a DC cannot be provisioned without these three.
  {
    pkg: 'samba-ad-provision',
    proof: '/usr/share/samba/setup/provision.ldif',
    why: 'schema and templates samba-tool provisions the test AD domain from',
  },
  {
    pkg: 'samba-dsdb-modules',
    proof: `${debianLibDir()}/samba/ldb/acl.so`,
    why: 'the AD database modules the Samba domain controller runs on',
  },
  {
    pkg: 'samba-vfs-modules',
    proof: `${debianLibDir()}/samba/vfs/acl_xattr.so`,
    why: 'acl_xattr, which samba-tool needs to set the sysvol ACLs while provisioning',
  },
];

function log(line: string): void {
  console.error(`[prereqs] ${line}`);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function run(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...environment(), DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

/** What `npm run cluster` needs of those: PostgreSQL, and slapd/openssl for its local stand-ins. */
const clusterPackages = new Set(['postgresql', 'slapd', 'ldap-utils', 'openssl']);

function ensureDebianPackages(packages: typeof testPackages): void {
  const missing = packages.filter((p) => !existsSync(p.proof));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  const command = `apt-get update && apt-get install -y --no-install-recommends ${names.join(' ')}`;
  for (const p of missing) log(`missing Debian package ${p.pkg}: ${p.why}`);
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    log(`cannot install them myself. Run:\n\n  sudo sh -c '${command}'\n`);
    process.exit(1);
  }
  log(`installing ${names.join(', ')} with apt-get (about a minute)…`);
  // slapd's post-install would otherwise ask for an admin password; the tests run their own instances.
  if (!(
    run('apt-get', ['update', '-qq']) && run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names])
  )) {
    log(`apt-get failed. Try by hand:\n\n  ${command}\n`);
    process.exit(1);
  }
  const still = missing.filter((p) => !existsSync(p.proof));
  if (still.length > 0) {
    log(`still missing after install: ${still.map((p) => p.proof).join(', ')}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const forTests = process.argv.includes('--for-tests');
  const forCluster = process.argv.includes('--for-cluster');
  if (!forCluster || forTests) {
    const cli = await resolveTemporalCli(log);
    log(`Temporal CLI: ${cli.path ?? 'SDK download'} (${cli.source})`);
  }
  if (forTests) ensureDebianPackages(testPackages);
  else if (forCluster) ensureDebianPackages(testPackages.filter((p) => clusterPackages.has(p.pkg)));
  if (forTests || forCluster) {
    // The cluster tests and `npm run cluster` run the real Temporal server on PostgreSQL.
    const server = await resolveTemporalBinaries(log);
    log(`Temporal server: ${server.server}; UI server: ${server.uiServer ?? 'not available'}`);
  }
  log('ready');
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
