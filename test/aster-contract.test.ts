/**
 * The Aster adapter against the local Aster wire protocol (asterRoutes over a fake venue), over
 * real loopback HTTP and WebSocket: futures and spot, V1 (HMAC) and V3 (EIP-712) authentication,
 * and the failures the adapter must survive.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Duration, Effect, Either, Layer, Option } from "effect"
import { asterPath } from "../src/adapters/aster/client"
import { makeAsterExchange } from "../src/adapters/aster/exchange"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { type FakeAsterVenue, makeFakeAsterVenue, scriptedFaults, TAKER_FEE, testAccounts, V1_KEY } from "./support/fake-aster-venue"
import { asterSignedRequest } from "./support/aster-signed-request"
import { localAster, type Market, serveAster, v1Auth, v3Auth } from "./support/local-aster-server"
import { awaitUpdate } from "./support/await-update"

const Live = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

const fmt = formatDecimal
const route = (method: string, market: Market, version: "v1" | "v3", name: string) => `${method} ${asterPath(market, version, name)}`

const eventually = <A, E>(effect: Effect.Effect<A, E>, ok: (a: A) => boolean, ms = 5000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (true) {
      const a = yield* effect
      if (ok(a)) return a
      if (Date.now() > deadline) return yield* Effect.die(new Error("condition not met in time"))
      yield* Effect.sleep(Duration.millis(50))
    }
  })

const combos = [
  { market: "futures", version: "v1" },
  { market: "futures", version: "v3" },
  { market: "spot", version: "v1" },
  { market: "spot", version: "v3" }
] as const

describe.each(combos)("Aster $market, $version authentication", ({ market, version }) => {
  const auth = () => (version === "v1" ? v1Auth() : v3Auth())

  it.scopedLive("reads the instrument from exchangeInfo and the ticker from bookTicker + price", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, auth())
      const instrument = yield* exchange.instrument
      expect(instrument.venue).toBe(market === "futures" ? "aster-futures" : "aster-spot")
      expect(instrument.kind).toBe(market === "futures" ? "perp" : "spot")
      expect(instrument.trading).toEqual({ state: "TRADING", makerOrders: true, takerOrders: true })
      expect([fmt(instrument.tickSize), fmt(instrument.stepSize), fmt(instrument.minQty), fmt(instrument.minNotional)])
        .toEqual([fmt(venue.instrument.tickSize), fmt(venue.instrument.stepSize), fmt(venue.instrument.minQty), fmt(venue.instrument.minNotional)])
      venue.setQuote("1.2345", "1.2350", "1.2347")
      const ticker = yield* exchange.ticker
      expect([fmt(ticker.bid), fmt(ticker.ask), fmt(ticker.last)]).toEqual(["1.2345", "1.235", "1.2347"])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("reads the account's fee rates from commissionRate", () =>
    Effect.gen(function*() {
      const { exchange } = yield* localAster(market, auth())
      const rates = yield* exchange.feeRates!
      expect([rates.venue, rates.symbol, fmt(rates.maker), fmt(rates.taker)]).toEqual([market === "futures" ? "aster-futures" : "aster-spot", "ASTERUSDT", "0", fmt(TAKER_FEE)])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("places a market order once and sees its fill on the user data stream", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, auth())
      const ask = venue.ticker()!.ask
      const order = yield* exchange.placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-h1" })
      expect(order.status).toBe("filled")
      expect(order.type).toBe("market")
      expect(fmt(order.filledQty)).toBe("10")
      expect(fmt(order.filledQuote)).toBe(fmt(BigDecimal.multiply(ask, decimal("10"))))
      expect(venue.placements("hl-h1")).toBe(1)
      const update = yield* awaitUpdate(exchange, (u) => u.fill !== undefined)
      expect(update.order.id).toBe(order.id)
      expect(update.fill!.liquidity).toBe("taker")
      expect(fmt(update.fill!.price)).toBe(fmt(ask))
      expect(fmt(update.fill!.qty)).toBe("10")
      expect(fmt(update.fill!.fee)).toBe(fmt(BigDecimal.multiply(BigDecimal.multiply(ask, decimal("10")), TAKER_FEE)))
      // position: the futures position, or the spot base balance (1000 to start)
      const position = yield* exchange.position
      expect(fmt(position.qty)).toBe(market === "futures" ? "10" : "1010")
      const balances = yield* exchange.balances
      const usdt = balances.find((b) => b.asset === "USDT")!
      const spent = market === "futures" ? update.fill!.fee : BigDecimal.sum(order.filledQuote, update.fill!.fee)
      expect(fmt(usdt.free)).toBe(fmt(BigDecimal.subtract(decimal("100000"), spent)))
      const funding = yield* exchange.nextFundingTime
      if (market === "futures") expect(Option.getOrThrow(funding)).toBe(venue.funding()!.nextFundingTime)
      else expect(Option.isNone(funding)).toBe(true)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("places, queries, fills and cancels a limit order", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, auth())
      const placed = yield* exchange.placeLimit({ side: "buy", price: decimal("1.9000"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "hl-m1" })
      expect(placed.status).toBe("new")
      expect(placed.postOnly).toBe(true)
      expect(fmt(placed.price!)).toBe("1.9")
      const byId = yield* exchange.queryOrder({ orderId: placed.id })
      const byClientId = yield* exchange.queryOrder({ clientId: "hl-m1" })
      expect(byId.id).toBe(placed.id)
      expect(byClientId.id).toBe(placed.id)
      venue.fillResting(placed.id, "2")
      const filled = yield* awaitUpdate(exchange, (u) => u.fill !== undefined)
      expect(filled.order.status).toBe("partially-filled")
      expect(fmt(filled.order.filledQty)).toBe("2")
      expect(filled.fill!.liquidity).toBe("maker")
      expect(fmt(filled.fill!.price)).toBe("1.9")
      const cancelled = yield* exchange.cancel(placed.id)
      expect(cancelled.status).toBe("cancelled")
      expect(fmt(cancelled.filledQty)).toBe("2")
      const update = yield* awaitUpdate(exchange, (u) => u.order.status === "cancelled")
      expect(update.order.id).toBe(placed.id)
      // a cancelled order cannot be cancelled again: the venue no longer knows it as open
      const again = yield* Effect.either(exchange.cancel(placed.id))
      expect(Either.isLeft(again) && again.left._tag).toBe("UnknownOrder")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("maps the venue's refusals to the core errors", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, auth())
      const crossing = yield* Effect.either(exchange.placeLimit({ side: "buy", price: venue.ticker()!.ask, qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "hl-x1" }))
      expect(Either.isLeft(crossing) && crossing.left._tag === "OrderRejected" && crossing.left.wouldTake).toBe(true)
      const small = yield* Effect.either(exchange.placeMarket({ side: "buy", qty: decimal("1"), clientId: "hl-x2" }))
      expect(Either.isLeft(small) && small.left._tag === "OrderRejected" && small.left.code).toBe("-4164")
      const tooBig = yield* Effect.either(
        market === "futures"
          ? exchange.placeMarket({ side: "buy", qty: decimal("10000000"), clientId: "hl-x3" })
          : exchange.placeMarket({ side: "sell", qty: decimal("5000"), clientId: "hl-x3" })
      )
      expect(Either.isLeft(tooBig) && tooBig.left._tag).toBe("InsufficientBalance")
      expect(Either.isLeft(tooBig) && tooBig.left.message).toContain(market === "futures" ? "-2019" : "-2018")
      const unknown = yield* Effect.either(exchange.queryOrder({ orderId: "987654" }))
      expect(Either.isLeft(unknown) && unknown.left._tag).toBe("UnknownOrder")
      // off the grid: refused before sending
      const offGrid = yield* Effect.either(exchange.placeLimit({ side: "buy", price: decimal("1.90005"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "hl-x4" }))
      expect(Either.isLeft(offGrid) && offGrid.left._tag).toBe("OrderRejected")
      expect(venue.placements("hl-x4")).toBe(0)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("answers a clock refusal (-1021 / -4225) by measuring the venue clock again, then succeeds", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, auth())
      const timeCalls = faults.count(route("GET", market, version, "time"))
      venue.skewMs = 30_000
      const order = yield* exchange.placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-s1" })
      expect(order.status).toBe("filled")
      expect(faults.count(route("GET", market, version, "time"))).toBe(timeCalls + 1)
      // refused once for its timing, then placed: the venue received it once
      expect(venue.placements("hl-s1")).toBe(1)
      expect(faults.count(route("POST", market, version, "order"))).toBe(2)
    }).pipe(Effect.provide(Live)))
})

describe("Aster failure handling (futures V1 unless said)", () => {
  const market = "futures"
  const at = (method: string, name: string, version: "v1" | "v3" = "v1") => route(method, market, version, name)

  it.scopedLive("a wrong HMAC secret: -1022, one resync, then OrderRejected with the venue's code", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, v1Auth("not-the-secret"))
      const result = yield* Effect.either(exchange.placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-b1" }))
      expect(Either.isLeft(result) && result.left._tag === "OrderRejected" && result.left.code).toBe("-1022")
      expect(Either.isLeft(result) && result.left.message).toContain("Signature for this request is not valid.")
      expect(venue.placements("hl-b1")).toBe(0)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("an account in Hedge Mode is refused when the adapter starts, before anything is sent: its one-way hedges would all be refused (-4061)", () =>
    Effect.gen(function*() {
      const venue = makeFakeAsterVenue("aster-futures")
      const baseUrl = yield* serveAster({ venue, market, faults: scriptedFaults().faults, accounts: testAccounts })
      const signed = (method: "GET" | "POST", name: string, params: ReadonlyArray<readonly [string, string]>) =>
        Effect.promise(() => asterSignedRequest(baseUrl, V1_KEY, method, name, params))
      const options = { venue: "aster-futures", baseUrl, symbol: "ASTERUSDT", auth: v1Auth(), timeoutMs: 2000, streamConnectTimeout: "5 seconds" } as const
      // One-way Mode (the default): the adapter starts
      expect(yield* signed("GET", "positionSide/dual", [])).toEqual({ status: 200, body: { dualSidePosition: false } })
      const running = yield* makeAsterExchange(options)
      expect(yield* signed("POST", "positionSide/dual", [["dualSidePosition", "true"]])).toEqual({ status: 200, body: { code: 200, msg: "success" } })
      // switched while it runs: its hedge is refused, and the refusal says what to do
      const midRun = yield* Effect.flip(running.placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-x0" }))
      expect(midRun._tag === "OrderRejected" && [midRun.code, midRun.reason]).toEqual(["-4061", "Order's position side does not match user's setting. The account is in Hedge Mode: switch it to One-way Mode (Aster: Preferences, Position Mode)."])
      // what every hedge would meet: a one-way market order refused
      expect(yield* signed("POST", "order", [["symbol", "ASTERUSDT"], ["side", "BUY"], ["type", "MARKET"], ["quantity", "10"], ["newClientOrderId", "hl-x1"]]))
        .toEqual({ status: 400, body: { code: -4061, msg: "Order's position side does not match user's setting." } })
      const refused = yield* Effect.flip(Effect.scoped(makeAsterExchange(options)))
      expect(refused._tag).toBe("AsterHedgeModeAccount")
      expect(refused.message).toMatch(/^the aster-futures account is in Hedge Mode \(dual-side positions\).*Switch the account to One-way Mode.*nothing was sent$/)
      expect(venue.placements("hl-x1")).toBe(0)
      // paper trading reads public data only: no account, no refusal
      yield* Effect.scoped(makeAsterExchange({ ...options, marketDataOnly: true }))
    }).pipe(Effect.provide(Live)))

  it.scopedLive("the margin a hedge would open on: USDT available, the symbol's leverage, and whether the account is in Multi-Assets mode (V1 and V3)", () =>
    Effect.gen(function*() {
      for (const auth of [v1Auth(), v3Auth()]) {
        const venue = makeFakeAsterVenue("aster-futures")
        const baseUrl = yield* serveAster({ venue, market, faults: scriptedFaults().faults, accounts: testAccounts })
        const exchange = yield* makeAsterExchange({ venue: "aster-futures", baseUrl, symbol: "ASTERUSDT", auth, timeoutMs: 2000, streamConnectTimeout: "5 seconds" })
        const read = yield* exchange.openingMargin!
        expect({ ...read, available: fmt(read.available), leverage: fmt(read.leverage) })
          .toEqual({ venue: "aster-futures", asset: "USDT", available: "100000", leverage: "10", sharedAcrossAssets: false })
        if (auth.kind === "v3") continue
        // switched to Multi-Assets mode by a signed request of the account's own
        expect(yield* Effect.promise(() => asterSignedRequest(baseUrl, V1_KEY, "POST", "multiAssetsMargin", [["multiAssetsMargin", "true"]])))
          .toEqual({ status: 200, body: { code: 200, msg: "success" } })
        expect((yield* exchange.openingMargin!).sharedAcrossAssets).toBe(true)
      }
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a Multi-Assets mode that cannot be read counts as shared margin (a start then warns, never refuses)", () =>
    Effect.gen(function*() {
      const venue = makeFakeAsterVenue("aster-futures")
      const faults = scriptedFaults()
      const baseUrl = yield* serveAster({ venue, market, faults: faults.faults, accounts: testAccounts })
      const exchange = yield* makeAsterExchange({ venue: "aster-futures", baseUrl, symbol: "ASTERUSDT", auth: v1Auth(), timeoutMs: 2000, streamConnectTimeout: "5 seconds" })
      faults.http(at("GET", "multiAssetsMargin"), { kind: "reject", code: -1000, message: "An unknown error occured while processing the request." })
      expect((yield* exchange.openingMargin!).sharedAcrossAssets).toBe(true)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a V3 signature for another chain id: -1022 mapped", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, v3Auth(714), { streamConnectTimeout: "300 millis" })
      const result = yield* Effect.either(exchange.placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-b2" }))
      expect(Either.isLeft(result) && result.left._tag === "OrderRejected" && result.left.code).toBe("-1022")
      expect(venue.placements("hl-b2")).toBe(0)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("5xx on a read: retried, then VenueUnavailable", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* localAster(market, v1Auth())
      const before = faults.count(at("GET", "ticker/bookTicker"))
      faults.http(at("GET", "ticker/bookTicker"), ...Array.from({ length: 4 }, () => ({ kind: "status", status: 502 }) as const))
      const result = yield* Effect.either(exchange.ticker)
      expect(Either.isLeft(result) && result.left._tag).toBe("VenueUnavailable")
      expect(faults.count(at("GET", "ticker/bookTicker")) - before).toBe(4)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("503 on a placement (processed, answer lost): reconciled by client id, not resent", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      faults.http(at("POST", "order"), { kind: "status", status: 503 })
      const order = yield* exchange.placeMarket({ side: "sell", qty: decimal("4"), clientId: "hl-u1" })
      expect(order.status).toBe("filled")
      expect(fmt(order.filledQty)).toBe("4")
      expect(venue.placements("hl-u1")).toBe(1)
      expect(faults.count(at("GET", "order"))).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a timed-out placement is looked up by client id and not sent again", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth(), { timeoutMs: 700 })
      faults.http(at("POST", "order"), { kind: "timeout" })
      const order = yield* exchange.placeMarket({ side: "buy", qty: decimal("3"), clientId: "hl-t1" })
      expect(order.status).toBe("filled")
      expect(order.clientId).toBe("hl-t1")
      expect(venue.placements("hl-t1")).toBe(1)
      expect(faults.count(at("POST", "order"))).toBe(1)
      expect(faults.count(at("GET", "order"))).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a malformed answer to a placement that went through: InvalidResponse reconciled, order returned", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      faults.http(at("POST", "order"), { kind: "malformed" })
      const order = yield* exchange.placeMarket({ side: "buy", qty: decimal("3"), clientId: "hl-t2" })
      expect(order.status).toBe("filled")
      expect(venue.placements("hl-t2")).toBe(1)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a placement lost before arriving: not found after the acceptance window, failed, and only then sendable again", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      faults.http(at("POST", "order"), { kind: "status", status: 502 })
      const first = yield* Effect.either(exchange.placeMarket({ side: "buy", qty: decimal("3"), clientId: "hl-t3" }))
      expect(Either.isLeft(first) && first.left._tag).toBe("VenueUnavailable")
      expect(venue.placements("hl-t3")).toBe(0)
      const second = yield* exchange.placeMarket({ side: "buy", qty: decimal("3"), clientId: "hl-t3" })
      expect(second.status).toBe("filled")
      expect(venue.placements("hl-t3")).toBe(1)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("429 on a read: nothing is sent before Retry-After has passed, then the read is asked again", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* localAster(market, v1Auth())
      faults.http(at("GET", "premiumIndex"), { kind: "rateLimit", retryAfterSeconds: 1 })
      const started = Date.now()
      yield* exchange.nextFundingTime
      expect(Date.now() - started).toBeGreaterThanOrEqual(800)
      expect(faults.count(at("GET", "premiumIndex"))).toBe(2)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("429 on a read four times in a row: RateLimited with Retry-After, and the next request waits it out", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* localAster(market, v1Auth())
      const limit = { kind: "rateLimit", retryAfterSeconds: 1 } as const
      faults.http(at("GET", "premiumIndex"), limit, limit, limit, limit)
      const result = yield* Effect.either(exchange.nextFundingTime)
      expect(Either.isLeft(result) && result.left._tag === "RateLimited" && result.left.retryAfterMs).toBe(1000)
      expect(faults.count(at("GET", "premiumIndex"))).toBe(4)
      const started = Date.now()
      yield* exchange.ticker
      expect(Date.now() - started).toBeGreaterThanOrEqual(800)
    }).pipe(Effect.provide(Live)), 15_000)

  it.scopedLive("the venue's own weight limit: read from exchangeInfo, and waited for before the venue would refuse", () =>
    Effect.gen(function*() {
      // 60 weight a minute, 80% of it for reads; a ticker costs 2 (bookTicker + price)
      const windowLeft = 60_000 - (Date.now() % 60_000)
      if (windowLeft < 10_000) yield* Effect.sleep(Duration.millis(windowLeft + 200))
      const { faults, exchange } = yield* localAster(market, v1Auth(), {}, { requestWeightPerMinute: 60 })
      let served = 0
      let ended = ""
      while (served < 12) {
        const r = yield* Effect.either(Effect.timeout(exchange.ticker, Duration.millis(1500)))
        if (Either.isLeft(r)) {
          ended = r.left._tag
          break
        }
        served += 1
      }
      // time, exchangeInfo, listenKey (1 each) and the position mode (30) cost 33: (48 − 33) / 2 →
      // 7 tickers fit, then a wait (not a refusal, which would fail with RateLimited at once)
      expect(served).toBe(7)
      expect(ended).toBe("TimeoutException")
      // the 7th ticker's two requests race for the last unit of weight: one may have gone out
      expect(faults.count(at("GET", "ticker/bookTicker")) + faults.count(at("GET", "ticker/price"))).toBeLessThanOrEqual(2 * served + 1)
    }).pipe(Effect.provide(Live)), 30_000)

  it.scopedLive("a start measures the venue's clock through a garbled answer and a 429 (a start failing on one would be restarted into the same)", () =>
    Effect.gen(function*() {
      const venue = makeFakeAsterVenue("aster-futures")
      const faults = scriptedFaults()
      const baseUrl = yield* serveAster({ venue, market, faults: faults.faults, accounts: testAccounts })
      faults.http(at("GET", "time"), { kind: "malformed" }, { kind: "rateLimit", retryAfterSeconds: 1 })
      const exchange = yield* makeAsterExchange({ venue: "aster-futures", baseUrl, symbol: "ASTERUSDT", auth: v1Auth(), timeoutMs: 2000, streamConnectTimeout: "5 seconds" })
      expect(faults.count(at("GET", "time"))).toBeGreaterThanOrEqual(3)
      expect(fmt((yield* exchange.ticker).bid)).toBe(fmt(venue.ticker()!.bid))
    }).pipe(Effect.provide(Live)), 15_000)

  it.scopedLive("malformed JSON on a read: asked again; garbage four times in a row is InvalidResponse naming what was read", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* localAster(market, v1Auth())
      faults.http(at("GET", "ticker/price"), { kind: "malformed" })
      yield* exchange.ticker
      expect(faults.count(at("GET", "ticker/price"))).toBe(2)
      faults.http(at("GET", "ticker/price"), { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" })
      const result = yield* Effect.either(exchange.ticker)
      expect(Either.isLeft(result) && result.left._tag).toBe("InvalidResponse")
      expect(Either.isLeft(result) && result.left.message).toContain("/fapi/v1/ticker/price: malformed JSON")
      expect(faults.count(at("GET", "ticker/price"))).toBe(6)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a dropped user stream reconnects and resyncs a fill it missed", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      const keysBefore = faults.count(at("POST", "listenKey"))
      // the order's acceptance message takes the connection down with it
      faults.socket("user.orderUpdate", { kind: "disconnect" })
      const placed = yield* exchange.placeLimit({ side: "sell", price: decimal("2.1000"), qty: decimal("6"), postOnly: true, timeInForce: "GTC", clientId: "hl-r1" })
      venue.fillResting(placed.id)
      const update = yield* awaitUpdate(exchange, (u) => u.order.id === placed.id && u.order.status === "filled", 8000)
      expect(fmt(update.order.filledQty)).toBe("6")
      expect(faults.count(at("POST", "listenKey"))).toBeGreaterThan(keysBefore)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("dropped and duplicated stream messages: duplicates tolerated, gaps closed by the REST state", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      faults.socket("user.orderUpdate", { kind: "duplicate" }, { kind: "drop" })
      const placed = yield* exchange.placeLimit({ side: "buy", price: decimal("1.9500"), qty: decimal("6"), postOnly: true, timeInForce: "GTC", clientId: "hl-d1" })
      const first = yield* awaitUpdate(exchange, () => true)
      const second = yield* awaitUpdate(exchange, () => true)
      expect([first.order.id, second.order.id]).toEqual([placed.id, placed.id])
      expect([first.order.status, second.order.status]).toEqual(["new", "new"])
      venue.fillResting(placed.id, "1")
      // the fill's order update was dropped: nothing comes, and the order's state says it
      expect(Option.isNone(yield* exchange.nextUpdate(Duration.millis(400)))).toBe(true)
      expect(fmt((yield* exchange.queryOrder({ orderId: placed.id })).filledQty)).toBe("1")
    }).pipe(Effect.provide(Live)))

  // Was: a user-stream event that could not be read was logged and skipped; a fill it carried was
  // learnt only at the next reconnection or the leg's cancel
  it.scopedLive("a fill's user-stream event delivered unreadable (cut off halfway): our orders are read again at once, the fill comes", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      const placed = yield* exchange.placeLimit({ side: "buy", price: decimal("1.9500"), qty: decimal("6"), postOnly: true, timeInForce: "GTC", clientId: "hl-g1" })
      yield* awaitUpdate(exchange, (u) => u.order.id === placed.id)
      faults.socket("user.orderUpdate", { kind: "malformed" })
      venue.fillResting(placed.id)
      const update = yield* awaitUpdate(exchange, (u) => u.order.id === placed.id && u.order.status === "filled", 3000)
      expect(fmt(update.order.filledQty)).toBe("6")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("an expired listenKey: a new key and connection, and updates flow again", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v3Auth(), { keepAliveEvery: "1 hour" }, { listenKeyTtlMs: 1200 })
      const key = route("POST", market, "v3", "listenKey")
      const before = faults.count(key)
      yield* eventually(Effect.sync(() => faults.count(key)), (n) => n > before, 6000)
      // once reconnected (and the new key kept alive by our own POSTs), order updates arrive
      const placed = yield* exchange.placeLimit({ side: "buy", price: decimal("1.9000"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "hl-k1" })
      venue.fillResting(placed.id)
      const update = yield* awaitUpdate(exchange, (u) => u.order.id === placed.id && u.order.status === "filled", 6000)
      expect(fmt(update.order.filledQty)).toBe("5")
    }).pipe(Effect.provide(Live)))

  it.scopedLive("keeps the listenKey alive with PUT", () =>
    Effect.gen(function*() {
      const { faults } = yield* localAster("spot", v1Auth(), { keepAliveEvery: "200 millis" })
      yield* eventually(Effect.sync(() => faults.count(route("PUT", "spot", "v1", "listenKey"))), (n) => n >= 2, 3000)
    }).pipe(Effect.provide(Live)))

  it.scopedLive("the ticker from the market streams when asked (REST while they are silent)", () =>
    Effect.gen(function*() {
      // a silent market: construction stops waiting for the first book, and the ticker reads REST
      const { venue, faults, exchange } = yield* localAster(market, v1Auth(), { tickerFromStream: true, marketStreamReadyTimeout: "100 millis" })
      const rest = () => faults.count(at("GET", "ticker/bookTicker"))
      expect(rest()).toBe(0)
      expect(fmt((yield* exchange.ticker).bid)).toBe("1.999")
      expect(rest()).toBe(1)
      yield* Effect.sleep(Duration.millis(300))
      venue.setQuote("2.1000", "2.1004")
      venue.trade("2.1002", "7", "buy")
      const ticker = yield* eventually(exchange.ticker, (t) => fmt(t.last) === "2.1002")
      expect([fmt(ticker.bid), fmt(ticker.ask)]).toEqual(["2.1", "2.1004"])
      const restCalls = rest()
      yield* exchange.ticker
      expect(rest()).toBe(restCalls)
    }).pipe(Effect.provide(Live)))

  /** A market quoting every 50 ms, as a live one does, from before the adapter connects; the adapter reads its ticker from the streams. */
  const quotingAster = () => {
    const quoting = (venue: FakeAsterVenue) => Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(50)), Effect.sync(() => venue.setQuote("2.1000", "2.1004", "2.1001"))))
    return localAster(market, v1Auth(), { tickerFromStream: true, marketStreamReadyTimeout: "5 seconds" }, {}, quoting)
  }

  it.scopedLive("with the ticker from the streams, construction waits for the first book and reads the last price once: no hedge pays a REST ticker", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* quotingAster()
      const restBooks = () => faults.count(at("GET", "ticker/bookTicker"))
      const restLasts = () => faults.count(at("GET", "ticker/price"))
      expect([restBooks(), restLasts()]).toEqual([0, 1])
      const ticker = yield* exchange.ticker
      expect([fmt(ticker.bid), fmt(ticker.ask), fmt(ticker.last)]).toEqual(["2.1", "2.1004", "2.1001"])
      yield* exchange.ticker
      expect([restBooks(), restLasts()]).toEqual([0, 1])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("after the market stream drops and comes back, the last price is read again in the background, not by the next ticker read", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* quotingAster()
      const restLasts = () => faults.count(at("GET", "ticker/price"))
      expect(restLasts()).toBe(1)
      // the next book ticker takes the connection down; the adapter reconnects on its own, and
      // its read of the last price then takes 300 ms to answer
      faults.http(at("GET", "ticker/price"), { kind: "delay", ms: 300 })
      faults.socket("asterusdt@bookTicker", { kind: "disconnect" })
      yield* eventually(Effect.sync(restLasts), (n) => n === 2, 5000)
      const restBooks = faults.count(at("GET", "ticker/bookTicker"))
      const ticker = yield* exchange.ticker
      // the last price read after the reconnection (the ticker read waited for that answer); this
      // read itself sent nothing
      expect([fmt(ticker.bid), fmt(ticker.last)]).toEqual(["2.1", "2.1001"])
      expect([faults.count(at("GET", "ticker/bookTicker")), restLasts()]).toEqual([restBooks, 2])
    }).pipe(Effect.provide(Live)))
})

