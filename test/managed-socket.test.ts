/** The reconnecting WebSocket: a silent connection is replaced, and every connection resubscribes. */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { runManagedSocket } from "../src/adapters/common/managed-socket"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { writeScript } from "./support/scripted-market"

describe("managed socket", () => {
  it("replaces a connection that stays silent past idleTimeout, calling onOpen again", () =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          // one quote at the start, then nothing: the book-ticker stream falls silent
          const file = writeScript([
            { t: 0, venue: "bp", quote: ["1.9990", "100", "2.0010", "100"] },
            { t: 0, venue: "as", quote: ["1.9995", "100", "2.0005", "100"] },
            { t: 600_000, venue: "as", quote: ["1.9995", "100", "2.0005", "100"] }
          ], { startMs: Date.now() })
          const running = yield* startLocalExchange({ dbPath: file, portBackpack: 0, portAster: 0, portAsterSpot: 0 })
          let opens = 0
          const drops: Array<string> = []
          const fiber = yield* Effect.fork(
            runManagedSocket({
              url: `${running.urls.asterFuturesWs}/ws/asterusdt@bookTicker`,
              onOpen: () => Effect.sync(() => void (opens += 1)),
              onMessage: () => Effect.void,
              onDisconnect: (reason) => Effect.sync(() => void drops.push(reason)),
              idleTimeout: "300 millis",
              initialDelay: "20 millis"
            })
          )
          yield* Effect.sleep("1500 millis")
          yield* Fiber.interrupt(fiber)
          expect(drops.length).toBeGreaterThanOrEqual(2)
          expect(drops[0]).toMatch(/^no message for \d+ ms$/)
          expect(opens).toBeGreaterThanOrEqual(drops.length)
        }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor))
      )
    ), 20_000)
})
