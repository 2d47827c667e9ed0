/**
 * Setup file of the unit project: a unit test starts no server and no process, so the fast loop
 * (`npm run test:unit`) needs nothing installed and nothing running. A test that tries either
 * fails at once with the way out, instead of quietly making the loop slow.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what: string): never {
  throw new Error(
    `A unit test (*.unit.test.ts) must not ${what}: name the file *.test.ts to run it in the integration project.`,
  );
}

net.Server.prototype.listen = function listen(): never {
  refuse('start a server');
};
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, {
    value: () => refuse(`start a process (child_process.${name})`),
    configurable: true,
    writable: true,
  });
}
// `import { spawn } from 'node:child_process'` reads the ESM bindings: bring them up to date.
syncBuiltinESMExports();
