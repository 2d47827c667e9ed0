/**
 * Free ports for a throwaway cluster beside whatever else runs on this machine: the chaos run
 * and the benchmarks' `BENCH_TARGET=cluster`.
 */
import { createServer } from 'node:net';
import { freePort } from '../embedded/free-port';
import type { ClusterConfig } from './config';
import { temporalPortsFrom } from './temporal-server';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/**
 * A run of ports, all free now, starting at a multiple of `step` in [from, to): below the
 * kernel's ephemeral range (32768 and up), so an outgoing connection cannot take one later.
 */
export async function freePortRun(
  ports: (base: number) => number[],
  from: number,
  to: number,
  step: number,
): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * ((to - from) / step)) * step;
    let all = true;
    for (const p of ports(base)) if (!(await canListen(p))) all = false;
    if (all) return base;
  }
  throw new Error(`no free run of ports between ${from} and ${to}`);
}

export type ClusterPorts = Pick<
  ClusterConfig,
  'CLUSTER_POSTGRES_PORT' | 'TEMPORAL_PORT' | 'TEMPORAL_UI_PORT' | 'HTTP_PORT' | 'METRICS_PORT'
>;

/** Every port a cluster of `workers` worker processes listens on, free now. */
export async function freeClusterPorts(workers: number): Promise<ClusterPorts> {
  const [HTTP_PORT, CLUSTER_POSTGRES_PORT, TEMPORAL_UI_PORT] = await Promise.all([freePort(), freePort(), freePort()]);
  // Temporal keeps membership ports in a smallint column: its whole range stays below 32768.
  const TEMPORAL_PORT = await freePortRun(
    (base) => Object.values<number>({ ...temporalPortsFrom(base) }),
    20_000,
    31_000,
    100,
  );
  // Worker n listens on METRICS_PORT + n - 1.
  const METRICS_PORT = await freePortRun(
    (base) => Array.from({ length: workers }, (_, i) => base + i),
    12_000,
    19_000,
    10,
  );
  return { HTTP_PORT, CLUSTER_POSTGRES_PORT, TEMPORAL_UI_PORT, TEMPORAL_PORT, METRICS_PORT };
}
