/**
 * `npm run live` end to end against `npm run exchange`, both as child processes on loopback:
 * full cycles of both variants, a clean Ctrl+C, `kill -9` in the middle of a hedge and a restart,
 * and the refusals of bad configs. After every run the venues themselves say the bot left nothing
 * unhedged, and the journal is consistent (nothing in doubt, the report reconciles).
 */
import { BigDecimal, Effect, Either, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { parseConfig } from "../src/core/config/config"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { reportFromJournal } from "../src/live/journal-report"
import { runBacktest } from "../src/sim/backtest"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { asterSignedRequest } from "./support/aster-signed-request"
import { FEES_IN_ASTER_ACCOUNTS, hedgeBalance, inspectJournal, type LocalExchange, netChange, positions, readRecording, readReport, startLive, startLocalExchange, startRecord, swingingMarket, waitFor } from "./support/live-processes"
import { pnlFromListedCashFlows } from "./support/reconcile"
import { startWebhookServer } from "./support/webhook-server"

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)

let running: Array<LocalExchange> = []
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()))
  running = []
})

const exchange = async (options: Parameters<typeof startLocalExchange>[0]) => {
  const started = await startLocalExchange(options)
  running.push(started)
  return started
}

describe.each(["futures", "spot"] as const)("npm run live, %s variant, against npm run exchange", (variant) => {
  it("runs full cycles, hedges every fill, journals them and writes a report that reconciles", async () => {
    const local = await exchange({ variant, maxCycles: 2 })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const reportFile = path.join(local.dir, "live.json")
    const recordFile = path.join(local.dir, "recorded.db")
    const startedAt = Date.now()
    const live = startLive(local.config, journal, ["--report-json", reportFile, "--record", recordFile])
    const code = await live.exited
    expect(code, live.output()).toBe(0)
    expect(live.output()).toMatch(/\[Cycle 2\] done, last cycle/)
    noStackTrace(live.output())

    // the venues agree: what was sold on Backpack was bought on Aster and back
    expect(formatDecimal(netChange(before, await positions(local.config)))).toBe("0")

    const state = await inspectJournal(journal)
    expect(state.pending).toEqual([])
    expect(state.inDoubt).toEqual([])
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["completed"])
    const hedgeVenue = variant === "spot" ? "aster-spot" : "aster-futures"
    expect(BigDecimal.equals(BigDecimal.negate(decimal(state.makerQty)), decimal(state.hedgeQty(hedgeVenue)))).toBe(true)

    const report = readReport(reportFile)
    expect(report.kind).toBe("live")
    expect(report.run.outcome).toBe("completed")
    expect(report.cycles.count).toBe(2)
    // 2 cycles × 2 legs × 10 on the maker venue, the same hedged
    expect(report.venues["backpack"]!.makerQty).toBe("40")
    expect(report.venues[hedgeVenue]!.takerQty).toBe("40")
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
    // cycle 2 starts with the tally of cycle 1: its 20 sold and bought on Backpack, flat after it
    const progress = live.output().match(/\[Cycle 2\] run so far: volume ([\d.]+) \(backpack maker ([\d.]+), (\S+) taker ([\d.]+)\), points ≈ [\d.]+, fees [\d.]+, funding -?[\d.]+, PnL -?[\d.]+ \(marked to market\), positions ([^"\n]*)/)
    expect(progress, live.output()).not.toBeNull()
    let qty = BigDecimal.fromBigInt(0n)
    let cycle1Notional = BigDecimal.fromBigInt(0n)
    for (const f of report.fills.filter((f) => f.venue === "backpack")) {
      if (BigDecimal.greaterThanOrEqualTo(qty, decimal("20"))) break
      qty = BigDecimal.sum(qty, decimal(f.qty))
      cycle1Notional = BigDecimal.sum(cycle1Notional, BigDecimal.multiply(decimal(f.price), decimal(f.qty)))
    }
    expect(progress![2]).toBe(formatDecimal(BigDecimal.round(cycle1Notional, { scale: 2, mode: "half-even" })))
    expect(progress![3]).toBe(hedgeVenue)
    expect(progress![5]).toBe(`backpack 0, ${hedgeVenue} 0`)
    // secrets never reach the report, the journal (its bytes, WAL folded in by the run's end) or the output
    const written = fs.readFileSync(local.config, "utf8")
    const secrets = (written.match(/(?:api_secret_key_b64|api_secret): "([^"]+)"/g) ?? []).map((secret) => secret.split('"')[1]!)
    // the Backpack secret and the Aster one: a loop over none would check nothing
    expect(secrets).toHaveLength(2)
    const journalBytes = fs.readFileSync(journal).toString("latin1")
    for (const value of secrets) {
      expect(fs.readFileSync(reportFile, "utf8")).not.toContain(value)
      expect(journalBytes).not.toContain(value)
      expect(live.output()).not.toContain(value)
    }

    // --record: what both venues streamed, as the scripted market has it, stamped while the run lasted
    const recorded = readRecording(recordFile)
    expect(live.output()).toContain(`market recording: ${recordFile}, ${recorded.ticks.length} ticks`)
    expect(recorded.instruments).toEqual([["backpack", "ASTER_USDC_PERP"], [hedgeVenue, "ASTERUSDT"]])
    const ofVenue = (idx: number, kind: "quote" | "trade") => recorded.ticks.filter((t) => t.instrument === idx && t.kind === kind)
    expect(new Set(ofVenue(0, "quote").map((t) => t.values.join(" ")))).toEqual(new Set(["1.999 500 2.001 500"]))
    expect(new Set(ofVenue(1, "quote").map((t) => t.values.join(" ")))).toEqual(new Set(["1.9995 5000 2.0005 5000"]))
    // the market's own trades with their taker side (our fills print as trades too, at our prices)
    const bpTrades = ofVenue(0, "trade").map((t) => t.values.join(" "))
    expect(bpTrades).toContain("2.02 1000 buy")
    expect(bpTrades).toContain("1.98 1000 sell")
    expect(bpTrades.filter((t) => t.startsWith("2.02 ") || t.startsWith("1.98 ")).every((t) => t === "2.02 1000 buy" || t === "1.98 1000 sell")).toBe(true)
    const times = recorded.ticks.map((t) => t.ts)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(times[0]! >= startedAt * 1000 && times.at(-1)! <= Date.now() * 1000).toBe(true)
    // and the same config backtests those minutes: cycles that fill and hedge
    const replayed = await Effect.runPromise(runBacktest({ dbPath: recordFile, config: Either.getOrThrow(parseConfig(fs.readFileSync(local.config, "utf8"), local.config)) }))
    expect([replayed.data.synthetic, replayed.data.proxy]).toEqual([false, false])
    expect(replayed.cycles.count).toBeGreaterThanOrEqual(1)
    expect(replayed.venues["backpack"]!.makerQty).toBe(replayed.venues[hedgeVenue]!.takerQty)
    expect(pnlFromListedCashFlows(replayed)).toBe(replayed.totals.pnl)
  })
})

describe.each(["futures", "spot"] as const)("npm run live, %s variant, an Aster account paying its fees in ASTER", (variant) => {
  it("counts those fees at their fill's price in the live report and the journal's, lists them as charged, and the venue's ASTER paid exactly them", async () => {
    const local = await exchange({ variant, maxCycles: 1, accounts: FEES_IN_ASTER_ACCOUNTS })
    const hedgeVenue = variant === "spot" ? "aster-spot" : "aster-futures"
    const before = await positions(local.config)
    const asterBefore = await hedgeBalance(local.config, "ASTER")
    const journal = path.join(local.dir, "journal.db")
    const reportFile = path.join(local.dir, "live.json")
    const live = startLive(local.config, journal, ["--report-json", reportFile])
    expect(await live.exited, live.output()).toBe(0)

    const report = readReport(reportFile)
    const hedges = report.fills.filter((f) => f.venue === hedgeVenue)
    expect(hedges.length).toBeGreaterThanOrEqual(2)
    // each hedge's fee was charged in ASTER and counts at its own price, in USDT
    for (const f of hedges) {
      expect(f.feeAsset).toBe("ASTER")
      expect(f.feeInQuote).toBe(formatDecimal(BigDecimal.multiply(decimal(f.fee), decimal(f.price))))
    }
    const charged = hedges.reduce((total, f) => BigDecimal.sum(total, decimal(f.fee)), decimal("0"))
    const valued = hedges.reduce((total, f) => BigDecimal.sum(total, decimal(f.feeInQuote!)), decimal("0"))
    expect(report.venues[hedgeVenue]!.feesCharged).toEqual({ ASTER: formatDecimal(charged) })
    expect(report.venues[hedgeVenue]!.fees).toBe(formatDecimal(valued))
    expect(report.venues["backpack"]!.feesCharged).toEqual({ USDC: report.venues["backpack"]!.fees })
    // the summary says what was paid in ASTER
    expect(live.output()).toContain(`${hedgeVenue} fees paid in ASTER: ${formatDecimal(charged)} (counted above at their fills' prices, in USDT)`)
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
    // `npm run report` rebuilds the same money from the journal
    const rebuilt = await Effect.runPromise(reportFromJournal(journal))
    expect([rebuilt.totals.fees, rebuilt.totals.pnl, rebuilt.venues[hedgeVenue]!.feesCharged]).toEqual([report.totals.fees, report.totals.pnl, report.venues[hedgeVenue]!.feesCharged])

    // the venue took exactly those fees from its ASTER wallet (on spot, out of what the hedges bought and sold)
    const after = await positions(local.config)
    const paid = BigDecimal.subtract(asterBefore, await hedgeBalance(local.config, "ASTER"))
    expect(formatDecimal(paid)).toBe(formatDecimal(charged))
    // the pair is flat: on spot the ASTER balance stands for the position, and it is short by the fees alone
    expect(formatDecimal(netChange(before, after))).toBe(variant === "spot" ? formatDecimal(BigDecimal.negate(charged)) : "0")
  })
})

describe("npm run live, spot variant, an Aster account paying its fees in ASTER and holding no spare ASTER", () => {
  it("sells what the account holds when a sell hedge is refused for the ASTER those fees took, stops with one step exposed and says why, and starts again", async () => {
    // the second cycle's buy hedge pays its fee out of the 10 ASTER it bought: its sell hedge finds 9.9962
    const accounts = FEES_IN_ASTER_ACCOUNTS.replace("    pay_fee_in_aster: true\n", "    pay_fee_in_aster: true\n    balances: { ASTER: 0 }\n")
    const local = await exchange({ variant: "spot", maxCycles: 3, accounts })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const live = startLive(local.config, journal, [])
    const code = await live.exited
    const output = live.output()
    expect(code, output).not.toBe(0)
    noStackTrace(output)
    expect(output).toMatch(/hedge sell of 10 cut to the 9\.99 ASTER the account holds/)
    expect(output).toMatch(/\[Leg2\] ASTER market sell 9\.99 executed/)
    // the stop names the cause and the remedy, and what is left is one step, not the leg
    expect(output).toMatch(/hedge failed with 0\.01 unhedged: .*the account holds 9\.9962 ASTER free of the 10 this sell needs: fees taken in ASTER come out of the ASTER the buy hedges bought, so keep some spare ASTER there/)
    // what the journal's trading counts beyond what the account holds is what the fees took: the
    // end says so, rather than promise a hedge the next start cannot make
    expect(output).toMatch(/ASTER: this bot's trading counts 0\.01 ASTER more there than the account holds \(the fees taken in ASTER took it\): no exposure, and the next start does not sell it/)
    expect(output).not.toMatch(/NOT HEDGED/)
    // the venues: Backpack flat, the spot account left with the crumbs the fees did not take
    const after = await positions(local.config)
    const net = netChange(before, after)
    expect(BigDecimal.isPositive(net) && BigDecimal.lessThan(net, decimal("0.01")), formatDecimal(net)).toBe(true)
    const state = await inspectJournal(journal)
    expect(state.pending).toEqual([])
    expect(state.inDoubt).toEqual([])

    // the check, and the start after it, say that the account lacks the spare ASTER its fees need
    const check = startLive(local.config, journal, ["--check"])
    await check.exited
    const floatWarning = /warn +fees in ASTER +ASTER spot holds 0\.0024038 ASTER free \(0 beyond the 0\.01 its held hedge bought\), and its last hedge paid its fee in ASTER \("Pay fee in ASTER"\): a cycle's two hedges take about 0\.008 ASTER out of the ASTER they trade: less than one cycle's, so a sell hedge finds less than its leg and is refused/
    expect(check.output()).toMatch(floatWarning)

    // a restart is not stuck on the step the journal's fills left: the account does not hold it
    // (the fees took it), so it is no exposure, and trading starts again
    const again = startLive(local.config, journal, [])
    await again.exited
    expect(again.output()).toMatch(/reconcile: 0\.01 left unhedged: .*the account holds 0\.0024038 ASTER free of the 0\.01 this sell needs: fees taken in ASTER/)
    expect(again.output()).toMatch(/\[Cycle 1\] start of a new hedge cycle/)
    expect(again.output()).toMatch(/ WARN  .*ASTER spot holds 0\.0024038 ASTER free \(0 beyond the 0\.01 its held hedge bought\), and its last hedge paid its fee in ASTER/)
  })
})

describe("npm run live --paper against npm run exchange", () => {
  it("trades on the venue's live quotes with simulated fills: no order reaches the venue, the report is a paper one", async () => {
    const local = await exchange({ maxCycles: 2, market: swingingMarket() })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "paper.db")
    const reportFile = path.join(local.dir, "paper.json")
    // no keys needed: public data only
    const config = path.join(local.dir, "paper.yaml")
    // and the backtest's realism of a config: every hedge 10 bps worse than the quote
    fs.writeFileSync(config, `${fs.readFileSync(local.config, "utf8").replace(/(api_public_key_b64|api_secret_key_b64|api_key|api_secret): .*/g, '$1: ""')}\nsim:\n  market_slippage_bps: 10\n`)
    const recordFile = path.join(local.dir, "paper-recorded.db")
    const paper = startLive(config, journal, ["--paper", "--report-json", reportFile, "--record", recordFile])
    const code = await paper.exited
    expect(code, paper.output()).toBe(0)
    expect(paper.output()).toMatch(/\[Cycle 2\] done, last cycle/)
    noStackTrace(paper.output())

    // the venues never saw an order: each position is where it was
    const after = await positions(local.config)
    expect([formatDecimal(after.maker), formatDecimal(after.hedge)]).toEqual([formatDecimal(before.maker), formatDecimal(before.hedge)])

    const state = await inspectJournal(journal)
    expect([state.pending, state.inDoubt]).toEqual([[], []])
    expect(state.runs.map((r) => [r.kind, Option.getOrNull(r.outcome)])).toEqual([["paper", "completed"]])
    const report = readReport(reportFile)
    expect(report.kind).toBe("paper")
    expect(report.cycles.count).toBe(2)
    // filled by the simulated book at our limit prices, hedged at the live Aster quote with the
    // config's slippage: 2.0005 + 21 ticks (2.0005 × 10 bps = 20.005 ticks), 1.9995 − 20 ticks
    expect(report.venues["backpack"]!.makerQty).toBe("40")
    expect(report.venues["aster-futures"]!.takerQty).toBe("40")
    for (const fill of report.fills.filter((f) => f.venue === "aster-futures")) expect(fill.price).toBe(fill.side === "buy" ? "2.0026" : "1.9975")
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)

    // a paper run records the venues' real streams (its own fills never reach them)
    const recorded = readRecording(recordFile)
    const states = (idx: number, kind: "quote" | "trade") => new Set(recorded.ticks.filter((t) => t.instrument === idx && t.kind === kind).map((t) => t.values.join(" ")))
    expect(states(0, "quote")).toEqual(new Set(["1.999 500 2.001 500", "2.03 500 2.032 500", "1.968 500 1.97 500"]))
    expect(states(0, "trade")).toEqual(new Set(["2 1 buy", "2 1 sell"]))
    expect(states(1, "quote")).toEqual(new Set(["1.9995 5000 2.0005 5000"]))
    expect(states(1, "trade")).toEqual(new Set(["2 1 buy", "2 1 sell"]))
  })
})

describe("npm run record against npm run exchange", () => {
  it("records both venues' streams without trading, for --duration or until Ctrl+C, appending to the same file", async () => {
    const local = await exchange({ maxCycles: 0 })
    const before = await positions(local.config)
    const file = path.join(local.dir, "market.db")
    const timed = startRecord([local.config, "--out", file, "--duration", "3s", "--depth"])
    expect(await timed.exited, timed.output()).toBe(0)
    noStackTrace(timed.output())
    const first = readRecording(file)
    expect(timed.output()).toContain(`market recording: ${file}, ${first.ticks.length} ticks`)
    const states = (idx: number, kind: "quote" | "trade" | "depth") => new Set(first.ticks.filter((t) => t.instrument === idx && t.kind === kind).map((t) => t.values.join(" ")))
    expect(states(0, "quote")).toEqual(new Set(["1.999 500 2.001 500"]))
    expect(states(0, "trade")).toEqual(new Set(["2.02 1000 buy", "1.98 1000 sell"]))
    expect(states(1, "quote")).toEqual(new Set(["1.9995 5000 2.0005 5000"]))
    // --depth: both books (this market has one level a side), Aster's partial book, Backpack's kept from its depth stream
    expect(states(1, "depth")).toEqual(new Set(["1.9995 5000 2.0005 5000"]))
    expect(states(0, "depth")).toEqual(new Set(["1.999 500 2.001 500"]))

    const untilStopped = startRecord([local.config, "--out", file])
    await waitFor(untilStopped, /appending to its \d+ ticks/)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    untilStopped.process.kill("SIGINT")
    await untilStopped.exited
    expect(untilStopped.output()).toMatch(/market recording: .*, \d+ ticks and 0 funding event\(s\) from this run \(\d+ in the file\)/)
    expect(readRecording(file).ticks.length).toBeGreaterThan(first.ticks.length)
    // nothing traded
    expect(await positions(local.config)).toEqual(before)
  })

  it("names a bad --duration and exits 2; live refuses --depth without --record", async () => {
    const bad = startRecord(["config/hedge_futures.example.yaml", "--out", "out/never.db", "--duration", "5x"])
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toContain(`--duration: expected a positive number with a unit (s, m, h or d), e.g. 90s, 30m, 8h; got "5x"`)
    expect(fs.existsSync("out/never.db")).toBe(false)
    const depthAlone = startLive("config/hedge_futures.example.yaml", "out/never-journal.db", ["--depth"])
    // a bad command line (2): no restart cures it
    expect(await depthAlone.exited).toBe(2)
    expect(depthAlone.output()).toContain("error: --depth only says what --record keeps: give --record FILE too")
    expect(fs.existsSync("out/never-journal.db")).toBe(false)
  })
})

/** A runner trading without end on a local exchange, once its second cycle starts. */
const tradingRunner = async (env: Record<string, string> = {}) => {
  const local = await exchange({ maxCycles: 0 })
  const before = await positions(local.config)
  const journal = path.join(local.dir, "journal.db")
  const live = startLive(local.config, journal, [], env)
  await waitFor(live, /\[Cycle 2\] start of a new hedge cycle/)
  return { local, before, journal, live }
}

describe("npm run live: stopping and crashing", () => {
  it("Ctrl+C stops cleanly: the working order is cancelled, nothing is left unhedged, the report written; the alerts webhook hears of the start and the end", async () => {
    const hook = await startWebhookServer()
    try {
      // a maker order far from the market, resting when Ctrl+C comes
      const local = await exchange({ maxCycles: 0 })
      const before = await positions(local.config)
      const journal = path.join(local.dir, "journal.db")
      const resting = path.join(local.dir, "resting.yaml")
      fs.writeFileSync(resting, fs.readFileSync(local.config, "utf8").replace(/offset_percent: .*/, "offset_percent: 20").replace(/first_wait_seconds: .*/, "first_wait_seconds: 600"), { mode: 0o600 })
      const live = startLive(resting, journal, [], { HEDGELOOP_ALERTS_WEBHOOK_URL: hook.url })
      await waitFor(live, /monitoring BP sell order/)
      live.process.kill("SIGINT")
      await live.exited
      expect(live.output()).toMatch(/stop requested: winding down/)
      expect(live.output()).toMatch(/stopping: cancelled BP order \S+ \(0 filled\)/)
      expect(live.output()).toMatch(/stopping: flat across venues/)
      expect(live.output()).toMatch(/live report/)
      noStackTrace(live.output())
      expect(formatDecimal(netChange(before, await positions(local.config)))).toBe("0")
      const state = await inspectJournal(journal)
      expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["stopped"])
      expect(state.inDoubt).toEqual([])
      // sent before the process exited: nothing is waited for here
      expect(hook.received.map((r) => [r.body.event, r.body.severity, r.body.kind, r.body.run])).toEqual([["started", "info", "live", 1], ["ended", "info", "live", 1]])
      expect(hook.received[1]!.body.text).toMatch(/^hedgeloop live run 1 ended: stopped\. Volume [\d.]+, .*Hedged: net 0 across venues \(backpack -?[\d.]+, aster-futures -?[\d.]+\)\. stopped on request\.$/)
      expect(live.output()).not.toContain(hook.url)
    } finally {
      await hook.close()
    }
  })

  it("a stop signalled twice at once (a terminal and npm/tsx passing it on, systemd signalling the group) is one clean stop", async () => {
    const { local, before, journal, live } = await tradingRunner()
    live.process.kill("SIGTERM")
    await new Promise((resolve) => setTimeout(resolve, 20))
    live.process.kill("SIGINT")
    expect(await live.exited, live.output()).toBe(0)
    expect(live.output()).not.toMatch(/exiting at once/)
    expect(live.output()).toMatch(/stopping: (flat across venues|.*left unhedged)/)
    expect(live.output()).toMatch(/live report/)
    expect(formatDecimal(netChange(before, await positions(local.config)))).toBe("0")
    const state = await inspectJournal(journal)
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["stopped"])
    expect(fs.existsSync(`${journal}.lock`)).toBe(false)
  })

  it.each(["futures", "spot"] as const)("%s: a stop between the legs leaves a hedged pair; the next start unwinds it before its first cycle, and both venues end where they began", async (variant) => {
    const local = await exchange({ variant, maxCycles: 1 })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    // a long pause between the legs to stop in
    const first = startLive(configVariant(local, "pause.yaml", /between_legs_sleep: .*/, "between_legs_sleep: 60"), journal)
    await waitFor(first, /sleeping 60 s/)
    first.process.kill("SIGINT")
    expect(await first.exited, first.output()).toBe(0)
    const paired = await positions(local.config)
    expect([formatDecimal(BigDecimal.subtract(paired.maker, before.maker)), formatDecimal(BigDecimal.subtract(paired.hedge, before.hedge))]).toEqual(["-10", "10"])
    // the stop says what it leaves, and what becomes of it
    expect(first.output()).toMatch(/BP holds -10 ASTER, hedged on the other venue: the next start unwinds it before its first cycle; npm run live -- \S+pause\.yaml --unwind-only unwinds it and stops/)
    // --check names the unwinding leg as the first order
    const check = startLive(local.config, journal, ["--check"])
    expect(await check.exited, check.output()).toBe(0)
    expect(check.output()).toMatch(
      /ok +first order +BP limit buy 10 at [\d.]+ \(from last [\d.]+ − 0%(, kept below the [\d.]+ ask so it rests)?\), [\d.]+ USDC, unwinding the -10 ASTER position an interrupted run left \(trade\.unwind_at_start\); each fill hedged by an ASTER market sell/
    )

    const second = startLive(local.config, journal)
    expect(await second.exited, second.output()).toBe(0)
    expect(second.output()).toMatch(/imbalance 0; hedged nothing/)
    expect(second.output()).toMatch(/\[Unwind\] BP position -10 is a hedged pair left by an interrupted run: buy 10 first, hedged on ASTER/)
    expect(second.output()).toMatch(/\[Cycle 1\] done, last cycle/)
    expect(second.output()).not.toMatch(/holds .* hedged on the other venue/)
    // each venue, not only their sum, is back where it was
    expect(await positions(local.config)).toEqual(before)
    const state = await inspectJournal(journal)
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["stopped", "completed"])
    expect(state.inDoubt).toEqual([])
  })

  it("--unwind-only ends flat on both venues: it unwinds the pair a stopped run left and starts no cycle", async () => {
    const local = await exchange({ maxCycles: 0 })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const paused = configVariant(local, "pause.yaml", /between_legs_sleep: .*/, "between_legs_sleep: 60")
    const first = startLive(paused, journal)
    await waitFor(first, /sleeping 60 s/)
    first.process.kill("SIGINT")
    expect(await first.exited, first.output()).toBe(0)

    // the same config: done unwinding, it ends at once, with no pause after its last leg
    const unwind = startLive(paused, journal, ["--unwind-only"])
    expect(await unwind.exited, unwind.output()).toBe(0)
    expect(unwind.output()).toMatch(/\[Unwind\] BP position -10 is a hedged pair left by an interrupted run: buy 10 first, hedged on ASTER \(--unwind-only\)/)
    expect(unwind.output()).not.toMatch(/\[Cycle 1\] start|sleeping|first cycle in/)
    expect(await positions(local.config)).toEqual(before)
    const state = await inspectJournal(journal)
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["stopped", "completed"])
    // nothing is left to unwind: the check says the start would send nothing
    const check = startLive(local.config, journal, ["--check", "--unwind-only"])
    expect(await check.exited, check.output()).toBe(0)
    expect(check.output()).toMatch(/ok +first order +none: the BP position 0 leaves nothing to unwind on both venues \(--unwind-only sends nothing\)/)
  })

  it("a pair the kill switch left at risk.max_position: a start without unwinding refuses, naming --unwind-only, which is let through and ends flat", async () => {
    const local = await exchange({ maxCycles: 0 })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    // as the original bot: no unwinding, each start sells first; the limit is a leg and a half
    const kept = path.join(local.dir, "kept.yaml")
    const text = fs.readFileSync(local.config, "utf8")
      .replace(/between_legs_sleep: .*/, "between_legs_sleep: 60\n  unwind_at_start: false")
      .replace(/^debug: .*/m, "risk:\n  max_position: 15\ndebug: false")
    fs.writeFileSync(kept, text, { mode: 0o600 })
    const first = startLive(kept, journal)
    await waitFor(first, /sleeping 60 s/)
    first.process.kill("SIGINT")
    expect(await first.exited, first.output()).toBe(0)
    // the next start sells on top of the pair: the kill switch stops it at -20, hedged
    const second = startLive(kept, journal)
    expect(await second.exited, second.output()).toBe(3)
    expect(second.output()).toMatch(/kill switch \(risk\.max_position\): backpack position is -20, the limit is ±15/)
    const stuck = await positions(local.config)
    expect([formatDecimal(BigDecimal.subtract(stuck.maker, before.maker)), formatDecimal(BigDecimal.subtract(stuck.hedge, before.hedge))]).toEqual(["-20", "20"])

    // the check and a start refuse, and say the way out
    const check = startLive(kept, journal, ["--check"])
    expect(await check.exited, check.output()).toBe(4)
    expect(check.output()).toMatch(
      /refuse +position limit +BP -20, ASTER 20 at or beyond risk\.max_position ±15: a start refuses to trade; npm run live -- \S+kept\.yaml --unwind-only trades the BP position back to zero, hedged, and stops/
    )
    const refused = startLive(kept, journal)
    expect(await refused.exited, refused.output()).toBe(4)
    expect(refused.output()).toMatch(/nothing was sent\); npm run live -- \S+kept\.yaml --unwind-only trades the BP position -20 back to zero, hedged, and stops/)
    const after = await positions(local.config)
    expect([after.maker, after.hedge].map(formatDecimal)).toEqual([stuck.maker, stuck.hedge].map(formatDecimal))

    // unwinding is let through: the positions may shrink, not grow
    const unwindCheck = startLive(kept, journal, ["--check", "--unwind-only"])
    expect(await unwindCheck.exited, unwindCheck.output()).toBe(0)
    expect(unwindCheck.output()).toMatch(
      /warn +position limit +BP -20, ASTER 20 at or beyond risk\.max_position ±15: a start unwinds it first \(--unwind-only\); until it is under the limit it may shrink, not grow/
    )
    // (with no minute between its two legs)
    const unwind = startLive(configVariant(local, "unwind.yaml", /^debug: .*/m, "risk:\n  max_position: 15\ndebug: false"), journal, ["--unwind-only"])
    expect(await unwind.exited, unwind.output()).toBe(0)
    expect(unwind.output()).toMatch(/\[Unwind\] BP position -20 is a hedged pair left by an interrupted run: buy 10 first, hedged on ASTER \(--unwind-only\)/)
    expect(await positions(local.config)).toEqual(before)
    const state = await inspectJournal(journal)
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["stopped", "kill-switch", "refused", "completed"])
  })

  it("kill -9 while a hedge's reply is outstanding: the restart finds the hedge by client id and sends no second one", async () => {
    // the first hedge executes at the venue and its reply never comes: the runner is killed waiting
    const local = await exchange({ maxCycles: 1, faults: `http:\n  - route: "POST /fapi/v1/order"\n    times: 1\n    fault: timeout\n` })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const first = startLive(local.config, journal)
    await waitFor(first, /hedging with an ASTER market buy/)
    await new Promise((resolve) => setTimeout(resolve, 300))
    first.process.kill("SIGKILL")
    await first.exited

    const crashed = await inspectJournal(journal)
    expect(crashed.inDoubt).toHaveLength(1)
    const inDoubt = crashed.inDoubt[0]!.clientId

    const second = startLive(local.config, journal)
    expect(await second.exited, second.output()).toBe(0)
    expect(second.output()).toMatch(new RegExp(`restart: (market|hedge) ${inDoubt} (on aster-futures )?is order`))
    // nothing to hedge at start-up: the lost hedge had done its work
    expect(second.output()).toMatch(/imbalance 0; hedged nothing/)
    expect(formatDecimal(netChange(before, await positions(local.config)))).toBe("0")

    const state = await inspectJournal(journal)
    expect(state.inDoubt).toEqual([])
    expect(state.pending).toEqual([])
    // the killed run closed by the restart, which completed its fills
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["killed", "completed"])
    // the in-doubt hedge's fill was read from the venue's history into the journal, once
    const hedgeFills = state.fills.filter((f) => f.venue === "aster-futures")
    expect(new Set(hedgeFills.map((f) => f.tradeId)).size).toBe(hedgeFills.length)
    expect(state.hedgeQty("aster-futures")).toBe(formatDecimal(BigDecimal.negate(decimal(state.makerQty))))
  })

  it("kill -9 while a hedge is on its way: the venue books it, and the restart finds it rather than hedge again", async () => {
    // the venue takes 3 s over the hedge request, and carries it out although the connection
    // dies with the process meanwhile (as a venue does with a request it has received)
    const local = await exchange({ maxCycles: 1, faults: `http:\n  - route: "POST /fapi/v1/order"\n    times: 1\n    fault: { kind: delay, ms: 3000 }\n` })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const first = startLive(local.config, journal)
    await waitFor(first, /hedging with an ASTER market buy/)
    first.process.kill("SIGKILL")
    await first.exited
    // let the delayed request play out at the venue, whatever it does with a dead connection
    await new Promise((resolve) => setTimeout(resolve, 3500))

    const second = startLive(local.config, journal)
    expect(await second.exited, second.output()).toBe(0)
    // its intent was journalled before it was sent: the restart looks its client id up, finds it
    // filled, records it as the killed run's, and hedges nothing a second time
    expect(second.output()).toMatch(/restart: market \S+ on aster-futures is order \S+, filled, 10 filled/)
    expect(second.output()).toMatch(/positions -10 \+ 10 = imbalance 0; hedged nothing; residual 0/)
    expect(formatDecimal(netChange(before, await positions(local.config)))).toBe("0")
    const state = await inspectJournal(journal)
    expect(state.inDoubt).toEqual([])
    expect(state.pending).toEqual([])
  })
})

