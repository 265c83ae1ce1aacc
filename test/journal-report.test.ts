/**
 * The report of a live or paper run rebuilt from its journal (`npm run report`): the same report
 * as a backtest's, reconciling to the last digit with the fills, fees and funding it lists.
 */
import Database from "better-sqlite3"
import { BigDecimal, Cause, Duration, Effect, Exit, Fiber, Logger, Option, Schema, Scope, TestClock, TestContext } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describeConfig, type HedgeConfig } from "../src/core/config/config"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Fill } from "../src/core/domain/order"
import type { Venue } from "../src/core/domain/venue"
import { RunReport } from "../src/core/report/report"
import type { Alert } from "../src/live/alerts"
import { DIGEST_DELAY_MS, dailyDigest } from "../src/live/daily-digest"
import { type JournalService, openJournal, type RunKind } from "../src/live/journal"
import { dailyReportsFromJournal, type JournalReportOptions, reportFromJournal } from "../src/live/journal-report"
import { money } from "../src/live/run-progress"
import { testConfig } from "./support/config"
import { writing } from "./support/journal-writing"
import { fillOf } from "./support/fills"
import { pnlFromListedCashFlows } from "./support/reconcile"
import { type CommandResult, runCommand } from "./support/run-command"
import { tempDir } from "./support/scripted-market"

const T0 = 1_758_675_600_000
const iso = (ms: number) => new Date(ms).toISOString()

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  // tempDir's root is this file's own (modules are isolated per file); its exit hook may never run in a worker
  for (const root of new Set(dirs.map((dir) => path.dirname(dir)))) {
    if (fs.existsSync(root) && fs.readdirSync(root).length === 0) fs.rmdirSync(root)
  }
})
const newDir = () => {
  const dir = tempDir()
  dirs.push(dir)
  return dir
}
const newFile = (name = "journal.db") => path.join(newDir(), name)

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

const report = (file: string, options?: JournalReportOptions) => {
  const built = Effect.runSync(reportFromJournal(file, options))
  // what the report says must be what its JSON says (and the JSON decodes)
  return Schema.decodeUnknownSync(RunReport)(JSON.parse(JSON.stringify(built)))
}
/** the error of a report that must be refused (a short message if it is not: a report is large) */
const reportError = (file: string, options?: JournalReportOptions) => {
  const exit = Effect.runSyncExit(reportFromJournal(file, options))
  if (Exit.isSuccess(exit)) throw new Error(`expected the report to be refused, but it was built (${exit.value.kind}, ${exit.value.fills.length} fills)`)
  const error = Cause.failureOption(exit.cause)
  if (Option.isNone(error)) throw new Error(`expected a JournalError, got ${Cause.pretty(exit.cause).split("\n")[0]}`)
  return error.value
}

interface RunPlan {
  readonly kind?: RunKind
  readonly startedAt: number
  /** false: the process died (no end, a hedge left in doubt) */
  readonly ended?: boolean
  readonly config?: HedgeConfig
  readonly hedgeVenue?: Venue
  readonly marks?: boolean
}

/**
 * One run of two cycles, as the runner journals it (S = start):
 * cycle 1: leg 1 sells 10 on Backpack at 2.012 after a repost, hedged by a buy of 10 on Aster at
 *          2.0125 (first refused, then retried under its client id); leg 2 buys 10 at 1.99, hedged
 *          by a sell at 1.9895; a funding pause before it;
 * cycle 2: 4 of leg 1 sold at 2.02 and hedged by a buy of 4 at 2.021, then funding is paid on
 *          the open -4/+4 positions; marks 2.015 (Backpack) and 2.016 (Aster) value them.
 * Per run: Backpack maker volume 48.1, fees 0.00962, funding +0.0012; Aster taker volume 48.104,
 * fees 0.0168364, funding -0.0008; realized 0.22 - 0.23, unrealized 0.02 - 0.02;
 * pnl = -0.01 - 0.0264564 + 0.0004 = -0.0360564.
 */
