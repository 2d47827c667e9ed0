import { describe, expect, it } from 'vitest';
import {
  accountHash,
  incidentInputProblems,
  incidentShardWorkflowId,
  incidentStartOptions,
  incidentWorkflowId,
  shardOf,
  shardWorkflowIdForUser,
  validateAffected,
  validateConfirm,
  validateNps,
  type IncidentInput,
} from '../../../workflows/incident/definitions';

const input: IncidentInput = {
  incidentId: 'crm-20250115-a1',
  serviceId: 'crm',
  title: 'CRM web app down',
  message: 'Some CRM users cannot open the web app. The mobile app works.',
  workaround: {
    text: 'Use the mobile CRM app.',
    links: { android: 'https://play.example/crm', ios: 'https://apps.example/crm' },
  },
  declaredBy: 'ivy',
};

describe('incident ids and shard routing', () => {
  it('builds the business-key ids', () => {
    expect(incidentWorkflowId('crm-1')).toBe('incident-crm-1');
    expect(incidentShardWorkflowId('crm-1', 3)).toBe('incident-crm-1-shard-3');
  });

  it('hashes with 32-bit FNV-1a (known vectors), case-insensitively', () => {
    expect(accountHash('')).toBe(0x811c9dc5);
    expect(accountHash('a')).toBe(0xe40c292c);
    expect(accountHash('foobar')).toBe(0xbf9cf968);
    expect(accountHash('Steve')).toBe(accountHash('steve'));
  });

  it('routes every account to one shard in range, the same one every time', () => {
    for (const n of [1, 2, 16, 97]) {
      for (const name of ['steve', 'tony', 'mia', 'user-12345']) {
        const shard = shardOf(name, n);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(n);
        expect(shardWorkflowIdForUser('x', name, n)).toBe(`incident-x-shard-${shard}`);
      }
    }
    expect(() => shardOf('steve', 0)).toThrow(RangeError);
  });

  it('spreads many accounts evenly enough over the shards', () => {
    const n = 16;
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`user${i}`, n)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(700);
    for (const c of counts) expect(c).toBeLessThan(1300);
  });
});

describe('incident input and message validation', () => {
  it('accepts a good declaration and explains every problem of a bad one', () => {
    expect(incidentInputProblems(input)).toEqual([]);
    const problems = incidentInputProblems({
      ...input,
      incidentId: 'has spaces',
      title: 'x',
      workaround: { text: 'ok', links: { android: 'javascript:alert(1)' } },
      timings: { followUpAfterSeconds: 100, finalDeadlineSeconds: 10 },
      scale: { shardCount: 0 },
    });
    expect(problems.join('\n')).toMatch(/incidentId/);
    expect(problems.join('\n')).toMatch(/title/);
    expect(problems.join('\n')).toMatch(/workaround.links.android/);
    expect(problems.join('\n')).toMatch(/finalDeadlineSeconds/);
    expect(problems.join('\n')).toMatch(/scale.shardCount/);
  });

  it('validators throw a non-retryable InvalidInput failure for malformed clicks', () => {
    expect(() => validateAffected({ accountName: 'Steve Jones' })).toThrow(/accountName/);
    expect(() => validateConfirm({ accountName: 'steve', answer: 'maybe' as 'fixed' })).toThrow(/answer/);
    expect(() => validateConfirm({ accountName: 'steve', answer: 'still-broken', score: 3 })).toThrow(
      /only with the answer fixed/,
    );
    expect(() => validateNps({ accountName: 'steve', score: 11 })).toThrow(/0 to 10/);
    expect(() => validateNps({ accountName: 'steve', score: 7.5 })).toThrow(/whole number/);
    expect(() => validateNps({ accountName: 'steve', score: 9, comment: 'x'.repeat(501) })).toThrow(/comment/);
    let caught: unknown;
    try {
      validateNps({ accountName: 'steve', score: -1 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(() =>
      validateConfirm({ accountName: 'steve', answer: 'fixed', score: 9, comment: 'quick fix' }),
    ).not.toThrow();
  });

  it('start options carry the id, reject-duplicate, a readable summary and the search attributes', () => {
    const o = incidentStartOptions(input, 'journeys', 4);
    expect(o.workflowId).toBe('incident-crm-20250115-a1');
    expect(o.workflowIdReusePolicy).toBe('REJECT_DUPLICATE');
    expect(o.staticSummary).toBe('crm incident: CRM web app down — 4 subscribers');
    expect(o.typedSearchAttributes.map((p) => [p.key.name, p.value])).toEqual([
      ['JourneyKind', 'incident'],
      ['ServiceId', 'crm'],
      ['IncidentId', 'crm-20250115-a1'],
      ['Stage', 'open'],
    ]);
  });
});
