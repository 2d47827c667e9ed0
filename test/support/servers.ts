/** Every test server, one line each: `import { startXxxServer } from '../support/servers'`. */
export * from './smtp-server';
export * from './twilio-server';
export * from './postgres';
export * from './slapd';
export * from './servicenow-server';
export * from './scim-server';
export * from './samba-ad';
