/**
 * The live journal: what is written before acting, what a restart finds, what never reaches the
 * file (secrets), and the journaled exchange and observer that feed it.
 */
import Database from "better-sqlite3"
import { BigDecimal, Cause, Effect, Exit, Logger, Option, Scope } from "effect"
import fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { HedgeConfig } from "../src/core/config/config"
import { type Decimal, decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { type Fill, isOpenStatus, type Order, type OrderStatus, type OrderUpdate } from "../src/core/domain/order"
import type { Venue } from "../src/core/domain/venue"
import { type ExchangeError, InsufficientBalance, InvalidResponse, OrderRejected, UnknownOrder, VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import {
  cancelIntentId,
  JOURNAL_FORMAT,
  JOURNAL_FORMAT_VERSION,
  JournalError,
  type JournalService,
  mergeOrder,
  openJournal,
  type RunKind,
  type RunStart
} from "../src/live/journal"
import { drainUpdates, journaled, journalObserver } from "../src/live/journaled-exchange"
import { testConfig } from "./support/config"
import { runNode } from "./support/run-command"
import { tempDir } from "./support/scripted-market"

const T0 = 1_758_675_600_000

// ---------------------------------------------------------------------------------------------
// temp files: every directory made here is removed when the file's tests are done

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  // tempDir's root is this file's own (modules are isolated per file); its exit hook may never run in a worker
  for (const root of new Set(dirs.map((dir) => path.dirname(dir)))) {
    if (fs.existsSync(root) && fs.readdirSync(root).length === 0) fs.rmdirSync(root)
  }
})
const newFile = (name = "journal.db") => {
  const dir = tempDir()
  dirs.push(dir)
  return path.join(dir, name)
}

// ---------------------------------------------------------------------------------------------
// helpers

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)
/** the error of an effect that must fail (the test fails, with a short message, if it does not) */
const failure = <A, E>(effect: Effect.Effect<A, E>): E => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, but it succeeded")
  const error = Cause.failureOption(exit.cause)
  if (Option.isNone(error)) throw new Error(`expected a failure, got ${Cause.pretty(exit.cause).split("\n")[0]}`)
  return error.value
}

/** A journal kept open until `close` (as the runner keeps it for a whole run). */
const open = (file: string, mode: "write" | "read" = "write") => {
  const scope = Effect.runSync(Scope.make())
  const journal = Effect.runSync(Scope.extend(openJournal(file, mode), scope))
  return { journal, close: () => Effect.runSync(Scope.close(scope, Exit.void)) }
}

/** One look through a separate read connection: what is committed, not what a transaction holds. */
const peek = <A>(file: string, f: (journal: JournalService) => Effect.Effect<A, JournalError>): A =>
  Effect.runSync(Effect.scoped(Effect.flatMap(openJournal(file, "read"), f)))

const openError = (file: string, mode: "write" | "read"): JournalError => failure(Effect.scoped(openJournal(file, mode)))

const runStart = (config: HedgeConfig = testConfig(), kind: RunKind = "live", startedAt = T0): RunStart => ({
  kind,
  startedAt,
  config,
  maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
  hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
  clientIdPrefix: "hl"
})

type OrderFields = Partial<Omit<Order, "id" | "clientId">> & { readonly id: string; readonly clientId: string }
const order = (fields: OrderFields): Order => ({
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  side: "sell",
  type: "limit",
  price: decimal("2.01"),
  qty: decimal("10"),
  filledQty: ZERO,
  filledQuote: ZERO,
  status: "new",
  postOnly: true,
  timeInForce: "GTC",
  createdAt: T0,
  updatedAt: T0,
  ...fields
})
const marketOrder = (fields: OrderFields): Order => {
  const { price: _none, ...limit } = order({ venue: "aster-futures", symbol: "ASTERUSDT", side: "buy", type: "market", postOnly: false, timeInForce: "IOC", ...fields })
  return limit
}

/** the stored state of every order (open or closed), read straight from the file */
const storedOrders = (file: string): Array<{ order_id: string; status: string; state: { filledQty: string; status: string } }> => {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare("SELECT order_id, status, state FROM orders ORDER BY order_id").all() as Array<{ order_id: string; status: string; state: string }>).map((r) => ({
      ...r,
      state: JSON.parse(r.state) as { filledQty: string; status: string }
    }))
  } finally {
    db.close()
  }
}

const fill = (fields: Partial<Fill> & { readonly tradeId: string; readonly orderId: string }): Fill => ({
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  side: "sell",
  price: decimal("2.01"),
  qty: decimal("10"),
  fee: decimal("0.00402"),
  feeAsset: "USDC",
  liquidity: "maker",
  ts: T0 + 1000,
  ...fields
})

const limitIntent = (runId: number, clientId: string, qty = "10") =>
  ({ kind: "limit", runId, venue: "backpack", clientId, side: "sell", qty: decimal(qty), price: decimal("2.01"), createdAt: T0 }) as const
const marketIntent = (runId: number, clientId: string, qty = "10") =>
  ({ kind: "market", runId, venue: "aster-futures", clientId, side: "buy", qty: decimal(qty), createdAt: T0 + 5 }) as const

const fmt = (d: Decimal) => formatDecimal(d)
/** decimals as their text (BigDecimal caches its normalized form, which deep equality would see) */
const plain = (value: unknown): unknown => {
  if (BigDecimal.isBigDecimal(value)) return fmt(value)
  if (Option.isOption(value)) return Option.isSome(value) ? { some: plain(value.value) } : "none"
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}
const fmtOption = (d: Option.Option<Decimal>) => Option.map(d, formatDecimal)

/**
 * A hand-written venue: each call is answered by the handler given, anything else dies. It counts
 * the calls it received.
 */
const fakeVenue = (
  venue: Venue,
  handlers: Partial<Pick<Exchange, "placeLimit" | "placeMarket" | "cancel" | "queryOrder" | "nextUpdate">>
) => {
  const calls: Array<string> = []
  const counted = <Args extends ReadonlyArray<unknown>, A>(name: string, f: ((...args: Args) => Effect.Effect<A, ExchangeError>) | undefined) => (...args: Args) =>
    Effect.suspend(() => {
      calls.push(name)
      return f === undefined ? Effect.die(`unexpected ${name}`) : f(...args)
    })
  const exchange: Exchange = {
    venue,
    instrument: Effect.die("unused"),
    ticker: Effect.die("unused"),
    placeLimit: counted("placeLimit", handlers.placeLimit),
    placeMarket: counted("placeMarket", handlers.placeMarket),
    cancel: counted("cancel", handlers.cancel),
    queryOrder: counted("queryOrder", handlers.queryOrder),
    openOrders: Effect.succeed([]),
    nextUpdate: counted("nextUpdate", handlers.nextUpdate),
    position: Effect.die("unused"),
    balances: Effect.die("unused"),
    nextFundingTime: Effect.succeed(Option.none())
  }
  return { exchange, calls }
}

/** every file SQLite keeps for the journal (the database, its -wal and -shm) */
const rawBytes = (file: string): Array<{ name: string; bytes: Buffer }> =>
  fs.readdirSync(path.dirname(file))
    .filter((name) => name.startsWith(path.basename(file)))
    .map((name) => ({ name, bytes: fs.readFileSync(path.join(path.dirname(file), name)) }))
const filesHolding = (file: string, text: string): Array<string> => rawBytes(file).filter((f) => f.bytes.includes(text)).map((f) => f.name)

// =============================================================================================

