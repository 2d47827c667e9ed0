/**
 * Parsing the environment: every process and every integration's `config.ts` validates its
 * variables with a zod schema through {@link parseEnv}, so a bad value is reported the same way
 * everywhere, naming the variable.
 */
import type { z } from 'zod';

export type Env = Record<string, string | undefined>;

/**
 * The process's environment. Outside config/, tests and scripts, code reads variables through
 * here or from the `env` it is handed (eslint forbids `process.env` elsewhere), so what a process
 * can be configured with is what config/ and the integrations' `config.ts` files parse.
 */
export function environment(): Env {
  return process.env;
}

/** One line per problem, each naming the variable: what a person needs to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function formatZodIssues(error: z.ZodError, env: Env): string {
  return error.issues
    .map((issue) => {
      const variable = issue.path.join('.');
      const raw = env[variable];
      const shown =
        raw === undefined ? 'not set' : /SECRET|PASSWORD|TOKEN|KEY/.test(variable) ? 'value hidden' : `got "${raw}"`;
      return `${variable}: ${issue.message} (${shown})`;
    })
    .join('\n');
}

/** Parses with any zod schema over the environment and throws a {@link ConfigError} naming each bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigError(formatZodIssues(result.error, env));
  return result.data;
}
