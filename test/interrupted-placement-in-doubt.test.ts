/**
 * A placement whose sender is interrupted once its request has left (Ctrl+C, the kill switch) has
 * lost its answer as surely as one that timed out: the venue may still book it. A look-up of its
 * client id must not say "unknown" until the venue can no longer book it, else a stop's wind-down
 * takes the order for never placed: a hedge is sent twice, a maker order left resting.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer } from "effect"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import { localAster, v1Auth } from "./support/local-aster-server"
import { localBackpack, testKeys } from "./support/local-backpack"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

/** Places a resting buy under `clientId`, interrupts it 100 ms after sending (its answer comes at 300 ms), then looks it up at once. */
const interruptedThenLookedUp = (exchange: Exchange, clientId: string, price: string) =>
  Effect.gen(function*() {
    const placing = yield* Effect.fork(exchange.placeLimit({ side: "buy", price: decimal(price), qty: decimal("10"), postOnly: true, timeInForce: "GTC", clientId }))
    yield* Effect.sleep(Duration.millis(100))
    yield* Fiber.interrupt(placing)
    return yield* exchange.queryOrder({ clientId })
  })

describe("a placement interrupted on its way to the venue", () => {
  it.scopedLive("Aster: its client id is looked up until the venue can no longer book it, and found", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* localAster("futures", v1Auth())
      faults.http("POST /fapi/v1/order", { kind: "delay", ms: 300 })
      const found = yield* interruptedThenLookedUp(exchange, "hl-int1", "1.9000")
      expect([found.clientId, found.status, formatDecimal(found.qty)]).toEqual(["hl-int1", "new", "10"])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("Backpack: its client id is looked up until the venue can no longer book it, and found", () =>
    Effect.gen(function*() {
      const { plan, exchange } = yield* localBackpack({ timeoutMs: 2000, streamReadyTimeoutMs: 5000, reconnectDelay: Duration.millis(50) }, { keys: testKeys(12), windowMs: 1000 })
      plan.http("POST /api/v1/order", { kind: "delay", ms: 300 })
      const found = yield* interruptedThenLookedUp(exchange, "hl-int2", "0.9000")
      expect([found.clientId, found.status, formatDecimal(found.qty)]).toEqual(["hl-int2", "new", "10"])
    }).pipe(Effect.provide(platform)))
})