describe("journal file", () => {
  it("is created as a WAL-mode hedgeloop journal of the current format", () => {
    const file = newFile()
    const { close } = open(file)
    close()
    const db = new Database(file, { readonly: true })
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal")
      const meta = new Map((db.prepare("SELECT key, value FROM meta").all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]))
      expect(meta.get("format")).toBe(JOURNAL_FORMAT)
      expect(meta.get("format_version")).toBe(String(JOURNAL_FORMAT_VERSION))
    } finally {
      db.close()
    }
  })

  it("keeps runs across openings: ids go on, ends are recorded, the config is stored without secrets", () => {
    const file = newFile()
    const config = testConfig({ bp: { api_secret_key_b64: "c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Q=" } })
    const first = open(file)
    expect(run(first.journal.startRun(runStart(config)))).toBe(1)
    first.close()
    const second = open(file)
    expect(run(second.journal.startRun(runStart(config, "paper", T0 + 10)))).toBe(2)
    run(second.journal.endRun(2, { endedAt: T0 + 99, outcome: "completed", message: "max cycles reached" }))
    expect(failure(second.journal.endRun(7, { endedAt: T0, outcome: "completed" }))).toBeInstanceOf(JournalError)
    second.close()

    const runs = peek(file, (j) => j.runs())
    expect(runs.map((r) => [r.id, r.kind, r.startedAt, Option.getOrNull(r.endedAt), Option.getOrNull(r.outcome), Option.getOrNull(r.message)])).toEqual([
      [1, "live", T0, null, null, null],
      [2, "paper", T0 + 10, T0 + 99, "completed", "max cycles reached"]
    ])
    expect(runs[0]!.maker).toEqual({ venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" })
    expect(runs[0]!.hedge).toEqual({ venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" })
    expect(runs[0]!.clientIdPrefix).toBe("hl")
    const stored = runs[0]!.config as { maker: { secretKey: string; publicKey: string }; points: unknown }
    expect(stored.maker.secretKey).toBe("<set>")
    expect(stored.maker.publicKey).toBe("<empty>")
    expect(stored.points).toEqual({ maker: { makerWeight: "1", takerWeight: "1" }, hedge: { makerWeight: "1", takerWeight: "2" } })
    expect(Option.map(peek(file, (j) => j.lastRun()), (r) => r.id)).toEqual(Option.some(2))
  })

  it("read mode refuses a missing file, with 'no such file', and does not create it", () => {
    const file = newFile("absent.db")
    const error = openError(file, "read")
    expect(error).toBeInstanceOf(JournalError)
    expect(error.reason).toBe("no such file")
    expect(error.message).toBe(`journal ${file}: no such file`)
    expect(fs.existsSync(file)).toBe(false)
    expect(fs.readdirSync(path.dirname(file))).toEqual([])
  })

  it("read mode refuses a directory, an empty database, a text file and another program's SQLite file", () => {
    const dir = path.dirname(newFile())
    expect(openError(dir, "read").reason).toBe("not a regular file")

    const empty = path.join(dir, "empty.db")
    fs.writeFileSync(empty, "")
    expect(openError(empty, "read").reason).toMatch(/^not a hedgeloop journal/)

    const text = path.join(dir, "notes.txt")
    fs.writeFileSync(text, "this is not a database, just some text long enough to fill a header ".repeat(10))
    expect(openError(text, "read").reason).toBe("not an SQLite database")

    const other = path.join(dir, "other.db")
    const db = new Database(other)
    db.exec("CREATE TABLE ticks (ts INTEGER, price TEXT); INSERT INTO ticks VALUES (1, '2.0')")
    db.close()
    expect(openError(other, "read").reason).toMatch(/^not a hedgeloop journal/)
  })

  it("write mode refuses another program's SQLite file and leaves it as it was", () => {
    const file = newFile("other.db")
    const db = new Database(file)
    db.exec("CREATE TABLE ticks (ts INTEGER, price TEXT); INSERT INTO ticks VALUES (1, '2.0')")
    db.close()
    const before = fs.readFileSync(file)
    expect(openError(file, "write").reason).toMatch(/^not a hedgeloop journal/)
    expect(fs.readFileSync(file).equals(before)).toBe(true)
    const after = new Database(file, { readonly: true })
    try {
      expect(after.pragma("journal_mode", { simple: true })).toBe("delete")
      expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: "ticks" }])
    } finally {
      after.close()
    }
  })

  it("refuses a journal of another format version, in both modes", () => {
    const file = newFile()
    const { journal, close } = open(file)
    run(journal.startRun(runStart()))
    close()
    const db = new Database(file)
    db.prepare("UPDATE meta SET value = ? WHERE key = 'format_version'").run(String(JOURNAL_FORMAT_VERSION + 1))
    db.close()
    for (const mode of ["read", "write"] as const) {
      expect(openError(file, mode).reason).toBe(`unsupported journal format version ${JOURNAL_FORMAT_VERSION + 1} (this build reads version ${JOURNAL_FORMAT_VERSION})`)
    }
  })

  it("survives the death of the process that wrote it (kill -9 right after a write)", async () => {
    const file = newFile()
    const script = `
      const { Effect, Scope } = await import("effect")
      const { openJournal } = await import("./src/live/journal.ts")
      const { decimal } = await import("./src/core/domain/decimal.ts")
      const { testConfig } = await import("./test/support/config.ts")
      const scope = Effect.runSync(Scope.make())
      const j = Effect.runSync(Scope.extend(openJournal(process.env.JOURNAL_FILE, "write"), scope))
      const runId = Effect.runSync(j.startRun({ kind: "live", startedAt: ${T0}, config: testConfig(),
        maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" }, clientIdPrefix: "hl" }))
      Effect.runSync(j.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: "hl-m1", side: "sell", qty: decimal("10"), price: decimal("2.01"), createdAt: ${T0} }))
      Effect.runSync(j.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: "hl-h1", side: "buy", qty: decimal("4"), createdAt: ${T0 + 5} }))
      process.stdout.write("written\\n")
      process.kill(process.pid, "SIGKILL")
    `
    const child = await runNode(["--import", "tsx", "--input-type=module", "-e", script], { JOURNAL_FILE: file })
    expect(child.stdout, child.stderr).toBe("written\n")
    expect(child.signal).toBe("SIGKILL")
    // nothing was checkpointed or closed: the committed transactions are in the WAL
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0)

    const runs = peek(file, (j) => j.runs())
    expect(runs.map((r) => [r.id, Option.isNone(r.endedAt)])).toEqual([[1, true]])
    expect(peek(file, (j) => j.pendingIntents()).map((i) => [i.clientId, i.kind, i.attempts])).toEqual([["hl-m1", "limit", 1], ["hl-h1", "market", 1]])
    expect(peek(file, (j) => j.hedgesInDoubt()).map((h) => [h.clientId, h.state, fmt(h.qty)])).toEqual([["hl-h1", "sent", "4"]])

    // the next process goes on in the same file
    const next = open(file)
    expect(run(next.journal.startRun(runStart()))).toBe(2)
    expect(run(next.journal.pendingIntents(1)).length).toBe(2)
    expect(run(next.journal.pendingIntents(2))).toEqual([])
    next.close()
  })
})

