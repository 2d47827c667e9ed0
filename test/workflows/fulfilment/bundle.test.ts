/**
 * The workflow bundle must not carry zod (or any other heavy library the catalog
 * and activities use): each cached workflow gets its own copy of every module it imports.
 */
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../support/temporal';

describe('the workflow bundle', () => {
  it('holds the fulfilment workflow without zod, the catalog or the integrations', async () => {
    const { code } = await workflowBundle();
    const modules = [...code.matchAll(/\/\*\*\*\/ "(\.\/[^"]+)"/g)].map((m) => m[1]!);
    expect(modules).toEqual(
      expect.arrayContaining(['./workflows/fulfilment/workflow.ts', './workflows/fulfilment/definitions.ts']),
    );
    expect(modules.filter((m) => /node_modules\/(zod|libphonenumber-js|ldapts|nodemailer|twilio)\//.test(m))).toEqual(
      [],
    );
    expect(modules.filter((m) => /^\.\/(catalog|integrations|activities)\//.test(m))).toEqual([]);
  });
});
