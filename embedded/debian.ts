import { existsSync, readdirSync } from 'node:fs';

/** Debian installs PostgreSQL under /usr/lib/postgresql/<major>/bin. */
export function postgresBinary(name: string): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return majors.length > 0 ? `${root}/${majors[0]}/bin/${name}` : `${root}/15/bin/${name}`;
}

/** Debian's multiarch library directory for this machine, e.g. /usr/lib/x86_64-linux-gnu. */
export function debianLibDir(): string {
  const triplets: Partial<Record<NodeJS.Architecture, string>> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
  };
  return `/usr/lib/${triplets[process.arch] ?? `${process.arch}-linux-gnu`}`;
}
