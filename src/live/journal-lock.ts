/**
 * One writer per journal. Two runners on one journal would trade the same account twice, and
 * each start-up reconciliation would cancel or adopt the other's orders as its own stale ones
 * (they carry the same client-id root). The writer holds `<journal>.lock`, a small JSON file
 * naming its process; a second writer is refused while that process lives.
 *
 * A lock whose process is gone (`kill -9`, a crash, a reboot) is stale and taken over, so a
 * restart needs no manual step. A process can only be looked up on its own host: the holder also
 * touches the file every `heartbeatMs`, and a lock from another host (a journal on a shared
 * volume, a container that was replaced) is stale once it has not been touched for `staleAfterMs`.
 */
import * as fs from "node:fs"
import * as os from "node:os"

export interface LockHolder {
  readonly pid: number
  readonly host: string
  /** ms since epoch */
  readonly startedAt: number
}

export type LockRefusal =
  /** `staleAfterMs`: how long the holder's lock must go untouched before another host's start takes it over */
  | { readonly _tag: "Held"; readonly holder: LockHolder; readonly lockPath: string; readonly staleAfterMs: number }
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

export const lockPathOf = (journalPath: string): string => `${journalPath}.lock`

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

/**
 * The holder cannot be running: on this host its process is gone or started before the boot; on
 * another, it has stopped touching the lock.
 */
const isStale = (holder: LockHolder, touchedAt: number, now: number, timing: LockTiming): boolean =>
  holder.host === os.hostname()
    ? !isAlive(holder.pid) || holder.startedAt < now - os.uptime() * 1000
    : now - touchedAt > timing.staleAfterMs

/** Takes the journal's lock, or says who holds it. `now`: ms since epoch. */
export const acquireJournalLock = (journalPath: string, now: number = Date.now(), timing: LockTiming = DEFAULT_LOCK_TIMING): LockResult => {
  const lockPath = lockPathOf(journalPath)
  const mine: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: now }
  const text = `${JSON.stringify(mine)}\n`
  let replaced: LockHolder | undefined
  // a stale lock is removed and the creation tried again; a second starter racing for it loses
  // at the exclusive create
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockPath, text, { flag: "wx", mode: 0o600 })
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
    let existing: string
    let modifiedAt: number
    try {
      existing = fs.readFileSync(lockPath, "utf8")
      modifiedAt = fs.statSync(lockPath).mtimeMs
    } catch {
      continue // removed meanwhile: try again
    }
    const holder = parseHolder(existing)
    if (holder === undefined) {
      if (now - modifiedAt < HALF_WRITTEN_GRACE_MS) return { _tag: "Unreadable", lockPath, reason: "another runner is starting on this journal" }
      return { _tag: "Unreadable", lockPath, reason: "the lock file is not one of ours; remove it if no runner uses this journal" }
    }
    if (!isStale(holder, modifiedAt, now, timing)) return { _tag: "Held", holder, lockPath, staleAfterMs: timing.staleAfterMs }
    replaced = holder
    try {
      fs.unlinkSync(lockPath)
    } catch {
      // removed by another starter: the create decides
    }
  }
  return { _tag: "Unreadable", lockPath, reason: "another runner keeps taking the lock" }
}

export const describeRefusal = (refusal: LockRefusal): string => {
  if (refusal._tag === "Unreadable") return `${refusal.lockPath}: ${refusal.reason}`
  const { holder, lockPath, staleAfterMs } = refusal
  const since = new Date(holder.startedAt).toISOString()
  return holder.host === os.hostname()
    ? `in use by another runner (process ${holder.pid}, since ${since}): two runners on one journal would trade the account twice. Stop it first (or use another --journal)`
    : `in use by a runner on host ${holder.host} (process ${holder.pid}, since ${since}), which touched the lock less than ${staleAfterMs / 1000} s ago; if that runner is gone, wait that long or remove ${lockPath}`
}
