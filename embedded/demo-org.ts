/**
 * Eagle5, the demo organisation the journeys are told with (Steve, Tony, Dana, Mia and Ivy), for the embedded default (`npm start`).
 * Plain data: the embedded directory and CMDB stand-ins are seeded from it. Phone numbers are
 * from Ofcom's drama range (+44 7700 900xxx), which no real phone uses.
 */
import type { FileCmdbSeed } from '../integrations/cmdb/file-cmdb';
import type { DeviceOs } from '../integrations/cmdb/types';
import type { Organisation, OrganisationGroup, OrganisationPerson } from '../integrations/directory/embedded-directory';

/** A person of the demo organisation: as the embedded directory serves them, plus their SMS preference (CMDB). */
export interface DemoPerson extends OrganisationPerson {
  prefersSms: boolean;
}

export type DemoGroup = OrganisationGroup;

export interface DemoDevice {
  phone: string;
  os: DeviceOs;
  model: string;
  owner: string;
}

export interface DemoService {
  id: string;
  name: string;
  subscribers: string[];
}

export const demoDomain = 'eagle5.example';

export const demoGroups: DemoGroup[] = [
  { name: 'Sales', memberOf: [] },
  // Nested: members of Sales EMEA are members of Sales.
  { name: 'Sales EMEA', memberOf: ['Sales'] },
  { name: 'Finance', memberOf: [] },
  { name: 'IT Staff', memberOf: [] },
  { name: 'Service Desk', memberOf: ['IT Staff'] },
  { name: 'Managers', memberOf: [] },
  // Application roles, granted by access requests (catalog: CRM access, Shared mailbox).
  { name: 'CRM Users', memberOf: [] },
  { name: 'CRM Sales Managers', memberOf: [] },
  { name: 'Sales Mailbox', memberOf: [] },
];

const person = (
  accountName: string,
  givenName: string,
  familyName: string,
  groups: string[],
  mobile: string | null,
  extra: Partial<DemoPerson> = {},
): DemoPerson => ({
  accountName,
  givenName,
  familyName,
  email: `${accountName}@${demoDomain}`,
  mobile,
  enabled: true,
  groups,
  prefersSms: false,
  ...extra,
});

export const demoPeople: DemoPerson[] = [
  person('steve', 'Steve', 'Jones', ['Sales EMEA'], '+447700900123', { prefersSms: true, manager: 'mia' }),
  person('tony', 'Tony', 'Rossi', ['Sales'], '+447700900456', { manager: 'mia' }),
  // No manager in the directory: access requests go to the Managers group.
  person('dana', 'Dana', 'Kim', ['Finance'], '+447700900789'),
  person('olaf', 'Olaf', 'Berg', ['Sales'], '+447700900321', { enabled: false, manager: 'mia' }),
  person('ivy', 'Ivy', 'Chen', ['Service Desk'], '+447700900654'),
  person('mia', 'Mia', 'Novak', ['Managers', 'Sales'], '+447700900987'),
  // Already has the CRM and shared-mailbox roles (a group of names needs a member).
  person('carl', 'Carl', 'Diaz', ['Sales', 'CRM Users', 'CRM Sales Managers', 'Sales Mailbox'], null, {
    manager: 'mia',
  }),
];

export const demoDevices: DemoDevice[] = [
  { phone: '+447700900123', os: 'android', model: 'Pixel 8', owner: 'steve' },
  { phone: '+447700900456', os: 'ios', model: 'iPhone 15', owner: 'tony' },
  { phone: '+447700900789', os: 'ios', model: 'iPhone 13', owner: 'dana' },
  { phone: '+447700900987', os: 'ios', model: 'iPhone 14', owner: 'mia' },
];

export const demoServices: DemoService[] = [
  { id: 'crm', name: 'CRM', subscribers: ['steve', 'tony', 'mia', 'ivy'] },
  { id: 'expensatron', name: 'Expensatron', subscribers: ['steve', 'tony', 'mia', 'dana'] },
  { id: 'email', name: 'Email', subscribers: ['steve', 'tony', 'dana', 'ivy', 'mia'] },
];

/** Every group a person is in, following nesting (what AD's LDAP_MATCHING_RULE_IN_CHAIN returns). */
export function effectiveGroups(p: DemoPerson): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const parent of demoGroups.find((g) => g.name === name)?.memberOf ?? []) visit(parent);
  };
  p.groups.forEach(visit);
  return [...seen].sort();
}

/** The organisation the embedded directory serves. */
export const demoOrganisation: Organisation = { domain: demoDomain, groups: demoGroups, people: demoPeople };

/** The demo organisation in the embedded CMDB file's format. */
export function demoCmdbData(): FileCmdbSeed {
  return {
    people: demoPeople.map((p) => ({
      accountName: p.accountName,
      displayName: `${p.givenName} ${p.familyName}`,
      email: p.email,
      mobile: p.mobile,
      prefersSms: p.prefersSms,
      active: p.enabled,
    })),
    devices: demoDevices.map((d) => ({ ...d })),
    services: demoServices.map((s) => ({ id: s.id, name: s.name, subscribers: [...s.subscribers] })),
  };
}
