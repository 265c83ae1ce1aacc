/**
 * Backpack's fill history comes in pages (100 rows unasked, 1000 at most): an order filled in more
 * pieces than a page holds is read whole.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Duration, Effect, Layer } from "effect"
import type { BackpackExchangeOptions } from "../src/adapters/backpack/exchange"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import { localBackpack } from "./support/local-backpack"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)
const options: BackpackExchangeOptions = { timeoutMs: 1000, streamReadyTimeoutMs: 5000, reconnectDelay: Duration.millis(50) }
const text = (d: BigDecimal.BigDecimal) => formatDecimal(d)

const setUp = () => localBackpack(options)

describe("Backpack fill history", () => {
  // Was: Exchange.orderFills reads GET /wapi/v1/history/fills once, without `limit` or `offset`, so
  // it gets one page of the venue's default size (100, as the local venue models it) and never the
  // rest. A maker order filled by more than 100 small takers: the restart's completeFills and the
  // fill backfill never find the older fills (journal, report and kill switch short; "still filled
  // more than the journal holds" at every start). src/adapters/backpack/exchange.ts orderFills /
  // client.ts fills: ask limit=1000 and page with offset until a short page.
  it.scopedLive("orderFills returns every fill of an order that filled in more pieces than a page holds", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* setUp()
      // 1.0005 improves on the best ask: nothing queues ahead of it
      const placed = yield* exchange.placeLimit({ side: "sell", price: decimal("1.0005"), qty: decimal("11"), postOnly: true, timeInForce: "GTC", clientId: "hl-r1" })
      // past the default page (100) and the largest one (1000)
      for (let i = 0; i < 1001; i++) venue.trade("1.0005", "0.01", "buy")
      const order = yield* exchange.queryOrder({ orderId: placed.id })
      expect(text(order.filledQty)).toBe("10.01")
      const fills = yield* exchange.orderFills!(order)
      const total = fills.reduce((acc, fill) => BigDecimal.sum(acc, fill.qty), ZERO)
      expect([fills.length, new Set(fills.map((f) => f.tradeId)).size, text(total)]).toEqual([1001, 1001, "10.01"])
    }).pipe(Effect.provide(platform)))
})
