/**
 * The local exchange's fault matrix against `npm run live` (child processes on loopback): each
 * fault, on the maker's or the hedge's routes and streams, ends with the bot flat across venues
 * (the venues' own positions say so) and the journal consistent (nothing pending or in doubt, the
 * report reconciling with its fills). A hedge venue that refuses every hedge trips the kill switch.
 */
import { BigDecimal, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { type Decimal, decimal, formatDecimal, isMultipleOf } from "../src/core/domain/decimal"
import { openTickFile } from "../src/sim/tickstore/reader"
import { inspectJournal, type LocalExchange, netChange, positions, readReport, startLive, startLocalExchange, waitFor } from "./support/live-processes"
import { runsFlat } from "./support/runs-flat"
import { writeScript } from "./support/scripted-market"

let running: Array<LocalExchange> = []
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()))
  running = []
})

const http = (route: string, fault: string, rule = "times: 1") => `http:\n  - route: "${route}"\n    ${rule}\n    fault: ${fault}\n`
const socket = (stream: string, fault: string, rule = "every: 2\n    times: 2") => `socket:\n  - stream: "${stream}"\n    ${rule}\n    fault: ${fault}\n`

/** each row: its name, its fault plan, and the fault the exchange must say fired (a row whose fault never fires tests nothing) */
const matrix: ReadonlyArray<readonly [string, string, RegExp]> = [
  ["503 on a hedge (executed, answer lost)", http("POST /fapi/v1/order", "{ kind: status, status: 503 }"), /fault status \(status 503\) on aster-futures POST \/fapi\/v1\/order/],
  ["500 on a maker order", http("POST /api/v1/order", "{ kind: status, status: 500 }"), /fault status \(status 500\) on backpack POST \/api\/v1\/order/],
  ["429 with Retry-After on a hedge", http("POST /fapi/v1/order", "{ kind: rateLimit, retryAfterSeconds: 1 }"), /fault rateLimit \(.*\) on aster-futures POST \/fapi\/v1\/order/],
  ["a hedge that never answers", http("POST /fapi/v1/order", "timeout"), /fault timeout on aster-futures POST \/fapi\/v1\/order/],
  ["a maker order that never answers", http("POST /api/v1/order", "timeout"), /fault timeout on backpack POST \/api\/v1\/order/],
  ["malformed JSON for a hedge", http("POST /fapi/v1/order", "malformed"), /fault malformed on aster-futures POST \/fapi\/v1\/order/],
  ["malformed JSON for a maker order", http("POST /api/v1/order", "malformed"), /fault malformed on backpack POST \/api\/v1\/order/],
  ["a hedge rejected once", http("POST /fapi/v1/order", "reject"), /fault reject.* on aster-futures POST \/fapi\/v1\/order/],
  // the market reads open after it (as after a moment closed), its filters unchanged: posted again 10 s later, not the end of the run
  ["a maker order rejected once", http("POST /api/v1/order", `{ kind: reject, code: INVALID_ORDER, message: "Order book is CancelOnly" }`), /fault reject \(.*INVALID_ORDER.*\) on backpack POST \/api\/v1\/order/],
  ["maker fill messages dropped", socket("account.orderUpdate*", "drop"), /fault drop on backpack account\.orderUpdate/],
  ["maker fill messages duplicated", socket("account.orderUpdate*", "duplicate"), /fault duplicate on backpack account\.orderUpdate/],
  ["maker messages out of order", socket("account.orderUpdate*", "reorder", "every: 1\n    times: 4"), /fault reorder.* on backpack account\.orderUpdate/],
  ["maker stream disconnected", socket("account.orderUpdate*", "disconnect"), /fault disconnect on backpack account\.orderUpdate/],
  ["maker fill messages malformed (cut off halfway)", socket("account.orderUpdate*", "malformed"), /fault malformed on backpack account\.orderUpdate/],
  ["hedge stream messages dropped", socket("user.orderUpdate", "drop"), /fault drop on aster-futures user\.orderUpdate/],
  ["hedge stream messages malformed (cut off halfway)", socket("user.orderUpdate", "malformed"), /fault malformed on aster-futures user\.orderUpdate/],
  ["hedge stream disconnected", socket("user.orderUpdate", "disconnect"), /fault disconnect on aster-futures user\.orderUpdate/]
]