describe.each(["futures", "spot"] as const)("Aster %s market streams", (market) => {
  it.scopedLive("hands every book ticker, trade and (when asked) partial book to watchMarket listeners", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster(market, v1Auth(), { tickerFromStream: true, depthStream: true, marketStreamReadyTimeout: "100 millis" })
      const seen: Array<string> = []
      yield* exchange.watchMarket!((event) => {
        if (event._tag === "Quote") seen.push(`quote ${event.quote.venue} ${fmt(event.quote.bid)} ${fmt(event.quote.bidQty)} ${fmt(event.quote.ask)} ${fmt(event.quote.askQty)}`)
        else if (event._tag === "Trade") seen.push(`trade ${fmt(event.trade.price)} ${fmt(event.trade.qty)} ${event.trade.takerSide}`)
        else seen.push(`depth ${event.depth.bids.map(([p, q]) => `${fmt(p)}/${fmt(q)}`).join(" ")} | ${event.depth.asks.map(([p, q]) => `${fmt(p)}/${fmt(q)}`).join(" ")}`)
      })
      yield* Effect.sleep(Duration.millis(300))
      venue.setQuote("2.1000", "2.1004")
      venue.trade("2.1002", "7", "sell")
      yield* eventually(Effect.sync(() => seen.length), (n) => n >= 3)
      const venueName = market === "futures" ? "aster-futures" : "aster-spot"
      expect(seen).toEqual([`quote ${venueName} 2.1 1000 2.1004 1000`, "depth 2.1/1000 | 2.1004/1000", "trade 2.1002 7 sell"])
      // the levels behind the best ones move without a new best price: a new partial book
      venue.setLevels([["2.0990", "40"]], [["2.1010", "25"]])
      yield* eventually(Effect.sync(() => seen.length), (n) => n >= 4)
      expect(seen[3]).toBe("depth 2.1/1000 2.099/40 | 2.1004/1000 2.101/25")
    }).pipe(Effect.provide(Live)))
})

