export type DeviceOs = 'ios' | 'android';

/** A mobile device registered in the CMDB. */
export interface Device {
  /** E.164, e.g. +447700900123 */
  phone: string;
  os: DeviceOs;
  model: string;
  /** accountName of the registered owner */
  owner: string;
}

/** A person with a subscriber relationship to a business service. */
export interface Subscriber {
  accountName: string;
  displayName: string;
  email: string;
  /** E.164 or null */
  mobile: string | null;
  /** Notify by SMS as well as email. */
  prefersSms: boolean;
}

export interface BusinessService {
  id: string;
  name: string;
}

export interface SubscriberPage {
  subscribers: Subscriber[];
  /** Opaque cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Configuration management database: devices and service-subscriber relationships.
 * Read-only, safe to retry.
 */
export interface Cmdb {
  /** The device registered with this phone number (E.164), whoever owns it; null when unknown. */
  findDeviceByPhone(phone: string): Promise<Device | null>;
  /** Devices registered to a user. */
  devicesOf(accountName: string): Promise<Device[]>;
  /** Business services the user subscribes to. */
  subscriptionsOf(accountName: string): Promise<BusinessService[]>;
  getService(serviceId: string): Promise<BusinessService | null>;
  /**
   * Services whose id or name contains `query` (any case; empty: all), by name, at most `limit`
   * (1–100): the IT console's service picker.
   */
  searchServices(query: string, limit: number): Promise<BusinessService[]>;
  /** How many active people subscribe to the service: whom declaring an incident on it tells. */
  countSubscribers(serviceId: string): Promise<number>;
  /**
   * One page of a service's subscribers. Pages are stable for a given cursor so a retried
   * activity reads the same page. Never load all subscribers of a service into memory.
   */
  subscribersPage(serviceId: string, cursor: string | null, limit: number): Promise<SubscriberPage>;
}