/** the spot variant's hedges (sapi shares Backpack's order path: the rule names the venue) */
const spotHedge = (fault: string) => http("POST /api/v1/order", fault, "venue: aster-spot\n    times: 1")
const spotMatrix: ReadonlyArray<readonly [string, string, RegExp]> = [
  ["503 on a spot hedge (executed, answer lost)", spotHedge("{ kind: status, status: 503 }"), /fault status \(status 503\) on aster-spot POST \/api\/v1\/order/],
  ["429 with Retry-After on a spot hedge", spotHedge("{ kind: rateLimit, retryAfterSeconds: 1 }"), /fault rateLimit \(.*\) on aster-spot POST \/api\/v1\/order/],
  ["a spot hedge that never answers", spotHedge("timeout"), /fault timeout on aster-spot POST \/api\/v1\/order/],
  ["malformed JSON for a spot hedge", spotHedge("malformed"), /fault malformed on aster-spot POST \/api\/v1\/order/],
  ["spot hedge stream disconnected", socket("user.orderUpdate", "disconnect"), /fault disconnect on aster-spot user\.orderUpdate/]
]

describe("npm run live under the local exchange's faults", () => {
  it.each(matrix)("%s: flat across venues, journal consistent", async (_name, plan, fired) => {
    const local = await startLocalExchange({ maxCycles: 2, faults: plan })
    running.push(local)
    await runsFlat(local)
    // the fault did reach the bot: a plan that never matched would pass the rest as a plain run
    expect(local.exchange.output()).toMatch(fired)
  })

  it.each(spotMatrix)("spot variant, %s: flat across venues, journal consistent", async (_name, plan, fired) => {
    const local = await startLocalExchange({ variant: "spot", maxCycles: 2, faults: plan })
    running.push(local)
    await runsFlat(local)
    expect(local.exchange.output()).toMatch(fired)
  })

  it("a hedge venue refusing every hedge trips the kill switch: exit 3 (not worth an automatic restart), the reason, the exposure in the report", async () => {
    const local = await startLocalExchange({ maxCycles: 2, faults: http("POST /fapi/v1/order", "reject", "venue: aster-futures") })
    running.push(local)
    const journal = path.join(local.dir, "journal.db")
    const reportFile = path.join(local.dir, "live.json")
    // the wind-down's last hedge is refused too: tried for 3 s here rather than the default minute
    const config = path.join(local.dir, "brief-wind-down.yaml")
    fs.writeFileSync(config, fs.readFileSync(local.config, "utf8").replace(/max_cycles: .*/, (line) => `${line}\n  wind_down_hedge_seconds: 3`), { mode: 0o600 })
    const live = startLive(config, journal, ["--report-json", reportFile])
    expect(await live.exited).toBe(3)
    expect(live.output()).toMatch(/error: kill-switch: kill switch \(risk\.max_consecutive_hedge_failures\): consecutive failed hedge attempts is 3, the limit is 3/)
    const report = readReport(reportFile)
    expect(report.run.outcome).toBe("kill-switch")
    // the first leg's maker fill stayed unhedged, and the report says so
    expect(report.venues["backpack"]!.position).toBe("-10")
    expect(report.venues["aster-futures"]!.fillCount).toBe(0)
    const state = await inspectJournal(journal)
    // every refused hedge is recorded as refused, none is in doubt
    expect(state.inDoubt).toEqual([])
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["kill-switch"])
  })

  it("Ctrl+C while hedges are refused: the stop's wind-down cannot hedge the fill, so the run ends hedge-failed and exits 3, not 0 as a clean stop", async () => {
    const local = await startLocalExchange({ maxCycles: 2, faults: http("POST /fapi/v1/order", "reject", "venue: aster-futures") })
    running.push(local)
    const journal = path.join(local.dir, "journal.db")
    const reportFile = path.join(local.dir, "live.json")
    // no kill switch before the stop (the refusals do not count towards one); the stop's last
    // hedge is tried for 3 s
    const config = path.join(local.dir, "no-kill-switch.yaml")
    fs.writeFileSync(
      config,
      fs.readFileSync(local.config, "utf8").replace(/max_cycles: .*/, (line) => `${line}\n  wind_down_hedge_seconds: 3`) + "risk:\n  max_consecutive_hedge_failures: 1000\n",
      { mode: 0o600 }
    )
    const live = startLive(config, journal, ["--report-json", reportFile])
    // stopped while the strategy still retries its hedge of the first fill
    await waitFor(live, /hedge buy 10 failed/)
    live.process.kill("SIGINT")
    expect(await live.exited, live.output()).toBe(3)
    expect(live.output()).toMatch(/stop requested: winding down/)
    expect(live.output()).toMatch(/error: hedge-failed: the wind-down could not hedge the residual: .*; -10 unhedged across the venues/)
    const report = readReport(reportFile)
    expect(report.run.outcome).toBe("hedge-failed")
    expect(report.venues["backpack"]!.position).toBe("-10")
    const state = await inspectJournal(journal)
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["hedge-failed"])
    expect(state.inDoubt).toEqual([])
  })

  it("Backpack coarsens its tick during the run: the refused order re-reads the filters, trading goes on on the new grid, the run ends flat", async () => {
    // Backpack quoted 1.95/2.05 (on both grids); trades alternate a buy at 2.12 and a sale at 1.88,
    // both off a 0.05 tick, so an order at the last price (offset 0) is off it too
    const market = writeScript(
      Array.from({ length: 2400 }, (_, i) => [
        { t: i * 250, venue: "bp" as const, quote: ["1.9500", "500", "2.0500", "500"] as const },
        { t: i * 250, venue: "as" as const, quote: ["1.9995", "5000", "2.0005", "5000"] as const },
        { t: i * 250 + 100, venue: "bp" as const, trade: [i % 2 ? "2.1200" : "1.8800", "1000", i % 2 ? "buy" : "sell"] as const }
      ]).flat()
    )
    // the tick becomes 0.05 once Backpack answered its 2nd order (cycle 1's two legs)
    const local = await startLocalExchange({ maxCycles: 3, market, faults: `filters:\n  - venue: backpack\n    after_orders: 2\n    tick_size: "0.05"\n` })
    running.push(local)
    const recording = path.join(local.dir, "recorded.db")
    const { live, report } = await runsFlat(local, ["--record", recording])
    expect(local.exchange.output()).toMatch(/backpack ASTER_USDC_PERP filters changed: tick 0\.0001 → 0\.05/)
    expect(live.output()).toMatch(/BP ASTER_USDC_PERP filters changed \(an order was refused: [^)]*\): tick 0\.0001 → 0\.05; trading on the new ones/)
    expect(live.output()).toMatch(/re-pricing on the new BP filters/)
    expect(report.cycles.count).toBe(3)
    // cycle 1's two legs (a fill each: every trade is larger than the order) were priced on the
    // old tick; cycles 2 and 3 traded on the new one
    const makerPrices = report.fills.filter((f) => f.venue === "backpack").map((f) => f.price)
    expect(makerPrices, makerPrices.join(" ")).toHaveLength(6)
    expect(makerPrices.slice(2).filter((price) => !isMultipleOf(decimal(price), decimal("0.05"))), makerPrices.join(" ")).toEqual([])
    // the journal kept the change: the report lists it, once, and warns of it
    expect(report.filterChanges?.map((c) => [c.venue, c.symbol, c.changes])).toEqual([["backpack", "ASTER_USDC_PERP", ["tick 0.0001 → 0.05"]]])
    expect(report.filterChanges![0]!.why).toMatch(/^an order was refused: /)
    expect(report.data.warnings).toContainEqual(expect.stringMatching(/^backpack ASTER_USDC_PERP changed its filters during run 1 at .* \(tick 0\.0001 → 0\.05\): the run traded on the new ones from then on/))
    // the market recording of the same run keeps its start's tick, and says the venue changed it
    const recorded = openTickFile(recording)
    try {
      expect(recorded.instruments[0]!.tickSize).toBe("0.0001")
      expect(recorded.meta.notes["recording"]).toMatchObject({ filterChanges: [{ venue: "backpack", symbol: "ASTER_USDC_PERP", changes: ["tick 0.0001 → 0.05"] }] })
    } finally {
      recorded.close()
    }
  })

  it("Aster enlarges its step during the run: the refused hedge is sized anew, the crumb the step leaves is carried, and the next cycle stops the run naming the filter (exit 4)", async () => {
    // the step becomes 1 once Aster answered its 1st order (cycle 1's first hedge, 10.5)
    const local = await startLocalExchange({ maxCycles: 3, faults: `filters:\n  - venue: aster-futures\n    after_orders: 1\n    step_size: "1"\n    min_qty: "1"\n` })
    running.push(local)
    const config = path.join(local.dir, "odd.yaml")
    fs.writeFileSync(config, fs.readFileSync(local.config, "utf8").replace(/quantity: .*/, `quantity: "10.5"`), { mode: 0o600 })
    const before = await positions(config)
    const journal = path.join(local.dir, "journal.db")
    const reportFile = path.join(local.dir, "live.json")
    const live = startLive(config, journal, ["--report-json", reportFile])
    expect(await live.exited, live.output()).toBe(4)
    const output = live.output()
    // leg 2's hedge sell of 10.5 is refused (-4023), read anew, and 10 go: 0.5 stays, below the new minimum
    expect(output).toMatch(/ASTER ASTERUSDT filters changed \(a hedge was refused: [^)]*\): step 0\.01 → 1, min qty 0\.01 → 1; trading on the new ones/)
    expect(output).toMatch(/hedge sell 10\.5 is sized anew on the ASTER filters/)
    expect(output).toMatch(/\[Leg2\] ASTER market sell 10 executed/)
    expect(output).toMatch(/the venues changed their filters, and trade\.quantity cannot be traded: aster-futures ASTERUSDT: quantity 10\.5 is not a positive multiple of step size 1/)
    expect(output).toMatch(/stopping: 0\.5 left unhedged \(below the ASTER minimum order size\)/)
    // said of the new filters at the end: no order can hedge it (not that the next start will)
    expect(output).toMatch(/0\.5 ASTER stays exposed across the venues: below the ASTER minimum order size \(1\), no order can hedge it/)
    expect(output).not.toMatch(/NOT HEDGED/)
    // what stays exposed is that crumb, as the venues' positions and the report say
    expect(formatDecimal(netChange(before, await positions(config)))).toBe("0.5")
    const report = readReport(reportFile)
    expect(report.run.outcome).toBe("refused")
    expect(report.filterChanges?.map((c) => [c.venue, c.changes])).toEqual([["aster-futures", ["step 0.01 → 1", "min qty 0.01 → 1"]]])
    expect(report.exposure.finalNetPosition).toBe("0.5")
    expect(report.cycles.count).toBe(1)
    const state = await inspectJournal(journal)
    expect(state.pending).toEqual([])
    expect(state.inDoubt).toEqual([])
  })

  it("a stop while the maker venue never answers the wind-down's cancel: the request times out (a wind-down runs as a finalizer, yet its timeouts hold), the cancel goes again, signed afresh, and the run ends flat", async () => {
    const local = await startLocalExchange({ maxCycles: 1, faults: http("DELETE /api/v1/order", "timeout") })
    running.push(local)
    const before = await positions(local.config)
    const journal = path.join(local.dir, "journal.db")
    // a maker order far from the market, left resting: the stop's cancel is the first one sent
    const resting = path.join(local.dir, "resting.yaml")
    fs.writeFileSync(resting, fs.readFileSync(local.config, "utf8").replace(/offset_percent: .*/, "offset_percent: 20").replace(/first_wait_seconds: .*/, "first_wait_seconds: 600"), { mode: 0o600 })
    const live = startLive(resting, journal)
    await waitFor(live, /monitoring BP sell order/)
    live.process.kill("SIGINT")
    expect(await live.exited, live.output()).toBe(0)
    expect(live.output()).toMatch(/stopping: cancelled BP order \S+ \(0 filled\)/)
    // the first cancel met the fault (it never answered): the order cancelled is a second one's doing
    expect(local.exchange.output()).toMatch(/fault timeout on backpack DELETE \/api\/v1\/order/)
    // the cancel sent again was signed again: not refused as expired
    expect(live.output()).not.toMatch(/refused the timestamp/)
    expect(live.output()).toMatch(/stopping: flat across venues/)
    expect(formatDecimal(netChange(before, await positions(local.config)))).toBe("0")
    const state = await inspectJournal(journal)
    expect(state.pending).toEqual([])
    expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["stopped"])
  })

  describe("maker fills the stream never delivered, then kill -9", () => {
    // every Backpack order message is dropped: the strategy learns each fill from the cancel's
    // answer (after first_wait_seconds); the journal has the order filled but no fill message
    const silentMaker = socket("account.orderUpdate*", "drop", "every: 1")
    const sellFilled = /\[Leg1\] BP sell order (\d+) filled after/

    const restartAndCheck = async (local: LocalExchange, journal: string, before: { maker: Decimal; hedge: Decimal }) => {
      const second = startLive(local.config, journal)
      expect(await second.exited, second.output()).toBe(0)
      expect(formatDecimal(netChange(before, await positions(local.config))), second.output()).toBe("0")
      const after = await positions(local.config)
      const state = await inspectJournal(journal)
      // the journal holds every fill the venues made, the first run's included
      expect(state.makerQty, second.output()).toBe(formatDecimal(BigDecimal.subtract(after.maker, before.maker)))
      expect(state.hedgeQty("aster-futures")).toBe(formatDecimal(BigDecimal.subtract(after.hedge, before.hedge)))
      expect(state.pending).toEqual([])
      expect(state.runs.map((r) => Option.getOrNull(r.outcome))).toEqual(["killed", "completed"])
      return second
    }

    /** A run on the silent maker stream, killed with SIGKILL once its output matches `pattern`. */
    const killedAt = async (pattern: RegExp) => {
      const local = await startLocalExchange({ maxCycles: 1, faults: silentMaker })
      running.push(local)
      const before = await positions(local.config)
      const journal = path.join(local.dir, "journal.db")
      const first = startLive(local.config, journal)
      await waitFor(first, pattern)
      first.process.kill("SIGKILL")
      await first.exited
      return { local, before, journal, first }
    }

    it("read from the venue's history during the run: the kill loses none of them", async () => {
      const { local, before, journal, first } = await killedAt(/journal: 1 fill\(s\) of backpack order \d+ the stream did not deliver, read from the venue's history/)
      const crashed = await inspectJournal(journal)
      expect(crashed.makerQty, first.output()).toBe("-10")
      await restartAndCheck(local, journal, before)
    })

    it("killed before the history was read: the restart reads it", async () => {
      // killed before the backfill's settle delay (1 s) is over
      const { local, before, journal, first } = await killedAt(sellFilled)
      const orderId = sellFilled.exec(first.output())![1]!
      expect((await inspectJournal(journal)).makerQty, first.output()).toBe("0")
      const second = await restartAndCheck(local, journal, before)
      expect(second.output()).toMatch(new RegExp(`journal: 1 fill\\(s\\) of backpack order ${orderId} read from the venue's history`))
    })
  })
})

