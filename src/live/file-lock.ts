/**
 * One writer per file, for the files two processes must never write at once:
 * - a journal: two runners on one journal would trade the same account twice, and each start-up
 *   reconciliation would cancel or adopt the other's orders as its own stale ones (they carry the
 *   same client-id root);
 * - a tick file being recorded: each recorder appends its own blocks and counts, so two of them
 *   leave a file whose counts do not match its blocks, which no backtest can read.
 * The writer holds `<file>.lock`, a small JSON file naming its process; a second writer is
 * refused while that process lives.
 *
 * A lock whose process is gone (`kill -9`, a crash, a reboot) is stale and taken over, so a
 * restart needs no manual step. A process can only be looked up on its own host: the holder also
 * touches the file every `heartbeatMs`, and a lock from another host (a file on a shared
 * volume, a container that was replaced) is stale once it has not been touched for `staleAfterMs`.
 * On this host a pid is not proof on its own: a container restarted after `kill -9` often runs
 * the new writer under the old one's pid, and any process may have been given it since. A lock
 * naming this process that this process did not take is stale, and so is one whose pid belongs
 * to a process started after the lock was taken (Linux: /proc).
 *
 * The lock is named after the file's real path: a symlink or another spelling of the same file
 * shares it. A stale lock is taken over under a short-lived `<lock>.takeover` guard, so that two
 * starters finding it stale at once cannot both end up holding the file.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** What the locked file is, for the refusals' words. */
export interface LockedFile {
  /** "journal" */
  readonly file: string
  /** the process that writes it: "runner" */
  readonly writer: string
  /** why one writer at a time, said when a second is refused */
  readonly whyOne: string
  /** how to start beside it instead */
  readonly elsewhere: string
}

export const JOURNAL_FILE: LockedFile = {
  file: "journal",
  writer: "runner",
  whyOne: "two runners on one journal would trade the account twice",
  elsewhere: "use another --journal"
}

export const RECORDING_FILE: LockedFile = {
  file: "tick file",
  writer: "recorder",
  whyOne: "two recorders in one tick file would leave it unreadable",
  elsewhere: "record into another file"
}

export interface LockHolder {
  readonly pid: number
  readonly host: string
  /** ms since epoch */
  readonly startedAt: number
}

export type LockRefusal =
  /** `staleAfterMs`: how long the holder's lock must go untouched before another host's start takes it over */
  | { readonly _tag: "Held"; readonly holder: LockHolder; readonly lockPath: string; readonly staleAfterMs: number; readonly locked: LockedFile }
  | { readonly _tag: "Unreadable"; readonly lockPath: string; readonly reason: string }

export type LockResult =
  | { readonly _tag: "Acquired"; readonly release: () => void; readonly replaced?: LockHolder }
  | LockRefusal

export interface LockTiming {
  /** how often the holder touches its lock file */
  readonly heartbeatMs: number
  /** a lock from another host untouched this long is stale */
  readonly staleAfterMs: number
}

export const DEFAULT_LOCK_TIMING: LockTiming = { heartbeatMs: 10_000, staleAfterMs: 60_000 }

/** `<file>.lock` beside the file's real path (or the real folder's, before the file exists). */
export const lockPathOf = (filePath: string): string => {
  const absolute = path.resolve(filePath)
  try {
    return `${fs.realpathSync(absolute)}.lock`
  } catch {
    try {
      return `${path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute))}.lock`
    } catch {
      return `${absolute}.lock`
    }
  }
}

/** the lock files this process holds: a lock naming this process that is not among them is a dead writer's */
const heldByThisProcess = new Set<string>()

/** A lock file younger than this that cannot be parsed may be half-written by another starter. */
const HALF_WRITTEN_GRACE_MS = 2000

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const parseHolder = (text: string): LockHolder | undefined => {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>
    return Number.isInteger(value.pid) && typeof value.host === "string" && Number.isFinite(value.startedAt) ? value as LockHolder : undefined
  } catch {
    return undefined
  }
}

/** clock ticks per second of /proc's start times (USER_HZ: 100 on every Linux build Node runs on) */
const USER_HZ = 100
/** slack for the start time's tick granularity and the clock's adjustments */
const PROCESS_START_SLACK_MS = 1000

/** When process `pid` started, ms since epoch (Linux, from /proc); undefined where it cannot be read. */
const processStartedAt = (pid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[19]) // field 22, starttime
    const bootTime = /^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))?.[1]
    return Number.isFinite(ticks) && bootTime !== undefined ? Number(bootTime) * 1000 + (ticks / USER_HZ) * 1000 : undefined
  } catch {
    return undefined
  }
}

/**
 * The holder cannot be running: on this host its process is gone, started before the boot or
 * after the lock was taken (its pid reused), or it is this process, which does not hold the lock;
 * on another host, it has stopped touching the lock.
 */
const isStale = (holder: LockHolder, lockPath: string, touchedAt: number, now: number, timing: LockTiming): boolean => {
  if (holder.host !== os.hostname()) return now - touchedAt > timing.staleAfterMs
  if (holder.pid === process.pid) return !heldByThisProcess.has(lockPath)
  if (!isAlive(holder.pid) || holder.startedAt < now - os.uptime() * 1000) return true
  const started = processStartedAt(holder.pid)
  return started !== undefined && procStartTimesHold() && started > holder.startedAt + PROCESS_START_SLACK_MS
}

/** /proc's start times read right here: this process's own start cannot be later than now */
const procStartTimesHold = (): boolean => {
  const self = processStartedAt(process.pid)
  return self !== undefined && self <= Date.now() + PROCESS_START_SLACK_MS && self > Date.now() - os.uptime() * 1000 - PROCESS_START_SLACK_MS
}

