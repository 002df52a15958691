/**
 * Where an export's bytes go. Files are written under a temporary name next to the target and
 * renamed into place only when the export completed: a failed or interrupted export leaves no file
 * that looks like a whole export. Writes wait for 'drain', so a slow disk holds the reader back
 * instead of buffering the tenant in memory.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ExportTargetError } from './errors.js';

export class LineFile {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  constructor(file: string) {
    this.stream = createWriteStream(file, { flags: 'wx' });
    // Without a listener an I/O error would be an uncaught 'error' event and kill the process.
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }
  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(text)) {
      // One pair of listeners per wait, both removed when either fires: a listener left behind per
      // full buffer would pile up (with its closure) over an export's thousands of waits.
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
      });
      if (this.failure) throw this.failure;
    }
  }
  async close(): Promise<void> {
    if (!this.stream.closed) {
      this.stream.end();
      await once(this.stream, 'close');
    }
    if (this.failure) throw this.failure;
  }
}

async function kindOf(target: string): Promise<'missing' | 'file' | 'directory' | 'other'> {
  try {
    const stat = await fs.stat(target);
    return stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

/** A staging place for the export and how to publish or discard it. */
export interface StagedTarget {
  /** The final path: the .jsonl file, or the folder of per-table files. */
  readonly final: string;
  /** Where to write now (a file for jsonl, a folder for per-table). */
  readonly staging: string;
  publish(): Promise<void>;
  discard(): Promise<void>;
}

function stagingName(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
}

/**
 * jsonl: `out` is the file to write (an existing folder means `<out>/tenant-<id>.jsonl`); it must
 * not exist. per-table: `out` is a folder that must not exist or be empty.
 */
export async function stageTarget(out: string, format: 'jsonl' | 'per-table', tenantId: string): Promise<StagedTarget> {
  if (typeof out !== 'string' || out.trim() === '') {
    throw new ExportTargetError(
      'Cannot export the tenant because no output path was given. Pass out: a file for jsonl, a folder for per-table.',
    );
  }
  let target = path.resolve(out);
  const kind = await kindOf(target);
  if (format === 'jsonl') {
    if (kind === 'directory') target = path.join(target, `tenant-${tenantId}.jsonl`);
    if ((await kindOf(target)) !== 'missing') {
      throw new ExportTargetError(
        `Cannot export the tenant because ${target} already exists, and an export never overwrites a file. Remove it or pass another path.`,
      );
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    const staging = stagingName(target);
    return {
      final: target,
      staging,
      publish: () => fs.rename(staging, target),
      discard: () => fs.rm(staging, { force: true }),
    };
  }
  if (kind === 'file' || kind === 'other') {
    throw new ExportTargetError(
      `Cannot export the tenant per table because ${target} is a file, not a folder. Pass a folder path (it is created).`,
    );
  }
  if (kind === 'directory' && (await fs.readdir(target)).length > 0) {
    throw new ExportTargetError(
      `Cannot export the tenant per table because the folder ${target} is not empty, and an export never overwrites files. Pass a new or empty folder.`,
    );
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const staging = stagingName(target);
  await fs.mkdir(staging);
  return {
    final: target,
    staging,
    async publish() {
      if ((await kindOf(target)) === 'directory') await fs.rmdir(target); // empty, checked above
      await fs.rename(staging, target);
    },
    discard: () => fs.rm(staging, { recursive: true, force: true }),
  };
}

/** A table label as a file name: `tasks` -> `tasks.jsonl`, `audit."Log"` -> `audit.Log.jsonl`. */
export function fileNameOf(label: string): string {
  return `${label.replace(/"/g, '').replace(/[^A-Za-z0-9_.-]+/g, '_')}.jsonl`;
}
