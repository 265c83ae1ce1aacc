/**
 * The live runner's start and stop paths where they met real deployments: the journal lock (one
 * writer per journal) after a container restart, a reused pid, two starters at once and a
 * symlink; the live config's warning about secrets in flow-style YAML; the start-up
 * reconciliation's idea of "our" orders; `--check` while another runner holds the journal; and a
 * terminal hang-up. Each test failed before its fix (its comment says what happened).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Option } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { vi } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Order } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { openJournal } from "../src/live/journal"
import { acquireFileLock, JOURNAL_FILE, lockPathOf, type LockResult } from "../src/live/file-lock"
import { loadLiveConfig } from "../src/live/live-config"
import { preflight } from "../src/live/preflight"
import { runLive } from "../src/live/runner"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { idleVenue } from "./support/idle-venue"
import { inspectJournal, startLive, startLocalExchange, waitFor } from "./support/live-processes"
import { tempDir } from "./support/scripted-market"

/**
 * node:fs, passed through, with one hook: `onLockStat` runs (once) when the lock code stats a
 * lock file, i.e. right after it has read a lock it is about to judge. It lets a test put a
 * second starter's whole acquisition between the first starter's read and its takeover.
 */
const fsHooks = vi.hoisted(() => ({ onLockStat: undefined as undefined | (() => void) }))
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>()
  const statSync = ((...args: Parameters<typeof actual.statSync>) => {
    const hook = fsHooks.onLockStat
    if (hook !== undefined && String(args[0]).endsWith(".lock")) {
      fsHooks.onLockStat = undefined
      hook()
    }
    return actual.statSync(...args)
  }) as typeof actual.statSync
  return { ...actual, statSync, default: { ...actual, statSync } }
})

const writeLock = (journal: string, holder: { pid: number; host: string; startedAt: number }, touchedAt: number) => {
  fs.writeFileSync(lockPathOf(journal), JSON.stringify(holder))
  fs.utimesSync(lockPathOf(journal), new Date(touchedAt), new Date(touchedAt))
}

const released = (result: LockResult) => {
  if (result._tag === "Acquired") result.release()
}

describe("the journal lock after a kill -9", () => {
  it("a lock naming this very process (a container restarted after kill -9/OOM: same hostname, same pid) is stale, not 'in use by another runner'", () => {
    // Was: file-lock.ts isStale (line 68) asks only whether holder.pid is alive. In a container
    // restarted after a kill -9 or an OOM kill (journal on a volume, same hostname), the new runner
    // usually gets the very pid the dead one had (pid 1, or the same small pid under npm/tsx), so
    // it finds "itself" alive and refuses its own journal forever: "in use by another runner
    // (process 1 …) Stop it first". os.uptime() is the host's, so the boot check does not help.
    const journal = path.join(tempDir(), "journal.db")
    const killedAt = Date.now() - 30_000
    writeLock(journal, { pid: process.pid, host: os.hostname(), startedAt: killedAt - 60_000 }, killedAt)
    const taken = acquireFileLock(journal, JOURNAL_FILE)
    expect(taken._tag).toBe("Acquired")
    released(taken)
  })

  it("a lock whose pid now belongs to a process started after the lock was taken (pid reuse) is stale", async () => {
    // Was: file-lock.ts isStale only rules out a pid reused across a reboot. A runner killed
    // with kill -9 whose pid an unrelated process took later (any long-lived daemon, a shell)
    // blocks every restart with "in use by another runner (process N…)", until someone removes
    // the lock by hand: the holder cannot be a process that started after the lock was written.
    const journal = path.join(tempDir(), "journal.db")
    const lockedAt = Date.now() - 3_600_000
    const unrelated = spawn("sleep", ["30"], { stdio: "ignore" })
    try {
      await new Promise((resolve) => setTimeout(resolve, 200))
      writeLock(journal, { pid: unrelated.pid!, host: os.hostname(), startedAt: lockedAt }, lockedAt)
      const taken = acquireFileLock(journal, JOURNAL_FILE)
      expect(taken._tag).toBe("Acquired")
      released(taken)
    } finally {
      unrelated.kill("SIGKILL")
    }
  })

  it("two starters taking over the same stale lock at once: only one of them gets the journal", () => {
    // Was: file-lock.ts acquireFileLock (the unlinkSync after isStale, line 125) removes
    // whatever file is at the lock path, not the stale lock it judged. Starter B reads the dead
    // runner's lock; meanwhile starter A takes it over and writes its own; B then unlinks A's
    // fresh lock and creates its own: both "Acquired", both trade the account (e.g. a supervisor's
    // restart and a manual start after a crash).
    const journal = path.join(tempDir(), "journal.db")
    const lockedAt = Date.now() - 60_000
    // a pid that no longer runs
    const dead = spawn(process.execPath, ["-e", ""])
    const deadPid = dead.pid!
    return new Promise<void>((resolve) => dead.on("exit", () => resolve())).then(() => {
      writeLock(journal, { pid: deadPid, host: os.hostname(), startedAt: lockedAt }, lockedAt)
      let first: LockResult | undefined
      // starter A runs its whole acquisition between starter B's read of the stale lock and B's takeover
      fsHooks.onLockStat = () => {
        first = acquireFileLock(journal, JOURNAL_FILE)
      }
      const second = acquireFileLock(journal, JOURNAL_FILE)
      fsHooks.onLockStat = undefined
      const acquired = [first, second].filter((r) => r?._tag === "Acquired")
      try {
        expect(first?._tag).toBe("Acquired")
        expect(acquired).toHaveLength(1)
      } finally {
        for (const r of [first, second]) if (r !== undefined) released(r)
      }
    })
  })

  it.scoped("one journal reached through a symlink: a second writer is refused all the same", () =>
    // Was: file-lock.ts lockPathOf (`${journalPath}.lock`) names the lock after the path as
    // given, not the file: a runner started with --journal out/live.db and another with
    // --journal live-link.db (a symlink to it, or a bind mount under another name) take two
    // different locks and both trade the same account, each cancelling the other's orders.
    Effect.gen(function*() {
      const dir = tempDir()
      const journal = path.join(dir, "live-journal.db")
      const link = path.join(dir, "link.db")
      yield* openJournal(journal, "write")
      fs.symlinkSync(journal, link)
      const second = yield* Effect.exit(Effect.scoped(openJournal(link, "write")))
      expect(Exit.isFailure(second)).toBe(true)
    }))
})

