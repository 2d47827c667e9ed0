import type { Cmdb } from '../../integrations/cmdb/types';
import type { Directory } from '../../integrations/directory/types';
import type { PortalConfig } from '../app';
import type { Journeys } from '../journeys';
import type { PortalEnv } from './context';

/** What the portal's route modules are built over. */
export interface PortalDeps {
  env: PortalEnv;
  journeys: Journeys;
  directory: Directory;
  cmdb: Cmdb;
  config: PortalConfig;
}
