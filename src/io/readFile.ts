/**
 * Reading one untrusted file: it must be a regular file (not a folder, FIFO,
 * socket or device such as /dev/zero, also when reached through a symlink), it
 * may be refused above a size limit, and at most a given number of bytes is
 * read. The file is opened non-blocking and checked on the open descriptor, so
 * a FIFO can neither hang the read nor be swapped in after the check.
 */
import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs';
import { FeatvisError } from '../core/errors.js';

export interface ReadFileOptions {
  /** What the file is, for messages: 'PyTorch weights file', 'weight shard'… */
  what: string;
  /** Refuse files larger than this many bytes. */
  maxBytes?: number;
  /** Read at most this many bytes (the file may be larger). */
  limitBytes?: number;
}

/** The kind of a non-regular file, for messages. */
export function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function openError(err: unknown, file: string, what: string): FeatvisError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return new FeatvisError(`${what} not found: ${file}`);
    case 'ENOTDIR':
      return new FeatvisError(`${what} not found: ${file} (a part of the path is not a folder)`);
    case 'EACCES':
    case 'EPERM':
      return new FeatvisError(`cannot read ${what} ${file}: permission denied`);
    case 'ELOOP':
      return new FeatvisError(`cannot read ${what} ${file}: symbolic link loop`);
    case 'ENAMETOOLONG':
      return new FeatvisError(`cannot read ${what}: the path is too long (${file.length} characters)`);
    default:
      return new FeatvisError(`cannot read ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Opens `file` for reading and checks it is a regular file; returns the descriptor and its stats. */
export function openRegularFile(file: string, what: string): { fd: number; stats: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException | null)?.code === 'EISDIR') throw new FeatvisError(`${what} is a folder, not a file: ${file}`);
    throw openError(err, file, what);
  }
  try {
    const stats = fs.fstatSync(fd);
    if (stats.isDirectory()) throw new FeatvisError(`${what} is a folder, not a file: ${file}`);
    if (!stats.isFile()) throw new FeatvisError(`${what} is ${fileKind(stats)}, not a regular file: ${file}`);
    return { fd, stats };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Size of a regular file (same checks as `readRegularFile`, nothing read). */
export function regularFileSize(file: string, what: string): number {
  const { fd, stats } = openRegularFile(file, what);
  fs.closeSync(fd);
  return stats.size;
}

/** Reads a regular file (or its first `limitBytes` bytes), refusing it above `maxBytes`. */
export function readRegularFile(file: string, opts: ReadFileOptions): Buffer {
  const { fd, stats } = openRegularFile(file, opts.what);
  try {
    if (opts.maxBytes !== undefined && stats.size > opts.maxBytes) {
      throw new FeatvisError(`${opts.what} ${file} is ${stats.size} bytes, more than the limit of ${opts.maxBytes} bytes`);
    }
    const want = Math.min(stats.size, opts.limitBytes ?? Infinity);
    if (want > bufferConstants.MAX_LENGTH) {
      throw new FeatvisError(`${opts.what} ${file} is ${stats.size} bytes, more than can be read at once (${bufferConstants.MAX_LENGTH} bytes)`);
    }
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, got, want - got, got);
      } catch (err) {
        throw new FeatvisError(`cannot read ${opts.what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (n === 0) break; // the file shrank while being read
      got += n;
    }
    return got === want ? buf : buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a regular file as UTF-8 text (see readRegularFile). */
export function readTextFile(file: string, opts: ReadFileOptions): string {
  return readRegularFile(file, opts).toString('utf8');
}