/** how long a takeover guard may stand before it is taken for a starter that died mid-takeover */
const TAKEOVER_GUARD_MS = 5000

/**
 * Removes the stale lock judged from `staleText`, under the takeover guard: only if the lock is
 * still that one (another starter may have taken it over meanwhile). False: another starter is
 * taking it over now.
 */
const removeStaleLock = (lockPath: string, staleText: string, now: number): boolean => {
  const guard = `${lockPath}.takeover`
  for (let attempt = 0;; attempt++) {
    try {
      fs.writeFileSync(guard, `${process.pid}\n`, { flag: "wx", mode: 0o600 })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      if (attempt > 0) return false
      try {
        if (now - fs.statSync(guard).mtimeMs < TAKEOVER_GUARD_MS) return false
        fs.unlinkSync(guard) // left by a starter that died mid-takeover
      } catch {
        // removed meanwhile
      }
    }
  }
  try {
    if (fs.readFileSync(lockPath, "utf8") === staleText) fs.unlinkSync(lockPath)
  } catch {
    // removed meanwhile: the create decides
  } finally {
    fs.rmSync(guard, { force: true })
  }
  return true
}

/** Takes the file's lock, or says who holds it. `now`: ms since epoch. */
export const acquireFileLock = (filePath: string, locked: LockedFile, now: number = Date.now(), timing: LockTiming = DEFAULT_LOCK_TIMING): LockResult => {
  const lockPath = lockPathOf(filePath)
  const mine: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: now }
  const text = `${JSON.stringify(mine)}\n`
  let replaced: LockHolder | undefined
  // a stale lock is removed and the creation tried again; a second starter racing for it loses
  // at the exclusive create
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, text, { flag: "wx", mode: 0o600 })
      heldByThisProcess.add(lockPath)
      const heartbeat = setInterval(() => {
        try {
          const at = new Date()
          fs.utimesSync(lockPath, at, at)
        } catch {
          // removed by hand: nothing to keep fresh
        }
      }, timing.heartbeatMs)
      // the heartbeat never keeps the process alive
      heartbeat.unref()
      const release = () => {
        clearInterval(heartbeat)
        heldByThisProcess.delete(lockPath)
        try {
          // only our own lock: after a takeover by hand the file may be someone else's
          if (fs.readFileSync(lockPath, "utf8") === text) fs.unlinkSync(lockPath)
        } catch {
          // already gone
        }
      }
      return replaced === undefined ? { _tag: "Acquired", release } : { _tag: "Acquired", release, replaced }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        return { _tag: "Unreadable", lockPath, reason: `cannot create the lock file: ${(error as Error).message}` }
      }
    }
    const found = judgeLock(lockPath, locked, now, timing)
    if (found._tag === "None") continue // removed meanwhile: try again
    if (found._tag !== "Stale") return found
    replaced = found.holder
    try {
      if (!removeStaleLock(lockPath, found.text, now)) return { _tag: "Unreadable", lockPath, reason: startingBeside(locked) }
    } catch (error) {
      return { _tag: "Unreadable", lockPath, reason: `cannot take over the stale lock: ${(error as Error).message}` }
    }
  }
  return { _tag: "Unreadable", lockPath, reason: `another ${locked.writer} keeps taking the lock` }
}

/**
 * The lock at `lockPath` as a start judges it: none, a refusal (its holder runs, or it cannot be
 * read), or stale (its text, to take it over only if it is still that one).
 */
const judgeLock = (
  lockPath: string,
  locked: LockedFile,
  now: number,
  timing: LockTiming
): { readonly _tag: "None" } | LockRefusal | { readonly _tag: "Stale"; readonly holder: LockHolder; readonly text: string } => {
  let text: string
  let modifiedAt: number
  try {
    text = fs.readFileSync(lockPath, "utf8")
    modifiedAt = fs.statSync(lockPath).mtimeMs
  } catch {
    return { _tag: "None" }
  }
  const holder = parseHolder(text)
  if (holder === undefined) {
    const reason = now - modifiedAt < HALF_WRITTEN_GRACE_MS
      ? startingBeside(locked)
      : `the lock file is not one of ours; remove it if no ${locked.writer} uses this ${locked.file}`
    return { _tag: "Unreadable", lockPath, reason }
  }
  return isStale(holder, lockPath, modifiedAt, now, timing) ? { _tag: "Stale", holder, text } : { _tag: "Held", holder, lockPath, staleAfterMs: timing.staleAfterMs, locked }
}

const startingBeside = (locked: LockedFile) => `another ${locked.writer} is starting on this ${locked.file}`

/** Why a start could not take the file's lock now, as it would judge it, reading only; undefined: it could. */
export const lockRefusalNow = (filePath: string, locked: LockedFile, now: number = Date.now(), timing: LockTiming = DEFAULT_LOCK_TIMING): LockRefusal | undefined => {
  const found = judgeLock(lockPathOf(filePath), locked, now, timing)
  return found._tag === "None" || found._tag === "Stale" ? undefined : found
}

export const describeRefusal = (refusal: LockRefusal): string => {
  if (refusal._tag === "Unreadable") return `${refusal.lockPath}: ${refusal.reason}`
  const { holder, lockPath, staleAfterMs, locked } = refusal
  const since = new Date(holder.startedAt).toISOString()
  return holder.host === os.hostname()
    ? `in use by another ${locked.writer} (process ${holder.pid}, since ${since}): ${locked.whyOne}. Stop it first (or ${locked.elsewhere})`
    : `in use by a ${locked.writer} on host ${holder.host} (process ${holder.pid}, since ${since}), which touched the lock less than ${staleAfterMs / 1000} s ago; if that ${locked.writer} is gone, wait that long or remove ${lockPath}`
}
