import type { Cmdb } from '../../integrations/cmdb/types';
import type { Directory } from '../../integrations/directory/types';
import type { JourneyTimeouts } from '../journeys/common';
import type { Journeys, JourneysDeps } from '../journeys/gateway';
import type { PortalEnv } from './context';

/** What the portal's route modules are built over. */
export interface PortalDeps {
  env: PortalEnv;
  journeys: Journeys;
  directory: Directory;
  cmdb: Cmdb;
  config: PortalConfig;
}

/** Settings of the portal and API (from config/core.ts and the secrets). */
export interface PortalConfig {
  /** Where people reach the portal, e.g. https://it.eagle5.example (cookies are Secure when https). */
  publicUrl: string;
  /** Signs the session and CSRF cookies. */
  sessionSecret: string;
  /** Verifies the signed links in emails (incident confirmation). */
  linkSecret: string;
  /** Link target for "see this journey in Temporal" on the IT console; null hides the links. */
  temporalUiUrl: string | null;
  namespace: string;
  /** Directory group of IT staff (nested groups count). Default "IT Staff". */
  itStaffGroup?: string;
  /** Directory group of people who approve requests. Default "Managers". */
  approverGroup?: string;
  /** Default 8 hours. */
  sessionTtlSeconds?: number;
  timeouts?: Partial<JourneyTimeouts>;
  /** Settings for new incidents (waits, shards); tests use seconds instead of hours. */
  incidentDefaults?: JourneysDeps['incidentDefaults'];
  /** The service catalog; default: catalog/registry.ts as it is. Tests pass shorter waits. */
  catalog?: JourneysDeps['catalog'];
  /** Tests and demos: first retry interval of new journeys' activities, in ms. */
  retryInitialIntervalMs?: number;
  /** Webhook subscriptions new journeys tell (wiring/webhooks-config.ts `eventRoutesOf`). */
  events?: JourneysDeps['events'];
}
