/**
 * Hedge reaction time against the local exchange: from the moment the local Backpack emits a
 * maker fill (the message then leaves on the socket) to the moment the hedge order reaches the
 * local Aster. Both ends are stamped on the exchange's side, so the figure is the adapters' and
 * the strategy's reaction plus two loopback hops. A driver fills every maker order as soon as it
 * rests, so cycles run back to back: `tsx bench/hedge-reaction.ts [FILLS]` prints one JSON line.
 */
import { NodeHttpClient, NodeSocket } from "@effect/platform-node"
import { Effect, Either, Layer, Logger, LogLevel } from "effect"
import { asterOptionsFromConfig, makeAsterExchange } from "../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { parseConfig } from "../src/core/config/config"
import { decimal, toUnits } from "../src/core/domain/decimal"
import { HedgeVenue, MakerVenue } from "../src/core/exchange"
import { runHedgeLoop } from "../src/core/strategy/hedge-loop"
import { StrategyObserver } from "../src/core/strategy/observer"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey, renderLocalBotConfig } from "../src/sim/local-exchange/bot-config"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { createTickFile } from "../src/sim/tickstore/writer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const fills = Number(process.argv[2] ?? 1000)

/** An hour of steady quotes on both venues, from now. */
const steadyMarket = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-bench-"))
  const file = path.join(dir, "steady.db")
  const writer = createTickFile(file, { source: "bench", synthetic: true, proxy: [], createdAt: new Date(0).toISOString(), notes: {} }, [
    { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "0", priceScale: 4, qtyScale: 2 },
    { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "5", priceScale: 4, qtyScale: 2 }
  ])
  const start = Date.now() * 1000
  for (let s = 0; s < 3600; s++) {
    writer.appendQuote(0, start + s * 1_000_000, 19990, 10000, 20010, 10000)
    writer.appendQuote(1, start + s * 1_000_000, 19995, 100000, 20005, 100000)
  }
  writer.finish()
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
  return file
}

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const program = Effect.scoped(
  Effect.gen(function*() {
    const running = yield* startLocalExchange({ dbPath: steadyMarket(), portBackpack: 0, portAster: 0, portAsterSpot: 0 })
    const key = generateBackpackTestKey()
    const text = renderLocalBotConfig({
      variant: "futures",
      backpackUrl: running.urls.backpack,
      asterUrl: running.urls.asterFutures,
      backpackSymbol: "ASTER_USDC_PERP",
      asterSymbol: "ASTERUSDT",
      backpackKey: key,
      asterApiKey: DEFAULT_TEST_ACCOUNT.asterApiKey,
      asterApiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret,
      dataFile: "bench",
      createdAt: new Date(0).toISOString()
    })
    const config = Either.getOrThrow(parseConfig(text, "bench"))
    const trade = { ...config.trade, quantity: decimal("5"), offsetPercent: decimal("0"), firstWaitMs: 5000, betweenLegsSleepMs: 0, cycleSleepMs: 0, stopBeforeFundingMs: 0, maxCycles: Math.ceil(fills / 2) }

    // stamp both ends on the exchange's side
    const makerFillAt: Array<number> = []
    const hedgeArrivedAt: Array<number> = []
    const bp = running.venues.backpack
    bp.onOrderUpdate(key.publicKeyB64, (update) => {
      if (update.fill) makerFillAt.push(performance.now())
      // the driver: a resting maker order is traded through at once
      if (update.order.status === "new" && update.order.price !== undefined) {
        const price = Number(toUnits(update.order.price, bp.priceScale))
        setImmediate(() => bp.feed.trade(Date.now() * 1000, update.order.side === "sell" ? price + 1 : price - 1, 1_000_000, update.order.side === "sell"))
      }
    })
    running.venues.asterFutures.onOrderUpdate(DEFAULT_TEST_ACCOUNT.account, (update) => {
      if (update.order.type === "market" && update.fill === undefined && update.order.status === "new") hedgeArrivedAt.push(performance.now())
    })

    const maker = yield* makeBackpackExchange(config.maker)
    const hedge = yield* makeAsterExchange(asterOptionsFromConfig(config.hedge))
    const started = performance.now()
    yield* runHedgeLoop({ ...trade, clientIdPrefix: "bench-" }).pipe(
      Effect.provideService(MakerVenue, maker),
      Effect.provideService(HedgeVenue, hedge),
      Effect.provide(StrategyObserver.silent),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
    const seconds = (performance.now() - started) / 1000
    const n = Math.min(makerFillAt.length, hedgeArrivedAt.length)
    const reactions = Array.from({ length: n }, (_, i) => hedgeArrivedAt[i]! - makerFillAt[i]!).sort((a, b) => a - b)
    return { fills: n, seconds, hedgeReactionP50Ms: percentile(reactions, 50), hedgeReactionP99Ms: percentile(reactions, 99), maxMs: reactions[reactions.length - 1] }
  })
).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)))

Effect.runPromise(program).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(`hedge reaction bench failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
)
