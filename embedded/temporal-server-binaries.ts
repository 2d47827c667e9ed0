/**
 * The real Temporal server, its SQL schema tool and the standalone web UI server, obtained like
 * the CLI (embedded/temporal-cli.ts): an explicit path from the environment wins, then a copy
 * built before into the cache outside the clone, then a one-time `go install` from the Go module
 * proxy. The server and the SQL tool come from one module (go.temporal.io/server) at one version,
 * so one `go install` builds both. v1.29.1's go.mod has no `replace` directive, which
 * `go install pkg@version` would refuse.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, findGo, goEnv, goInstall, isExecutable, type Log } from './go-install';
import { environment } from '../config/env';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalBinaries {
  server: string;
  sqlTool: string;
  /** The SQL schema files of this server version (`…/schema/postgresql/v12/{temporal,visibility}`). */
  schemaDir: string;
  /** The web UI server, or null when it could not be had (the cluster runs without a UI then). */
  uiServer: string | null;
}

function fromEnv(variable: string): string | null {
  const path = environment()[variable];
  if (!path) return null;
  if (!isExecutable(path)) throw new Error(`${variable}=${path} is not an executable file`);
  return path;
}

function requireGo(what: string): string {
  const go = findGo();
  if (!go)
    throw new Error(
      `${what} is not built yet and there is no Go toolchain to build it (install Go, or set its *_PATH variable)`,
    );
  return go;
}

/** The schema folder inside the module cache, where `go install` left the server's source. */
function moduleSchemaDir(go: string | null): string | null {
  const modCache = go ? goEnv(go, 'GOMODCACHE') : null;
  const dir = modCache ? join(modCache, `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema') : null;
  return dir && existsSync(join(dir, 'postgresql', 'v12')) ? dir : null;
}

/**
 * Finds or builds the server and SQL tool (about 5 minutes the first time on 2 cores) and the UI
 * server (about 30 s). TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH, TEMPORAL_SCHEMA_DIR and
 * TEMPORAL_UI_SERVER_PATH name copies of one's own.
 */
export async function resolveTemporalBinaries(log: Log = (l) => console.error(l)): Promise<TemporalBinaries> {
  const serverDir = join(cacheRoot(), 'temporal-server', TEMPORAL_SERVER_VERSION);
  let server = fromEnv('TEMPORAL_SERVER_PATH') ?? join(serverDir, 'server');
  let sqlTool = fromEnv('TEMPORAL_SQL_TOOL_PATH') ?? join(serverDir, 'sql');
  if (!isExecutable(server) || !isExecutable(sqlTool)) {
    const go = requireGo(`The Temporal server ${TEMPORAL_SERVER_VERSION}`);
    await goInstall(
      go,
      {
        what: `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool`,
        packages: [
          `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
          `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
        ],
        targetDir: serverDir,
        expected: '4–8 minutes on 2 cores',
      },
      log,
    );
    server = join(serverDir, 'server');
    sqlTool = join(serverDir, 'sql');
  }
  const schemaDir = environment().TEMPORAL_SCHEMA_DIR || moduleSchemaDir(findGo());
  if (!schemaDir) {
    throw new Error(
      `the SQL schema of the Temporal server ${TEMPORAL_SERVER_VERSION} is not in the Go module cache; ` +
        `run \`go mod download ${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}\` or set TEMPORAL_SCHEMA_DIR`,
    );
  }

  // The UI server's binary is also called `server`: it has its own folder.
  const uiDir = join(cacheRoot(), 'temporal-ui-server', TEMPORAL_UI_SERVER_VERSION);
  let uiServer: string | null = fromEnv('TEMPORAL_UI_SERVER_PATH') ?? join(uiDir, 'server');
  if (!isExecutable(uiServer)) {
    try {
      await goInstall(
        requireGo(`The Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`),
        {
          what: `the Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`,
          packages: [`${UI_MODULE}/cmd/server@${TEMPORAL_UI_SERVER_VERSION}`],
          targetDir: uiDir,
          expected: 'under a minute',
        },
        log,
      );
    } catch (err) {
      log(
        `The Temporal UI server could not be built (${err instanceof Error ? err.message : String(err)}); the cluster runs without its web UI.`,
      );
      uiServer = null;
    }
  }
  return { server, sqlTool, schemaDir, uiServer };
}