/** The local exchange's config with one setting changed, written beside it (owner-only, as a config with keys must be). */
const configVariant = (local: LocalExchange, name: string, setting: RegExp, replacement: string): string => {
  const file = path.join(local.dir, name)
  fs.writeFileSync(file, fs.readFileSync(local.config, "utf8").replace(setting, replacement), { mode: 0o600 })
  return file
}

/** A signed request of the trader's own to the local Aster (what the bot never sends, such as switching the account's modes). */
const asterAccountRequest = (local: LocalExchange, method: "GET" | "POST", name: string, params: ReadonlyArray<readonly [string, string]>) => {
  const asterUrl = /aster:[\s\S]*?base_url: "([^"]+)"/.exec(fs.readFileSync(local.config, "utf8"))![1]!
  return asterSignedRequest(asterUrl, { apiKey: DEFAULT_TEST_ACCOUNT.asterApiKey, apiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret }, method, name, params)
}

/** `--check` and a start on `config` both refuse (exit 4) with these lines, and the start trades no cycle; their outputs. */
const expectCheckAndStartRefuse = async (config: string, journal: string, lines: { readonly check: RegExp; readonly start: RegExp }) => {
  const check = startLive(config, journal, ["--check"])
  expect(await check.exited, check.output()).toBe(4)
  expect(check.output()).toMatch(lines.check)
  const live = startLive(config, journal)
  expect(await live.exited, live.output()).toBe(4)
  expect(live.output()).toMatch(lines.start)
  noStackTrace(live.output())
  expect(live.output()).not.toMatch(/\[Cycle 1\]/)
  return { check: check.output(), start: live.output() }
}