describe("intents", () => {
  it("a request re-sent under its client id by the same run counts an attempt", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    run(journal.recordIntent(limitIntent(id, "hl-m1")))
    run(journal.recordIntent(limitIntent(id, "hl-m1")))
    run(journal.recordIntent({ ...limitIntent(id, "hl-m1"), qty: decimal("10.000") }))
    const pending = run(journal.pendingIntents(id))
    expect(pending.map((i) => [i.clientId, i.attempts, i.kind, Option.getOrNull(i.side), Option.map(i.qty, fmt), Option.map(i.price, fmt)])).toEqual([
      ["hl-m1", 3, "limit", "sell", Option.some("10"), Option.some("2.01")]
    ])
    close()
  })

  it("a client id already used for another order, or by another run, is refused", () => {
    const { journal, close } = open(newFile())
    const first = run(journal.startRun(runStart()))
    const second = run(journal.startRun(runStart()))
    run(journal.recordIntent(limitIntent(first, "hl-m1")))
    const otherOrder = failure(journal.recordIntent(limitIntent(first, "hl-m1", "11")))
    expect(otherOrder).toBeInstanceOf(JournalError)
    expect(otherOrder.reason).toMatch(/client id hl-m1 was already used by run 1/)
    expect(failure(journal.recordIntent({ ...limitIntent(first, "hl-m1"), price: decimal("2.02") })).reason).toMatch(/already used/)
    expect(failure(journal.recordIntent(marketIntent(first, "hl-m1"))).reason).toMatch(/already used/)
    expect(failure(journal.recordIntent(limitIntent(second, "hl-m1"))).reason).toMatch(/already used by run 1/)
    // nothing changed: one attempt, still run 1's
    expect(run(journal.pendingIntents()).map((i) => [i.clientId, i.runId, i.attempts])).toEqual([["hl-m1", 1, 1]])
    close()
  })

  it("an intent of an unknown run cannot be written", () => {
    const { journal, close } = open(newFile())
    expect(failure(journal.recordIntent(limitIntent(42, "hl-m1")))).toBeInstanceOf(JournalError)
    expect(run(journal.pendingIntents())).toEqual([])
    close()
  })

  it("a placement stays pending until the venue's answer names a closed order; a refusal settles it", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    run(journal.recordIntent(limitIntent(id, "hl-m1")))
    run(journal.recordIntent(limitIntent(id, "hl-m2")))
    run(journal.recordOrder(id, order({ id: "o1", clientId: "hl-m1" }), T0 + 1))
    const pending = run(journal.pendingIntents(id))
    expect(pending.map((i) => [i.clientId, Option.getOrNull(i.orderId), Option.map(i.order, (o) => o.status)])).toEqual([
      ["hl-m1", "o1", Option.some("new")],
      ["hl-m2", null, Option.none()]
    ])
    expect(run(journal.openOrders()).map((o) => o.id)).toEqual(["o1"])

    run(journal.recordOrder(id, order({ id: "o1", clientId: "hl-m1", status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.1") }), T0 + 2))
    run(journal.recordIntentRefused("hl-m2", "post-only order would take", T0 + 3))
    expect(run(journal.pendingIntents(id))).toEqual([])
    expect(run(journal.openOrders())).toEqual([])
    expect(failure(journal.recordIntentRefused("hl-nope", "whatever", T0)).reason).toMatch(/no intent hl-nope/)
    close()
  })

  it("lists the orders each run recorded, in their latest state, for the end-of-run fill check", () => {
    const { journal, close } = open(newFile())
    const first = run(journal.startRun(runStart()))
    run(journal.recordOrder(first, order({ id: "o1", clientId: "hl-m1" }), T0 + 1))
    const second = run(journal.startRun(runStart(testConfig(), "live", T0 + 10)))
    run(journal.recordOrder(second, order({ id: "o2", clientId: "hl-m2" }), T0 + 11))
    run(journal.recordUpdate(second, { order: order({ id: "o2", clientId: "hl-m2", status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.1") }) }, T0 + 12))
    run(journal.recordOrder(second, order({ id: "o3", clientId: "hl-m3" }), T0 + 13))
    // an order of the first run seen again by the second stays the first run's
    run(journal.recordOrder(second, order({ id: "o1", clientId: "hl-m1", status: "cancelled", updatedAt: T0 + 14 }), T0 + 14))
    expect(run(journal.orders(second)).map((o) => [o.id, o.status, fmt(o.filledQty)])).toEqual([["o2", "filled", "10"], ["o3", "new", "0"]])
    expect(run(journal.orders(first)).map((o) => [o.id, o.status])).toEqual([["o1", "cancelled"]])
    expect(run(journal.orders()).map((o) => o.id)).toEqual(["o2", "o3", "o1"])
    close()
  })

  it("finds the orders of a run that filled more than the journal holds fills for, whichever run journalled the fills", () => {
    const { journal, close } = open(newFile())
    const first = run(journal.startRun(runStart()))
    const filled = (id: string, qty: string, ts: number) =>
      run(journal.recordOrder(first, order({ id, clientId: `hl-${id}`, status: "filled", filledQty: decimal(qty), filledQuote: decimal("1"), updatedAt: ts }), ts))
    filled("whole", "10", T0 + 1)
    filled("part", "10", T0 + 2)
    filled("none", "0.5", T0 + 3)
    filled("later", "7.25", T0 + 4)
    run(journal.recordOrder(first, order({ id: "open", clientId: "hl-open" }), T0 + 5))
    run(journal.recordFill(first, fill({ tradeId: "t1", orderId: "whole", qty: decimal("4") })))
    run(journal.recordFill(first, fill({ tradeId: "t2", orderId: "whole", qty: decimal("6") })))
    run(journal.recordFill(first, fill({ tradeId: "t3", orderId: "part", qty: decimal("9.99") })))
    // the same order id on the other venue is not this order's fill
    run(journal.recordFill(first, fill({ venue: "aster-futures", symbol: "ASTERUSDT", tradeId: "t4", orderId: "none", qty: decimal("0.5") })))
    const second = run(journal.startRun(runStart(testConfig(), "live", T0 + 10)))
    // a later run read this order's fills from the venue's history
    run(journal.recordFill(second, fill({ tradeId: "t5", orderId: "later", qty: decimal("7.25") })))
    run(journal.recordOrder(second, order({ id: "other", clientId: "hl-other", status: "filled", filledQty: decimal("1"), updatedAt: T0 + 11 }), T0 + 11))
    expect(run(journal.ordersShortOfFills(first)).map((o) => [o.id, fmt(o.filledQty)])).toEqual([["part", "10"], ["none", "0.5"]])
    expect(run(journal.ordersShortOfFills(second)).map((o) => o.id)).toEqual(["other"])
    close()
  })

  it("an answer 'rejected' with nothing filled does not link the intent: a retry may still place one", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    run(journal.recordIntent(limitIntent(id, "hl-m1")))
    run(journal.recordOrder(id, order({ id: "r1", clientId: "hl-m1", status: "rejected", rejectReason: "would take" }), T0 + 1))
    expect(run(journal.pendingIntents(id)).map((i) => [i.clientId, Option.getOrNull(i.orderId)])).toEqual([["hl-m1", null]])
    close()
  })

  it("a cancel is keyed by the order it cancels and settled by that order's closed state", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    run(journal.recordIntent({ kind: "cancel", runId: id, venue: "backpack", orderId: "o1", createdAt: T0 }))
    run(journal.recordIntent({ kind: "cancel", runId: id, venue: "backpack", orderId: "o1", createdAt: T0 + 1 }))
    const [cancel] = run(journal.pendingIntents(id))
    expect(cancel?.clientId).toBe(cancelIntentId(id, "backpack", "o1"))
    expect(cancel?.clientId).toBe(`cancel:${id}:backpack:o1`)
    expect([cancel?.kind, Option.getOrNull(cancel!.orderId), cancel?.attempts]).toEqual(["cancel", "o1", 2])
    run(journal.recordOrder(id, order({ id: "o1", clientId: "hl-m1", status: "new" }), T0 + 2))
    expect(run(journal.pendingIntents(id)).length).toBe(1)
    run(journal.recordOrder(id, order({ id: "o1", clientId: "hl-m1", status: "cancelled" }), T0 + 3))
    expect(run(journal.pendingIntents(id))).toEqual([])
    close()
  })
})

describe("hedges", () => {
  it("a market intent opens its hedge as sent; a refusal fails it; a resend reopens it; the strategy's result settles it", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart()))
    run(journal.recordIntent(marketIntent(id, "hl-h1")))
    const [doubt] = run(journal.hedgesInDoubt())
    expect([doubt?.clientId, doubt?.state, doubt?.side, fmt(doubt!.qty), doubt?.ts, Option.isNone(doubt!.order)]).toEqual(["hl-h1", "sent", "buy", "10", T0 + 5, true])

    run(journal.recordIntentRefused("hl-h1", "margin is insufficient", T0 + 6))
    expect(run(journal.hedgesInDoubt())).toEqual([])
    expect(run(journal.pendingIntents())).toEqual([])
    // it keeps the time it was sent: a restart finding it never arrived must not date it then
    expect(run(journal.hedges()).map((h) => [h.clientId, h.state, h.ts])).toEqual([["hl-h1", "failed", T0 + 5]])

    // the strategy retries under the same client id
    run(journal.recordIntent(marketIntent(id, "hl-h1")))
    expect(run(journal.hedgesInDoubt()).map((h) => [h.clientId, h.state])).toEqual([["hl-h1", "sent"]])
    expect(run(journal.pendingIntents()).map((i) => [i.clientId, i.attempts])).toEqual([["hl-h1", 2]])

    run(journal.recordHedge({
      clientId: "hl-h1",
      runId: id,
      cycle: 3,
      leg: 2,
      side: "buy",
      qty: decimal("10"),
      executedQty: decimal("10"),
      executedQuote: decimal("20.125"),
      referencePrice: decimal("2.012"),
      ts: T0 + 9,
      state: "done"
    }))
    expect(run(journal.hedgesInDoubt())).toEqual([])
    const [done] = peek(file, (j) => j.hedges())
    expect(plain(done)).toEqual(plain({
      clientId: "hl-h1",
      runId: id,
      side: "buy",
      qty: decimal("10"),
      ts: T0 + 9,
      state: "done",
      cycle: Option.some(3),
      leg: Option.some(2),
      executedQty: Option.some(decimal("10")),
      executedQuote: Option.some(decimal("20.125")),
      referencePrice: Option.some(decimal("2.012"))
    }))
    // a done hedge is not reopened by a late resend of its intent
    run(journal.recordIntent(marketIntent(id, "hl-h1")))
    expect(run(journal.hedges()).map((h) => h.state)).toEqual(["done"])
    close()
  })

  it("a hedge in doubt carries what the venue last said about it", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    run(journal.recordIntent(marketIntent(id, "hl-h1")))
    run(journal.recordIntent(marketIntent(id, "hl-h2", "3")))
    run(journal.recordOrder(id, marketOrder({ id: "a7", clientId: "hl-h1", status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.12") }), T0 + 7))
    const doubts = run(journal.hedgesInDoubt())
    expect(doubts.map((h) => [h.clientId, Option.map(h.order, (o) => [o.id, o.status, fmt(o.filledQty)])])).toEqual([
      ["hl-h1", Option.some(["a7", "filled", "10"])],
      ["hl-h2", Option.none()]
    ])
    close()
  })
})

describe("stream updates, written behind", () => {
  const filledUpdate = (n: number): OrderUpdate => ({
    order: order({ id: `o${n}`, clientId: `hl-m${n}`, status: "filled", filledQty: decimal("10") }),
    fill: fill({ tradeId: `t${n}`, orderId: `o${n}` })
  })

  it("reach the file on the event loop's next turn; the journal's own calls see them at once", async () => {
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart()))
    run(journal.recordUpdate(id, filledUpdate(1), T0 + 1))
    run(journal.recordUpdate(id, filledUpdate(2), T0 + 2))
    // nothing committed yet: a hedge's intent goes ahead of them
    expect(peek(file, (j) => j.fills())).toEqual([])
    run(journal.recordIntent({ kind: "market", runId: id, venue: "aster-futures", clientId: "hl-h1", side: "buy", qty: decimal("10"), createdAt: T0 + 3 }))
    expect(peek(file, (j) => j.fills())).toEqual([])
    expect(peek(file, (j) => j.pendingIntents()).map((i) => i.clientId)).toEqual(["hl-h1"])
    // the next turn writes both, in one transaction
    await new Promise((resolve) => setImmediate(resolve))
    expect(peek(file, (j) => j.fills()).map((f) => f.tradeId)).toEqual(["t1", "t2"])
    // any other call first writes what is behind: a read of the same journal never misses an update
    run(journal.recordUpdate(id, filledUpdate(3), T0 + 4))
    expect(run(journal.fills()).map((f) => f.tradeId)).toEqual(["t1", "t2", "t3"])
    run(journal.recordUpdate(id, filledUpdate(4), T0 + 5))
    close()
    // and closing writes them too
    expect(peek(file, (j) => j.fills()).map((f) => f.tradeId)).toEqual(["t1", "t2", "t3", "t4"])
  })

  it("a write that fails behind fails the next call, and every one after: the run cannot go on unjournalled", async () => {
    const file = newFile()
    // the journal's closing logs with the logger it was opened under
    const logged: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logged.push(String(message))))
    const scope = Effect.runSync(Scope.make())
    const journal = Effect.runSync(Scope.extend(openJournal(file, "write"), scope).pipe(Effect.provide(logger)))
    const id = run(journal.startRun(runStart()))
    // run 99 does not exist: the foreign key refuses the rows
    run(journal.recordUpdate(99, filledUpdate(1), T0 + 1))
    await new Promise((resolve) => setImmediate(resolve))
    for (let i = 0; i < 2; i++) {
      const error = failure(journal.recordCycleEvent({ runId: id, cycle: 1, ts: T0 + 2, detail: { event: "started" } }))
      expect(error).toBeInstanceOf(JournalError)
      expect(error.reason).toMatch(/FOREIGN KEY/)
    }
    // nothing after it was written either
    expect(peek(file, (j) => j.cycleEvents())).toEqual([])
    // closing still closes (and frees the journal for the next writer), and says what was lost
    Effect.runSync(Scope.close(scope, Exit.void))
    expect(logged).toEqual([expect.stringMatching(/^journal .*: 1 stream update\(s\) could not be written at closing \(.*FOREIGN KEY/)])
    expect(fs.existsSync(`${file}.lock`)).toBe(false)
  })

  it("an update a kill -9 keeps out of the file leaves its order open there: the restart looks it up", async () => {
    const file = newFile()
    const script = `
      const { Effect, Scope } = await import("effect")
      const { openJournal } = await import("./src/live/journal.ts")
      const { decimal } = await import("./src/core/domain/decimal.ts")
      const { testConfig } = await import("./test/support/config.ts")
      const scope = Effect.runSync(Scope.make())
      const j = Effect.runSync(Scope.extend(openJournal(process.env.JOURNAL_FILE, "write"), scope))
      const runId = Effect.runSync(j.startRun({ kind: "live", startedAt: ${T0}, config: testConfig(),
        maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" }, clientIdPrefix: "hl" }))
      Effect.runSync(j.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: "hl-m1", side: "sell", qty: decimal("10"), price: decimal("2.01"), createdAt: ${T0} }))
      const base = { venue: "backpack", symbol: "ASTER_USDC_PERP", side: "sell", type: "limit", id: "o1", clientId: "hl-m1", qty: decimal("10"),
        price: decimal("2.01"), filledQuote: decimal("0"), postOnly: true, timeInForce: "GTC", createdAt: ${T0}, updatedAt: ${T0 + 1} }
      Effect.runSync(j.recordOrder(runId, { ...base, status: "new", filledQty: decimal("0") }, ${T0 + 1}))
      // the fill that completes it: queued, and the hedge's intent goes ahead of it
      Effect.runSync(j.recordUpdate(runId, { order: { ...base, status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.1"), updatedAt: ${T0 + 2} } }, ${T0 + 2}))
      Effect.runSync(j.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: "hl-h1", side: "buy", qty: decimal("10"), createdAt: ${T0 + 2} }))
      process.stdout.write("written\\n")
      process.kill(process.pid, "SIGKILL")
    `
    const child = await runNode(["--import", "tsx", "--input-type=module", "-e", script], { JOURNAL_FILE: file })
    expect(child.stdout, child.stderr).toBe("written\n")
    expect(child.signal).toBe("SIGKILL")
    // the fill never reached the file; the order is still open there, so its intent is pending
    // (the restart looks every pending intent up by client id and reads its fills from the venue)
    expect(peek(file, (j) => j.openOrders()).map((o) => [o.id, o.status])).toEqual([["o1", "new"]])
    expect(peek(file, (j) => j.pendingIntents()).map((i) => [i.clientId, Option.map(i.order, (o) => o.status)])).toEqual([
      ["hl-m1", Option.some("new")],
      ["hl-h1", Option.none()]
    ])
  })
})

describe("fills, funding, cycles and marks", () => {
  it("recording a fill twice is a no-op, whether alone or inside an order update", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart()))
    const f = fill({ tradeId: "t1", orderId: "o1" })
    expect(run(journal.recordFill(id, f))).toBe(true)
    expect(run(journal.recordFill(id, f))).toBe(false)
    expect(run(journal.recordFill(id, { ...f, qty: decimal("99") }))).toBe(false)
    run(journal.recordUpdate(id, { order: order({ id: "o1", clientId: "hl-m1", status: "filled", filledQty: decimal("10") }), fill: f }, T0 + 2))
    // the same trade id on the other venue is another fill
    expect(run(journal.recordFill(id, { ...f, venue: "aster-futures", symbol: "ASTERUSDT" }))).toBe(true)
    const fills = peek(file, (j) => j.fills())
    expect(fills.map((x) => [x.venue, x.tradeId, fmt(x.qty)])).toEqual([["backpack", "t1", "10"], ["aster-futures", "t1", "10"]])
    expect(plain(fills[0])).toEqual(plain(f))
    close()
  })

  it("one funding payment per venue and time", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    const payment = { venue: "aster-futures" as const, ts: T0 + 3600_000, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("-4"), amount: decimal("0.0008") }
    expect(run(journal.recordFunding(id, payment))).toBe(true)
    expect(run(journal.recordFunding(id, { ...payment, amount: decimal("5") }))).toBe(false)
    expect(run(journal.recordFunding(id, { ...payment, venue: "backpack" }))).toBe(true)
    expect(run(journal.funding()).map((p) => [p.venue, fmt(p.amount)])).toEqual([["aster-futures", "0.0008"], ["backpack", "0.0008"]])
    expect(plain(run(journal.funding(id))[0])).toEqual(plain(payment))
    close()
  })

  it("a paper run's funding payment and the live account's for the same funding time are both kept, each with its run", () => {
    const { journal, close } = open(newFile())
    const paper = run(journal.startRun(runStart(testConfig(), "paper")))
    const live = run(journal.startRun(runStart(testConfig(), "live", T0 + 10)))
    const payment = { venue: "aster-futures" as const, ts: T0 + 3600_000, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("-4"), amount: decimal("0.0008") }
    expect(run(journal.recordFunding(paper, payment))).toBe(true)
    expect(run(journal.recordFunding(live, { ...payment, position: decimal("-10"), amount: decimal("0.002") }))).toBe(true)
    // a later live run reading the venue's history again: the same payment, once
    const later = run(journal.startRun(runStart(testConfig(), "live", T0 + 20)))
    expect(run(journal.recordFunding(later, { ...payment, position: decimal("-10"), amount: decimal("0.002") }))).toBe(false)
    expect(run(journal.funding(paper)).map((p) => fmt(p.amount))).toEqual(["0.0008"])
    expect(run(journal.funding([live, later])).map((p) => fmt(p.amount))).toEqual(["0.002"])
    close()
  })

  it("a journal written before funding was keyed by kind of run gets the key at its next write opening, its payments kept with their runs", () => {
    const file = newFile()
    const first = open(file)
    const paper = run(first.journal.startRun(runStart(testConfig(), "paper")))
    const live = run(first.journal.startRun(runStart(testConfig(), "live", T0 + 10)))
    first.close()
    const payment = { venue: "backpack" as const, ts: T0 + 3600_000, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("-4"), amount: decimal("0.0008") }
    // the table as it was: one payment per venue and funding time, the paper run's here
    const db = new Database(file)
    db.exec(`DROP TABLE funding;
      CREATE TABLE funding (venue TEXT NOT NULL, ts INTEGER NOT NULL, run_id INTEGER NOT NULL REFERENCES runs (id), rate TEXT NOT NULL,
        mark_price TEXT NOT NULL, position TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (venue, ts));
      INSERT INTO funding VALUES ('backpack', ${payment.ts}, ${paper}, '0.0001', '2', '-4', '0.0008');
      INSERT INTO funding VALUES ('aster-futures', ${payment.ts}, ${live}, '0.0001', '2', '10', '-0.002');`)
    const columns = () => (db.prepare("SELECT name FROM pragma_table_info('funding')").all() as Array<{ name: string }>).map((c) => c.name)
    // reading changes nothing, and reads the payments
    expect(peek(file, (j) => j.funding()).map((p) => `${p.venue} ${fmt(p.amount)}`)).toEqual(["aster-futures -0.002", "backpack 0.0008"])
    expect(columns()).not.toContain("run_kind")
    const second = open(file)
    expect(columns()).toContain("run_kind")
    expect(db.prepare("SELECT venue, run_id, run_kind FROM funding ORDER BY venue").all()).toEqual([
      { venue: "aster-futures", run_id: live, run_kind: "live" },
      { venue: "backpack", run_id: paper, run_kind: "paper" }
    ])
    // the live account's payment for the paper one's funding time is no longer shut out; each stays once
    expect(run(second.journal.recordFunding(live, { ...payment, amount: decimal("0.003") }))).toBe(true)
    expect(run(second.journal.recordFunding(paper, payment))).toBe(false)
    expect(run(second.journal.recordFunding(live, { ...payment, venue: "aster-futures" }))).toBe(false)
    expect(run(second.journal.funding(live)).map((p) => `${p.venue} ${fmt(p.amount)}`)).toEqual(["aster-futures -0.002", "backpack 0.003"])
    expect(run(second.journal.funding(paper)).map((p) => `${p.venue} ${fmt(p.amount)}`)).toEqual(["backpack 0.0008"])
    second.close()
    db.close()
  })

  it("reads are filtered by run and in time order", () => {
    const { journal, close } = open(newFile())
    const a = run(journal.startRun(runStart()))
    const b = run(journal.startRun(runStart()))
    run(journal.recordFill(a, fill({ tradeId: "t2", orderId: "o1", ts: T0 + 20 })))
    run(journal.recordFill(b, fill({ tradeId: "t3", orderId: "o2", ts: T0 + 30 })))
    run(journal.recordFill(a, fill({ tradeId: "t1", orderId: "o1", ts: T0 + 10 })))
    run(journal.recordCycleEvent({ runId: a, cycle: 1, ts: T0 + 1, detail: { event: "started" } }))
    run(journal.recordCycleEvent({ runId: b, cycle: 1, ts: T0 + 2, detail: { event: "funding-pause", fundingTime: T0 + 600_000 } }))
    expect(run(journal.fills()).map((f) => f.tradeId)).toEqual(["t1", "t2", "t3"])
    expect(run(journal.fills(a)).map((f) => f.tradeId)).toEqual(["t1", "t2"])
    expect(run(journal.fills([b])).map((f) => f.tradeId)).toEqual(["t3"])
    expect(run(journal.fills([]))).toEqual([])
    // strictly between `after` and `before`
    expect(run(journal.fills(undefined, T0 + 10, T0 + 30)).map((f) => f.tradeId)).toEqual(["t2"])
    expect(run(journal.fills(a, T0 + 9, T0 + 20)).map((f) => f.tradeId)).toEqual(["t1"])
    expect(run(journal.cycleEvents(undefined, T0 + 1, T0 + 3)).map((e) => e.runId)).toEqual([b])
    expect(run(journal.cycleEvents([a, b], T0, T0 + 2)).map((e) => e.runId)).toEqual([a])
    expect(run(journal.cycleEvents(b))).toEqual([{ runId: b, cycle: 1, ts: T0 + 2, detail: { event: "funding-pause", fundingTime: T0 + 600_000 } }])
    expect(run(journal.cycleEvents([a, b])).map((e) => e.detail.event)).toEqual(["started", "funding-pause"])
    close()
  })

  it("answers a start's questions about every fill without listing them: an order's filled quantity, a venue's net, its latest fill", () => {
    const { journal, close } = open(newFile())
    const a = run(journal.startRun(runStart()))
    const b = run(journal.startRun(runStart()))
    run(journal.recordFill(a, fill({ tradeId: "t1", orderId: "o1", side: "sell", qty: decimal("3.5"), ts: T0 + 10 })))
    run(journal.recordFill(b, fill({ tradeId: "t2", orderId: "o1", side: "sell", qty: decimal("6.5"), ts: T0 + 20 })))
    run(journal.recordFill(a, fill({ tradeId: "t3", orderId: "o2", side: "buy", qty: decimal("10"), ts: T0 + 30 })))
    run(journal.recordFill(a, fill({ tradeId: "t4", orderId: "o3", side: "buy", qty: decimal("0.01"), ts: T0 + 30 })))
    run(journal.recordFill(a, fill({ tradeId: "t5", orderId: "o4", side: "buy", qty: decimal("0.01"), ts: T0 + 5 })))
    const hedgeFill = fill({ venue: "aster-futures", symbol: "ASTERUSDT", tradeId: "t1", orderId: "o1", side: "buy", qty: decimal("10"), fee: decimal("0.0038"), feeAsset: "ASTER", liquidity: "taker", ts: T0 + 11 })
    run(journal.recordFill(a, hedgeFill))
    // an order's fills across runs; another venue's order of the same id is another order
    expect(fmt(run(journal.filledQty("backpack", "o1")))).toBe("10")
    expect(fmt(run(journal.filledQty("aster-futures", "o1")))).toBe("10")
    expect(fmt(run(journal.filledQty("backpack", "o9")))).toBe("0")
    // exact: -3.5 - 6.5 + 10 + 0.01 + 0.01, two fills of one size counted once each
    expect(fmt(run(journal.netFilledQty("backpack")))).toBe("0.02")
    expect(fmt(run(journal.netFilledQty("aster-futures")))).toBe("10")
    expect(fmt(run(journal.netFilledQty("aster-spot")))).toBe("0")
    // of some runs, before a time: run a's backpack fills before T0 + 30 are t5 (+0.01) and t1 (-3.5)
    expect(fmt(run(journal.netFilledQty("backpack", a, T0 + 30)))).toBe("-3.49")
    expect(fmt(run(journal.netFilledQty("backpack", [b], T0 + 30)))).toBe("-6.5")
    expect(fmt(run(journal.netFilledQty("backpack", [], T0 + 30)))).toBe("0")
    // the latest by time, then by the order recorded (t4 after t3 at the same time; t5 is older)
    expect(Option.map(run(journal.lastFill("backpack")), (f) => f.tradeId)).toEqual(Option.some("t4"))
    expect(plain(Option.getOrThrow(run(journal.lastFill("aster-futures"))))).toEqual(plain(hedgeFill))
    expect(run(journal.lastFill("aster-spot"))).toEqual(Option.none())
    close()
  })

  /** A journal of one run with one fill (4 on backpack order o1), then made older by `sql`; its run id and a connection to it. */
  const olderJournal = (sql: string) => {
    const file = newFile()
    const first = open(file)
    const runId = run(first.journal.startRun(runStart()))
    run(first.journal.recordFill(runId, fill({ tradeId: "t1", orderId: "o1", qty: decimal("4") })))
    first.close()
    const db = new Database(file)
    db.exec(sql)
    return { file, runId, db }
  }

  it("a journal written before fills were indexed by order gets the index at its next write opening, its fills unchanged", () => {
    const { file, db } = olderJournal("DROP INDEX fills_by_order")
    const indexes = () => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fills'").all() as Array<{ name: string }>).map((r) => r.name).sort()
    expect(indexes()).not.toContain("fills_by_order")
    // reading opens nothing new
    expect(fmt(peek(file, (j) => j.filledQty("backpack", "o1")))).toBe("4")
    expect(indexes()).not.toContain("fills_by_order")
    const second = open(file)
    expect(indexes()).toContain("fills_by_order")
    expect(db.prepare("EXPLAIN QUERY PLAN SELECT qty FROM fills WHERE venue = 'backpack' AND order_id = 'o1'").all().map((r) => (r as { detail: string }).detail).join(" ")).toContain("fills_by_order")
    expect(fmt(run(second.journal.filledQty("backpack", "o1")))).toBe("4")
    second.close()
    db.close()
  })

  it("filter changes are read back by run and inside a window, in time order", () => {
    const { journal, close } = open(newFile())
    const a = run(journal.startRun(runStart()))
    const b = run(journal.startRun(runStart()))
    const change = (runId: number, ts: number, changes: Array<string>) =>
      run(journal.recordFilterChange({ runId, cycle: 2, venue: "backpack", symbol: "ASTER_USDC_PERP", ts, changes, why: "an order was refused: tick" }))
    change(a, T0 + 20, ["tick 0.0001 → 0.0005"])
    change(a, T0 + 10, ["min qty 1 → 5", "min notional 5 → 10"])
    change(b, T0 + 30, ["step 0.01 → 0.1"])
    expect(run(journal.filterChanges(a))).toEqual([
      { runId: a, cycle: 2, venue: "backpack", symbol: "ASTER_USDC_PERP", ts: T0 + 10, changes: ["min qty 1 → 5", "min notional 5 → 10"], why: "an order was refused: tick" },
      { runId: a, cycle: 2, venue: "backpack", symbol: "ASTER_USDC_PERP", ts: T0 + 20, changes: ["tick 0.0001 → 0.0005"], why: "an order was refused: tick" }
    ])
    expect(run(journal.filterChanges()).map((c) => c.ts)).toEqual([T0 + 10, T0 + 20, T0 + 30])
    // the bounds are exclusive, as every read's
    expect(run(journal.filterChanges([a, b], T0 + 10, T0 + 30)).map((c) => c.ts)).toEqual([T0 + 20])
    close()
  })

  it("a journal written before filter changes were kept reads as having none, and gets their table at its next write opening", () => {
    const { file, runId: a, db } = olderJournal("DROP TABLE filter_changes")
    const hasTable = () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'filter_changes'").get() !== undefined
    expect(peek(file, (j) => j.filterChanges())).toEqual([])
    expect(hasTable()).toBe(false)
    const second = open(file)
    expect(hasTable()).toBe(true)
    run(second.journal.recordFilterChange({ runId: a, cycle: 1, venue: "aster-futures", symbol: "ASTERUSDT", ts: T0 + 5, changes: ["step 0.01 → 1"], why: "every 15 minutes" }))
    expect(peek(file, (j) => j.filterChanges()).map((c) => c.changes)).toEqual([["step 0.01 → 1"]])
    expect(fmt(run(second.journal.filledQty("backpack", "o1")))).toBe("4")
    second.close()
    db.close()
  })

  // a run waiting with a fill unhedged (its hedge market closed) journals only marks: it is alive
  // until its last one (a report of its window ends there, not at its last fill)
  it("a run's last activity is its latest fill, funding payment, cycle event, hedge or mark; other runs do not count", () => {
    const { journal, close } = open(newFile())
    const a = run(journal.startRun(runStart()))
    const b = run(journal.startRun(runStart()))
    const last = (id: number) => Option.getOrNull(run(journal.lastActivity(id)))
    expect(last(a)).toBeNull()
    run(journal.recordMark(a, "backpack", decimal("2.03"), T0 + 1))
    expect(last(a)).toBe(T0 + 1)
    run(journal.recordFill(a, fill({ tradeId: "t1", orderId: "o1", ts: T0 + 10 })))
    expect(last(a)).toBe(T0 + 10)
    run(journal.recordIntent(marketIntent(a, "hl-h1"))) // its hedge is stamped T0 + 5: earlier
    expect(last(a)).toBe(T0 + 10)
    run(journal.recordCycleEvent({ runId: a, cycle: 1, ts: T0 + 20, detail: { event: "started" } }))
    expect(last(a)).toBe(T0 + 20)
    run(journal.recordFunding(a, { venue: "aster-futures", ts: T0 + 30, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("-4"), amount: decimal("0.0008") }))
    expect(last(a)).toBe(T0 + 30)
    // a refusal (or a restart finding the hedge never arrived) leaves the hedge's time as it was sent
    run(journal.recordIntentRefused("hl-h1", "margin is insufficient", T0 + 40))
    expect(last(a)).toBe(T0 + 30)
    run(journal.recordFill(b, fill({ tradeId: "t2", orderId: "o2", ts: T0 + 99 })))
    expect([last(a), last(b)]).toEqual([T0 + 30, T0 + 99])
    run(journal.recordMark(a, "aster-futures", decimal("2.03"), T0 + 500))
    expect([last(a), last(b)]).toEqual([T0 + 500, T0 + 99])
    close()
  })

  it("the latest mark per venue wins, by time then by order recorded", () => {
    const { journal, close } = open(newFile())
    const a = run(journal.startRun(runStart()))
    const b = run(journal.startRun(runStart()))
    run(journal.recordMark(a, "backpack", decimal("2.03"), T0 + 30))
    run(journal.recordMark(a, "backpack", decimal("2.01"), T0 + 10))
    run(journal.recordMark(a, "aster-futures", decimal("2.00"), T0 + 5))
    run(journal.recordMark(a, "aster-futures", decimal("2.02"), T0 + 5))
    run(journal.recordMark(b, "backpack", decimal("2.50"), T0 + 99))
    expect(run(journal.latestMarks(a)).map((m) => [m.venue, fmt(m.price), m.ts])).toEqual([["aster-futures", "2.02", T0 + 5], ["backpack", "2.03", T0 + 30]])
    expect(run(journal.latestMarks()).map((m) => [m.venue, fmt(m.price)])).toEqual([["aster-futures", "2.02"], ["backpack", "2.5"]])
    // across runs, and before a time
    expect(run(journal.latestMarks([a, b], T0 + 50)).map((m) => [m.venue, fmt(m.price), m.ts])).toEqual([["aster-futures", "2.02", T0 + 5], ["backpack", "2.03", T0 + 30]])
    expect(run(journal.latestMarks([a, b])).map((m) => [m.venue, fmt(m.price), m.ts])).toEqual([["aster-futures", "2.02", T0 + 5], ["backpack", "2.5", T0 + 99]])
    close()
  })

  // Was: the newest marks were found by scanning every mark of the runs (a row per venue every 5 s:
  // millions after months), seconds in which the daily digest blocked a live run's thread
  it("a journal's marks are indexed by run, and one written before the index gets it and reads the same", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const a = run(journal.startRun(runStart()))
    for (let i = 0; i < 50; i++) run(journal.recordMark(a, i % 2 === 0 ? "backpack" : "aster-futures", decimal(`2.${String(i).padStart(2, "0")}`), T0 + i))
    const indexed = run(journal.latestMarks([a], T0 + 40)).map((m) => [m.venue, fmt(m.price), m.ts])
    close()
    const db = new Database(file)
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT price FROM marks WHERE run_id = 1 AND venue = 'backpack' AND ts < 5 ORDER BY ts DESC LIMIT 1").all() as Array<{ detail: string }>).map((r) => r.detail).join("; ")
    expect(plan).toMatch(/USING INDEX marks_by_run/)
    db.exec("DROP INDEX marks_by_run")
    db.close()
    // read-only, without the index: the same answer, the slow way
    const reader = open(file, "read")
    expect(run(reader.journal.latestMarks([a], T0 + 40)).map((m) => [m.venue, fmt(m.price), m.ts])).toEqual(indexed)
    reader.close()
    // a writer adds it back
    open(file).close()
    const again = new Database(file)
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'marks_by_run'").get()).toEqual({ name: "marks_by_run" })
    again.close()
    expect(indexed).toEqual([["aster-futures", "2.39", T0 + 39], ["backpack", "2.38", T0 + 38]])
  })
})