const writeRun = (journal: JournalService, plan: RunPlan): number => {
  const S = plan.startedAt
  const hedgeVenue = plan.hedgeVenue ?? "aster-futures"
  const runId = run(journal.startRun({
    kind: plan.kind ?? "live",
    startedAt: S,
    config: plan.config ?? testConfig(),
    maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
    hedge: { venue: hedgeVenue, symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
    clientIdPrefix: `r${S}-`
  }))
  const p = `r${runId}-`
  const fill = (venue: Venue, n: number, side: Fill["side"], price: string, qty: string, fee: string, ts: number) =>
    run(journal.recordFill(runId, { ...fillOf(venue, side, qty, price, fee, S + ts), orderId: `${p}o${n}`, tradeId: `${p}t${n}` }))
  const event = (cycle: number, ts: number, detail: Parameters<JournalService["recordCycleEvent"]>[0]["detail"]) =>
    run(journal.recordCycleEvent({ runId, cycle, ts: S + ts, detail }))
  const hedge = (id: string, cycle: number, leg: 1 | 2, side: Fill["side"], qty: string, quote: string, reference: string, ts: number) => {
    run(journal.recordIntent({ kind: "market", runId, venue: hedgeVenue, clientId: `${p}${id}`, side, qty: decimal(qty), createdAt: S + ts - 100 }))
    run(journal.recordHedge({
      clientId: `${p}${id}`,
      runId,
      cycle,
      leg,
      side,
      qty: decimal(qty),
      executedQty: decimal(qty),
      executedQuote: decimal(quote),
      referencePrice: decimal(reference),
      ts: S + ts,
      state: "done"
    }))
  }

  if (plan.marks !== false) {
    run(journal.recordMark(runId, "backpack", decimal("2.0"), S + 55_000))
    run(journal.recordMark(runId, "backpack", decimal("2.015"), S + 60_000))
    run(journal.recordMark(runId, hedgeVenue, decimal("2.016"), S + 60_000))
  }
  // cycle 1
  event(1, 900, { event: "funding-pause", fundingTime: S + 600_000 })
  event(1, 1_000, { event: "started" })
  event(1, 1_000, { event: "maker-order", leg: 1, orderId: `${p}m1`, side: "sell", price: decimal("2.01"), qty: decimal("10"), repost: false })
  event(1, 11_000, { event: "maker-order", leg: 1, orderId: `${p}m2`, side: "sell", price: decimal("2.012"), qty: decimal("10"), repost: true })
  fill("backpack", 1, "sell", "2.012", "10", "0.004024", 15_000)
  // the first attempt of the first hedge is refused, the retry (same client id) executes
  run(journal.recordIntent({ kind: "market", runId, venue: hedgeVenue, clientId: `${p}h1`, side: "buy", qty: decimal("10"), createdAt: S + 15_050 }))
  run(journal.recordIntentRefused(`${p}h1`, "price protection", S + 15_060))
  event(1, 15_060, { event: "hedge-failed", leg: 1, clientId: `${p}h1`, side: "buy", qty: decimal("10"), reason: "price protection" })
  hedge("h1", 1, 1, "buy", "10", "20.125", "2.012", 15_200)
  fill(hedgeVenue, 2, "buy", "2.0125", "10", "0.00704375", 15_200)
  event(1, 15_300, { event: "leg-completed", leg: 1, side: "sell", startedAt: S + 1_000, filledAt: S + 15_000, orders: 2 })
  event(1, 35_000, { event: "maker-order", leg: 2, orderId: `${p}m3`, side: "buy", price: decimal("1.99"), qty: decimal("10"), repost: false })
  fill("backpack", 3, "buy", "1.99", "10", "0.00398", 41_000)
  hedge("h2", 1, 2, "sell", "10", "19.895", "1.9896", 41_300)
  fill(hedgeVenue, 4, "sell", "1.9895", "10", "0.00696325", 41_300)
  event(1, 41_400, { event: "leg-completed", leg: 2, side: "buy", startedAt: S + 35_000, filledAt: S + 41_000, orders: 1 })
  // cycle 2
  event(2, 60_000, { event: "started" })
  event(2, 60_000, { event: "maker-order", leg: 1, orderId: `${p}m4`, side: "sell", price: decimal("2.02"), qty: decimal("10"), repost: false })
  fill("backpack", 5, "sell", "2.02", "4", "0.001616", 62_000)
  hedge("h3", 2, 1, "buy", "4", "8.084", "2.0205", 62_100)
  fill(hedgeVenue, 6, "buy", "2.021", "4", "0.0028294", 62_100)
  run(journal.recordFunding(runId, { venue: "backpack", ts: S + 63_000, rate: decimal("0.00015"), markPrice: decimal("2"), position: decimal("-4"), amount: decimal("0.0012") }))
  run(journal.recordFunding(runId, { venue: hedgeVenue, ts: S + 63_000, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("4"), amount: decimal("-0.0008") }))

  if (plan.ended === false) {
    // killed while a hedge was out: its intent is journalled, its answer never came
    run(journal.recordIntent({ kind: "market", runId, venue: hedgeVenue, clientId: `${p}h9`, side: "buy", qty: decimal("6"), createdAt: S + 65_000 }))
  } else {
    run(journal.endRun(runId, { endedAt: S + 70_000, outcome: "stopped", message: "Ctrl+C" }))
  }
  return runId
}

// ---------------------------------------------------------------------------------------------
// the CLI, as a user runs it: started once, concurrently, while the other tests run

const cli = (args: ReadonlyArray<string>): Promise<CommandResult> => runCommand("src/cli/report.ts", args)
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)

const cliCases = {} as {
  journal: string
  json: string
  ok: Promise<CommandResult>
  missing: Promise<CommandResult>
  missingPath: string
  foreign: Promise<CommandResult>
  foreignPath: string
  window: Promise<CommandResult>
  badSince: Promise<CommandResult>
}

// three processes (each loads effect and tsx: seconds of CPU), run side by side
beforeAll(() => {
  const dir = newDir()
  // a crashed live run, its restart, then a paper run: --kind and --run choose
  cliCases.journal = path.join(dir, "session.db")
  writing(cliCases.journal, (j) => {
    writeRun(j, { startedAt: T0, ended: false })
    writeRun(j, { startedAt: T0 + 100_000 })
    writeRun(j, { startedAt: T0 + 200_000, kind: "paper" })
  })
  cliCases.json = path.join(dir, "out", "nested", "report.json")
  cliCases.ok = cli([cliCases.journal, "--kind", "live", "--report-json", cliCases.json])

  // the live session from the crashed run's first leg on
  cliCases.window = cli([cliCases.journal, "--kind", "live", "--since", iso(T0 + 30_000).replace(".000Z", "Z"), "--until", "2099-01-01", "--by-day"])
  cliCases.badSince = cli([cliCases.journal, "--since", "yesterday"])

  cliCases.missingPath = path.join(dir, "no-such-journal.db")
  cliCases.missing = cli([cliCases.missingPath])

  cliCases.foreignPath = path.join(dir, "ticks.db")
  const db = new Database(cliCases.foreignPath)
  db.exec("CREATE TABLE ticks (ts INTEGER, price TEXT); INSERT INTO ticks VALUES (1, '2.0')")
  db.close()
  cliCases.foreign = cli([cliCases.foreignPath])
})

