/**
 * What the strategy knows of each venue's market (src/core/strategy/venue-markets.ts): readings
 * taken anew on request and when a minute old, the filters and state they bring, what the observer
 * and the log hear, and a backtest's venues that are never read again.
 */
import { Effect, Logger, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument, MarketTrading } from "../src/core/domain/instrument"
import { InvalidResponse } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { type FiltersChanged, silentObserver } from "../src/core/strategy/observer"
import { MARKET_READ_EVERY_MS, VenueMarkets } from "../src/core/strategy/venue-markets"
import { localInstrument } from "./support/local-instrument"

const OPEN: MarketTrading = { state: "TRADING", makerOrders: true, takerOrders: true }
const SETTLING: MarketTrading = { state: "SETTLING", makerOrders: false, takerOrders: false }

/** A venue whose market reads as `listed()` says, counting its readings; none when `readable` is false (a backtest's). */
const venue = (start: Instrument, listed: () => Instrument | "garbage", readable = true) => {
  const reads = { count: 0 }
  const exchange = {
    venue: start.venue,
    instrument: Effect.succeed(start),
    refreshInstrument: readable
      ? Effect.suspend(() => {
        reads.count += 1
        const now = listed()
        return now === "garbage" ? Effect.fail(new InvalidResponse({ venue: start.venue, detail: "symbols[0].filters: expected an array" })) : Effect.succeed(now)
      })
      : undefined
  } as unknown as Exchange
  return { exchange, reads }
}

const BP = localInstrument("backpack")
const ASTER: Instrument = { ...localInstrument("aster-futures"), trading: OPEN }

