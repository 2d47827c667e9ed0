/**
 * The embedded experience store: one JSON line per write in `<DATA_DIR>/experience.jsonl`, read
 * back into maps keyed by natural key (the last line for a key wins, which is what makes a write
 * an upsert). Needs no server. Several processes may share the file (the worker writes, the API
 * reads): every read first catches up with what others appended (see append-only-log.ts).
 *
 * Suited to the embedded default and demos; everything for a window is filtered in memory, so
 * production with many journeys uses PostgreSQL (EXPERIENCE_DATABASE_URL).
 */
import { z } from 'zod';
import { IntegrationError, isIntegrationError } from '../errors';
import { openAppendOnlyLog } from '../ledger/append-only-log';
import type { ExperienceRows } from '../../experience/aggregate';
import { incidentRecordSchema, journeyRecordSchema, npsAnswerSchema } from '../../experience/schemas';
import { npsKeyOf, type ExperienceBackend, type NpsKey } from './store';
import type { IncidentRecord, JourneyRecord, NpsAnswer } from '../../experience/types';

type Line =
  | { kind: 'journey'; record: JourneyRecord }
  | { kind: 'incident'; record: IncidentRecord }
  | { kind: 'nps'; record: NpsAnswer };

const lineSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('journey'), record: journeyRecordSchema }),
  z.object({ kind: z.literal('incident'), record: incidentRecordSchema }),
  z.object({ kind: z.literal('nps'), record: npsAnswerSchema }),
]);

const npsMapKey = (key: NpsKey): string => `${key.subject}\u0000${key.subjectId}\u0000${key.user}`;

function within(iso: string, from: number, to: number): boolean {
  const t = Date.parse(iso);
  return t >= from && t < to;
}

async function asUnavailable<T>(what: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if (isIntegrationError(err)) throw err;
    // Disk full, permissions fixed by an operator, NFS hiccup: worth retrying.
    throw new IntegrationError(
      'metrics',
      'Unavailable',
      `experience file: ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
      true,
      { cause: err },
    );
  }
}

/** A file-backed {@link ExperienceBackend} over the JSON-lines file at `path` (created on the first write). */
export function createFileExperienceBackend(path: string): ExperienceBackend {
  const log = openAppendOnlyLog(path, (value): Line | null => {
    const parsed = lineSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  const journeys = new Map<string, JourneyRecord>();
  const incidents = new Map<string, IncidentRecord>();
  const answers = new Map<string, NpsAnswer>();

  const apply = (line: Line): void => {
    if (line.kind === 'journey') journeys.set(line.record.journeyId, line.record);
    else if (line.kind === 'incident') incidents.set(line.record.incidentId, line.record);
    else answers.set(npsMapKey(npsKeyOf(line.record)), line.record);
  };

  const catchUp = async (): Promise<void> => {
    const { records, restarted } = await log.readNew();
    if (restarted) {
      journeys.clear();
      incidents.clear();
      answers.clear();
    }
    for (const line of records) apply(line);
  };

  const current = (line: Line): unknown =>
    line.kind === 'journey'
      ? journeys.get(line.record.journeyId)
      : line.kind === 'incident'
        ? incidents.get(line.record.incidentId)
        : answers.get(npsMapKey(npsKeyOf(line.record)));

  const upsert = (line: Line): Promise<void> =>
    asUnavailable('write', () =>
      log.exclusive(async () => {
        await catchUp();
        const existing = current(line);
        // A retried activity writes the same record again: keep the file from growing for nothing.
        if (JSON.stringify(existing) === JSON.stringify(line.record)) return;
        if (line.kind === 'nps' && existing !== undefined && (existing as NpsAnswer).at > line.record.at) return;
        await log.append(line);
        apply(line);
      }),
    );

  const read = <T>(task: () => T): Promise<T> =>
    asUnavailable('read', () =>
      log.exclusive(async () => {
        await catchUp();
        return task();
      }),
    );

  return {
    ready: () => read(() => undefined),
    upsertJourney: (record) => upsert({ kind: 'journey', record }),
    upsertIncident: (record) => upsert({ kind: 'incident', record }),
    upsertNpsAnswer: (record) => upsert({ kind: 'nps', record }),
    getJourney: (journeyId) => read(() => journeys.get(journeyId) ?? null),
    getIncident: (incidentId) => read(() => incidents.get(incidentId) ?? null),
    getNpsAnswer: (key) => read(() => answers.get(npsMapKey(key)) ?? null),
    rows: (window, serviceId) =>
      read((): ExperienceRows => {
        const from = window.from.getTime();
        const to = window.to.getTime();
        const ofService = (r: { serviceId: string }): boolean => serviceId === undefined || r.serviceId === serviceId;
        return {
          journeys: [...journeys.values()].filter((j) => ofService(j) && within(j.finishedAt, from, to)),
          incidents: [...incidents.values()].filter((i) => ofService(i) && within(i.declaredAt, from, to)),
          answers: [...answers.values()].filter((a) => ofService(a) && within(a.at, from, to)),
        };
      }),
    close: () => Promise.resolve(),
  };
}
