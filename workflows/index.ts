/**
 * The single entry of the workflow bundle: every workflow type the worker runs is exported here.
 * Workflow names are their exported function names: never rename one with journeys in flight.
 */
export * from './fulfilment/workflow';
export * from './incident/workflow';
export * from './fulfilment/feedback';
export * from './access/grant';
