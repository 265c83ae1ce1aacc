/**
 * A venue that stops taking orders on its symbol while `npm run live` runs (the local exchange's
 * fault plan `markets:`, child processes on loopback): the bot reads the venues' own words for it
 * (Aster's exchangeInfo `status`, Backpack's `orderBookState`), holds its maker order back while
 * a fill could not be hedged or the order would be refused, posts again once the market reopens,
 * and ends flat with the journal consistent. Each run waits 10 to 20 s (a closed market's state
 * is read anew every 10 s): the two run at once.
 */
import * as path from "node:path"
import { describe, expect, it, type TestContext } from "vitest"
import { type LocalExchange, startLive, startLocalExchange } from "./support/live-processes"
import { runsFlat } from "./support/runs-flat"

/**
 * A local exchange with this fault plan, stopped when the test ends. The tests run at once (each
 * mostly waits), so the hook is the test's own: a global one may land on the other test.
 */
const localExchange = async (test: TestContext, faults: string): Promise<LocalExchange> => {
  const local = await startLocalExchange({ maxCycles: 1, faults })
  test.onTestFinished(() => local.stop())
  return local
}

/** The seconds a "… again after N s: posting" line says the leg waited. */
const waitedSeconds = (output: string, again: RegExp): number => {
  const match = output.match(again)
  expect(match, output).not.toBeNull()
  return Number(match![1])
}

describe.concurrent("npm run live while a venue's market stops taking orders", () => {
  it("Aster settling when the run starts: --check says a run would wait, no maker order goes out until it trades again, then the cycle trades and ends flat", async (test) => {
    // SETTLING from the exchange's first moments, for 25 s: `--check`, then the bot's start, read it
    const plan = [
      "markets:",
      "  - venue: aster-futures",
      "    after_seconds: 0",
      "    state: SETTLING",
      "    for_seconds: 25",
      ""
    ].join("\n")
    const local = await localExchange(test, plan)
    const check = startLive(local.config, path.join(local.dir, "check.db"), ["--check"])
    await check.exited
    expect(check.output()).toMatch(/market state +ASTERUSDT takes no market orders now \(SETTLING\): a run waits, posting no maker order, until it does/)
    expect(check.output()).toMatch(/market state +Open: takes the maker legs' post-only orders/)
    const { live, report } = await runsFlat(local)
    const output = live.output()
    expect(local.exchange.output()).toMatch(/aster-futures ASTERUSDT market state TRADING → SETTLING \(markets\.0\)/)
    expect(local.exchange.output()).toMatch(/aster-futures ASTERUSDT market state SETTLING → TRADING \(markets\.0\.for_seconds\)/)
    expect(output).toMatch(/\[Leg1\] not posting on BP: ASTER cannot take a hedge now \(ASTERUSDT takes no market orders now \(SETTLING\)\); checking again every 5 s/)
    expect(output).toMatch(/ASTER ASTERUSDT market state SETTLING → TRADING/)
    // read anew every 10 s from the start's reading: the first at least 25 s after the
    // exchange's start finds it trading
    const waited = waitedSeconds(output, /\[Leg1\] ASTER can take hedges again after (\d+) s: posting/)
    expect(waited).toBeGreaterThanOrEqual(9)
    expect(waited).toBeLessThanOrEqual(27)
    // nothing was refused: no order went out while Aster could not take it
    expect(output).not.toMatch(/failed|refused/)
    expect(report.cycles.count).toBe(1)
  })

  it("Aster settling between the legs: leg 2's hedge is refused, waits for the market to trade again, and goes: flat, no kill switch", async (test) => {
    // SETTLING right after Aster answered leg 1's hedge, for 8 s: leg 2 posts at once (the
    // markets were read at the start, under a minute ago) and fills within the second; the
    // reading 10 s after the refusal finds it trading
    const plan = [
      "markets:",
      "  - venue: aster-futures",
      "    after_orders: 1",
      "    state: SETTLING",
      "    for_seconds: 8",
      ""
    ].join("\n")
    const local = await localExchange(test, plan)
    const { live, report } = await runsFlat(local)
    const output = live.output()
    expect(output).toMatch(/hedge sell 10 failed: .*-4140/)
    expect(output).toMatch(/ASTER ASTERUSDT market state TRADING → SETTLING/)
    expect(output).toMatch(/hedge sell 10 waits: ASTERUSDT takes no market orders now \(SETTLING\); 10 ASTER unhedged meanwhile, the market read every 10 s/)
    const waited = waitedSeconds(output, /ASTER takes market orders again after (\d+) s: hedging/)
    expect(waited).toBeGreaterThanOrEqual(9)
    expect(waited).toBeLessThanOrEqual(16)
    // one refusal, then the wait: no retries spent on the closed market
    expect(output.match(/hedge sell 10 failed/g)).toHaveLength(1)
    expect(report.cycles.count).toBe(1)
  })

  it("Backpack gone cancel-only with leg 2's order resting: the order does not fill, its repost is refused, the leg waits for the book to open, then trades and ends flat", async (test) => {
    // CancelOnly right after Backpack answered its 2nd order (leg 2's), for 12 s
    const plan = [
      "markets:",
      "  - venue: backpack",
      "    after_orders: 2",
      "    state: CancelOnly",
      "    for_seconds: 12",
      ""
    ].join("\n")
    const local = await localExchange(test, plan)
    const { live, report } = await runsFlat(local)
    const output = live.output()
    expect(local.exchange.output()).toMatch(/backpack ASTER_USDC_PERP market state Open → CancelOnly/)
    // the resting order is cancelled unfilled after first_wait (cancels are taken), its repost refused
    expect(output).toMatch(/\[Leg2\] BP buy order \S+ not filled within 3 s \(0 filled\); re-posting at a fresh price/)
    expect(output).toMatch(/BP ASTER_USDC_PERP market state Open → CancelOnly/)
    expect(output).toMatch(/\[Leg2\] not posting on BP: BP ASTER_USDC_PERP takes no post-only limit orders now \(CancelOnly\); checking again every 5 s/)
    expect(output).toMatch(/BP ASTER_USDC_PERP market state CancelOnly → Open/)
    // refused 3 s into the 12, read anew every 10 s: the first reading finds it open
    const waited = waitedSeconds(output, /\[Leg2\] BP takes post-only orders again after (\d+) s: posting/)
    expect(waited).toBeGreaterThanOrEqual(8)
    expect(waited).toBeLessThanOrEqual(16)
    // one fill per leg: nothing filled while the book was cancel-only
    expect(report.fills.filter((f) => f.venue === "backpack")).toHaveLength(2)
    expect(report.cycles.count).toBe(1)
  })
})
