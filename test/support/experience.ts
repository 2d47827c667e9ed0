import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExperienceStore } from '../../integrations/experience/store';
import { createFileExperienceBackend } from '../../integrations/experience/file-backend';
import type { ExperienceStore } from '../../experience/types';

/** The embedded (file) experience store in a throwaway folder, for tests and benchmarks. */
export function createThrowawayExperienceStore(): ExperienceStore {
  return createExperienceStore(
    createFileExperienceBackend(join(mkdtempSync(join(tmpdir(), 'sj-experience-')), 'experience.jsonl')),
  );
}