describe("order states", () => {
  it("a stale message never regresses the filled quantity or reopens a closed order", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart()))
    const o = (status: OrderStatus, filled: string, updatedAt: number) =>
      order({ id: "o1", clientId: "hl-m1", status, filledQty: decimal(filled), filledQuote: BigDecimal.multiply(decimal(filled), decimal("2.01")), updatedAt })
    const stored = () => run(journal.openOrders())
    run(journal.recordOrder(id, o("partially-filled", "6", T0 + 20), T0 + 20))
    run(journal.recordOrder(id, o("partially-filled", "2", T0 + 10), T0 + 21))
    expect(stored().map((x) => [x.status, fmt(x.filledQty), fmt(x.filledQuote), x.updatedAt])).toEqual([["partially-filled", "6", "12.06", T0 + 20]])
    run(journal.recordOrder(id, o("cancelled", "6", T0 + 30), T0 + 22))
    run(journal.recordOrder(id, o("new", "6", T0 + 5), T0 + 23))
    run(journal.recordOrder(id, o("partially-filled", "4", T0 + 15), T0 + 24))
    expect(stored()).toEqual([])
    expect(storedOrders(file).map((r) => [r.order_id, r.status, r.state.status, r.state.filledQty])).toEqual([["o1", "cancelled", "cancelled", "6"]])
    // a fill that raced the cancel still counts, and the order stays cancelled
    run(journal.recordOrder(id, o("partially-filled", "7", T0 + 25), T0 + 25))
    expect(storedOrders(file).map((r) => [r.status, r.state.status, r.state.filledQty])).toEqual([["cancelled", "cancelled", "7"]])
    // an intent linked by a stale open message is settled by the stored (closed) state
    run(journal.recordIntent(limitIntent(id, "hl-m1")))
    run(journal.recordOrder(id, o("new", "0", T0 + 1), T0 + 26))
    expect(run(journal.pendingIntents())).toEqual([])
    expect(storedOrders(file).map((r) => [r.status, r.state.filledQty])).toEqual([["cancelled", "7"]])
    close()
  })

  it("mergeOrder: the reject reason follows the status that closed the order", () => {
    const open_ = order({ id: "o1", clientId: "c", status: "new", updatedAt: 5 })
    const rejected = order({ id: "o1", clientId: "c", status: "rejected", rejectReason: "post only", updatedAt: 3 })
    expect(plain(mergeOrder(rejected, open_))).toEqual(plain({ ...open_, status: "rejected", rejectReason: "post only", updatedAt: 5 }))
    expect(plain(mergeOrder(open_, rejected))).toEqual(plain({ ...rejected, updatedAt: 5 }))
  })

  const statuses: ReadonlyArray<OrderStatus> = ["new", "partially-filled", "filled", "cancelled", "rejected", "expired"]
  const message = fc.record({ filled: fc.integer({ min: 0, max: 10 }), status: fc.constantFrom(...statuses), updatedAt: fc.integer({ min: 0, max: 1000 }) })
  const asOrder = (m: { filled: number; status: OrderStatus; updatedAt: number }) =>
    order({ id: "o1", clientId: "c", status: m.status, filledQty: decimal(String(m.filled)), filledQuote: decimal(String(m.filled * 2)), updatedAt: m.updatedAt })

  it("mergeOrder (property): in any order, filled never goes back, closed stays closed, and the result is the most filled, closed if any message was", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), (messages) => {
        let state = asOrder(messages[0]!)
        for (const m of messages.slice(1)) {
          const next = mergeOrder(state, asOrder(m))
          expect(BigDecimal.greaterThanOrEqualTo(next.filledQty, state.filledQty)).toBe(true)
          if (!isOpenStatus(state.status)) expect(isOpenStatus(next.status)).toBe(false)
          state = next
        }
        expect(fmt(state.filledQty)).toBe(String(Math.max(...messages.map((m) => m.filled))))
        // the quote travels with the quantity it belongs to
        expect(fmt(state.filledQuote)).toBe(String(Math.max(...messages.map((m) => m.filled)) * 2))
        expect(isOpenStatus(state.status)).toBe(messages.every((m) => isOpenStatus(m.status)))
        expect(state.updatedAt).toBe(Math.max(...messages.map((m) => m.updatedAt)))
      }),
      { numRuns: 500 }
    )
  })

  it("the journal (property): messages stored in any order leave the same filled quantity and openness", () => {
    const { journal, close } = open(newFile())
    const id = run(journal.startRun(runStart()))
    let n = 0
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), (messages) => {
        n += 1
        const orderId = `p${n}`
        for (const m of messages) run(journal.recordOrder(id, { ...asOrder(m), id: orderId, clientId: `hl-p${n}` }, T0))
        const open_ = run(journal.openOrders()).filter((o) => o.id === orderId)
        const everyOpen = messages.every((m) => isOpenStatus(m.status))
        expect(open_.length).toBe(everyOpen ? 1 : 0)
        if (everyOpen) expect(fmt(open_[0]!.filledQty)).toBe(String(Math.max(...messages.map((m) => m.filled))))
      }),
      { numRuns: 60 }
    )
    close()
  })
})

