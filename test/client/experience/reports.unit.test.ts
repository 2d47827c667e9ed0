/**
 * Services the catalog does not know (an incident's business service in the CMDB) get their
 * CMDB name in the report; a CMDB that fails or is slow leaves the id, never fails the report.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExperienceReports } from '../../../client/experience/reports';
import { createFileCmdb } from '../../../integrations/cmdb/file-cmdb';
import type { ExperienceStore, IncidentRecord } from '../../../experience/types';
import { createThrowawayExperienceStore } from '../../support/experience';
import { demoCmdbData } from '../../../embedded/demo-org';

const now = new Date('2026-11-20T12:00:00Z');
function incident(incidentId: string, serviceId: string): IncidentRecord {
  return {
    incidentId,
    serviceId,
    declaredAt: '2026-11-19T09:00:00.000Z',
    firstAnnouncementAt: '2026-11-19T09:00:02.000Z',
    timeToFirstAnnouncementMs: 2000,
    subscribersTold: 4,
    affected: 2,
    confirmedFixed: 2,
    stillBroken: 0,
    noAnswer: 0,
    followedUp: 0,
    lastSettledAt: '2026-11-19T10:00:00.000Z',
    settleTimeMs: 3_600_000,
    reopened: 0,
  };
}

let store: ExperienceStore;
beforeAll(async () => {
  store = createThrowawayExperienceStore();
  await store.ready();
  await store.recordIncident(incident('i-crm', 'crm'));
  await store.recordIncident(incident('i-vpn', 'vpn'));
});

const definitions = () => [{ serviceId: 'expensatron', name: 'Expensatron', xla: [] }];
const names = (r: { services: { serviceId: string; name: string }[] }) => r.services.map((s) => [s.serviceId, s.name]);

describe('experience report service names', () => {
  it('takes the names of non-catalog services from the CMDB, sorted by name', async () => {
    const cmdb = createFileCmdb(join(mkdtempSync(join(tmpdir(), 'sj-cmdb-')), 'cmdb.json'), demoCmdbData());
    const reports = createExperienceReports({
      store,
      definitions,
      now: () => now,
      serviceName: async (id) => (await cmdb.getService(id))?.name ?? null,
    });
    expect(names(await reports.report({ days: 7 }))).toEqual([
      ['crm', 'CRM'],
      ['expensatron', 'Expensatron'],
      ['vpn', 'vpn'],
    ]);
  });

  it('shows the id when the look-up fails or takes too long', async () => {
    const failing = createExperienceReports({
      store,
      definitions,
      now: () => now,
      serviceName: () => Promise.reject(new Error('CMDB down')),
    });
    expect(names(await failing.report({ days: 7 }))).toEqual([
      ['crm', 'crm'],
      ['expensatron', 'Expensatron'],
      ['vpn', 'vpn'],
    ]);
    const slow = createExperienceReports({
      store,
      definitions,
      now: () => now,
      serviceName: () => new Promise(() => undefined),
    });
    const started = Date.now();
    expect(names(await slow.report({ days: 7, service: 'crm' }))).toEqual([['crm', 'crm']]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