// =============================================================================================

describe("report from a journal", () => {
  it("rebuilds a live run's report: fills, fees, funding, PnL, points, exposure", () => {
    const file = newFile()
    const config = testConfig()
    writing(file, (j) => writeRun(j, { startedAt: T0, config }))
    const r = report(file)

    expect(r.kind).toBe("live")
    expect(r.data).toEqual({ file, source: "journal", synthetic: false, proxy: false, proxyVenues: [], from: iso(T0), to: iso(T0 + 70_000), ticks: 0, warnings: [] })
    expect(r.run).toEqual({ from: iso(T0), to: iso(T0 + 70_000), outcome: "stopped", message: "Ctrl+C" })
    expect(r.config).toEqual(JSON.parse(JSON.stringify(describeConfig(config))))

    expect(r.fills.map((f) => [f.venue, f.side, f.price, f.qty, f.fee, f.liquidity, f.ts - T0])).toEqual([
      ["backpack", "sell", "2.012", "10", "0.004024", "maker", 15_000],
      ["aster-futures", "buy", "2.0125", "10", "0.00704375", "taker", 15_200],
      ["backpack", "buy", "1.99", "10", "0.00398", "maker", 41_000],
      ["aster-futures", "sell", "1.9895", "10", "0.00696325", "taker", 41_300],
      ["backpack", "sell", "2.02", "4", "0.001616", "maker", 62_000],
      ["aster-futures", "buy", "2.021", "4", "0.0028294", "taker", 62_100]
    ])
    expect(r.funding.map((p) => [p.venue, p.amount, p.position])).toEqual([["aster-futures", "-0.0008", "4"], ["backpack", "0.0012", "-4"]])

    const bp = r.venues["backpack"]!
    const as = r.venues["aster-futures"]!
    expect([bp.symbol, bp.quoteAsset, bp.makerVolume, bp.takerVolume, bp.fees, bp.funding, bp.realizedPnl, bp.unrealizedPnl, bp.position, bp.markPrice, bp.pnl, bp.fillCount]).toEqual(
      ["ASTER_USDC_PERP", "USDC", "48.1", "0", "0.00962", "0.0012", "0.22", "0.02", "-4", "2.015", "0.23158", 3]
    )
    expect([as.symbol, as.quoteAsset, as.makerVolume, as.takerVolume, as.fees, as.funding, as.realizedPnl, as.unrealizedPnl, as.position, as.markPrice, as.pnl, as.fillCount]).toEqual(
      ["ASTERUSDT", "USDT", "0", "48.104", "0.0168364", "-0.0008", "-0.23", "-0.02", "4", "2.016", "-0.2676364", 3]
    )
    const t = r.totals
    expect([t.volume, t.makerVolume, t.takerVolume, t.fees, t.funding, t.realizedPnl, t.unrealizedPnl, t.pnl]).toEqual(
      ["96.204", "48.1", "48.104", "0.0264564", "0.0004", "-0.01", "0", "-0.0360564"]
    )
    // the PnL reconciles exactly with the fills, fees and funding the report lists
    expect(pnlFromListedCashFlows(r)).toBe(t.pnl)

    expect(r.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "5.4", finalNetPosition: "0" })
    // Backpack 1 × maker volume; Aster 2 × taker volume (the default weights, as stored with the run)
    expect(r.points.venues).toEqual({
      backpack: { makerWeight: "1", takerWeight: "1", points: "48.1" },
      "aster-futures": { makerWeight: "1", takerWeight: "2", points: "96.208" }
    })
    expect(r.points.total).toBe("144.308")
    expect(r.points.costPer1000Points).toBe("0.249857")
  })

  it("hedge fees paid in ASTER are valued at their fill's price, in a journal written before runs kept their base assets too", () => {
    /** a hedged pair whose Aster fee was paid in ASTER: 0.0035 ASTER at 2.001 = 0.0070035 USDT */
    const writePair = (file: string) =>
      writing(file, (j) => {
        const runId = run(j.startRun({
          kind: "live",
          startedAt: T0,
          config: testConfig(),
          maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
          hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
          clientIdPrefix: "fees-"
        }))
        run(j.recordFill(runId, { ...fillOf("backpack", "sell", "10", "2", "0.004", T0 + 1_000), tradeId: "bp1" }))
        run(j.recordFill(runId, { ...fillOf("aster-futures", "buy", "10", "2.001", "0", T0 + 1_100), fee: decimal("0.0035"), feeAsset: "ASTER", tradeId: "as1" }))
        run(j.endRun(runId, { endedAt: T0 + 2_000, outcome: "completed" }))
      })
    const expectValued = (r: ReturnType<typeof report>) => {
      expect(r.venues["aster-futures"]!.fees).toBe("0.0070035")
      expect(r.venues["aster-futures"]!.feesCharged).toEqual({ ASTER: "0.0035" })
      // 0.004 USDC + 0.0070035 USDT; counted as USDT, the ASTER would have made 0.0075
      expect(r.totals.fees).toBe("0.0110035")
      expect(r.fills.map((f) => f.feeInQuote)).toEqual(["0.004", "0.0070035"])
      expect(pnlFromListedCashFlows(r)).toBe(r.totals.pnl)
    }

    const file = newFile()
    writePair(file)
    expectValued(report(file))

    // a journal of an earlier build: its runs table has no base assets
    const legacy = newFile()
    writePair(legacy)
    const db = new Database(legacy)
    db.exec("ALTER TABLE runs DROP COLUMN maker_base_asset; ALTER TABLE runs DROP COLUMN hedge_base_asset")
    db.close()
    // read as it is (a report never writes), the symbols tell the base assets
    expectValued(report(legacy))
    // the next start adds the columns (its earlier runs' stay empty) and the format stays readable
    writing(legacy, () => undefined)
    const columns = new Database(legacy, { readonly: true })
    expect(columns.prepare("SELECT maker_base_asset, hedge_base_asset FROM runs").all()).toEqual([{ maker_base_asset: null, hedge_base_asset: null }])
    columns.close()
    expectValued(report(legacy))
  })

  it("a time window: only what happened inside it, open quantity at the last mark before its end, what was carried in named", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0 }))
    // leg 2 of cycle 1 and the start of cycle 2
    const r = report(file, { since: T0 + 30_000, until: T0 + 61_000 })
    expect(r.run).toEqual({ from: iso(T0 + 30_000), to: iso(T0 + 61_000), outcome: "stopped", message: "Ctrl+C" })
    expect(r.fills.map((f) => [f.venue, f.side, f.price, f.qty, f.ts - T0])).toEqual([
      ["backpack", "buy", "1.99", "10", 41_000],
      ["aster-futures", "sell", "1.9895", "10", 41_300]
    ])
    expect(r.funding).toEqual([])
    expect(r.data.warnings).toEqual([
      `window between ${iso(T0 + 30_000)} and ${iso(T0 + 61_000)}: only the fills, funding, cycles and hedges inside it count`,
      "backpack held -10 from before the window: it is not revalued in this report; the exposure starts from it",
      "aster-futures held 10 from before the window: it is not revalued in this report; the exposure starts from it"
    ])
    // +10 on Backpack at the 2.015 mark of T0 + 60 s: 20.15 − 19.9 − 0.00398; −10 on Aster at
    // 2.016: 19.895 − 20.16 − 0.00696325
    expect([r.venues["backpack"]!.markPrice, r.venues["aster-futures"]!.markPrice]).toEqual(["2.015", "2.016"])
    expect([r.totals.fees, r.totals.pnl]).toEqual(["0.01094325", "-0.02594325"])
    expect(pnlFromListedCashFlows(r)).toBe(r.totals.pnl)
    // cycle 2 started inside it; leg 2's order and fill too
    expect(r.cycles.count).toBe(1)

    // before the 2.015 mark, Backpack's is the 2.0 of T0 + 55 s
    expect(report(file, { since: T0 + 30_000, until: T0 + 58_000 }).venues["backpack"]!.markPrice).toBe("2")
    // the whole run inside a window is the run's own report, but for the window's note
    const whole = report(file, { since: T0, until: T0 + 1_000_000 })
    const plain = report(file)
    expect([whole.totals, whole.fills, whole.cycles]).toEqual([plain.totals, plain.fills, plain.cycles])
  })

  it("lists the venues' filter changes inside its window, each with a warning; none journalled is an empty list", () => {
    const file = newFile()
    writing(file, (j) => {
      const runId = writeRun(j, { startedAt: T0 })
      run(j.recordFilterChange({ runId, cycle: 1, venue: "aster-futures", symbol: "ASTERUSDT", ts: T0 + 20_000, changes: ["step 0.01 → 1"], why: "a hedge order was refused: -4023" }))
      run(j.recordFilterChange({ runId, cycle: 2, venue: "backpack", symbol: "ASTER_USDC_PERP", ts: T0 + 50_000, changes: ["tick 0.0001 → 0.0005", "min qty 1 → 2"], why: "the periodic check" }))
      return runId
    })
    const r = report(file)
    expect(r.filterChanges).toEqual([
      { venue: "aster-futures", symbol: "ASTERUSDT", ts: T0 + 20_000, cycle: 1, changes: ["step 0.01 → 1"], why: "a hedge order was refused: -4023" },
      { venue: "backpack", symbol: "ASTER_USDC_PERP", ts: T0 + 50_000, cycle: 2, changes: ["tick 0.0001 → 0.0005", "min qty 1 → 2"], why: "the periodic check" }
    ])
    expect(r.data.warnings).toEqual([
      `aster-futures ASTERUSDT changed its filters during run 1 at ${iso(T0 + 20_000)} (step 0.01 → 1): the run traded on the new ones from then on; a backtest keeps its recording's filters`,
      `backpack ASTER_USDC_PERP changed its filters during run 1 at ${iso(T0 + 50_000)} (tick 0.0001 → 0.0005, min qty 1 → 2): the run traded on the new ones from then on; a backtest keeps its recording's filters`
    ])
    // a window keeps those inside it
    expect(report(file, { since: T0 + 30_000, until: T0 + 61_000 }).filterChanges!.map((c) => c.venue)).toEqual(["backpack"])
    // the money is the same as without them
    const plain = newFile()
    writing(plain, (j) => writeRun(j, { startedAt: T0 }))
    const without = report(plain)
    expect(without.filterChanges).toEqual([])
    expect([r.totals, r.fills, r.cycles]).toEqual([without.totals, without.fills, without.cycles])
  })

  it("a window reads only its own rows and a sum of what came before: a fill after it that cannot be read does not stop it", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0 }))
    const inside = { since: T0 + 30_000, until: T0 + 61_000 }
    const before = report(file, inside)
    // a fill after the window, spoilt: the whole run's report names it, the window's never reads it
    const db = new Database(file)
    const spoilt = db.prepare("UPDATE fills SET qty = 'ten' WHERE ts = (SELECT max(ts) FROM fills) AND ts >= ?").run(inside.until)
    db.close()
    expect(spoilt.changes).toBe(1)
    expect(reportError(file).message).toContain("a fills row cannot be read")
    expect(report(file, inside)).toEqual(before)
    expect(run(dailyReportsFromJournal(file, inside)).map((d) => d.report)).toEqual([before])
  })

  it("by UTC day: each day's own window, days no run traded left out; volume, fees and funding add up to the whole", () => {
    const file = newFile()
    const midnight = Date.UTC(2025, 8, 25)
    writing(file, (j) => {
      // cycle 1's first leg on the 24th, the rest on the 25th
      writeRun(j, { startedAt: midnight - 30_000 })
      // two days later, nothing on the 26th
      writeRun(j, { startedAt: midnight + 2 * 86_400_000 + 3_600_000 })
    })
    const days = run(dailyReportsFromJournal(file))
    expect(days.map((d) => [d.day, d.runIds, d.report.fills.length])).toEqual([["2025-09-24", [1], 2], ["2025-09-25", [1], 4], ["2025-09-27", [2], 6]])
    for (const { day, report: r } of days) {
      const start = Date.parse(day)
      expect(Schema.decodeUnknownSync(RunReport)(JSON.parse(JSON.stringify(r)))).toEqual(report(file, { since: start, until: start + 86_400_000 }))
    }
    const whole = report(file)
    const total = (pick: (r: RunReport) => string) => formatDecimal(days.reduce((acc, d) => BigDecimal.sum(acc, decimal(pick(d.report))), ZERO))
    expect([total((r) => r.totals.volume), total((r) => r.totals.fees), total((r) => r.totals.funding)]).toEqual([whole.totals.volume, whole.totals.fees, whole.totals.funding])
    // bounded by --since: the first run ended 40 s after midnight
    expect(run(dailyReportsFromJournal(file, { since: midnight + 43_200_000 })).map((d) => d.day)).toEqual(["2025-09-27"])
    // a day cut by the window keeps the cut
    const cut = run(dailyReportsFromJournal(file, { until: midnight + 20_000 }))
    expect(cut.map((d) => [d.day, d.report.run.to])).toEqual([["2025-09-24", iso(midnight)], ["2025-09-25", iso(midnight + 20_000)]])
  })

  it("a run without an end (killed) lasted until the last thing it journalled: a later window leaves it out", () => {
    const file = newFile()
    writing(file, (j) => {
      writeRun(j, { startedAt: T0, ended: false })
      writeRun(j, { startedAt: T0 + 100_000 })
    })
    // the hedge it sent at T0 + 65 s, never confirmed, is the last thing the killed run journalled
    expect(report(file, { since: T0 + 65_001 }).run.message).toBe("Ctrl+C")
    expect(report(file, { since: T0 + 65_000 }).run.message).toBe("2 runs: #1 unfinished, #2 stopped; last: Ctrl+C")
    expect(run(dailyReportsFromJournal(file, { since: T0 + 65_001 })).map((d) => d.runIds)).toEqual([[2]])
  })

  it("a window no run overlaps, or an empty one, is refused saying so", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0 }))
    expect(reportError(file, { since: T0 + 80_000 }).reason).toBe(`holds no run between ${iso(T0 + 80_000)} and now`)
    expect(reportError(file, { kind: "live", until: T0 - 1 }).reason).toBe(`holds no live run between its start and ${iso(T0 - 1)}`)
    expect(reportError(file, { runId: 1, since: T0 + 80_000 }).reason).toBe(`run 1 did not trade between ${iso(T0 + 80_000)} and now`)
    expect(reportError(file, { since: T0 + 5, until: T0 + 5 }).reason).toBe(`the window is empty: ${iso(T0 + 5)} is not before ${iso(T0 + 5)}`)
  })

  it("counts cycles from the journalled cycle events and hedge results, as a backtest counts the strategy's", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0 }))
    expect(report(file).cycles).toEqual({
      count: 2,
      completedLegs: 2,
      makerOrders: 4,
      reposts: 1,
      // (14 s + 6 s) / 2
      meanTimeToFillSeconds: 10,
      // the refused first attempt of a hedge is not a hedge order; its retry is
      hedgeOrders: 3,
      fundingPauses: 1,
      fillRate: 0.5,
      // (0.005 + 0.001 + 0.002) × 10000 / (20.12 + 19.896 + 8.082)
      hedgeSlippageBps: "1.6633"
    })
  })

  it("reports a paper run as paper", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0, kind: "paper" }))
    const r = report(file)
    expect(r.kind).toBe("paper")
    expect(r.totals.pnl).toBe("-0.0360564")
    expect(report(file, { kind: "paper" }).kind).toBe("paper")
  })

  it("uses the points weights stored with the run", () => {
    const file = newFile()
    const config = testConfig({ points: { backpack: { maker_weight: "0.5" }, aster: { taker_weight: "3" } } })
    writing(file, (j) => writeRun(j, { startedAt: T0, config }))
    const r = report(file)
    expect(r.points.venues["backpack"]).toEqual({ makerWeight: "0.5", takerWeight: "1", points: "24.05" })
    expect(r.points.venues["aster-futures"]).toEqual({ makerWeight: "1", takerWeight: "3", points: "144.312" })
    expect(r.points.total).toBe("168.362")
  })

  it("warns about a run without an end and about hedges in doubt, and counts what was journalled", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0, ended: false }))
    const r = report(file)
    expect(r.data.warnings).toEqual([
      "run 1 has no end: the process stopped without closing it (killed or crashed) or is still running",
      "1 hedge(s) sent and never confirmed (r1-h9): only their journalled fills are counted"
    ])
    expect(r.run.outcome).toBe("unfinished")
    expect(r.run.message).toBeUndefined()
    // it lasted at least until the last thing it journalled (the hedge sent before it died)
    expect(r.run.to).toBe(iso(T0 + 65_000))
    expect(r.fills.length).toBe(6)
    expect(r.totals.pnl).toBe("-0.0360564")
    expect(pnlFromListedCashFlows(r)).toBe(r.totals.pnl)
  })

  it("values open positions at the last fill price, with a warning, when no mark was journalled", () => {
    const file = newFile()
    writing(file, (j) => writeRun(j, { startedAt: T0, marks: false }))
    const r = report(file)
    expect(r.data.warnings).toEqual([
      "no mark price journalled for backpack: its position is valued at the last fill price 2.02",
      "no mark price journalled for aster-futures: its position is valued at the last fill price 2.021"
    ])
    expect(r.venues["backpack"]!.markPrice).toBe("2.02")
    expect(r.venues["aster-futures"]!.markPrice).toBe("2.021")
    expect(r.totals.unrealizedPnl).toBe("0")
    expect(pnlFromListedCashFlows(r)).toBe(r.totals.pnl)
  })

  it("merges the runs of a session restarted after a crash, or reports one of them", () => {
    const file = newFile()
    writing(file, (j) => {
      writeRun(j, { startedAt: T0, ended: false })
      writeRun(j, { startedAt: T0 + 100_000 })
    })
    const all = report(file)
    expect(all.fills.length).toBe(12)
    expect(all.funding.length).toBe(4)
    expect(all.cycles.count).toBe(4)
    expect(all.cycles.hedgeOrders).toBe(6)
    expect(all.run).toEqual({ from: iso(T0), to: iso(T0 + 170_000), outcome: "stopped", message: "2 runs: #1 unfinished, #2 stopped; last: Ctrl+C" })
    expect(all.data.warnings).toEqual([
      "run 1 has no end: the process stopped without closing it (killed or crashed) or is still running",
      "1 hedge(s) sent and never confirmed (r1-h9): only their journalled fills are counted"
    ])
    // the positions carried from the first run into the second
    expect(all.venues["backpack"]!.position).toBe("-8")
    expect(all.totals.pnl).toBe("-0.0721128")
    expect(pnlFromListedCashFlows(all)).toBe(all.totals.pnl)

    const first = report(file, { runId: 1 })
    expect([first.fills.length, first.run.outcome, first.totals.pnl, first.data.warnings.length]).toEqual([6, "unfinished", "-0.0360564", 2])
    const second = report(file, { runId: 2, kind: "live" })
    expect([second.fills.length, second.run.outcome, second.run.message, second.totals.pnl]).toEqual([6, "stopped", "Ctrl+C", "-0.0360564"])
    // the first run's hedge in doubt is not the second's; the hedged pair it left is named, not valued
    expect(second.data.warnings).toEqual([
      "backpack held -4 from before the report's first run (earlier runs' fills): it is not revalued in this report; the exposure starts from it",
      "aster-futures held 4 from before the report's first run (earlier runs' fills): it is not revalued in this report; the exposure starts from it"
    ])
    expect(second.run.from).toBe(iso(T0 + 100_000))
  })

  it("says when the runs' configs differ", () => {
    const file = newFile()
    writing(file, (j) => {
      writeRun(j, { startedAt: T0 })
      writeRun(j, { startedAt: T0 + 100_000, config: testConfig({ trade: { quantity: "4" } }) })
    })
    const r = report(file)
    expect(r.data.warnings).toEqual(["the runs' configs differ: the report shows run 2's"])
    expect((r.config as { trade: { quantity: string } }).trade.quantity).toBe("4")
  })

  it("refuses to mix live and paper runs, and reports one kind when asked", () => {
    const file = newFile()
    writing(file, (j) => {
      writeRun(j, { startedAt: T0, kind: "live" })
      writeRun(j, { startedAt: T0 + 100_000, kind: "paper" })
    })
    const mixed = reportError(file)
    expect(mixed._tag).toBe("JournalError")
    expect(mixed.message).toBe(`journal ${file}: holds both live and paper runs: choose one kind (or one run)`)
    const paper = report(file, { kind: "paper" })
    expect([paper.kind, paper.fills.length, paper.run.from]).toEqual(["paper", 6, iso(T0 + 100_000)])
    expect(report(file, { kind: "live" }).run.to).toBe(iso(T0 + 70_000))
    expect(reportError(file, { runId: 1, kind: "paper" }).reason).toBe("run 1 is a live run, not paper")
  })

  it("refuses runs of different instruments, a run that does not exist, and a journal without runs", () => {
    const file = newFile()
    writing(file, (j) => {
      writeRun(j, { startedAt: T0 })
      writeRun(j, { startedAt: T0 + 100_000, hedgeVenue: "aster-spot" })
    })
    expect(reportError(file).reason).toBe("runs 1 and 2 trade different instruments: choose one run")
    expect(report(file, { runId: 2 }).venues["aster-spot"]!.takerVolume).toBe("48.104")
    expect(reportError(file, { runId: 7 }).reason).toBe("has no run 7 (its runs: 1, 2)")
    expect(reportError(file, { kind: "paper" }).reason).toBe("holds no paper runs")

    const empty = newFile()
    writing(empty, () => undefined)
    expect(reportError(empty).reason).toBe("holds no runs yet")
  })

  it("refuses a missing file without creating it, and a file that is not a journal", () => {
    const missing = newFile("absent.db")
    expect(reportError(missing).message).toBe(`journal ${missing}: no such file`)
    expect(fs.existsSync(missing)).toBe(false)
    const text = newFile("report.json")
    fs.writeFileSync(text, JSON.stringify({ kind: "backtest" }).repeat(40))
    expect(reportError(text).reason).toBe("not an SQLite database")
  })

  it("reads a journal while its run is still writing to it", () => {
    const file = newFile()
    const scope = Effect.runSync(Scope.make())
    try {
      const journal = Effect.runSync(Scope.extend(openJournal(file, "write"), scope))
      writeRun(journal, { startedAt: T0, ended: false })
      const during = report(file)
      expect(during.fills.length).toBe(6)
      expect(during.run.outcome).toBe("unfinished")
      run(journal.endRun(1, { endedAt: T0 + 80_000, outcome: "completed" }))
      expect(report(file).run.outcome).toBe("completed")
    } finally {
      Effect.runSync(Scope.close(scope, Exit.void))
    }
  })
})

