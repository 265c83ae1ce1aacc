/**
 * The whole wire, end to end: the config `npm run exchange -- --write-config` writes, loaded as a
 * user would, drives the real Backpack and Aster adapters against the real local exchange (venue
 * books, routes, signatures, streams) over loopback.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { BigDecimal, Effect, Either, Layer, Option, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { makeAsterExchange, asterOptionsFromConfig } from "../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { parseConfig } from "../src/core/config/config"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { makeFaults, parseFaultPlan } from "../src/sim/local-exchange/faults"
import { generateBackpackTestKey, renderLocalBotConfig } from "../src/sim/local-exchange/bot-config"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { writeScript } from "./support/scripted-market"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

/** Two minutes of both venues quoting 1.9990/2.0010 (Backpack) and 1.9995/2.0005 (Aster), starting now. */
const quotes = () =>
  writeScript(
    Array.from({ length: 120 }, (_, s) => [
      { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
      { t: s * 1000, venue: "as" as const, quote: ["1.9995", "500", "2.0005", "500"] as const }
    ]).flat(),
    { startMs: Date.now(), asterMinNotional: "5" }
  )

describe.each([
  ["futures", "v1"],
  ["spot", "v1"],
  ["futures", "v3"]
] as const)("adapters against the local exchange (%s, Aster %s)", (variant, auth) => {
  it("trade through the written config: post, look up, cancel, fill on the stream, hedge", () =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const running = yield* startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0 })
          const text = renderLocalBotConfig({
            variant,
            backpackUrl: running.urls.backpack,
            asterUrl: variant === "futures" ? running.urls.asterFutures : running.urls.asterSpot,
            backpackSymbol: "ASTER_USDC_PERP",
            asterSymbol: "ASTERUSDT",
            backpackKey: generateBackpackTestKey(),
            asterApiKey: DEFAULT_TEST_ACCOUNT.asterApiKey,
            asterApiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret,
            dataFile: "test",
            createdAt: new Date(0).toISOString()
          })
          // V3: the agent wallet of the default test account, in the config keys a user would add
          const v3Keys = `  user: "${DEFAULT_TEST_ACCOUNT.asterUser}"\n  signer: "${DEFAULT_TEST_ACCOUNT.asterSigner}"\n  signer_private_key: "${DEFAULT_TEST_ACCOUNT.asterSignerPrivateKey}"\n`
          const config = Either.getOrThrow(parseConfig(auth === "v3" ? text.replace(/^aster:\n/m, `aster:\n${v3Keys}`) : text, "written config"))
          expect(config.hedge.v3 !== undefined).toBe(auth === "v3")
          expect(config.hedge.venue).toBe(variant === "futures" ? "aster-futures" : "aster-spot")

          const maker = yield* makeBackpackExchange(config.maker)
          const hedge = yield* makeAsterExchange(asterOptionsFromConfig(config.hedge))

          // Backpack: a post-only sell well above the market rests, is found by client id, cancels
          const instrument = yield* maker.instrument
          expect(formatDecimal(instrument.tickSize)).toBe("0.0001")
          const ticker = yield* maker.ticker
          expect(formatDecimal(ticker.bid)).toBe("1.999")
          const resting = yield* maker.placeLimit({ side: "sell", price: decimal("2.0100"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "e2e-m1" })
          expect(resting.status).toBe("new")
          expect((yield* maker.queryOrder({ clientId: "e2e-m1" })).id).toBe(resting.id)
          const cancelled = yield* maker.cancel(resting.id)
          expect(cancelled.status).toBe("cancelled")

          // a post-only buy that would cross is refused as "would take"
          const crossing = yield* Effect.flip(maker.placeLimit({ side: "buy", price: decimal("2.0010"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "e2e-m2" }))
          expect(crossing._tag === "OrderRejected" && crossing.wouldTake).toBe(true)

          // a buy improving the bid (nobody ahead) fills when a seller trades through it
          const bid = yield* maker.placeLimit({ side: "buy", price: decimal("1.9995"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "e2e-m3" })
          running.venues.backpack.feed.trade(Date.now() * 1000, 19_980, 1000, false)
          let filled = BigDecimal.fromBigInt(0n)
          for (let i = 0; i < 10 && !BigDecimal.equals(filled, decimal("5")); i++) {
            const update = yield* maker.nextUpdate("2 seconds")
            if (Option.isSome(update) && update.value.order.id === bid.id) filled = update.value.order.filledQty
          }
          expect(formatDecimal(filled)).toBe("5")
          expect(formatDecimal((yield* maker.position).qty)).toBe("5")

          // Aster: the hedge, a market sell of what filled
          const hedged = yield* hedge.placeMarket({ side: "sell", qty: decimal("5"), clientId: "e2e-h1" })
          expect(hedged.status).toBe("filled")
          expect(formatDecimal(hedged.filledQty)).toBe("5")
          expect(formatDecimal(hedged.filledQuote)).toBe("9.9975") // 5 × the 1.9995 bid
          if (variant === "futures") {
            expect(formatDecimal((yield* hedge.position).qty)).toBe("-5")
            expect(Option.isSome(yield* hedge.nextFundingTime)).toBe(true)
          } else {
            expect(Option.isNone(yield* hedge.nextFundingTime)).toBe(true)
          }
        }).pipe(Effect.provide(platform))
      )
    ), 30_000)
})

describe("a fault plan through the real servers", () => {
  it("maps a 429 to RateLimited and recovers a hedge whose reply was lost to a 503 without doubling it", () =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const plan = Either.getOrThrow(parseFaultPlan(
            [
              "seed: 3",
              "http:",
              "  - route: \"POST /api/v1/order\"",
              "    venue: backpack",
              "    times: 1",
              "    fault: { kind: rateLimit, retryAfterSeconds: 2 }",
              "  - route: \"POST /fapi/v1/order\"",
              "    venue: aster-futures",
              "    times: 1",
              "    fault: { kind: status, status: 503 }"
            ].join("\n"),
            "plan.yaml"
          ))
          const faults = makeFaults(plan)
          const running = yield* startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
          const key = generateBackpackTestKey()
          const maker = yield* makeBackpackExchange({
            baseUrl: running.urls.backpack,
            symbol: "ASTER_USDC_PERP",
            publicKey: Redacted.make(key.publicKeyB64),
            secretKey: Redacted.make(key.secretKeyB64)
          })
          const hedge = yield* makeAsterExchange({
            venue: "aster-futures",
            baseUrl: running.urls.asterFutures,
            symbol: "ASTERUSDT",
            auth: { kind: "v1", apiKey: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiKey), apiSecret: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiSecret) }
          })
          const limited = yield* Effect.flip(maker.placeLimit({ side: "sell", price: decimal("2.0100"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "f-m1" }))
          expect(limited._tag).toBe("RateLimited")
          expect(limited._tag === "RateLimited" && limited.retryAfterMs).toBe(2000)
          // the 503 came after the venue took the order: the adapter finds it by client id
          const hedged = yield* hedge.placeMarket({ side: "buy", qty: decimal("5"), clientId: "f-h1" })
          expect(formatDecimal(hedged.filledQty)).toBe("5")
          expect(formatDecimal((yield* hedge.position).qty)).toBe("5")
          expect(running.venues.asterFutures.fills(DEFAULT_TEST_ACCOUNT.account).length).toBe(1)
          const fired = (yield* faults.history).map((h) => h.fault.kind)
          expect(fired).toEqual(["rateLimit", "status"])
        }).pipe(Effect.provide(platform))
      )
    ), 30_000)
})

