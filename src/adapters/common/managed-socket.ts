/**
 * A WebSocket that stays up: it reconnects with backoff after any drop, and calls `onOpen` on
 * every (re)connection so the adapter can subscribe again and resync what it may have missed
 * (open orders, position) during the gap.
 */
import { Socket } from "@effect/platform"
import { Deferred, Duration, Effect, Fiber, Schedule } from "effect"

export interface ManagedSocketOptions<E> {
  readonly url: string | Effect.Effect<string, E>
  /** called on each connection with a sender: subscribe here, then resync state */
  readonly onOpen: (send: (text: string) => Effect.Effect<void>) => Effect.Effect<void, E>
  readonly onMessage: (text: string) => Effect.Effect<void>
  /** told about each drop (for logs and the REST-polling fallback) */
  readonly onDisconnect?: (reason: string) => Effect.Effect<void>
  readonly backoff?: Schedule.Schedule<unknown, unknown>
}

const decoder = new TextDecoder()

const defaultBackoff = Schedule.exponential(Duration.millis(200), 2).pipe(
  Schedule.either(Schedule.spaced(Duration.seconds(10))),
  Schedule.jittered
)

/** Runs until interrupted; fork it in the adapter's scope. */
export const runManagedSocket = <E>(options: ManagedSocketOptions<E>): Effect.Effect<never, never, Socket.WebSocketConstructor> => {
  const connection = Effect.gen(function*() {
    const url = typeof options.url === "string" ? options.url : yield* options.url
    const socket = yield* Socket.makeWebSocket(url, { openTimeout: Duration.seconds(10) })
    yield* Effect.scoped(
      Effect.gen(function*() {
        const write = yield* socket.writer
        const send = (text: string) => Effect.orDie(write(text))
        const opened = yield* Deferred.make<void>()
        const reader = yield* Effect.fork(
          socket.runRaw((data) => options.onMessage(typeof data === "string" ? data : decoder.decode(data)), {
            onOpen: Deferred.succeed(opened, undefined)
          })
        )
        // a connection that dies before opening fails here; a failed subscription or resync
        // drops the connection and starts over
        yield* Effect.raceFirst(Deferred.await(opened), Effect.flatMap(Fiber.join(reader), () => Effect.fail("closed before opening" as const)))
        yield* options.onOpen(send)
        yield* Fiber.join(reader)
      })
    )
    // a clean close by the venue is a drop too
    return yield* Effect.fail("closed by the venue" as const)
  })
  return connection.pipe(
    Effect.tapError((error) => options.onDisconnect ? options.onDisconnect(describe(error)) : Effect.void),
    Effect.retry(options.backoff ?? defaultBackoff),
    Effect.orDie,
    Effect.zipRight(Effect.never)
  )
}

const describe = (error: unknown): string =>
  typeof error === "string" ? error : error instanceof Error ? error.message : typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
