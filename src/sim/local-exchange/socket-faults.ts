/**
 * The sending side of one local WebSocket connection under the fault plan, shared by both venues'
 * streams (backpack/stream.ts, aster/streams.ts): every outgoing message asks
 * `Faults.socket(venue, stream)` once and is
 * - `none`: sent;
 * - `drop`: not sent;
 * - `duplicate`: sent twice;
 * - `disconnect`: not sent, the connection closed instead (what is held back goes first);
 * - `malformed`: its text cut off halfway (a frame whose JSON ends short, as a broken proxy sends);
 * - `reorder`: held back, then sent right after the next stream message sent on this connection,
 *   so the two arrive swapped; when none is sent within `ms` (default 200) it goes then. Messages
 *   held while another is held wait with it and go in their order. The connection's last message
 *   (`isLast`, then it closes) is never held, and releases what is. Answers to the client's own
 *   requests (SUBSCRIBE …) do not pass here: they neither count as the next message nor wait.
 */
import { Clock, Effect, Option, Queue } from "effect"
import type { Venue } from "../../core/domain/venue"
import { DEFAULT_REORDER_MS } from "./faults"
import type { Faults } from "./types"

export interface FaultedSenderOptions<M extends { readonly stream: string }, E> {
  readonly venue: Venue
  readonly faults: Faults
  /** what the venue publishes on this connection, in order */
  readonly outbox: Queue.Dequeue<M>
  /** the message's wire text */
  readonly textOf: (message: M) => string
  readonly send: (text: string) => Effect.Effect<void, E>
  /** closes the connection (after a `disconnect`, or after the last message) */
  readonly close: Effect.Effect<void, E>
  /** the connection closes after this message */
  readonly isLast?: (message: M) => boolean
}

/** Sends `outbox` through the fault plan until the connection is closed by it (runs forever otherwise). */
export const sendWithFaults = <M extends { readonly stream: string }, E>(options: FaultedSenderOptions<M, E>): Effect.Effect<void, E> =>
  Effect.gen(function*() {
    const { venue, faults, outbox, close } = options
    const send = (message: M) => options.send(options.textOf(message))
    const held: Array<M> = []
    let releaseAt = Number.POSITIVE_INFINITY
    const release = Effect.suspend(() => {
      releaseAt = Number.POSITIVE_INFINITY
      return Effect.forEach(held.splice(0), send, { discard: true })
    })
    /** the next message; none when what is held is due first */
    const next: Effect.Effect<Option.Option<M>> = Effect.gen(function*() {
      if (held.length === 0) return Option.some(yield* Queue.take(outbox))
      const ready = yield* Queue.poll(outbox)
      if (Option.isSome(ready)) return ready
      const wait = releaseAt - (yield* Clock.currentTimeMillis)
      return wait <= 0 ? Option.none() : yield* Effect.timeoutOption(Queue.take(outbox), wait)
    })

    while (true) {
      const taken = yield* next
      if (Option.isNone(taken)) {
        yield* release
        continue
      }
      const message = taken.value
      const last = options.isLast?.(message) === true
      const fault = yield* faults.socket(venue, message.stream)
      if (fault.kind === "disconnect") {
        yield* release
        return yield* close
      }
      if (fault.kind === "reorder" && !last) {
        const ms = fault.ms ?? DEFAULT_REORDER_MS
        releaseAt = Math.min(releaseAt, (yield* Clock.currentTimeMillis) + ms)
        held.push(message)
        continue
      }
      if (fault.kind === "malformed") {
        const text = options.textOf(message)
        yield* options.send(text.slice(0, Math.ceil(text.length / 2)))
        yield* release
      } else if (fault.kind !== "drop") {
        yield* send(message)
        if (fault.kind === "duplicate") yield* send(message)
        yield* release
      }
      if (last) {
        yield* release
        return yield* close
      }
    }
  })
