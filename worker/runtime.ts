/**
 * The Temporal Runtime of a worker process: its logs go through the one pino logger
 * (config/logger.ts) and its metrics to Prometheus.
 */
import type { Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

const levelMethod: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapts pino to the Temporal SDK's Logger interface. */
export function temporalLogger(logger: PinoLogger): Logger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    logger[levelMethod[level]](meta ?? {}, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/**
 * Installs the Temporal Runtime once per process: logs through pino, SDK and worker metrics in
 * Prometheus format on `metricsAddress` (e.g. 0.0.0.0:9464).
 */
export function installRuntime(logger: PinoLogger, metricsAddress: string | null): void {
  Runtime.install({
    logger: temporalLogger(logger),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}),
  });
}