describe("the live config's warning about a readable file holding secrets", () => {
  it("warns for secrets written in YAML flow style ({ api_secret: … }) too", async () => {
    // Was: live-config.ts loadLiveConfig (secretsInFile, line 77) looks for the secret keys with
    // a line-anchored regex (^\s*api_secret…), so keys in a flow mapping, as the example config
    // itself writes `points`, are not seen: a world-readable file holding every key gets no warning.
    const file = path.join(tempDir(), "hedge.yaml")
    const bpKey = generateBackpackTestKey()
    const text = [
      `bp: { api_public_key_b64: "${bpKey.publicKeyB64}", api_secret_key_b64: "${bpKey.secretKeyB64}", base_url: "https://api.backpack.exchange", symbol: "ASTER_USDC_PERP" }`,
      `aster: { api_key: "aster-key", api_secret: "aster-secret", base_url: "https://fapi.asterdex.com", symbol: "ASTERUSDT" }`,
      `trade: { quantity: "10", offset_percent: 0.2, first_wait_seconds: 10, between_legs_sleep: 60, stop_before_funding_minutes: 5, cycle_sleep: 60 }`,
      ""
    ].join("\n")
    fs.writeFileSync(file, text, { mode: 0o644 })
    fs.chmodSync(file, 0o644)
    const loaded = await Effect.runPromise(Effect.either(loadLiveConfig(file, { environment: {}, requireCredentials: true })).pipe(Effect.provide(NodeContext.layer)))
    const live = Either.getOrThrow(loaded)
    expect(live.warnings.join("\n")).toMatch(/holds secrets and is readable by other users/)
  })
})

const FUTURES: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", stepSize: decimal("0.01"), minQty: decimal("0.01") }
const ticker = Effect.succeed({ ts: 0, bid: decimal("1.5000"), ask: decimal("1.5004"), last: decimal("1.5002") })