describe("npm run live: refusals", () => {
  it("names the bad key of a config and exits non-zero", async () => {
    const local = await exchange({ maxCycles: 1 })
    const bad = configVariant(local, "bad.yaml", /quantity: .*/, 'quantity: "-3"')
    const live = startLive(bad, path.join(local.dir, "journal.db"))
    expect(await live.exited).toBe(1)
    expect(live.output()).toMatch(/error: invalid config .*bad\.yaml:\n\s+- trade\.quantity: expected a positive decimal/)
    noStackTrace(live.output())
    expect(fs.existsSync(path.join(local.dir, "journal.db"))).toBe(false)
  })

  it("an Aster futures account in Hedge Mode: --check and a start refuse (exit 4) before anything is sent, saying how to switch", async () => {
    const local = await exchange({ maxCycles: 1 })
    const before = await positions(local.config)
    // the trader's account, switched to Hedge Mode on the venue (a signed request of its own)
    const switched = await asterAccountRequest(local, "POST", "positionSide/dual", [["dualSidePosition", "true"]])
    expect(switched.status).toBe(200)
    const journal = path.join(local.dir, "journal.db")
    const refusal = /error: refused: the aster-futures account is in Hedge Mode \(dual-side positions\): Aster refuses its one-way hedge orders there \(-4061\).*Switch the account to One-way Mode/
    await expectCheckAndStartRefuse(local.config, journal, { check: refusal, start: refusal })
    const after = await positions(local.config)
    expect([after.maker, after.hedge].map(formatDecimal)).toEqual([before.maker, before.hedge].map(formatDecimal))
  })

  it("a spot hedge venue that cannot pay a hedge buy of trade.quantity: --check and a start refuse (exit 4) before the first cycle", async () => {
    const local = await exchange({ variant: "spot", maxCycles: 1 })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    // the account holds 10000 USDT: 6000 ASTER at about 2 is more
    const large = configVariant(local, "large.yaml", /quantity: .*/, 'quantity: "6000"')
    await expectCheckAndStartRefuse(large, journal, {
      check: /refuse +hedge funds +ASTER spot: 10000 USDT free; a hedge buy of 6000 ASTER at about [\d.]+ needs [\d.]+ \(fee and price moves included\): a start refuses to trade/,
      start: /error: refused: ASTER spot holds 10000 USDT free; a hedge buy of 6000 ASTER at about [\d.]+ needs [\d.]+ \(fee and price moves included\): deposit USDT there or lower trade\.quantity; trading was not started/
    })
    const after = await positions(local.config)
    expect([after.maker, after.hedge].map(formatDecimal)).toEqual([before.maker, before.hedge].map(formatDecimal))
    // the usual quantity: paid for
    const fine = startLive(local.config, journal, ["--check"])
    expect(await fine.exited, fine.output()).toBe(0)
    expect(fine.output()).toMatch(/ok +hedge funds +ASTER spot: 10000 USDT free; a hedge buy of 10 ASTER/)
    // unwinding alone sells what a pair holds: it is never refused for want of USDT
    const unwindCheck = startLive(large, journal, ["--check", "--unwind-only"])
    expect(await unwindCheck.exited, unwindCheck.output()).toBe(0)
    expect(unwindCheck.output()).not.toMatch(/hedge funds/)
    const unwind = startLive(large, journal, ["--unwind-only"])
    expect(await unwind.exited, unwind.output()).toBe(0)
    expect(unwind.output()).not.toMatch(/refused/)
  })

  it("an Aster futures account whose margin cannot open a hedge of trade.quantity: --check and a start refuse (exit 4); in Multi-Assets mode both only warn, and a hedge then refused to the end is called NOT HEDGED as the run ends", async () => {
    // 1 USDT at leverage 10 opens 10 USDT of notional: a hedge of 10 ASTER at about 2 is more
    const local = await exchange({ maxCycles: 1, accounts: "default_balances: { USDC: 10000, USDT: 1, ASTER: 1000 }\n" })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const need = "ASTER ASTERUSDT: 1 USDT available; a hedge buy of 10 ASTER at about [\\d.]+ at leverage 10 needs [\\d.]+ \\(fee and price moves included\\)"
    await expectCheckAndStartRefuse(local.config, journal, {
      check: new RegExp(`refuse +hedge margin +${need}: a start refuses to trade \\(deposit USDT there, raise the symbol's leverage or lower trade\\.quantity\\)`),
      start: new RegExp(`error: refused: ${need}: deposit USDT there, raise the symbol's leverage or lower trade\\.quantity; trading was not started`)
    })
    expect(await positions(local.config)).toEqual(before)
    // in Multi-Assets mode the account's other assets count as margin too: a warning, not a refusal
    const switched = await asterAccountRequest(local, "POST", "multiAssetsMargin", [["multiAssetsMargin", "true"]])
    expect(switched.status).toBe(200)
    const shared = startLive(local.config, journal, ["--check"])
    expect(await shared.exited, shared.output()).toBe(0)
    expect(shared.output()).toMatch(new RegExp(`warn +hedge margin +${need}: the account is in Multi-Assets mode, where its other assets count as margin too`))
    // a start warns and trades; here nothing else pays the margin, so the hedge is refused to the
    // end (the kill switch stops the run, exit 3, its last hedge tried for 2 s), and the run's
    // last word says it is not hedged
    const brief = configVariant(local, "brief-wind-down.yaml", /max_cycles: .*/, "max_cycles: 1\n  wind_down_hedge_seconds: 2")
    const unhedged = startLive(brief, journal)
    expect(await unhedged.exited, unhedged.output()).toBe(3)
    expect(unhedged.output()).toMatch(new RegExp(`${need}; the account is in Multi-Assets mode, where its other assets count as margin too: trading starts`))
    expect(unhedged.output()).toMatch(/hedge buy 10 failed: aster-futures: insufficient balance: Margin is insufficient\. \(-2019\)/)
    const [, held, exposed, buy] = /NOT HEDGED: BP holds (-[\d.]+) ASTER and ASTER 0: (-[\d.]+) ASTER is exposed until then; the next start hedges it before anything else \(an ASTER market buy of ([\d.]+)\)/.exec(unhedged.output()) ?? []
    expect([exposed, buy], unhedged.output()).toEqual([held, held!.slice(1)])
    expect(unhedged.output()).not.toMatch(/hedged on the other venue/)
    const after = await positions(local.config)
    expect([after.maker, after.hedge].map(formatDecimal)).toEqual([formatDecimal(BigDecimal.sum(before.maker, decimal(held!))), formatDecimal(before.hedge)])
    // the next start hedges the imbalance first: refused again, it fails (exit 1: a restart may
    // find the margin deposited), saying what it was hedging, and the exposure is named again
    const again = startLive(brief, journal)
    expect(await again.exited, again.output()).toBe(1)
    expect(again.output()).toMatch(new RegExp(`reconcile: the start-up hedge of the ${held} imbalance \\(backpack ${held}, aster-futures 0\\), aster-futures market buy ${held!.slice(1)}, failed: aster-futures: insufficient balance: Margin is insufficient\\. \\(-2019\\)`))
    expect(again.output()).toMatch(/NOT HEDGED: BP holds -[\d.]+ ASTER and ASTER 0/)
    expect(again.output()).not.toMatch(/\[Cycle 1\]/)
  })

  it("a Backpack account whose collateral does not allow the first sell of trade.quantity: --check and a start refuse (exit 4)", async () => {
    // 1 USDC at leverage 10 holds about 5 ASTER of short
    const local = await exchange({ maxCycles: 1, accounts: "default_balances: { USDC: 1, USDT: 10000, ASTER: 1000 }\n" })
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    const allows = "BP allows a limit sell of at most [\\d.]+ ASTER at [\\d.]+ now; trade\\.quantity is 10"
    const refused = await expectCheckAndStartRefuse(local.config, journal, {
      check: new RegExp(`refuse +maker funds +${allows}: a start refuses to trade \\(deposit USDC there or lower trade\\.quantity\\)`),
      start: new RegExp(`error: refused: ${allows}: deposit USDC there or lower trade\\.quantity; trading was not started`)
    })
    const [, most] = /allows a limit sell of at most ([\d.]+) ASTER/.exec(refused.check) ?? []
    expect(Number(most)).toBeGreaterThan(4)
    expect(Number(most)).toBeLessThan(5.1)
    expect(await positions(local.config)).toEqual(before)
  })

  it("a quantity the venues cannot trade: refused before any order, with its own exit code (4)", async () => {
    const local = await exchange({ maxCycles: 1 })
    const odd = configVariant(local, "odd.yaml", /quantity: .*/, 'quantity: "10.005"')
    const before = await positions(local.config)
    const live = startLive(odd, path.join(local.dir, "journal.db"))
    expect(await live.exited, live.output()).toBe(4)
    expect(live.output()).toMatch(/error: refused: .*10\.005/)
    noStackTrace(live.output())
    expect(await positions(local.config)).toEqual(before)
  })

  it("--check reads everything a start needs, sends nothing, and names what would stop a start", async () => {
    const local = await exchange({ maxCycles: 1 })
    const journal = path.join(local.dir, "journal.db")
    const before = await positions(local.config)
    const check = startLive(local.config, journal, ["--check"])
    expect(await check.exited, check.output()).toBe(0)
    const out = check.output()
    for (const line of [
      /ok +BP instrument +backpack ASTER_USDC_PERP \(perp\): tick 0\.0001, step/,
      /ok +BP market state +Open: takes the maker legs' post-only orders/,
      /ok +ASTER market state +TRADING: takes the hedges' market orders/,
      /ok +BP account +USDC [\d.]+ free/,
      /ok +ASTER account +USDT [\d.]+ free/,
      /ok +ASTER open orders +none/
    ])
      expect(out).toMatch(line)
    // the test config's offset is 0: the price is the last one, raised above the bid when that
    // would cross it (the scripted market swings both ways); either way it rests
    expect(out).toMatch(/ok +first order +BP limit sell 10 at [\d.]+ \(from last [\d.]+ \+ 0%(, kept above the [\d.]+ bid so it rests)?\), [\d.]+ USDC/)
    const [, bid] = /BP market +bid ([\d.]+)/.exec(out)!
    const [, price] = /limit sell 10 at ([\d.]+)/.exec(out)!
    expect(BigDecimal.greaterThan(decimal(price!), decimal(bid!))).toBe(true)
    expect(out).toMatch(/ok +imbalance +none/)
    expect(out).toMatch(/ok +hedge margin +ASTER ASTERUSDT: 10000 USDT available; a hedge buy of 10 ASTER at about [\d.]+ at leverage 10 needs [\d.]+ \(fee and price moves included\)/)
    expect(out).toMatch(/ok +maker funds +BP allows a limit sell of at most [\d.]+ ASTER at [\d.]+ now; trade\.quantity is 10/)
    // Aster's own rates for the account (the local exchange charges the defaults the config assumes too)
    expect(out).toMatch(/ok +ASTER fee rates +ASTERUSDT: maker 0\.01%, taker 0\.035% \(this account's tier\); backtests and paper runs of this config assume the same \(paid in ASTER, "Pay fee in ASTER", they are 5 % less\)$/m)
    // the limits in force, defaults included (trade.quantity 10)
    expect(out).toMatch(/ok +kill switch +risk\.max_unhedged_qty_seconds 600, max_consecutive_hedge_failures 3, max_position 50, max_loss 50 \(per run\), max_loss_per_day off, max_auto_hedge 20/)
    expect(out).not.toMatch(/loss per day/)
    expect(out).toMatch(/ok +journal +.*none yet/)
    expect(out).toMatch(/a start would trade/)
    expect(await positions(local.config)).toEqual(before)
    expect(fs.existsSync(journal)).toBe(false)
    // a config whose backtests assume another tier: a warning saying what to set, and still exit 0
    const otherTier = configVariant(local, "other-tier.yaml", /$/, "\nsim:\n  aster:\n    taker_fee: 0.0005\n")
    const tier = startLive(otherTier, journal, ["--check"])
    expect(await tier.exited, tier.output()).toBe(0)
    expect(tier.output()).toMatch(
      /warn +ASTER fee rates +ASTERUSDT: maker 0\.01%, taker 0\.035% \(this account's tier\); backtests and paper runs of this config assume maker 0\.01%, taker 0\.05%: set sim\.aster\.maker_fee: 0\.0001 and sim\.aster\.taker_fee: 0\.00035 to rehearse this account's costs \(paid in ASTER, "Pay fee in ASTER", they are 5 % less\)$/m
    )
    // a wrong Aster secret: the signed reads fail, naming the venue's answer; exit 1
    const wrongKey = configVariant(local, "wrong-key.yaml", /api_secret: ".*"/, 'api_secret: "not-the-secret"')
    const bad = startLive(wrongKey, journal, ["--check"])
    expect(await bad.exited, bad.output()).toBe(1)
    expect(bad.output()).toMatch(/fail +ASTER account +aster-futures refused the request \(-1022\): Signature for this request is not valid\. \(a signed read: check the keys\)/)
    expect(bad.output()).toMatch(/error: 3 check\(s\) failed/)
    noStackTrace(bad.output())
    expect(bad.output()).not.toContain("not-the-secret")
  })

  it("--check on the spot variant, with risk.max_loss_per_day: the position the journal's trading moved, and the last 24 hours' loss before and after a run", async () => {
    const local = await exchange({ variant: "spot", maxCycles: 1 })
    const journal = path.join(local.dir, "journal.db")
    const config = configVariant(local, "daily.yaml", /$/, "\nrisk:\n  max_loss_per_day: 100\n")
    const first = startLive(config, journal, ["--check"])
    expect(await first.exited, first.output()).toBe(0)
    expect(first.output()).toMatch(/ok +ASTER instrument +aster-spot ASTERUSDT \(spot\)/)
    expect(first.output()).toMatch(/ok +ASTER position +[\d.]+ ASTER \(spot: the base balance\)/)
    // the spot balance is not a position: with no journal, nothing of it was moved by this bot
    expect(first.output()).toMatch(/ok +imbalance +none \(BP 0, ASTER 0; on spot, what the journal's trading moved\)/)
    expect(first.output()).toMatch(/max_loss_per_day 100 \(any 24 hours, across runs\)/)
    expect(first.output()).toMatch(/ok +loss per day +no earlier run: the last 24 hours' PnL is 0 \(the limit is -100\)/)

    const run = startLive(config, journal, ["--report-json", path.join(local.dir, "live.json")])
    expect(await run.exited, run.output()).toBe(0)
    expect(run.output()).toMatch(/risk\.max_loss_per_day 100: the last 24 hours' PnL is 0 \(0 fill\(s\) of earlier runs/)
    const report = readReport(path.join(local.dir, "live.json"))

    const after = startLive(config, journal, ["--check"])
    expect(await after.exited, after.output()).toBe(0)
    const fills = report.fills.length
    const [, pnl] = new RegExp(`ok +loss per day +the last 24 hours' PnL is (-?[\\d.]+) over ${fills} fill\\(s\\) of earlier live runs, the limit is -100`).exec(after.output()) ?? []
    expect(pnl, after.output()).toBeDefined()
    // each venue is flat after whole cycles, so no mark enters either figure: the window holds
    // exactly the run's cash flows, as its report does
    expect(pnl).toBe(report.totals.pnl)
    expect(after.output()).toMatch(/ok +imbalance +none \(BP 0, ASTER 0; on spot/)
    expect(after.output()).toMatch(/ok +journal +.*run 1 ended .*: completed/)
  })

  it("without credentials names the keys and the environment variables", async () => {
    const local = await exchange({ maxCycles: 1 })
    const keyless = configVariant(local, "keyless.yaml", /api_secret: ".*"/, 'api_secret: ""')
    const live = startLive(keyless, path.join(local.dir, "journal.db"))
    expect(await live.exited).toBe(1)
    expect(live.output()).toMatch(/aster\.api_secret is empty \(or set HEDGELOOP_ASTER_API_SECRET\)/)
    // the same secret from the environment is accepted
    const secret = /api_secret: "([^"]+)"/.exec(fs.readFileSync(local.config, "utf8"))![1]!
    const withEnv = startLive(keyless, path.join(local.dir, "journal.db"), [], { HEDGELOOP_ASTER_API_SECRET: secret })
    expect(await withEnv.exited, withEnv.output()).toBe(0)
    expect(withEnv.output()).toMatch(/secrets from the environment: HEDGELOOP_ASTER_API_SECRET/)
    expect(withEnv.output()).not.toContain(secret)
  })
})
