/**
 * Free ports for a throwaway cluster beside whatever else runs on this machine (the benchmarks'
 * `BENCH_TARGET=cluster`; the chaos run picks its ports the same way and can use these).
 */
import { createServer } from 'node:net';
import { freePort } from '../embedded/free-port';
import type { ClusterConfig } from './config';
import { temporalPortsFrom } from './temporal-server';

function canListen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function allFree(ports: number[]): Promise<boolean> {
  for (const p of ports) if (!(await canListen(p))) return false;
  return true;
}

/** A TEMPORAL_PORT whose whole range of server ports ({@link temporalPortsFrom}) is free now. */
export async function freeTemporalBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Temporal keeps membership ports in a smallint column: every port must stay below 32768.
    const base = 20_000 + Math.floor(Math.random() * 110) * 100;
    if (await allFree(Object.values<number>({ ...temporalPortsFrom(base) }))) return base;
  }
  throw new Error('no free range of ports for the Temporal server');
}

/** A METRICS_PORT with `count` free consecutive ports (worker n uses METRICS_PORT + n - 1), clear of the Temporal range. */
async function freeMetricsBase(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 40_000 + Math.floor(Math.random() * 2000) * 10;
    if (await allFree(Array.from({ length: count }, (_, i) => base + i))) return base;
  }
  throw new Error('no free range of metrics ports for the workers');
}

export type ClusterPorts = Pick<ClusterConfig, 'CLUSTER_POSTGRES_PORT' | 'TEMPORAL_PORT' | 'TEMPORAL_UI_PORT' | 'HTTP_PORT' | 'METRICS_PORT'>;

/** Every port a cluster of `workers` worker processes listens on, free now. */
export async function freeClusterPorts(workers: number): Promise<ClusterPorts> {
  const [HTTP_PORT, CLUSTER_POSTGRES_PORT, TEMPORAL_UI_PORT, TEMPORAL_PORT, METRICS_PORT] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freeTemporalBase(),
    freeMetricsBase(workers),
  ]);
  return { HTTP_PORT, CLUSTER_POSTGRES_PORT, TEMPORAL_UI_PORT, TEMPORAL_PORT, METRICS_PORT };
}
