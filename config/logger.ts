/**
 * The one logger: pino, JSON lines in production, human-readable in development. The worker
 * routes the Temporal Runtime's logger here (worker/runtime.ts), so workflow and activity logs
 * (`log` from @temporalio/workflow and @temporalio/activity) carry workflowId, runId,
 * workflowType and activityType as fields.
 */
import { pino, type Logger as PinoLogger } from 'pino';

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
