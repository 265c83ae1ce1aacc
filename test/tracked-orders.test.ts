/** Orders whose outcome was unknown are looked up by client id, never sent twice. */
import { Clock, Effect, Either, Fiber, Option, Schedule, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Order } from "../src/core/domain/order"
import { type ExchangeError, InvalidResponse, OrderRejected, RateLimited, UnknownOrder, VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { cancelTracked, placeLimitTracked, placeMarketTracked } from "../src/core/strategy/tracked-orders"

const retry = Schedule.recurs(4)

const order = (id: string, clientId: string, status: Order["status"], filled: string): Order => ({
  venue: "aster-futures",
  symbol: "ASTERUSDT",
  id,
  clientId,
  side: "buy",
  type: "market",
  qty: decimal("10"),
  filledQty: decimal(filled),
  filledQuote: decimal("0"),
  status,
  postOnly: false,
  timeInForce: "IOC",
  createdAt: 0,
  updatedAt: 0
})

/** A venue whose replies can be lost or refused, script by script; it remembers what it received. */
const scriptedVenue = (
  script: {
    place: Array<"ok" | "lost-after-executing" | "lost-before-arriving" | "rate-limited" | "rejected">
    cancel?: Array<"ok" | "lost-after-cancelling" | "lost-before-arriving" | "garbled-after-cancelling" | "refused-after-filling" | "refused-while-open">
    retryAfterMs?: number
  }
) => {
  const received: Array<string> = []
  /** when (by the clock) each placement was attempted */
  const attemptsAt: Array<number> = []
  const orders = new Map<string, Order>()
  const cancels: Array<string> = []
  const unavailable = new VenueUnavailable({ venue: "aster-futures", reason: "timed out" })
  const place = (clientId: string, resting: boolean) =>
    Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<Order, ExchangeError> => {
      attemptsAt.push(now)
      const step = script.place.shift() ?? "ok"
      if (step === "rate-limited") return Effect.fail(new RateLimited({ venue: "aster-futures", retryAfterMs: script.retryAfterMs ?? 1 }))
      if (step === "rejected") return Effect.fail(new OrderRejected({ venue: "aster-futures", reason: "price protection", code: "-4131" }))
      if (step === "lost-before-arriving") return Effect.fail(unavailable)
      received.push(clientId)
      const placed = resting ? order(`o${received.length}`, clientId, "new", "0") : order(`o${received.length}`, clientId, "filled", "10")
      orders.set(clientId, placed)
      return step === "lost-after-executing" ? Effect.fail(unavailable) : Effect.succeed(placed)
    })
  const venue: Exchange = {
    venue: "aster-futures",
    instrument: Effect.die("unused"),
    ticker: Effect.die("unused"),
    placeLimit: (request) => place(request.clientId, true),
    placeMarket: (request) => place(request.clientId, false),
    cancel: (orderId) =>
      Effect.suspend((): Effect.Effect<Order, ExchangeError> => {
        const step = script.cancel?.shift() ?? "ok"
        if (step === "lost-before-arriving") return Effect.fail(unavailable)
        const refusal = new OrderRejected({ venue: "backpack", code: "INVALID_ORDER", reason: "Order cannot be cancelled" })
        if (step === "refused-while-open") return Effect.fail(refusal)
        if (step === "refused-after-filling") {
          const known = [...orders.values()].find((o) => o.id === orderId)!
          orders.set(known.clientId, { ...known, status: "filled", filledQty: known.qty })
          return Effect.fail(refusal)
        }
        cancels.push(orderId)
        const known = [...orders.values()].find((o) => o.id === orderId)
        if (!known) return Effect.fail(new UnknownOrder({ venue: "aster-futures", orderId }))
        const cancelled = { ...known, status: "cancelled" as const }
        orders.set(known.clientId, cancelled)
        if (step === "garbled-after-cancelling") return Effect.fail(new InvalidResponse({ venue: "aster-futures", detail: "DELETE /api/v1/order: malformed JSON: {\"id\":\"o1\",\"sta" }))
        return step === "lost-after-cancelling" ? Effect.fail(unavailable) : Effect.succeed(cancelled)
      }),
    queryOrder: (ref) =>
      Effect.suspend((): Effect.Effect<Order, ExchangeError> => {
        const found = "clientId" in ref ? orders.get(ref.clientId) : [...orders.values()].find((o) => o.id === ref.orderId)
        return found ? Effect.succeed(found) : Effect.fail(new UnknownOrder({ venue: "aster-futures", orderId: "clientId" in ref ? ref.clientId : ref.orderId }))
      }),
    openOrders: Effect.die("unused"),
    nextUpdate: () => Effect.succeed(Option.none()),
    position: Effect.die("unused"),
    balances: Effect.die("unused"),
    nextFundingTime: Effect.succeed(Option.none())
  }
  return { venue, received, cancels, orders, attemptsAt }
}

const market = { side: "buy" as const, qty: decimal("10"), clientId: "hl-h1" }