describe("secrets", () => {
  const secrets = {
    bpPublic: "cHVibGljLWtleS1vZi10aGUtYmFja3BhY2stdGVzdA==",
    bpSecret: "c2VjcmV0LWtleS1vZi10aGUtYmFja3BhY2stdGVzdA+/",
    asterKey: "a5t3rK3yF0rTh3J0urn4lT3st000000000000000001",
    asterSecret: "a5t3rS3cr3tF0rTh3J0urn4lT3st0000000000000002"
  }
  const config = testConfig({
    bp: { api_public_key_b64: secrets.bpPublic, api_secret_key_b64: secrets.bpSecret },
    aster: { api_key: secrets.asterKey, api_secret: secrets.asterSecret }
  })

  it("never reach the file, even when a venue's refusal, an order, a reason or a run's end echoes them", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart(config)))
    const echo = `bad key ${secrets.asterKey} / ${secrets.asterSecret} / ${secrets.bpPublic}`

    // a refusal as the journaled exchange writes it, from the venue's own error
    const hedge = fakeVenue("aster-futures", { placeMarket: () => Effect.fail(new OrderRejected({ venue: "aster-futures", reason: `MARKER-REFUSAL ${echo}`, code: "-2015" })) })
    const exit = Effect.runSyncExit(journaled(hedge.exchange, journal, id).placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-h1" }))
    expect(Exit.isFailure(exit)).toBe(true)
    // an order whose reject reason echoes one, and an answer of an own order
    run(journal.recordIntent(limitIntent(id, "hl-m1")))
    run(journal.recordOrder(id, order({ id: "o1", clientId: "hl-m1", status: "rejected", rejectReason: `MARKER-ORDER ${secrets.bpSecret}` }), T0))
    run(journal.recordIntentRefused("hl-m1", `MARKER-INTENT ${secrets.bpSecret}`, T0))
    run(journal.recordCycleEvent({ runId: id, cycle: 1, ts: T0, detail: { event: "hedge-failed", leg: 1, clientId: "hl-h1", side: "buy", qty: decimal("10"), reason: `MARKER-CYCLE ${echo}` } }))
    run(journal.recordFilterChange({ runId: id, cycle: 1, venue: "aster-futures", symbol: "ASTERUSDT", ts: T0, changes: ["step 0.01 → 1"], why: `MARKER-FILTERS ${echo}` }))
    run(journal.endRun(id, { endedAt: T0 + 1, outcome: `MARKER-OUTCOME ${secrets.asterSecret}`, message: `MARKER-MESSAGE ${echo} ${secrets.bpSecret}` }))

    const check = () => {
      const files = rawBytes(file)
      expect(files.length).toBeGreaterThan(0)
      for (const secret of Object.values(secrets)) expect(filesHolding(file, secret)).toEqual([])
      // the texts themselves did reach the file, with the secrets replaced
      for (const marker of ["MARKER-REFUSAL", "MARKER-ORDER", "MARKER-INTENT", "MARKER-CYCLE", "MARKER-FILTERS", "MARKER-OUTCOME", "MARKER-MESSAGE"]) {
        expect(filesHolding(file, marker).length).toBeGreaterThan(0)
      }
    }
    check()
    close()
    check()

    const [stored] = peek(file, (j) => j.runs())
    expect(Option.getOrThrow(stored!.outcome)).toBe("MARKER-OUTCOME <redacted>")
    expect(Option.getOrThrow(stored!.message)).toBe("MARKER-MESSAGE bad key <redacted> / <redacted> / <redacted> <redacted>")
    expect(JSON.stringify(stored!.config)).not.toMatch(/a5t3r|c2VjcmV0|cHVibGlj/)
    const cycle = peek(file, (j) => j.cycleEvents())[0]!.detail
    expect(cycle.event === "hedge-failed" && cycle.reason).toBe("MARKER-CYCLE bad key <redacted> / <redacted> / <redacted>")
    expect(peek(file, (j) => j.filterChanges())[0]!.why).toBe("MARKER-FILTERS bad key <redacted> / <redacted> / <redacted>")
    const db = new Database(file, { readonly: true })
    try {
      const refusals = db.prepare("SELECT client_id, refusal FROM intents ORDER BY client_id").all()
      expect(refusals).toEqual([
        { client_id: "hl-h1", refusal: "aster-futures refused the request (-2015): MARKER-REFUSAL bad key <redacted> / <redacted> / <redacted>" },
        { client_id: "hl-m1", refusal: "MARKER-INTENT <redacted>" }
      ])
    } finally {
      db.close()
    }
  })

  it("a V3 signer key is scrubbed too", () => {
    const key = `0x${"ab12".repeat(16)}`
    const v3 = testConfig({ aster: { user: `0x${"1".repeat(40)}`, signer: `0x${"2".repeat(40)}`, signer_private_key: key } })
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart(v3)))
    run(journal.endRun(id, { endedAt: T0, outcome: "error", message: `MARKER signing with ${key} failed` }))
    expect(filesHolding(file, key)).toEqual([])
    close()
    expect(filesHolding(file, key)).toEqual([])
    expect(Option.getOrThrow(peek(file, (j) => j.runs())[0]!.message)).toBe("MARKER signing with <redacted> failed")
  })

  it("empty secrets (a paper run without keys) leave text untouched", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const id = run(journal.startRun(runStart(testConfig(), "paper")))
    run(journal.endRun(id, { endedAt: T0, outcome: "stopped", message: "stopped by Ctrl+C after 3 cycles" }))
    close()
    expect(Option.getOrThrow(peek(file, (j) => j.runs())[0]!.message)).toBe("stopped by Ctrl+C after 3 cycles")
  })
})

