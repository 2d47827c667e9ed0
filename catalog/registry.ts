/**
 * The services on offer: one line per service. Adding a service = a folder under services/ and
 * one line here (catalog/README.md, "Add a service"). The export name is not used; the order
 * of the catalog is by title.
 */
export { deskPhone } from './services/desk-phone';
export { expensatron } from './services/expensatron';
