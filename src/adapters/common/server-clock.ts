/**
 * The venue's clock as seen from here: signed requests carry the venue's time, and a
 * timestamp/window rejection (-1021 and kin) is answered by measuring the offset again,
 * not by retrying blindly.
 */
import { Clock, Effect, Ref } from "effect"
import type { ExchangeError } from "../../core/errors"

export interface ServerClock {
  /** venue time now, ms */
  readonly now: Effect.Effect<number>
  readonly offsetMs: Effect.Effect<number>
  /** measures the offset again (one round trip to the venue's time endpoint) */
  readonly resync: Effect.Effect<void, ExchangeError>
}

export const makeServerClock = (fetchServerTime: Effect.Effect<number, ExchangeError>): Effect.Effect<ServerClock> =>
  Effect.gen(function*() {
    const offset = yield* Ref.make(0)
    const resync = Effect.gen(function*() {
      const sent = yield* Clock.currentTimeMillis
      const server = yield* fetchServerTime
      const received = yield* Clock.currentTimeMillis
      // the server stamped its time somewhere in the round trip: assume the middle
      yield* Ref.set(offset, Math.round(server - (sent + received) / 2))
    })
    return {
      now: Effect.zipWith(Clock.currentTimeMillis, Ref.get(offset), (local, o) => local + o),
      offsetMs: Ref.get(offset),
      resync
    }
  })
