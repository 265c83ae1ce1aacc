/**
 * A WebSocket that stays up: it reconnects with backoff after any drop, and calls `onOpen` on
 * every (re)connection so the adapter can subscribe again and resync what it may have missed
 * (open orders, position) during the gap. The backoff starts over once a connection has stayed up
 * for a while, so a socket that drops once a day reconnects at once, not after the longest delay.
 * With `idleTimeout`, a connection that has been silent that long is taken for half-open and
 * replaced (use it on streams that always talk, such as book tickers).
 */
import * as Socket from "@effect/platform/Socket"
import { Clock, Deferred, Duration, Effect, Fiber } from "effect"

export interface ManagedSocketOptions<E> {
  readonly url: string | Effect.Effect<string, E>
  /** called on each connection with a sender: subscribe here, then resync state */
  readonly onOpen: (send: (text: string) => Effect.Effect<void>) => Effect.Effect<void, E>
  /**
   * Called synchronously as each message arrives, in order. Return nothing when the message is
   * handled (no fiber is started: the hot path of a fill), or an Effect to run in a fiber (for
   * the connection's life); one that fails with a reason drops the connection, which reconnects.
   */
  readonly onMessage: (text: string) => Effect.Effect<void, string> | void
  /** told about each drop (for logs and the REST-polling fallback) */
  readonly onDisconnect?: (reason: string) => Effect.Effect<void>
  /** first reconnection delay (default 200 ms), doubled per failed attempt up to `maxDelay` (10 s) */
  readonly initialDelay?: Duration.DurationInput
  readonly maxDelay?: Duration.DurationInput
  /** a connection that stayed up this long resets the backoff (default 30 s) */
  readonly healthyAfter?: Duration.DurationInput
  /** replace a connection with no message for this long (default: never) */
  readonly idleTimeout?: Duration.DurationInput
}

const decoder = new TextDecoder()

/** When the last message (or connection) came, ms by the Effect clock; written on every message. */
interface LastMessage {
  at: number
}

/** One connection: resolves never; fails when it drops (with the reason). */
const connectOnce = <E>(options: ManagedSocketOptions<E>, lastMessage: LastMessage) =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const url = typeof options.url === "string" ? options.url : yield* options.url
    const socket = yield* Socket.makeWebSocket(url, { openTimeout: Duration.seconds(10) })
    yield* Effect.scoped(
      Effect.gen(function*() {
        const write = yield* socket.writer
        const send = (text: string) => Effect.orDie(write(text))
        const opened = yield* Deferred.make<void>()
        const reader = yield* Effect.fork(
          socket.runRaw(
            (data) => {
              lastMessage.at = clock.unsafeCurrentTimeMillis()
              try {
                return options.onMessage(typeof data === "string" ? data : decoder.decode(data))
              } catch (defect) {
                // a handler bug must not escape into the socket library: it ends the reader as a defect would
                return Effect.die(defect)
              }
            },
            { onOpen: Deferred.succeed(opened, undefined) }
          )
        )
        // a connection that dies before opening fails here; a failed subscription or resync
        // drops the connection and starts over
        yield* Effect.raceFirst(Deferred.await(opened), Effect.flatMap(Fiber.join(reader), () => Effect.fail("closed before opening" as const)))
        lastMessage.at = clock.unsafeCurrentTimeMillis()
        yield* options.onOpen(send)
        const idle = options.idleTimeout === undefined ? undefined : Duration.toMillis(options.idleTimeout)
        const watchdog = idle === undefined
          ? Effect.never
          : Effect.gen(function*() {
            while (true) {
              yield* Effect.sleep(Math.max(idle / 4, 10))
              const silentFor = (yield* Clock.currentTimeMillis) - lastMessage.at
              if (silentFor > idle) return yield* Effect.fail(`no message for ${silentFor} ms` as const)
            }
          })
        yield* Effect.raceFirst(Fiber.join(reader), watchdog)
      })
    )
    // a clean close by the venue is a drop too
    return yield* Effect.fail("closed by the venue" as const)
  })

/** Runs until interrupted; fork it in the adapter's scope. */
export const runManagedSocket = <E>(options: ManagedSocketOptions<E>): Effect.Effect<never, never, Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const initial = Duration.toMillis(options.initialDelay ?? Duration.millis(200))
    const max = Duration.toMillis(options.maxDelay ?? Duration.seconds(10))
    const healthy = Duration.toMillis(options.healthyAfter ?? Duration.seconds(30))
    const lastMessage: LastMessage = { at: 0 }
    let failures = 0
    while (true) {
      const started = yield* Clock.currentTimeMillis
      // a handler's defect ends that connection as a drop would: logged, polled over, reconnected
      const reason = yield* Effect.flip(
        connectOnce(options, lastMessage).pipe(Effect.catchAllDefect((defect) => Effect.fail(`a message handler failed: ${describe(defect)}`)))
      )
      if (options.onDisconnect) yield* options.onDisconnect(describe(reason))
      if ((yield* Clock.currentTimeMillis) - started >= healthy) failures = 0
      const delay = Math.min(max, initial * 2 ** failures)
      failures += 1
      // jitter: many clients dropped together should not all come back in the same instant
      yield* Effect.sleep(Math.round(delay * (0.5 + Math.random() / 2)))
    }
  })

const describe = (error: unknown): string =>
  typeof error === "string" ? error : error instanceof Error ? error.message : typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
