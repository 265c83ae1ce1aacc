/**
 * The gate a maker order passes before it is posted (src/core/strategy/posting-gate.ts), on its
 * own and on a test clock: how often it checks, when it reads a closed market again, what the log
 * and the observer hear, and a stop ending the wait.
 */
import { Clock, Effect, Fiber, Logger, Option, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import type { Instrument, MarketTrading } from "../src/core/domain/instrument"
import { VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { type PostingHeld, silentObserver } from "../src/core/strategy/observer"
import { postingGate } from "../src/core/strategy/posting-gate"
import { VenueMarkets } from "../src/core/strategy/venue-markets"
import { localInstrument } from "./support/local-instrument"

const OPEN: MarketTrading = { state: "TRADING", makerOrders: true, takerOrders: true }
const SETTLING: MarketTrading = { state: "SETTLING", makerOrders: false, takerOrders: false }
const CANCEL_ONLY: MarketTrading = { state: "CancelOnly", makerOrders: false, takerOrders: false }

const BP: Instrument = { ...localInstrument("backpack"), trading: OPEN }
const ASTER: Instrument = { ...localInstrument("aster-futures"), trading: OPEN }

interface Script {
  /** the market state the n-th reading (from 1) of each venue finds */
  readonly makerTrading?: (reading: number) => MarketTrading
  readonly hedgeTrading?: (reading: number) => MarketTrading
  /** whether the hedge venue answers for its market at this time (ms) */
  readonly hedgeAnswers?: (ts: number) => boolean
  /** the market states the run started with */
  readonly makerAtStart?: MarketTrading
  readonly hedgeAtStart?: MarketTrading
  /** interrupt the wait at this time (ms): a stop */
  readonly stopAt?: number
}

/**
 * Runs the gate for leg 1 of cycle 1 from time 0, advancing the test clock a second at a time
 * until it returns (or is stopped); what it did comes back with the time it took.
 */
const runGate = (script: Script) => {
  const lines: Array<string> = []
  const held: Array<PostingHeld> = []
  const counts = { tickers: 0, makerReads: 0, hedgeReads: 0 }
  const program = Effect.gen(function*() {
    const maker = {
      venue: "backpack",
      refreshInstrument: Effect.sync(() => ({ ...BP, trading: script.makerTrading?.(++counts.makerReads) ?? OPEN }))
    } as unknown as Exchange
    const hedge = {
      venue: "aster-futures",
      ticker: Effect.flatMap(Clock.currentTimeMillis, (ts) => {
        counts.tickers += 1
        return script.hedgeAnswers?.(ts) === false ? Effect.fail(new VenueUnavailable({ venue: "aster-futures", reason: "503" })) : Effect.succeed({})
      }),
      refreshInstrument: Effect.sync(() => ({ ...ASTER, trading: script.hedgeTrading?.(++counts.hedgeReads) ?? OPEN }))
    } as unknown as Exchange
    const observer = { ...silentObserver, postingHeld: (event: PostingHeld) => Effect.sync(() => void held.push(event)) }
    const markets = new VenueMarkets(
      { maker, hedge },
      { maker: { ...BP, trading: script.makerAtStart ?? OPEN }, hedge: { ...ASTER, trading: script.hedgeAtStart ?? OPEN } },
      0,
      observer,
      () => 1
    )
    const fiber = yield* Effect.fork(postingGate(maker, hedge, markets, observer)(1, 1))
    for (let second = 0; second < 600; second++) {
      const now = yield* Clock.currentTimeMillis
      if (script.stopAt !== undefined && now >= script.stopAt) yield* Fiber.interrupt(fiber)
      yield* Effect.yieldNow()
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return { tookMs: now, exit: done.value }
      yield* TestClock.adjust(1_000)
    }
    throw new Error("the gate was still waiting after 600 s")
  }).pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(message)}`)))),
    Effect.provide(TestContext.TestContext)
  )
  return Effect.runPromise(program).then((result) => ({ ...result, lines, held, counts }))
}

describe("the gate a maker order passes before it is posted", () => {
  it("both venues able to take the orders: it lets the order go at once, having asked the hedge venue for its market once, and says nothing", async () => {
    const r = await runGate({})
    expect(r.tookMs).toBe(0)
    expect(r.exit._tag).toBe("Success")
    expect(r.counts).toEqual({ tickers: 1, makerReads: 0, hedgeReads: 0 })
    expect(r.lines).toEqual([])
    expect(r.held).toEqual([])
  })

  it("the hedge venue not answering: the order is held back, checked every 5 s, and goes once it answers; a wait under a minute is not news to the observer", async () => {
    const r = await runGate({ hedgeAnswers: (ts) => ts >= 12_000 })
    // checks at 0 (the gate's own), then 0, 5, 10 and 15 s in the wait
    expect(r.tookMs).toBe(15_000)
    expect(r.counts.tickers).toBe(5)
    expect(r.lines).toEqual([
      "WARN [Leg1] not posting on BP: ASTER cannot take a hedge now (aster-futures unavailable: 503); checking again every 5 s",
      "INFO [Leg1] ASTER can take hedges again after 15 s: posting"
    ])
    expect(r.held).toEqual([])
  })

  it("a maker market closed to post-only orders: its state is read again every 10 s, not at every check, and the order goes on the reading that finds it open", async () => {
    const r = await runGate({ makerAtStart: CANCEL_ONLY, makerTrading: (reading) => (reading < 3 ? CANCEL_ONLY : OPEN) })
    // readings at 10, 20 and 30 s: the market was read at 0 (when the run started)
    expect(r.tookMs).toBe(30_000)
    expect(r.counts.makerReads).toBe(3)
    expect(r.counts.hedgeReads).toBe(0)
    expect(r.lines.filter((line) => line.includes("[Leg1]"))).toEqual([
      "WARN [Leg1] not posting on BP: BP ASTER_USDC_PERP takes no post-only limit orders now (CancelOnly); checking again every 5 s",
      "INFO [Leg1] BP takes post-only orders again after 30 s: posting"
    ])
  })

  it("a wait past a minute: the log says so every minute, the observer hears it held at 60 s and resumed with how long it lasted", async () => {
    const r = await runGate({ hedgeAtStart: SETTLING, hedgeTrading: (reading) => (reading < 13 ? SETTLING : OPEN) })
    const reason = "ASTER cannot take a hedge now (ASTERUSDT takes no market orders now (SETTLING))"
    expect(r.tookMs).toBe(130_000)
    expect(r.counts.hedgeReads).toBe(13)
    expect(r.lines.filter((line) => line.includes("[Leg1]"))).toEqual([
      `WARN [Leg1] not posting on BP: ${reason}; checking again every 5 s`,
      `WARN [Leg1] not posting on BP: ${reason} for 60 s; checking again every 5 s`,
      `WARN [Leg1] not posting on BP: ${reason} for 120 s; checking again every 5 s`,
      "INFO [Leg1] ASTER can take hedges again after 130 s: posting"
    ])
    expect(r.held).toEqual([
      { phase: "held", cycle: 1, leg: 1, reason, heldForMs: 60_000, ts: 60_000 },
      { phase: "resumed", cycle: 1, leg: 1, reason, heldForMs: 130_000, ts: 130_000 }
    ])
  })

  it("a stop ends the wait: nothing is posted, no line saying it posts", async () => {
    const r = await runGate({ hedgeAnswers: () => false, stopAt: 20_000 })
    expect(r.tookMs).toBe(20_000)
    expect(r.exit._tag).toBe("Failure")
    expect(r.lines.some((line) => line.endsWith(": posting"))).toBe(false)
    expect(r.lines).toEqual(["WARN [Leg1] not posting on BP: ASTER cannot take a hedge now (aster-futures unavailable: 503); checking again every 5 s"])
  })
})