describe("npm run report", () => {
  it("prints the summary and writes the JSON report, the same as reportFromJournal's", async () => {
    const r = await cliCases.ok
    expect(r.code, r.stderr).toBe(0)
    // a time span, without the tick count that only a backtest has
    expect(r.stdout).toMatch(/== live report: \S+ \(\S+Z → \S+Z\)\n/)
    expect(r.stdout).toMatch(/warning: run 1 has no end/)
    expect(r.stdout).toContain(`report written to ${cliCases.json}`)
    const written = Schema.decodeUnknownSync(RunReport)(JSON.parse(fs.readFileSync(cliCases.json, "utf8")))
    expect(written).toEqual(report(cliCases.journal, { kind: "live" }))
    // the live runs only: the crashed one and its restart
    expect([written.kind, written.fills.length, written.run.message]).toEqual(["live", 12, "2 runs: #1 unfinished, #2 stopped; last: Ctrl+C"])
    expect(pnlFromListedCashFlows(written)).toBe(written.totals.pnl)
    // without --kind the same journal is refused (in-process: the same code path as below)
    expect(reportError(cliCases.journal).reason).toBe("holds both live and paper runs: choose one kind (or one run)")
  })

  it("--since/--until: the window's summary, the same as reportFromJournal's; a bad time is refused naming the flag", async () => {
    const r = await cliCases.window
    expect(r.code, r.stderr).toBe(0)
    const windowed = report(cliCases.journal, { kind: "live", since: T0 + 30_000, until: Date.parse("2099-01-01") })
    expect(r.stdout).toContain(`== live report: ${cliCases.journal} (${windowed.run.from} → ${windowed.run.to})`)
    expect(r.stdout).toContain(`warning: window between ${iso(T0 + 30_000)} and 2099-01-01T00:00:00.000Z: only the fills, funding, cycles and hedges inside it count`)
    // the crashed run's first leg, before the window, left -10 / +10
    expect(r.stdout).toContain("warning: backpack held -10 from before the window: it is not revalued in this report")
    expect(windowed.fills.map((f) => f.ts - T0)).toEqual([41_000, 41_300, 62_000, 62_100, 115_000, 115_200, 141_000, 141_300, 162_000, 162_100])
    expect(windowed.run.message).toBe("2 runs: #1 unfinished, #2 stopped; last: Ctrl+C")
    expect(pnlFromListedCashFlows(windowed)).toBe(windowed.totals.pnl)
    // --by-day: one day, both live runs (the crashed one has no end), and the whole window
    const t = windowed.totals
    const dayLine = (label: string) => new RegExp(`^${label} +2 +${t.volume} +${windowed.points.total} +${t.fees} +${t.funding} +${t.pnl} +${windowed.points.costPer1000Points} +10$`, "m")
    expect(r.stdout).toContain(`== by UTC day: ${cliCases.journal}`)
    expect(r.stdout).toMatch(dayLine(iso(T0).slice(0, 10)))
    expect(r.stdout).toMatch(dayLine("all"))

    const bad = await cliCases.badSince
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`--since: expected a UTC date or time such as 2026-12-01 or 2026-12-01T08:00`)
    expect(bad.stderr).toContain(`got "yesterday"`)
    noStackTrace(bad.stdout + bad.stderr)
  })

  it("refuses a missing journal with one clear line, and creates nothing", async () => {
    const r = await cliCases.missing
    expect(r.code).not.toBe(0)
    expect(r.stderr.trim()).toBe(`error: journal ${cliCases.missingPath}: no such file`)
    expect(r.stdout).toBe("")
    noStackTrace(r.stdout + r.stderr)
    expect(fs.existsSync(cliCases.missingPath)).toBe(false)
  })

  it("refuses an SQLite file that is not a journal with one clear line", async () => {
    const r = await cliCases.foreign
    expect(r.code).not.toBe(0)
    expect(r.stderr.trim()).toBe(`error: journal ${cliCases.foreignPath}: not a hedgeloop journal (no meta/format)`)
    expect(r.stdout).toBe("")
    noStackTrace(r.stdout + r.stderr)
  })
})

