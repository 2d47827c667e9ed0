import { existsSync, readdirSync } from 'node:fs';

/** Debian installs PostgreSQL under /usr/lib/postgresql/<major>/bin. */
export function postgresBinary(name: string): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  return majors.length > 0 ? `${root}/${majors[0]}/bin/${name}` : `${root}/15/bin/${name}`;
}
