/**
 * A venue that stops taking orders on its symbol while `npm run live` runs (the local exchange's
 * fault plan `markets:`, child processes on loopback): the bot reads the venues' own words for it
 * (Aster's exchangeInfo `status`, Backpack's `orderBookState`), holds its maker order back while
 * a fill could not be hedged or the order would be refused, posts again once the market reopens,
 * and ends flat with the journal consistent. Each run waits about 30 s: a closed market's state
 * is read anew every 30 s.
 */
import { describe, expect, it, onTestFinished } from "vitest"
import { type LocalExchange, runsFlat, startLocalExchange } from "./support/live-processes"

/** A local exchange with this fault plan, stopped when the test ends (the tests run at once: each mostly waits). */
const localExchange = async (faults: string): Promise<LocalExchange> => {
  const local = await startLocalExchange({ maxCycles: 1, faults })
  onTestFinished(() => local.stop())
  return local
}

/** The seconds a "… again after N s: posting" line says the leg waited. */
const waitedSeconds = (output: string, again: RegExp): number => {
  const match = output.match(again)
  expect(match, output).not.toBeNull()
  return Number(match![1])
}

describe.concurrent("npm run live while a venue's market stops taking orders", () => {
  it("Aster settling when the run starts: no maker order goes out until it trades again, then the cycle trades and ends flat", async () => {
    // SETTLING from the exchange's first moments, TRADING again 12 s after its start
    const plan = [
      "markets:",
      "  - venue: aster-futures",
      "    after_seconds: 0",
      "    state: SETTLING",
      "  - venue: aster-futures",
      "    after_seconds: 12",
      "    state: TRADING",
      ""
    ].join("\n")
    const local = await localExchange(plan)
    const { live, report } = await runsFlat(local)
    const output = live.output()
    expect(local.exchange.output()).toMatch(/aster-futures ASTERUSDT market state TRADING → SETTLING/)
    expect(output).toMatch(/\[Leg1\] not posting on BP: ASTER cannot take a hedge now \(ASTERUSDT takes no market orders now \(SETTLING\)\); checking again every 5 s/)
    expect(output).toMatch(/ASTER ASTERUSDT market state SETTLING → TRADING/)
    // read anew 30 s after the start's reading, the first to find it trading
    const waited = waitedSeconds(output, /\[Leg1\] ASTER can take hedges again after (\d+) s: posting/)
    expect(waited).toBeGreaterThanOrEqual(29)
    expect(waited).toBeLessThanOrEqual(36)
    // nothing was refused: no order went out while Aster could not take it
    expect(output).not.toMatch(/failed|refused/)
    expect(report.cycles.count).toBe(1)
  })

  it("Backpack gone cancel-only with leg 2's order resting: the order does not fill, its repost is refused, the leg waits for the book to open, then trades and ends flat", async () => {
    // CancelOnly right after Backpack answered its 2nd order (leg 2's), Open 15 s after the start
    const plan = [
      "markets:",
      "  - venue: backpack",
      "    after_orders: 2",
      "    state: CancelOnly",
      "  - venue: backpack",
      "    after_seconds: 15",
      "    state: Open",
      ""
    ].join("\n")
    const local = await localExchange(plan)
    const { live, report } = await runsFlat(local)
    const output = live.output()
    expect(local.exchange.output()).toMatch(/backpack ASTER_USDC_PERP market state Open → CancelOnly/)
    // the resting order is cancelled unfilled after first_wait (cancels are taken), its repost refused
    expect(output).toMatch(/\[Leg2\] BP buy order \S+ not filled within 3 s \(0 filled\); re-posting at a fresh price/)
    expect(output).toMatch(/BP ASTER_USDC_PERP market state Open → CancelOnly/)
    expect(output).toMatch(/\[Leg2\] not posting on BP: BP ASTER_USDC_PERP takes no post-only limit orders now \(CancelOnly\); checking again every 5 s/)
    expect(output).toMatch(/BP ASTER_USDC_PERP market state CancelOnly → Open/)
    const waited = waitedSeconds(output, /\[Leg2\] BP takes post-only orders again after (\d+) s: posting/)
    expect(waited).toBeGreaterThanOrEqual(29)
    expect(waited).toBeLessThanOrEqual(36)
    // one fill per leg: nothing filled while the book was cancel-only
    expect(report.fills.filter((f) => f.venue === "backpack")).toHaveLength(2)
    expect(report.cycles.count).toBe(1)
  })
})
