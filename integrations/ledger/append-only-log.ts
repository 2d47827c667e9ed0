/**
 * A JSON-lines file that one or more processes append to and read back incrementally. The
 * send ledger and the embedded outbox are built on it.
 *
 * Why it is safe for several processes (the worker and the API may both open the same file):
 * every record is one `write()` of one complete line on a descriptor opened with O_APPEND, so
 * the kernel places each line at the current end of the file without interleaving; readers
 * consume only up to the last newline, so a line still being written is read next time.
 * A line torn by a crash is skipped, and the next append starts on a fresh line.
 */
import { open, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AppendOnlyLog<T> {
  /**
   * Reads what was appended (by any process) since the previous call. `restarted` is true when
   * the file shrank or was replaced, in which case `records` holds the whole file again and
   * callers must forget what they built from earlier reads.
   */
  readNew(): Promise<{ records: T[]; restarted: boolean }>;
  /** Appends one record as one line. */
  append(record: T): Promise<void>;
  /**
   * Runs `task` with no other `exclusive` task of this log running in this process, so a
   * read-check-append sequence is not interleaved with another one from the same process.
   */
  exclusive<R>(task: () => Promise<R>): Promise<R>;
}

/**
 * Opens (lazily: nothing touches the disk until the first call) the log at `path`. `parse`
 * validates one decoded line and returns null for lines to skip.
 */
export function openAppendOnlyLog<T>(path: string, parse: (value: unknown) => T | null): AppendOnlyLog<T> {
  let offset = 0;
  let inode: number | null = null;
  let directoryReady = false;
  let queue: Promise<unknown> = Promise.resolve();

  const readNew = async (): Promise<{ records: T[]; restarted: boolean }> => {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isNotFound(err)) {
        const restarted = offset > 0;
        offset = 0;
        inode = null;
        return { records: [], restarted };
      }
      throw err;
    }
    try {
      const stat = await handle.stat();
      let restarted = false;
      if ((inode !== null && stat.ino !== inode) || stat.size < offset) {
        restarted = offset > 0;
        offset = 0;
      }
      inode = stat.ino;
      if (stat.size === offset) return { records: [], restarted };
      const buffer = Buffer.alloc(stat.size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      const chunk = buffer.subarray(0, bytesRead);
      const lastNewline = chunk.lastIndexOf(0x0a);
      if (lastNewline < 0) return { records: [], restarted };
      offset += lastNewline + 1;
      const records: T[] = [];
      for (const line of chunk.subarray(0, lastNewline).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          continue; // a line torn by a crash: nothing of it can be trusted
        }
        const record = parse(value);
        if (record !== null) records.push(record);
      }
      return { records, restarted };
    } finally {
      await handle.close();
    }
  };

  const append = async (record: T): Promise<void> => {
    if (!directoryReady) {
      await mkdir(dirname(path), { recursive: true });
      directoryReady = true;
    }
    const handle = await open(path, 'a+');
    try {
      let line = `${JSON.stringify(record)}\n`;
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        // A crash mid-write left a partial line: end it, so this record is not glued onto it.
        if (last[0] !== 0x0a) line = `\n${line}`;
      }
      const bytes = Buffer.from(line, 'utf8');
      let written = 0;
      while (written < bytes.length) {
        const result = await handle.write(bytes, written, bytes.length - written);
        written += result.bytesWritten;
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
  };

  const exclusive = <R>(task: () => Promise<R>): Promise<R> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  return { readNew, append, exclusive };
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