describe("the alerts' daily digest", () => {
  it("a few seconds after each UTC midnight: the day that ended, across the runs of the digest's kind, as report --since/--until counts it", async () => {
    const file = newFile()
    const midnight = Date.UTC(2025, 8, 25)
    writing(file, (j) => {
      // cycle 1's first leg on the 24th, the rest on the 25th; two more runs on the 25th, one of them paper
      writeRun(j, { startedAt: midnight - 30_000 })
      writeRun(j, { startedAt: midnight + 3_600_000 })
      writeRun(j, { startedAt: midnight + 7_200_000, kind: "paper" })
    })
    const sent: Array<Alert> = []
    const alerts = { send: (alert: Alert) => Effect.sync(() => void sent.push(alert)) }
    await Effect.runPromise(
      Effect.gen(function*() {
        yield* TestClock.setTime(midnight - 60_000)
        const digest = yield* Effect.fork(dailyDigest(alerts, file, "live"))
        yield* TestClock.adjust(Duration.millis(60_000 + DIGEST_DELAY_MS - 1))
        expect(sent).toEqual([])
        yield* TestClock.adjust(Duration.millis(1))
        expect(sent.length).toBe(1)
        yield* TestClock.adjust(Duration.days(1))
        expect(sent.length).toBe(2)
        yield* Fiber.interrupt(digest)
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect(sent.map((a) => [a.event, a.severity, a.kind])).toEqual([["daily", "info", "live"], ["daily", "info", "live"]])
    // the 24th: the sell of 10 at 2.012 (maker, fee 0.004024) and its hedge, a buy of 10 at 2.0125 (taker, fee 0.00704375):
    // volume 40.245 (40.24 at two decimals, half to even), points 20.12 + 2 × 20.125 = 60.37, fees 0.0111
    const day24 = report(file, { kind: "live", since: midnight - 86_400_000, until: midnight })
    expect(sent[0]!.text).toBe(
      `hedgeloop live, 2025-09-24 (UTC): volume 40.24, points ≈ 60.37, fees 0.0111, funding 0, PnL ${money(decimal(day24.totals.pnl))}, ` +
        `cost per 1000 points ${money(decimal(day24.points.costPer1000Points!))}; 1 cycle(s), 2 fill(s), 1 run(s)`
    )
    // the 25th: the first run's other 4 fills (volume 19.9 + 19.895 + 8.08 + 8.084, fees 0.01538865, funding
    // 0.0012 - 0.0008) and cycle 2, the second live run's 6 fills (96.204, fees 0.0264564, funding 0.0004) and
    // 2 cycles: volume 152.163, points 76.08 + 2 × 76.083 = 228.246, fees 0.04184505; the paper run is not counted
    const day25 = report(file, { kind: "live", since: midnight, until: midnight + 86_400_000 })
    expect(sent[1]!.text).toBe(
      `hedgeloop live, 2025-09-25 (UTC): volume 152.16, points ≈ 228.25, fees 0.0418, funding 0.0008, PnL ${money(decimal(day25.totals.pnl))}, ` +
        `cost per 1000 points ${money(decimal(day25.points.costPer1000Points!))}; 3 cycle(s), 10 fill(s), 2 run(s)`
    )
  })

  // Was: a run started in the seconds after a midnight, after a day with no run of its kind, had
  // the digest of that empty day fail with a warning ("the daily digest could not be built: …
  // holds no live run between …"): no digest is lost, and none is due
  it("a day no run of its kind traded in: no digest and no warning", async () => {
    const file = newFile()
    const midnight = Date.UTC(2025, 8, 25)
    writing(file, (j) => void writeRun(j, { startedAt: midnight + 5_000 }))
    const sent: Array<Alert> = []
    const warnings: Array<string> = []
    const alerts = { send: (alert: Alert) => Effect.sync(() => void sent.push(alert)) }
    await Effect.runPromise(
      Effect.gen(function*() {
        yield* TestClock.setTime(midnight + 5_000)
        const digest = yield* Effect.fork(dailyDigest(alerts, file, "live"))
        yield* TestClock.adjust(Duration.millis(DIGEST_DELAY_MS))
        yield* Fiber.interrupt(digest)
      }).pipe(
        Effect.provide(TestContext.TestContext),
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void warnings.push(String(message)))))
      )
    )
    expect(sent).toEqual([])
    expect(warnings).toEqual([])
  })
})