describe.each(["futures", "spot"] as const)("Aster %s: the venue changes the symbol's filters while we run", (market) => {
  const filters = (i: Instrument) => [fmt(i.tickSize), fmt(i.stepSize), fmt(i.minQty), fmt(i.minNotional)]
  const OLD = ["0.0001", "0.01", "0.01", "5"]
  const NEW = ["0.0005", "0.1", "0.1", "6"]
  const changeToNew = (venue: FakeAsterVenue) =>
    venue.changeFilters({ tickSize: decimal("0.0005"), stepSize: decimal("0.1"), minQty: decimal("0.1"), minNotional: decimal("6") })
  const buy = (price: string, qty: string, clientId: string) =>
    ({ side: "buy", price: decimal(price), qty: decimal(qty), postOnly: true, timeInForce: "GTC", clientId }) as const

  it.scopedLive("refreshInstrument reads the new filters; orders off the new grid are refused unsent, orders on it go through", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      const sent = () => faults.count(route("POST", market, "v1", "order"))
      // a filter no venue lists is refused by the fake, which keeps its filters
      expect(() => venue.changeFilters({ tickSize: decimal("0") })).toThrow("tickSize 0 must be positive")
      expect(filters(venue.instrument)).toEqual(OLD)
      changeToNew(venue)
      // until refreshed, the filters read at the start
      expect(filters(yield* exchange.instrument)).toEqual(OLD)
      // and the adapter still checks against them: 1.9001 (on the old tick only) reaches the venue, which refuses it
      const stale = yield* Effect.flip(exchange.placeLimit(buy("1.9001", "5", "hl-f0")))
      expect(stale._tag === "OrderRejected" && stale.code).toBe("-4014")
      expect([venue.placements("hl-f0"), sent()]).toEqual([1, 1])

      expect(filters(yield* exchange.refreshInstrument!)).toEqual(NEW)
      expect(filters(yield* exchange.instrument)).toEqual(NEW)
      const offTick = yield* Effect.flip(exchange.placeLimit(buy("1.9001", "5", "hl-f1")))
      const offStep = yield* Effect.flip(exchange.placeLimit(buy("1.9005", "5.05", "hl-f2")))
      const offMarketStep = yield* Effect.flip(exchange.placeMarket({ side: "buy", qty: decimal("5.05"), clientId: "hl-f3" }))
      expect([offTick, offStep, offMarketStep].map((e) => e._tag === "OrderRejected" && e.code === undefined && e.reason)).toEqual([
        "price 1.9001 is not a positive multiple of 0.0005 (PRICE_FILTER tick); not sent",
        "quantity 5.05 is not a positive multiple of 0.1 (LOT_SIZE step); not sent",
        "quantity 5.05 is not a positive multiple of 0.1 (MARKET_LOT_SIZE step); not sent"
      ])
      // none of them reached the venue
      expect(["hl-f1", "hl-f2", "hl-f3"].map((id) => venue.placements(id))).toEqual([0, 0, 0])
      expect(sent()).toBe(1)

      const placed = yield* exchange.placeLimit(buy("1.9005", "5.1", "hl-f4"))
      expect([placed.status, fmt(placed.price!), fmt(placed.qty)]).toEqual(["new", "1.9005", "5.1"])
      const hedged = yield* exchange.placeMarket({ side: "buy", qty: decimal("5.1"), clientId: "hl-f5" })
      expect([hedged.status, fmt(hedged.filledQty)]).toEqual(["filled", "5.1"])
      expect([venue.placements("hl-f4"), venue.placements("hl-f5"), sent()]).toEqual([1, 1, 3])
    }).pipe(Effect.provide(Live)))

  it.scopedLive("a refresh whose exchangeInfo lacks the symbol, is garbage or lists a zero tick fails with InvalidResponse and keeps the old filters", () =>
    Effect.gen(function*() {
      const { venue, faults, exchange } = yield* localAster(market, v1Auth())
      const original = venue.instrument
      const infoRoute = route("GET", market, "v1", "exchangeInfo")

      // the venue lists another symbol only (ours delisted), with new filters
      venue.setInstrument({ ...original, symbol: "OTHERUSDT", tickSize: decimal("0.0005") })
      const missing = yield* Effect.flip(exchange.refreshInstrument!)
      expect(missing._tag === "InvalidResponse" && missing.detail).toBe("exchangeInfo: no symbol ASTERUSDT")

      // our symbol with a filter no order could meet
      venue.setInstrument({ ...original, tickSize: decimal("0") })
      const zeroTick = yield* Effect.flip(exchange.refreshInstrument!)
      expect(zeroTick._tag === "InvalidResponse" && zeroTick.detail).toContain("no PRICE_FILTER with a positive tickSize")

      // garbage on every attempt (a read is asked again three times)
      venue.setInstrument(original)
      changeToNew(venue)
      const before = faults.count(infoRoute)
      faults.http(infoRoute, { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" })
      const garbage = yield* Effect.flip(exchange.refreshInstrument!)
      expect(garbage._tag === "InvalidResponse" && garbage.detail).toContain("malformed JSON")
      expect(faults.count(infoRoute)).toBe(before + 4)

      // the old filters are still what the adapter reports and enforces: 1.9001 (off the new tick)
      // is sent, and refused by the venue, which checks the new ones
      expect(filters(yield* exchange.instrument)).toEqual(OLD)
      const sentOld = yield* Effect.flip(exchange.placeLimit(buy("1.9001", "5", "hl-g1")))
      expect(sentOld._tag === "OrderRejected" && sentOld.code).toBe("-4014")
      expect(venue.placements("hl-g1")).toBe(1)

      // the next refresh that reads a valid answer takes the new filters
      expect(filters(yield* exchange.refreshInstrument!)).toEqual(NEW)
      expect(filters(yield* exchange.instrument)).toEqual(NEW)
    }).pipe(Effect.provide(Live)))
})
