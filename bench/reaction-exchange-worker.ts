/**
 * The local exchange for the hedge reaction bench, on its own thread (its own event loop, real
 * loopback sockets), so the bot's figures do not include the exchange's work. A driver trades
 * through every maker order 25 ms after it rests, so legs follow each other quickly. Posts the
 * URLs, then serves until the bench exits.
 */
import { Effect } from "effect"
import * as path from "node:path"
import { parentPort, workerData } from "node:worker_threads"
import { toUnits } from "../src/core/domain/decimal"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { createTickFile } from "../src/sim/tickstore/writer"

/** `dir` belongs to the bench's main thread, which removes it: a worker's exit handlers do not run when the process exits */
const { backpackAccount, dir } = workerData as { readonly backpackAccount: string; readonly dir: string }
const FILL_AFTER_MS = 25

/** An hour of steady quotes on both venues, from now. */
const steadyMarket = (): string => {
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
  return file
}

Effect.runFork(
  Effect.scoped(Effect.gen(function*() {
    // a hedge every ~50 ms is past Aster's 1200 orders a minute: the bench measures reaction, not the limit
    const running = yield* startLocalExchange({ dbPath: steadyMarket(), portBackpack: 0, portAster: 0, portAsterSpot: 0, asterOrdersPerMinute: 1_000_000 })
    const bp = running.venues.backpack
    bp.onOrderUpdate(backpackAccount, (update) => {
      if (update.order.status === "new" && update.order.price !== undefined) {
        const price = Number(toUnits(update.order.price, bp.priceScale))
        // a moment later, as fills come in real markets: the bot is then waiting on its stream, not
        // still reading the placement's reply (which would count that reply's latency as reaction)
        setTimeout(() => bp.feed.trade(Date.now() * 1000, update.order.side === "sell" ? price + 1 : price - 1, 1_000_000, update.order.side === "sell"), FILL_AFTER_MS)
      }
    })
    parentPort!.postMessage({ backpack: running.urls.backpack, asterFutures: running.urls.asterFutures })
    return yield* Effect.never
  }))
)
