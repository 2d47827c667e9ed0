/**
 * The catalog as the portal and the API use it: search ranking, request forms, eligibility
 * rules, the consistency checks that guard "add a service", and the start options it builds.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formFields } from '../../client/web/forms';
import {
  InvalidRequestError,
  catalogProblems,
  createCatalog,
  getService,
  listServices,
  needsApproval,
  prepareRequest,
  searchCatalog,
  type CatalogService,
} from '../../catalog';
import { evaluateEligibility } from '../../catalog/eligibility';
import { fulfilmentWorkflowType, planProblems } from '../../workflows/fulfilment/definitions';
import { JourneyKind, Requester, ServiceId, Stage } from '../../workflows/shared/search-attributes';

const expensatron = getService('expensatron')!;
const deskPhone = getService('desk-phone')!;

describe('the registry', () => {
  it('holds Expensatron and the desk phone, consistent, listed by title', () => {
    expect(listServices().map((s) => s.id)).toEqual(['crm-access', 'desk-phone', 'expensatron', 'shared-mailbox']);
    expect(catalogProblems(listServices())).toEqual([]);
    expect(needsApproval(deskPhone)).toBe(true);
    expect(needsApproval(expensatron)).toBe(false);
    expect(getService('nope')).toBeNull();
  });

  it('refuses an inconsistent service, naming what is wrong', () => {
    const broken: CatalogService = {
      ...expensatron,
      id: 'broken',
      form: z.object({ os: z.enum(['ios', 'android']) }),
      plan: {
        ...expensatron.plan,
        serviceId: 'broken',
        steps: [
          { kind: 'send-quick-start' },
          { kind: 'verify-device', maxCorrections: 1 },
          { kind: 'send-download-link', links: { ios: 'ftp://x', android: 'https://a.example' } },
        ],
      },
    };
    const problems = catalogProblems([expensatron, broken, expensatron]);
    expect(problems).toEqual(
      expect.arrayContaining([
        'service broken: plan.steps[0] (send-quick-start): needs a provision-account step before it',
        'service broken: plan.steps[2] (send-download-link): links.ios must be an http(s) URL',
        'service broken: the verify-device step needs form field phone',
        'service expensatron: id used twice',
      ]),
    );
    expect(() => createCatalog([broken])).toThrow(/The service catalog is inconsistent/);
  });

  it('keeps every plan plain data, safe to put in a workflow input', () => {
    for (const s of listServices()) {
      expect(JSON.parse(JSON.stringify(s.plan))).toEqual(s.plan);
      expect(planProblems(s.plan)).toEqual([]);
    }
  });
});

describe('search', () => {
  it('puts the Expensatron page first for "Expensatron", whatever the case', () => {
    expect(searchCatalog('Expensatron')[0]!.id).toBe('expensatron');
    expect(searchCatalog('  expensatron ')[0]!.id).toBe('expensatron');
    expect(searchCatalog('EXPENS')[0]!.id).toBe('expensatron');
  });

  it('finds services by the words people use, best match first', () => {
    expect(searchCatalog('expenses receipts').map((s) => s.id)).toEqual(['expensatron']);
    expect(searchCatalog('desk phone')[0]!.id).toBe('desk-phone');
    expect(
      searchCatalog('phone')
        .map((s) => s.id)
        .sort(),
    ).toEqual(['desk-phone', 'expensatron']);
    expect(searchCatalog('voicemail').map((s) => s.id)).toEqual(['desk-phone']);
    expect(searchCatalog('printer toner')).toEqual([]);
    expect(searchCatalog('').map((s) => s.id)).toEqual(['crm-access', 'desk-phone', 'expensatron', 'shared-mailbox']);
    expect(searchCatalog('I need access to the CRM system')[0]!.id).toBe('crm-access');
  });
});

describe('request forms', () => {
  it('Expensatron asks only the phone number and its type; identity comes from the sign-in', () => {
    expect(formFields(expensatron.form).map((f) => [f.name, f.kind, f.required])).toEqual([
      ['phone', 'tel', true],
      ['os', 'radio', true],
    ]);
    expect(formFields(expensatron.form)[0]!.label).toBe('Mobile phone number');
    expect(expensatron.form.parse({ phone: '07700 900123', os: 'android' })).toEqual({
      phone: '+447700900123',
      os: 'android',
    });
    expect(expensatron.form.parse({ phone: '+44 7700 900456', os: 'ios' })).toEqual({
      phone: '+447700900456',
      os: 'ios',
    });
    const bad = expensatron.form.safeParse({ phone: '12', os: 'windows' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => [i.path[0], i.message.split(' (')[0]])).toEqual([
      ['phone', 'Enter a mobile number such as 07700 900123'],
      ['os', 'Choose iPhone or Android'],
    ]);
  });

  it('the desk phone asks where and which manager approves', () => {
    expect(formFields(deskPhone.form).map((f) => f.name)).toEqual(['deskLocation', 'manager']);
    expect(deskPhone.form.parse({ deskLocation: ' B2, desk 14 ', manager: 'Mia' })).toEqual({
      deskLocation: 'B2, desk 14',
      manager: 'mia',
    });
  });
});

describe('eligibility rules', () => {
  const rule = expensatron.plan.eligibility;
  it('lets enabled Sales members in (nested groups come expanded from the directory)', () => {
    expect(evaluateEligibility(rule, { enabled: true, groups: ['Sales', 'Sales EMEA'] })).toEqual({
      eligible: true,
      reasons: [],
    });
    expect(evaluateEligibility(rule, { enabled: true, groups: ['sales'] }).eligible).toBe(true);
  });
  it('says every reason in plain words', () => {
    expect(evaluateEligibility(rule, { enabled: false, groups: ['Finance'] })).toEqual({
      eligible: false,
      reasons: ['Your account is disabled.', 'It is for members of the Sales group, and you are not a member.'],
    });
    expect(
      evaluateEligibility(
        { anyOfGroups: ['A', 'B', 'C'], requireEnabled: false, howToGetAccess: '' },
        { enabled: false, groups: [] },
      ).reasons,
    ).toEqual(['It is for members of the A group, the B group or the C group, and you are not a member.']);
    expect(evaluateEligibility(deskPhone.plan.eligibility, { enabled: true, groups: [] }).eligible).toBe(true);
  });
});

describe('prepareRequest (what the API starts)', () => {
  it('validates the form and builds the id, summaries and search attributes', () => {
    const p = prepareRequest({
      serviceId: 'expensatron',
      requestId: 'r7c1',
      requester: 'Steve',
      requesterLabel: 'steve@eagle5.example',
      fields: { phone: '07700 900123', os: 'android' },
      taskQueue: 'journeys',
    });
    expect(p.input).toEqual({
      requestId: 'r7c1',
      requester: 'steve',
      plan: expensatron.plan,
      fields: { phone: '+447700900123', os: 'android' },
    });
    expect(p.options).toMatchObject({
      workflowId: 'fulfil-expensatron-r7c1',
      taskQueue: 'journeys',
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: 'Expensatron for steve@eagle5.example (Android)',
    });
    expect(p.options.staticDetails).toContain('phone: +44…0123');
    expect(p.options.staticDetails).not.toContain('900123');
    const attrs = Object.fromEntries(p.options.typedSearchAttributes.map((a) => [a.key.name, a.value]));
    expect(attrs).toEqual({
      [JourneyKind.name]: 'fulfilment',
      [ServiceId.name]: 'expensatron',
      [Requester.name]: 'steve',
      [Stage.name]: 'received',
    });
    expect(fulfilmentWorkflowType).toBe('fulfilmentWorkflow');
  });

  it('refuses a bad form or an unknown service with messages per field', () => {
    const err = (() => {
      try {
        prepareRequest({
          serviceId: 'expensatron',
          requestId: 'r1',
          requester: 'steve',
          fields: { os: 'android' },
          taskQueue: 'q',
        });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).fieldErrors).toEqual({ phone: 'Enter the mobile number of your phone' });
    expect(() =>
      prepareRequest({ serviceId: 'printer', requestId: 'r1', requester: 'steve', fields: {}, taskQueue: 'q' }),
    ).toThrow('There is no service "printer"');
    expect(() =>
      prepareRequest({
        serviceId: 'expensatron',
        requestId: 'has space',
        requester: 'steve',
        fields: { phone: '07700900123', os: 'ios' },
        taskQueue: 'q',
      }),
    ).toThrow('requestId');
  });
});