describe("orders with an unknown outcome", () => {
  it("finds a market order that executed although its reply was lost, and does not send it again", () => {
    const v = scriptedVenue({ place: ["lost-after-executing"] })
    const placed = Effect.runSync(placeMarketTracked(v.venue, market, retry, true))
    expect(placed.id).toBe("o1")
    expect(v.received).toEqual(["hl-h1"])
  })

  it("sends again, with the same client id, an order the venue never saw", () => {
    const v = scriptedVenue({ place: ["lost-before-arriving", "ok"] })
    const placed = Effect.runSync(placeMarketTracked(v.venue, market, retry, true))
    expect(placed.clientId).toBe("hl-h1")
    expect(v.received).toEqual(["hl-h1"])
  })

  it("waits out rate limits", async () => {
    const v = scriptedVenue({ place: ["rate-limited", "rate-limited", "ok"] })
    expect((await Effect.runPromise(placeMarketTracked(v.venue, market, retry, true))).id).toBe("o1")
  })

  it("sends again no sooner than the venue's Retry-After, whatever the schedule's own backoff (Backpack's adapter holds nothing back)", async () => {
    const v = scriptedVenue({ place: ["rate-limited", "rate-limited", "ok"], retryAfterMs: 5000 })
    const limit = { side: "sell" as const, price: decimal("2.002"), qty: decimal("10"), postOnly: true, timeInForce: "GTC" as const, clientId: "hl-m1" }
    const attemptsAt = await Effect.runPromise(
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(placeLimitTracked(v.venue, limit, Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(4)))))
        yield* TestClock.adjust("4999 millis")
        const early = [...v.attemptsAt]
        yield* TestClock.adjust("5001 millis")
        yield* Fiber.join(fiber)
        return { early, all: v.attemptsAt }
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect(attemptsAt.early).toEqual([0])
    expect(attemptsAt.all).toEqual([0, 5000, 10000])
  })

  it("retries a rejected hedge but not a rejected maker order", () => {
    const hedge = scriptedVenue({ place: ["rejected", "ok"] })
    expect(Effect.runSync(placeMarketTracked(hedge.venue, market, retry, true)).id).toBe("o1")
    const maker = scriptedVenue({ place: ["rejected", "ok"] })
    const limit = { side: "sell" as const, price: decimal("2.002"), qty: decimal("10"), postOnly: true, timeInForce: "GTC" as const, clientId: "hl-m1" }
    const result = Effect.runSync(Effect.either(placeLimitTracked(maker.venue, limit, retry)))
    expect(Either.isLeft(result) && result.left._tag).toBe("OrderRejected")
    expect(maker.received).toEqual([])
  })

  it("gives up after the schedule with the last error", () => {
    const v = scriptedVenue({ place: ["lost-before-arriving", "lost-before-arriving", "lost-before-arriving", "lost-before-arriving", "lost-before-arriving", "lost-before-arriving"] })
    const result = Effect.runSync(Effect.either(placeMarketTracked(v.venue, market, retry, true)))
    expect(Either.isLeft(result) && result.left._tag).toBe("VenueUnavailable")
    expect(v.received).toEqual([])
  })

  it("reads back a cancel whose reply was lost instead of cancelling twice", () => {
    const v = scriptedVenue({ place: ["ok"], cancel: ["lost-after-cancelling"] })
    const placed = Effect.runSync(placeMarketTracked(v.venue, market, retry, true))
    const final = Effect.runSync(cancelTracked(v.venue, placed.id, retry))
    expect(final.status).toBe("cancelled")
    expect(v.cancels).toEqual([placed.id])
  })

  it("reads back a cancel carried out whose answer came garbled (cut short, not JSON), rather than fail the leg", () => {
    const v = scriptedVenue({ place: ["ok"], cancel: ["garbled-after-cancelling"] })
    const limit = { side: "sell" as const, price: decimal("2.002"), qty: decimal("10"), postOnly: true, timeInForce: "GTC" as const, clientId: "hl-m1" }
    const placed = Effect.runSync(placeLimitTracked(v.venue, limit, retry))
    const final = Effect.runSync(cancelTracked(v.venue, placed.id, retry))
    expect(final.status).toBe("cancelled")
    expect(v.cancels).toEqual([placed.id])
  })

  describe("a cancel the venue refuses (a 400 whose code says nothing we know)", () => {
    const limit = { side: "sell" as const, price: decimal("2.002"), qty: decimal("10"), postOnly: true, timeInForce: "GTC" as const, clientId: "hl-m1" }
    it("of an order that has just filled: read back, its fills counted, the leg goes on", () => {
      const v = scriptedVenue({ place: ["ok"], cancel: ["refused-after-filling"] })
      const placed = Effect.runSync(placeLimitTracked(v.venue, limit, retry))
      const final = Effect.runSync(cancelTracked(v.venue, placed.id, retry))
      expect([final.status, formatDecimal(final.filledQty)]).toEqual(["filled", "10"])
    })
    it("of an order still open: sent again, as after an unknown outcome", () => {
      const v = scriptedVenue({ place: ["ok"], cancel: ["refused-while-open", "ok"] })
      const placed = Effect.runSync(placeLimitTracked(v.venue, limit, retry))
      const final = Effect.runSync(cancelTracked(v.venue, placed.id, retry))
      expect(final.status).toBe("cancelled")
      expect(v.cancels).toEqual([placed.id])
    })
  })

  it("cancels again when the first cancel never arrived and the order still rests", () => {
    const v = scriptedVenue({ place: ["ok"], cancel: ["lost-before-arriving", "ok"] })
    const limit = { side: "sell" as const, price: decimal("2.002"), qty: decimal("10"), postOnly: true, timeInForce: "GTC" as const, clientId: "hl-m1" }
    const placed = Effect.runSync(placeLimitTracked(v.venue, limit, retry))
    const final = Effect.runSync(cancelTracked(v.venue, placed.id, retry))
    expect(final.status).toBe("cancelled")
    expect(v.cancels).toEqual([placed.id])
  })
})
