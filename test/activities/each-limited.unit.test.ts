import { describe, expect, it } from 'vitest';
import { eachLimited } from '../../activities/each-limited';

/** A promise the test settles by hand, so nothing here depends on timing. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Items whose calls stay open until the test ends each one; records the order they started in. */
function controlled(count: number) {
  const items = Array.from({ length: count }, (_, i) => i);
  const calls = items.map(() => deferred());
  const started: number[] = [];
  const fn = (i: number) => {
    started.push(i);
    return calls[i]!.promise;
  };
  return { items, calls, started, fn };
}

describe('eachLimited', () => {
  it('runs every item once, never more than the limit at a time', async () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await eachLimited(items, { limit: 4 }, async (i) => {
      running += 1;
      most = Math.max(most, running);
      await settle();
      done.push(i);
      running -= 1;
    });
    expect([...done].sort((a, b) => a - b)).toEqual(items);
    expect(most).toBe(4);
  });

  it('starts the next item only when one ends', async () => {
    const { items, calls, started, fn } = controlled(5);
    const run = eachLimited(items, { limit: 2 }, fn);
    await settle();
    expect(started).toEqual([0, 1]);
    calls[1]!.resolve();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    for (const c of calls) c.resolve();
    await run;
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs one at a time below a limit of 1, and does nothing for no items', async () => {
    const { items, calls, started, fn } = controlled(2);
    const run = eachLimited(items, { limit: 0 }, fn);
    await settle();
    expect(started).toEqual([0]);
    for (const c of calls) c.resolve();
    await run;
    let called = false;
    await eachLimited([], { limit: 3 }, () => {
      called = true;
      return Promise.resolve();
    });
    expect(called).toBe(false);
  });

  it('after a failure takes no further item, and rejects with it once the started items have ended', async () => {
    const { items, calls, started, fn } = controlled(6);
    let outcome: unknown = 'pending';
    const run = eachLimited(items, { limit: 3 }, fn).then(
      () => (outcome = 'resolved'),
      (err: unknown) => (outcome = err),
    );
    await settle();
    calls[0]!.reject(new Error('provider down'));
    await settle();
    // Items 1 and 2 are still being sent: the caller is not told yet, and nothing new starts.
    expect(outcome).toBe('pending');
    expect(started).toEqual([0, 1, 2]);
    calls[1]!.reject(new Error('a second failure'));
    calls[2]!.resolve();
    await run;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('provider down');
    expect(started).toEqual([0, 1, 2]);
  });

  it('stops taking items once its signal is aborted, and rejects with the reason', async () => {
    const { items, calls, started, fn } = controlled(6);
    const cancel = new AbortController();
    const run = eachLimited(items, { limit: 2, signal: cancel.signal }, fn);
    const failed = expect(run).rejects.toThrow('activity cancelled by the server');
    await settle();
    cancel.abort(new Error('activity cancelled by the server'));
    calls[0]!.resolve();
    calls[1]!.resolve();
    await failed;
    expect(started).toEqual([0, 1]);
  });

  it('gives a reason that is not an Error a message of its own', async () => {
    const cancel = new AbortController();
    cancel.abort('no');
    await expect(eachLimited([1], { limit: 1, signal: cancel.signal }, () => Promise.resolve())).rejects.toThrow(
      'cancelled',
    );
  });
});
