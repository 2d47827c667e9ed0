/**
 * The one logger: pino, JSON lines in production, human-readable in development. The Temporal
 * Runtime's logger is routed here, so workflow and activity logs (`log` from
 * @temporalio/workflow and @temporalio/activity) carry workflowId, runId, workflowType and
 * activityType as fields.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

export interface LoggerOptions {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  pretty: boolean;
}

/** Keys whose values never reach a log line. */
export const redactedPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'secret',
  '*.secret',
];

export function createLogger(options: LoggerOptions): PinoLogger {
  return pino({
    level: options.level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    ...(options.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,sdkComponent' },
          },
        }
      : {}),
  });
}

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
