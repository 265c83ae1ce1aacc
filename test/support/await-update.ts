/** Waiting on an adapter's own order stream, as tests of its wire do. */
import { Duration, Effect, Option } from "effect"
import type { OrderUpdate } from "../../src/core/domain/order"
import type { Exchange } from "../../src/core/exchange"

/** The next update satisfying `wanted`, skipping others, within `ms`. */
export const awaitUpdate = (exchange: Exchange, wanted: (u: OrderUpdate) => boolean, ms = 5000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const next = yield* exchange.nextUpdate(Duration.millis(Math.max(1, deadline - Date.now())))
      if (Option.isSome(next) && wanted(next.value)) return next.value
    }
    return yield* Effect.die(new Error("no such update in time"))
  })
