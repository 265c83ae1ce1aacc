/**
 * The first bytes of a file, to tell what it is before replacing it (a tick file, a journal, a
 * JSON report, a config holding keys): outputs that would destroy what exists only once are refused.
 */
import * as fs from "node:fs"

/** Every SQLite database (a tick file, a journal) starts with these 16 bytes. */
export const SQLITE_HEADER = "SQLite format 3\0"

/** The file's first `bytes` bytes as latin1 text (shorter for a shorter file); undefined when there is no readable file. */
export const readFileHead = (path: string, bytes: number): string | undefined => {
  let fd: number
  try {
    fd = fs.openSync(path, "r")
  } catch {
    return undefined
  }
  try {
    const buffer = Buffer.alloc(bytes)
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, bytes, 0)).toString("latin1")
  } catch {
    return undefined // a folder (EISDIR on read)
  } finally {
    fs.closeSync(fd)
  }
}