/** Runs `body` on a test clock at 0, with the log lines and the observer's filter changes kept. */
const withMarkets = <A>(
  listed: { maker: () => Instrument | "garbage"; hedge: () => Instrument | "garbage" },
  body: (markets: VenueMarkets) => Effect.Effect<A>,
  readable = true
) => {
  const lines: Array<string> = []
  const changes: Array<FiltersChanged> = []
  const maker = venue(BP, listed.maker, readable)
  const hedge = venue(ASTER, listed.hedge, readable)
  let cycle = 0
  const observer = { ...silentObserver, filtersChanged: (event: FiltersChanged) => Effect.sync(() => void changes.push(event)) }
  const program = Effect.gen(function*() {
    const markets = new VenueMarkets({ maker: maker.exchange, hedge: hedge.exchange }, { maker: BP, hedge: ASTER }, 0, observer, () => ++cycle)
    return yield* body(markets)
  }).pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(message)}`)))),
    Effect.provide(TestContext.TestContext)
  )
  return Effect.runPromise(program).then((result) => ({ result, lines, changes, makerReads: maker.reads, hedgeReads: hedge.reads }))
}

describe("the venues' markets as the strategy reads them", () => {
  it("a reading that finds new filters: true, every later price and size follows them, the observer and the log hear of it", async () => {
    const coarser = { ...BP, tickSize: decimal("0.001") }
    const { result, lines, changes, makerReads } = await withMarkets({ maker: () => coarser, hedge: () => ASTER }, (markets) =>
      Effect.gen(function*() {
        const changed = yield* markets.read("maker", "an order was refused: price off the tick")
        const again = yield* markets.read("maker", "the check every minute")
        return { changed, again, tick: formatDecimal(markets.maker.tickSize), flagged: markets.filtersChangedSinceCheck }
      }))
    expect(result).toEqual({ changed: true, again: false, tick: "0.001", flagged: true })
    expect(makerReads.count).toBe(2)
    expect(lines).toEqual(["WARN BP ASTER_USDC_PERP filters changed (an order was refused: price off the tick): tick 0.0001 → 0.001; trading on the new ones"])
    expect(changes.map((c) => [c.cycle, c.venue, c.changes, c.why])).toEqual([[1, "backpack", ["tick 0.0001 → 0.001"], "an order was refused: price off the tick"]])
  })

  it("a reading that finds the market closed: no filter change, the state taken as read and logged, closed() names it", async () => {
    let listed = ASTER
    const { result, lines, changes } = await withMarkets({ maker: () => BP, hedge: () => listed }, (markets) =>
      Effect.gen(function*() {
        const before = markets.closed()
        listed = { ...ASTER, trading: SETTLING }
        const changed = yield* markets.read("hedge", "a hedge was refused")
        return { before, changed, closed: markets.closed(), hedgeNotTrading: markets.hedgeNotTrading() }
      }))
    expect(result).toEqual({
      before: undefined,
      changed: false,
      closed: { closed: "hedge", text: "ASTER cannot take a hedge now (ASTERUSDT takes no market orders now (SETTLING))" },
      hedgeNotTrading: "ASTERUSDT takes no market orders now (SETTLING)"
    })
    expect(lines).toEqual(["INFO ASTER ASTERUSDT market state TRADING → SETTLING"])
    expect(changes).toEqual([])
  })

  it("a maker market closed to post-only orders is named too, after a closed hedge market", async () => {
    const { result } = await withMarkets({ maker: () => ({ ...BP, trading: { state: "CancelOnly", makerOrders: false, takerOrders: false } }), hedge: () => ASTER }, (markets) =>
      Effect.map(markets.read("maker", "x"), () => markets.closed()))
    expect(result).toEqual({ closed: "maker", text: "BP ASTER_USDC_PERP takes no post-only limit orders now (CancelOnly)" })
  })

  it("a reading that fails keeps the market as it was, says why, and counts as a reading (tried again a minute later, not at once)", async () => {
    const { result, lines, makerReads, hedgeReads } = await withMarkets({ maker: () => "garbage", hedge: () => ASTER }, (markets) =>
      Effect.gen(function*() {
        yield* TestClock.adjust(MARKET_READ_EVERY_MS)
        const changed = yield* markets.read("maker", "the check every minute")
        yield* markets.readStale
        return { changed, tick: formatDecimal(markets.maker.tickSize), readAt: markets.lastReadAt("maker"), next: markets.nextReading() }
      }))
    expect(result).toEqual({ changed: false, tick: "0.0001", readAt: 60_000, next: 120_000 })
    // the hedge market, read at 0, was due at 60 s: readStale read it, not the maker's again
    expect(makerReads.count).toBe(1)
    expect(hedgeReads.count).toBe(1)
    expect(lines).toEqual(["WARN could not re-read the BP filters (the check every minute): backpack sent an invalid response: symbols[0].filters: expected an array"])
  })

  it("readStale reads each market once its last reading is a minute old, and no sooner; nextReading says when", async () => {
    const { result, makerReads, hedgeReads } = await withMarkets({ maker: () => BP, hedge: () => ASTER }, (markets) =>
      Effect.gen(function*() {
        const seen: Array<number> = [markets.nextReading()]
        yield* TestClock.adjust(MARKET_READ_EVERY_MS - 1)
        yield* markets.readStale
        yield* TestClock.adjust(1)
        yield* markets.readStale
        seen.push(markets.nextReading())
        // a reading on a refusal moves that market's next one on
        yield* TestClock.adjust(30_000)
        yield* markets.read("hedge", "a hedge was refused")
        yield* TestClock.adjust(30_000)
        yield* markets.readStale
        seen.push(markets.nextReading())
        return seen
      }))
    expect(result).toEqual([60_000, 120_000, 150_000])
    expect(makerReads.count).toBe(2)
    expect(hedgeReads.count).toBe(2)
  })

  it("a backtest's venues are never read again: nothing can change, no reading ever falls due", async () => {
    const { result } = await withMarkets({ maker: () => BP, hedge: () => ASTER }, (markets) =>
      Effect.gen(function*() {
        yield* TestClock.adjust(10 * MARKET_READ_EVERY_MS)
        yield* markets.readStale
        const changed = yield* markets.read("maker", "an order was refused")
        return { canChange: markets.canChange, next: markets.nextReading(), changed, readAt: markets.lastReadAt("maker") }
      }), false)
    expect(result).toEqual({ canChange: false, next: Number.POSITIVE_INFINITY, changed: false, readAt: 0 })
  })
})
