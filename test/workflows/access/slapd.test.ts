/** The access journeys against slapd (OpenLDAP: `manager` attributes, groups of names). */
import { startIntegrationEnv } from '../../support/integration-env';
import { accessJourneySuite } from './suite';

accessJourneySuite('access journeys on slapd (openldap preset)', () => startIntegrationEnv(), {
  managers: true,
  record: true,
});
