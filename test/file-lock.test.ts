import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { acquireFileLock, describeRefusal, JOURNAL_FILE, lockPathOf } from "../src/live/file-lock"
import { openJournal } from "../src/live/journal"
import { tempDir } from "./support/scripted-market"

/** The pid of a process that has exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  return child.pid!
}

const writeLock = (journal: string, holder: { pid: number; host: string; startedAt: number }) =>
  fs.writeFileSync(lockPathOf(journal), JSON.stringify(holder))

const openError = (journal: string) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(openJournal(journal, "write")))
    if (Exit.isSuccess(exit)) return "opened"
    return exit.cause._tag === "Fail" ? exit.cause.error.message : String(exit.cause)
  })

describe("journal lock: one writer per journal", () => {
  it.effect("a second writer is refused while the first holds the journal, and may open it once the first closed", () =>
    Effect.gen(function*() {
      const journal = path.join(tempDir(), "journal.db")
      yield* Effect.scoped(Effect.gen(function*() {
        yield* openJournal(journal, "write")
        expect(fs.existsSync(lockPathOf(journal))).toBe(true)
        const refused = yield* openError(journal)
        expect(refused).toContain(`process ${process.pid}`)
        expect(refused).toContain("two runners on one journal would trade the account twice")
        // a reader (npm run report) is never refused
        const read = yield* Effect.exit(Effect.scoped(openJournal(journal, "read")))
        expect(Exit.isSuccess(read)).toBe(true)
      }))
      expect(fs.existsSync(lockPathOf(journal))).toBe(false)
      expect(yield* openError(journal)).toBe("opened")
    }))

  it.effect("the lock of a process that is gone (kill -9) is taken over and reported", () =>
    Effect.gen(function*() {
      const journal = path.join(tempDir(), "journal.db")
      const pid = deadPid()
      writeLock(journal, { pid, host: os.hostname(), startedAt: Date.now() - 1000 })
      yield* Effect.scoped(Effect.gen(function*() {
        const service = yield* openJournal(journal, "write")
        expect(Option.map(service.replacedLock, (h) => h.pid)).toEqual(Option.some(pid))
        expect(JSON.parse(fs.readFileSync(lockPathOf(journal), "utf8")).pid).toBe(process.pid)
      }))
    }))

  it("a lock older than this machine's boot is stale even if its pid is running now (pid reuse)", () => {
    const journal = path.join(tempDir(), "journal.db")
    // pid 1 always runs, but no process of ours started before the boot
    writeLock(journal, { pid: 1, host: os.hostname(), startedAt: Date.now() - os.uptime() * 1000 - 60_000 })
    const taken = acquireFileLock(journal, JOURNAL_FILE)
    expect(taken._tag).toBe("Acquired")
    if (taken._tag === "Acquired") {
      expect(taken.replaced?.pid).toBe(1)
      taken.release()
    }
    writeLock(journal, { pid: 1, host: os.hostname(), startedAt: Date.now() - 1000 })
    expect(acquireFileLock(journal, JOURNAL_FILE)._tag).toBe("Held")
  })

  it.effect("a lock from another host is honoured while its holder touches it, and the message says what to do", () =>
    Effect.gen(function*() {
      const journal = path.join(tempDir(), "journal.db")
      // its process cannot be looked up from here: dead here says nothing about there
      writeLock(journal, { pid: deadPid(), host: `${os.hostname()}-elsewhere`, startedAt: Date.now() - 1000 })
      const refused = yield* openError(journal)
      expect(refused).toContain(`on host ${os.hostname()}-elsewhere`)
      expect(refused).toContain(`which touched the lock less than 60 s ago; if that runner is gone, wait that long or remove ${lockPathOf(journal)}`)
      expect(fs.existsSync(journal)).toBe(false)
      // the refusal names the staleness the lock was judged by
      const quick = acquireFileLock(journal, JOURNAL_FILE, Date.now(), { heartbeatMs: 100, staleAfterMs: 5000 })
      expect(quick).toMatchObject({ _tag: "Held", staleAfterMs: 5000 })
      if (quick._tag === "Held") expect(describeRefusal(quick)).toContain("less than 5 s ago")
    }))

  it("a lock from another host that nobody touched for a minute is stale (a container replaced after a crash)", () => {
    const journal = path.join(tempDir(), "journal.db")
    writeLock(journal, { pid: 1, host: `${os.hostname()}-elsewhere`, startedAt: Date.now() - 600_000 })
    const untouched = new Date(Date.now() - 61_000)
    fs.utimesSync(lockPathOf(journal), untouched, untouched)
    const taken = acquireFileLock(journal, JOURNAL_FILE)
    expect(taken).toMatchObject({ _tag: "Acquired", replaced: { host: `${os.hostname()}-elsewhere` } })
    if (taken._tag === "Acquired") taken.release()
  })

  it("the holder keeps its lock fresh, and stops when it releases it", async () => {
    const journal = path.join(tempDir(), "journal.db")
    const taken = acquireFileLock(journal, JOURNAL_FILE, Date.now(), { heartbeatMs: 10, staleAfterMs: 1000 })
    if (taken._tag !== "Acquired") throw new Error(taken._tag)
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(lockPathOf(journal), old, old)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(Date.now() - fs.statSync(lockPathOf(journal)).mtimeMs).toBeLessThan(1000)
    taken.release()
    expect(fs.existsSync(lockPathOf(journal))).toBe(false)
  })

  it("a lock file that is not ours is not removed: young, another runner may be writing it; old, the message says to remove it", () => {
    const journal = path.join(tempDir(), "journal.db")
    fs.writeFileSync(lockPathOf(journal), "")
    const young = acquireFileLock(journal, JOURNAL_FILE)
    expect(young).toMatchObject({ _tag: "Unreadable", reason: "another runner is starting on this journal" })
    const old = acquireFileLock(journal, JOURNAL_FILE, Date.now() + 60_000)
    expect(old._tag).toBe("Unreadable")
    if (old._tag === "Unreadable") expect(old.reason).toContain("remove it if no runner uses this journal")
    expect(fs.readFileSync(lockPathOf(journal), "utf8")).toBe("")
  })

  it("release removes only its own lock", () => {
    const journal = path.join(tempDir(), "journal.db")
    const taken = acquireFileLock(journal, JOURNAL_FILE)
    if (taken._tag !== "Acquired") throw new Error(taken._tag)
    // removed by hand and taken by another runner meanwhile
    writeLock(journal, { pid: process.pid, host: os.hostname(), startedAt: 1 })
    taken.release()
    expect(fs.existsSync(lockPathOf(journal))).toBe(true)
  })
})
