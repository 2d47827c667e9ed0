/**
 * The services on offer: one line per service. Adding a service = a folder under services/ and
 * one line here (catalog/README.md, "Add a service"). The export name is not used; the order
 * of the catalog is by title.
 */
export { crmAccess } from './services/crm-access';
export { deskPhone } from './services/desk-phone';
export { expensatron } from './services/expensatron';
export { sharedMailbox } from './services/shared-mailbox';