describe("the start-up reconciliation leaves other bots' orders alone", () => {
  it.scopedLive("an Aster order of another bot whose client id merely starts with 'hl' is not cancelled", () =>
    // Was: runner.ts (reconcile's clientIdPrefix: CLIENT_ID_ROOT, line 243) counts as ours every
    // order whose client id starts with the two letters "hl", although every id this bot sends
    // starts with a run prefix `hl<base-36 start time>-` that the journal records for each run.
    // Another bot's or a hand-placed Aster order labelled "hl…" (or one of Aster's auto-generated
    // ids that happens to start so) is cancelled at every start, and a fill it took before is
    // "hedged" as if it were ours.
    Effect.gen(function*() {
      const dir = tempDir()
      const journalPath = path.join(dir, "journal.db")
      const config = testConfig({ trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 } })
      const foreign: Order = {
        venue: "aster-futures",
        symbol: FUTURES.symbol,
        id: "777",
        clientId: "hlp_grid_buy_3",
        side: "buy",
        type: "limit",
        price: decimal("1.2"),
        qty: decimal("50"),
        filledQty: decimal("0"),
        filledQuote: decimal("0"),
        status: "new",
        postOnly: false,
        timeInForce: "GTC",
        createdAt: Date.now() - 86_400_000,
        updatedAt: Date.now() - 86_400_000
      }
      const cancelled: Array<string> = []
      const maker = idleVenue(PERP, ticker, () => decimal("0"))
      const hedge = idleVenue(FUTURES, ticker, () => decimal("0"), {
        openOrders: Effect.sync(() => (cancelled.includes(foreign.id) ? [] : [foreign])),
        cancel: (orderId) =>
          Effect.sync(() => {
            cancelled.push(orderId)
            return { ...foreign, status: "cancelled" as const, updatedAt: Date.now() }
          }),
        queryOrder: () => Effect.succeed({ ...foreign, ...(cancelled.includes(foreign.id) ? { status: "cancelled" as const } : {}) })
      } satisfies Partial<Exchange>)
      const stop = yield* Deferred.make<void>()
      yield* Deferred.succeed(stop, undefined)
      yield* runLive({ config, kind: "live", journalPath, markEveryMs: 1000, stop, venues: Effect.succeed({ maker, hedge }) }).pipe(Effect.scoped, Effect.either)
      expect(cancelled).toEqual([])
    }))
})

describe("--check while a runner holds the journal", () => {
  it.scoped("does not say 'a start would trade' when a start would be refused the journal (another runner is on it)", () =>
    // Was: preflight.ts journalLine (line 372) opens the journal read only and never looks at its
    // lock: with a runner trading on it right now, --check says "ok journal … never ended: running
    // now, or it crashed" and exits 0 ("a start would trade"), while the start it vouches for fails
    // at once (exit 1, "in use by another runner"). The check is the place to say so.
    Effect.gen(function*() {
      const journalPath = path.join(tempDir(), "journal.db")
      const config = testConfig({ trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0 } })
      // the runner that trades on it: its journal open for writing, a run started and not ended
      const running = yield* openJournal(journalPath, "write")
      yield* running.startRun({
        kind: "live",
        startedAt: Date.now() - 60_000,
        config,
        maker: { venue: "backpack", symbol: PERP.symbol, quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: "aster-futures", symbol: FUTURES.symbol, quoteAsset: "USDT", baseAsset: "ASTER" },
        clientIdPrefix: "hlrunning-"
      })
      const venues = { maker: idleVenue(PERP, ticker, () => decimal("0")), hedge: idleVenue(FUTURES, ticker, () => decimal("0")) }
      const lines = yield* preflight(config, venues, journalPath, "live")
      const journal = lines.find((l) => l.subject === "journal")!
      expect(journal.status === "fail" || journal.status === "refuse", `${journal.status} ${journal.detail}`).toBe(true)
    }))
})

describe("npm run live, the terminal going away", () => {
  it("a hang-up (SSH dropped, terminal closed) stops the run as Ctrl+C does, not as kill -9", async () => {
    // Was: stop-signals.ts exitOnSecondStop and run-cli.ts (runMain) handle SIGINT and SIGTERM
    // only. A run in the foreground of an SSH session that drops, or a terminal window closed,
    // gets SIGHUP, whose default in Node is to end the process at once: the working maker order
    // stays resting (a fill of it unhedged until someone restarts), no wind-down, no report, the
    // run left "never ended" in the journal. SIGHUP should be one more way to ask for the stop.
    const local = await startLocalExchange({ maxCycles: 0 })
    try {
      const journal = path.join(local.dir, "journal.db")
      const live = startLive(local.config, journal)
      await waitFor(live, /\[Cycle 2\] start of a new hedge cycle/)
      live.process.kill("SIGHUP")
      await live.exited
      const state = await inspectJournal(journal)
      expect(state.runs.map((r) => Option.getOrNull(r.outcome)), live.output()).toEqual(["stopped"])
    } finally {
      await local.stop()
    }
  })
})