// =============================================================================================

describe("journaled exchange", () => {
  const limitRequest = { side: "sell" as const, price: decimal("2.01"), qty: decimal("10"), postOnly: true, timeInForce: "GTC" as const, clientId: "hl-m1" }
  const marketRequest = { side: "buy" as const, qty: decimal("10"), clientId: "hl-h1" }

  const setup = () => {
    const file = newFile()
    const { journal, close } = open(file)
    const runId = run(journal.startRun(runStart()))
    return { file, journal, close, runId }
  }

  it("writes the intent, committed, before the venue is asked, then links the venue's answer", () => {
    const { file, journal, close, runId } = setup()
    const seenByVenue: Array<unknown> = []
    const maker = fakeVenue("backpack", {
      placeLimit: (request) =>
        Effect.sync(() => {
          // read through another connection: the intent must already be committed
          seenByVenue.push(peek(file, (j) => j.pendingIntents()).map((i) => [i.clientId, i.kind, Option.map(i.qty, fmt), Option.map(i.price, fmt), Option.getOrNull(i.orderId)]))
          return order({ id: "o1", clientId: request.clientId })
        })
    })
    const placed = run(journaled(maker.exchange, journal, runId).placeLimit(limitRequest))
    expect(placed.id).toBe("o1")
    expect(maker.calls).toEqual(["placeLimit"])
    expect(seenByVenue).toEqual([[["hl-m1", "limit", Option.some("10"), Option.some("2.01"), null]]])
    expect(run(journal.pendingIntents()).map((i) => [i.clientId, Option.getOrNull(i.orderId), Option.map(i.order, (o) => o.status)])).toEqual([["hl-m1", "o1", Option.some("new")]])
    close()
  })

  it("passes refreshInstrument through to the venue, journalling nothing (absent where the venue has none)", () => {
    const { journal, close, runId } = setup()
    const hedge = fakeVenue("aster-futures", {})
    const fresh: Instrument = {
      venue: "aster-futures",
      symbol: "ASTERUSDT",
      base: "ASTER",
      quote: "USDT",
      kind: "perp",
      tickSize: decimal("0.0005"),
      stepSize: decimal("0.1"),
      minQty: decimal("0.1"),
      minNotional: decimal("6")
    }
    let refreshes = 0
    let fails = false
    const refreshing: Exchange = {
      ...hedge.exchange,
      refreshInstrument: Effect.suspend(() => {
        refreshes += 1
        return fails ? Effect.fail(new InvalidResponse({ venue: "aster-futures", detail: "exchangeInfo: no symbol ASTERUSDT" })) : Effect.succeed(fresh)
      })
    }
    const wrapped = journaled(refreshing, journal, runId)
    expect(run(wrapped.refreshInstrument!)).toBe(fresh)
    expect(refreshes).toBe(1)
    // a failed refresh reaches the caller unchanged
    fails = true
    const error = failure(wrapped.refreshInstrument!)
    expect([error._tag, error.message, refreshes]).toEqual(["InvalidResponse", new InvalidResponse({ venue: "aster-futures", detail: "exchangeInfo: no symbol ASTERUSDT" }).message, 2])
    expect(hedge.calls).toEqual([])
    expect(run(journal.pendingIntents())).toEqual([])
    expect("refreshInstrument" in journaled(hedge.exchange, journal, runId)).toBe(false)
    close()
  })

  it("writes a market order's intent and its sent hedge before sending it", () => {
    const { file, journal, close, runId } = setup()
    const seen: Array<unknown> = []
    const hedge = fakeVenue("aster-futures", {
      placeMarket: (request) =>
        Effect.sync(() => {
          seen.push(peek(file, (j) => j.hedgesInDoubt()).map((h) => [h.clientId, h.state]))
          return marketOrder({ id: "a1", clientId: request.clientId, status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.1") })
        })
    })
    run(journaled(hedge.exchange, journal, runId).placeMarket(marketRequest))
    expect(seen).toEqual([[["hl-h1", "sent"]]])
    // answered, but the strategy has not reported the result yet: still to be settled on a restart
    expect(run(journal.hedgesInDoubt()).map((h) => [h.clientId, Option.map(h.order, (o) => o.status)])).toEqual([["hl-h1", Option.some("filled")]])
    expect(run(journal.pendingIntents())).toEqual([])
    close()
  })

  it("sends nothing when the intent cannot be written", () => {
    const { journal, close } = setup()
    const maker = fakeVenue("backpack", { placeLimit: () => Effect.die("must not be called") })
    const hedge = fakeVenue("aster-futures", { placeMarket: () => Effect.die("must not be called"), cancel: () => Effect.die("must not be called") })
    // run 99 does not exist: its intents cannot be written
    for (const attempt of [
      journaled(maker.exchange, journal, 99).placeLimit(limitRequest),
      journaled(hedge.exchange, journal, 99).placeMarket(marketRequest),
      journaled(hedge.exchange, journal, 99).cancel("a1")
    ]) {
      const exit = Effect.runSyncExit(attempt)
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      if (Exit.isFailure(exit)) expect(Cause.pretty(exit.cause)).toMatch(/JournalError|journal/)
    }
    expect(maker.calls).toEqual([])
    expect(hedge.calls).toEqual([])
    close()
  })

  it("a refused placement marks the intent refused and a market intent's hedge failed", () => {
    const { journal, close, runId } = setup()
    const maker = fakeVenue("backpack", { placeLimit: () => Effect.fail(new OrderRejected({ venue: "backpack", reason: "would take", wouldTake: true })) })
    const hedge = fakeVenue("aster-futures", { placeMarket: () => Effect.fail(new InsufficientBalance({ venue: "aster-futures", reason: "margin" })) })
    const limitError = failure(journaled(maker.exchange, journal, runId).placeLimit(limitRequest))
    const marketError = failure(journaled(hedge.exchange, journal, runId).placeMarket(marketRequest))
    // the venue's error reaches the caller unchanged
    expect(limitError._tag).toBe("OrderRejected")
    expect(marketError._tag).toBe("InsufficientBalance")
    expect(run(journal.pendingIntents())).toEqual([])
    expect(run(journal.hedgesInDoubt())).toEqual([])
    expect(run(journal.hedges()).map((h) => [h.clientId, h.state])).toEqual([["hl-h1", "failed"]])
    close()
  })

  it("a placement answered 'rejected' with nothing filled is a refusal too", () => {
    const { journal, close, runId } = setup()
    const hedge = fakeVenue("aster-futures", {
      placeMarket: (request) => Effect.succeed(marketOrder({ id: "a1", clientId: request.clientId, status: "rejected", rejectReason: "price protection" }))
    })
    const answer = run(journaled(hedge.exchange, journal, runId).placeMarket(marketRequest))
    expect(answer.status).toBe("rejected")
    expect(run(journal.pendingIntents())).toEqual([])
    expect(run(journal.hedges()).map((h) => h.state)).toEqual(["failed"])
    close()
  })

  it("a timeout leaves the intent pending and the hedge sent (in doubt) until a lookup answers", () => {
    const { journal, close, runId } = setup()
    let lookedUp: Option.Option<Order> = Option.none()
    const hedge = fakeVenue("aster-futures", {
      placeMarket: () => Effect.fail(new VenueUnavailable({ venue: "aster-futures", reason: "timed out" })),
      queryOrder: (ref) =>
        "clientId" in ref
          ? Effect.succeed(Option.getOrThrow(lookedUp))
          : Effect.fail(new UnknownOrder({ venue: "aster-futures", orderId: ref.orderId }))
    })
    const venue = journaled(hedge.exchange, journal, runId)
    expect(failure(venue.placeMarket(marketRequest))._tag).toBe("VenueUnavailable")
    expect(run(journal.pendingIntents()).map((i) => [i.clientId, i.kind, i.attempts, Option.isNone(i.orderId)])).toEqual([["hl-h1", "market", 1, true]])
    const doubts = run(journal.hedgesInDoubt())
    expect(doubts.map((h) => [h.clientId, h.state, fmt(h.qty), Option.isNone(h.order)])).toEqual([["hl-h1", "sent", "10", true]])

    // the lookup by client id finds it executed: the journal links it
    lookedUp = Option.some(marketOrder({ id: "a9", clientId: "hl-h1", status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.12") }))
    run(venue.queryOrder({ clientId: "hl-h1" }))
    expect(run(journal.pendingIntents())).toEqual([])
    expect(run(journal.hedgesInDoubt()).map((h) => Option.map(h.order, (o) => [o.id, fmt(o.filledQty)]))).toEqual([Option.some(["a9", "10"])])

    // the strategy reports the result: settled
    const observer = journalObserver(journal, runId)
    run(observer.hedgeSent({ cycle: 1, leg: 1, side: "buy", qty: decimal("10"), executedQty: decimal("10"), executedQuote: decimal("20.12"), referencePrice: decimal("2.011"), clientId: "hl-h1", ts: T0 + 50 }))
    expect(run(journal.hedgesInDoubt())).toEqual([])
    close()
  })

  it("a retry after a refusal counts an attempt and reopens the hedge", () => {
    const { journal, close, runId } = setup()
    const answers: Array<Effect.Effect<Order, ExchangeError>> = [
      Effect.fail(new OrderRejected({ venue: "aster-futures", reason: "price protection", code: "-4131" })),
      Effect.succeed(marketOrder({ id: "a2", clientId: "hl-h1", status: "filled", filledQty: decimal("10"), filledQuote: decimal("20.1") }))
    ]
    const hedge = fakeVenue("aster-futures", { placeMarket: () => answers.shift()! })
    const venue = journaled(hedge.exchange, journal, runId)
    failure(venue.placeMarket(marketRequest))
    expect(run(journal.hedges()).map((h) => h.state)).toEqual(["failed"])
    run(venue.placeMarket(marketRequest))
    expect(run(journal.hedgesInDoubt()).map((h) => [h.clientId, h.state, Option.map(h.order, (o) => o.id)])).toEqual([["hl-h1", "sent", Option.some("a2")]])
    close()
  })

  it("journals cancels: the order's final state settles them, a venue's 'unknown order' refuses them, a timeout leaves them pending", () => {
    const { file, journal, close, runId } = setup()
    const seen: Array<unknown> = []
    const answers: Record<string, Effect.Effect<Order, ExchangeError>> = {
      o1: Effect.succeed(order({ id: "o1", clientId: "hl-m1", status: "cancelled", filledQty: decimal("3") })),
      o2: Effect.fail(new UnknownOrder({ venue: "backpack", orderId: "o2" })),
      o3: Effect.fail(new VenueUnavailable({ venue: "backpack", reason: "503" }))
    }
    const maker = fakeVenue("backpack", {
      cancel: (orderId) =>
        Effect.suspend(() => {
          seen.push(peek(file, (j) => j.pendingIntents()).map((i) => i.clientId))
          return answers[orderId]!
        })
    })
    const venue = journaled(maker.exchange, journal, runId)
    expect(run(venue.cancel("o1")).status).toBe("cancelled")
    expect(failure(venue.cancel("o2"))._tag).toBe("UnknownOrder")
    expect(failure(venue.cancel("o3"))._tag).toBe("VenueUnavailable")
    expect(seen).toEqual([[`cancel:${runId}:backpack:o1`], [`cancel:${runId}:backpack:o2`], [`cancel:${runId}:backpack:o3`]])
    expect(run(journal.pendingIntents()).map((i) => [i.clientId, i.kind, Option.getOrNull(i.orderId)])).toEqual([[`cancel:${runId}:backpack:o3`, "cancel", "o3"]])
    close()
  })

  it("hands every stream update (order and fill) to the journal before handing it over; drainUpdates reads until quiet", async () => {
    const { file, journal, close, runId } = setup()
    const updates: Array<OrderUpdate> = [1, 2, 3].map((n) => ({
      order: marketOrder({ id: "a1", clientId: "hl-h1", status: n === 3 ? "filled" : "partially-filled", filledQty: decimal(String(n * 2)), filledQuote: decimal(String(n * 4)), updatedAt: T0 + n }),
      fill: fill({ venue: "aster-futures", symbol: "ASTERUSDT", tradeId: `t${n}`, orderId: "a1", side: "buy", price: decimal("2"), qty: decimal("2"), fee: decimal("0.0014"), feeAsset: "USDT", liquidity: "taker", ts: T0 + n })
    }))
    const queue = [...updates]
    const hedge = fakeVenue("aster-futures", { nextUpdate: () => Effect.sync(() => Option.fromNullable(queue.shift())) })
    const venue = journaled(hedge.exchange, journal, runId)

    const first = run(venue.nextUpdate("10 millis"))
    expect(Option.map(first, (u) => u.fill?.tradeId)).toEqual(Option.some("t1"))
    // the journal has it by the time the caller has it; on file (committed) on the next turn
    expect(run(journal.fills()).map((f) => f.tradeId)).toEqual(["t1"])
    run(venue.nextUpdate("10 millis"))
    await new Promise((resolve) => setImmediate(resolve))
    expect(peek(file, (j) => j.fills()).map((f) => f.tradeId)).toEqual(["t1", "t2"])
    expect(peek(file, (j) => j.openOrders()).map((o) => fmt(o.filledQty))).toEqual(["4"])

    expect(run(drainUpdates(venue, "10 millis"))).toBe(1)
    expect(hedge.calls.length).toBe(4)
    await new Promise((resolve) => setImmediate(resolve))
    expect(peek(file, (j) => j.fills()).map((f) => f.tradeId)).toEqual(["t1", "t2", "t3"])
    expect(peek(file, (j) => j.openOrders())).toEqual([])
    expect(run(drainUpdates(venue, "10 millis"))).toBe(0)
    close()
  })

  it("passes reads through untouched", () => {
    const { journal, close, runId } = setup()
    const maker = fakeVenue("backpack", {})
    const venue = journaled(maker.exchange, journal, runId)
    expect(venue.venue).toBe("backpack")
    expect(run(venue.openOrders)).toEqual([])
    expect(run(venue.nextFundingTime)).toEqual(Option.none())
    close()
  })
})

describe("write-ahead log", () => {
  /** WAL frames a file of this size holds (a 32-byte header, then 4096-byte pages with 24-byte headers) */
  const walFrames = (file: string) => (fs.statSync(`${file}-wal`).size - 32) / (4096 + 24)
  /** commits one by one, as replies and fills come during a run */
  const updates = (journal: JournalService, runId: number, from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      run(journal.recordOrder(runId, order({ id: `o${i}`, clientId: `hl-m${i}`, filledQty: decimal("10"), status: "filled" }), T0 + i))
      run(journal.recordFill(runId, fill({ tradeId: `t${i}`, orderId: `o${i}` })))
    }
  }

  it("is not checkpointed inside a commit (SQLite's default would, every 1000 pages); a leg's end checkpoints it", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const runId = run(journal.startRun(runStart()))
    updates(journal, runId, 0, 600)
    // SQLite's default checkpoint would have kept the log near 1000 frames
    expect(walFrames(file)).toBeGreaterThan(1500)
    // the end of a leg folds the log into the database: the next commits reuse it from its start
    run(journalObserver(journal, runId).legCompleted({ cycle: 1, leg: 1, side: "sell", startedAt: T0, filledAt: T0 + 1, orders: 1 }))
    const grown = walFrames(file)
    updates(journal, runId, 600, 100)
    expect(walFrames(file)).toBe(grown)
    // without the checkpoint the same commits make it grow
    updates(journal, runId, 700, 700)
    expect(walFrames(file)).toBeGreaterThan(grown)
    expect(peek(file, (j) => j.fills()).length).toBe(1400)
    close()
  })
})

describe("journal observer", () => {
  it("records cycle events, hedge results and filter changes as the strategy reports them", () => {
    const file = newFile()
    const { journal, close } = open(file)
    const runId = run(journal.startRun(runStart()))
    const observer = journalObserver(journal, runId)
    run(observer.cycleStarted(1, T0 + 1))
    run(observer.fundingPause(1, T0 + 600_000, T0 + 2))
    run(observer.makerOrderPlaced({ cycle: 1, leg: 1, orderId: "o1", side: "sell", price: decimal("2.01"), qty: decimal("10"), repost: false, ts: T0 + 3 }))
    run(observer.makerOrderPlaced({ cycle: 1, leg: 1, orderId: "o2", side: "sell", price: decimal("2.012"), qty: decimal("10"), repost: true, ts: T0 + 4 }))
    run(observer.hedgeFailed!({ cycle: 1, leg: 1, side: "buy", qty: decimal("10"), clientId: "hl-h1", reason: "price protection", ts: T0 + 5 }))
    run(observer.legCompleted({ cycle: 1, leg: 1, side: "sell", startedAt: T0 + 3, filledAt: T0 + 1003, orders: 2 }))
    run(observer.exposureChanged(decimal("10"), T0 + 6))
    run(journal.recordIntent(marketIntent(runId, "hl-h2")))
    run(observer.hedgeSent({ cycle: 1, leg: 1, side: "buy", qty: decimal("10"), executedQty: decimal("10"), executedQuote: decimal("20.125"), referencePrice: decimal("2.012"), clientId: "hl-h2", ts: T0 + 7 }))
    run(observer.filtersChanged!({ cycle: 2, venue: "backpack", symbol: "ASTER_USDC_PERP", changes: ["tick 0.0001 → 0.0005"], why: "an order was refused: price not on tick", ts: T0 + 8 }))

    const events = peek(file, (j) => j.cycleEvents())
    expect(events.map((e) => [e.runId, e.cycle, e.detail.event])).toEqual([
      [runId, 1, "started"],
      [runId, 1, "funding-pause"],
      [runId, 1, "maker-order"],
      [runId, 1, "maker-order"],
      [runId, 1, "hedge-failed"],
      [runId, 1, "leg-completed"]
    ])
    expect(events.slice(0, 5).map((e) => e.ts)).toEqual([T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5])
    expect(events[1]!.detail).toEqual({ event: "funding-pause", fundingTime: T0 + 600_000 })
    expect(plain(events[3]!.detail)).toEqual({ event: "maker-order", leg: 1, orderId: "o2", side: "sell", price: "2.012", qty: "10", repost: true })
    expect(plain(events[4]!.detail)).toEqual({ event: "hedge-failed", leg: 1, clientId: "hl-h1", side: "buy", qty: "10", reason: "price protection" })
    expect(events[5]!.detail).toEqual({ event: "leg-completed", leg: 1, side: "sell", startedAt: T0 + 3, filledAt: T0 + 1003, orders: 2 })
    const hedges = peek(file, (j) => j.hedges())
    expect(hedges.map((h) => [h.clientId, h.state, Option.getOrNull(h.cycle), Option.getOrNull(h.leg), fmtOption(h.executedQty), fmtOption(h.executedQuote), fmtOption(h.referencePrice)])).toEqual([
      ["hl-h2", "done", 1, 1, Option.some("10"), Option.some("20.125"), Option.some("2.012")]
    ])
    expect(peek(file, (j) => j.filterChanges())).toEqual([
      { runId, cycle: 2, venue: "backpack", symbol: "ASTER_USDC_PERP", ts: T0 + 8, changes: ["tick 0.0001 → 0.0005"], why: "an order was refused: price not on tick" }
    ])
    close()
  })
})
