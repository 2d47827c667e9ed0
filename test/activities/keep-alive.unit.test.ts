/**
 * The activities' keep-alive (activities/keep-alive.ts): a running activity heartbeats every
 * second whatever it waits for, re-sending its latest progress (never blank details, which would
 * wipe the resume point a retry needs), and a quick one does not heartbeat at all.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { heartbeatProgress, keepAlive, keepAliveAll, keepAliveIntervalMs } from '../../activities/keep-alive';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function heartbeatsOf(env: MockActivityEnvironment): unknown[] {
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  return beats;
}

describe('keepAlive', () => {
  it('heartbeats while the activity waits, re-sending its latest progress', async () => {
    const env = new MockActivityEnvironment();
    const beats = heartbeatsOf(env);
    const activity = keepAlive(async (pages: number) => {
      heartbeatProgress({ page: 1 });
      // A slow CMDB page or a provider's Retry-After: nothing of the activity's own runs meanwhile.
      await sleep(keepAliveIntervalMs * 2.5);
      heartbeatProgress({ page: pages });
      await sleep(keepAliveIntervalMs * 1.4);
      return pages;
    });
    expect(await env.run(activity, 2)).toBe(2);
    expect(beats[0]).toEqual({ page: 1 });
    const second = beats.findIndex((b) => (b as { page: number }).page === 2);
    // The timer beat in between (twice in 2.5 intervals), with the progress as it then was.
    expect(beats.slice(1, second)).toEqual([{ page: 1 }, { page: 1 }]);
    expect(beats.slice(second)).toEqual([{ page: 2 }, { page: 2 }]); // its own, then the timer's once
  });

  it('a retry keeps re-sending the previous attempt’s progress until it reports its own', async () => {
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { cursor: 'page-5' } });
    const beats = heartbeatsOf(env);
    await env.run(keepAlive(() => sleep(keepAliveIntervalMs * 1.5)));
    expect(beats).toEqual([{ cursor: 'page-5' }]);
  });

  it('an activity done in milliseconds never heartbeats, and a failure stops the timer', async () => {
    const env = new MockActivityEnvironment();
    const beats = heartbeatsOf(env);
    await env.run(keepAlive(() => Promise.resolve('done')));
    await expect(env.run(keepAlive(() => Promise.reject(new Error('provider said no'))))).rejects.toThrow(
      'provider said no',
    );
    await sleep(keepAliveIntervalMs * 1.5);
    expect(beats).toEqual([]);
  });

  it('keepAliveAll wraps every activity of a factory and keeps their names', async () => {
    const activities = keepAliveAll({ a: (x: number) => Promise.resolve(x + 1), b: () => Promise.resolve('b') });
    expect(Object.keys(activities)).toEqual(['a', 'b']);
    const env = new MockActivityEnvironment();
    expect(await env.run(activities.a, 1)).toBe(2);
    expect(await env.run(activities.b)).toBe('b');
  });
});
