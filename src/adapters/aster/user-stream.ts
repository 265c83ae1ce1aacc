/**
 * Aster's user data stream kept alive: a listenKey from `POST listenKey`, the WebSocket at
 * `<stream base>/ws/<listenKey>` (reconnecting, see managed-socket.ts), a keep-alive `PUT` every
 * 30 minutes, and a fresh listenKey and connection when the venue says the key expired (event
 * `listenKeyExpired`, or -1125 on keep-alive). Every (re)connection calls `onConnected` first, so
 * the adapter can resync what it may have missed during the gap; every drop calls `onDisconnected`
 * (the adapter polls REST meanwhile).
 */
import type * as Socket from "@effect/platform/Socket"
import { Deferred, Duration, Effect, Either, FiberHandle, Option, Queue, Ref, Schedule, Schema, type Scope } from "effect"
import { runManagedSocket } from "../common/managed-socket"
import type { AsterClient } from "./client"
import { FuturesUserEvent, SpotUserEvent, type UserEvent } from "./schemas"

export interface UserStreamOptions {
  readonly client: AsterClient
  /** ws(s)://host[:port], without a path */
  readonly streamUrl: string
  readonly keepAliveEvery: Duration.DurationInput
  readonly onEvent: (event: UserEvent) => Effect.Effect<void>
  /** after each (re)connection, before the first event is handled */
  readonly onConnected: Effect.Effect<void>
  /** after each drop, failed connection attempt or restart (a new listenKey) */
  readonly onDisconnected?: Effect.Effect<void>
  /** a message that could not be read (it may have been one of our fills) */
  readonly onUnreadable?: Effect.Effect<void>
}

export interface UserStream {
  /** completes at the first successful connection */
  readonly connected: Effect.Effect<void>
}

const decodeFutures = Schema.decodeUnknownEither(Schema.parseJson(FuturesUserEvent))
const decodeSpot = Schema.decodeUnknownEither(Schema.parseJson(SpotUserEvent))

/** Runs in the caller's scope until it closes; the listenKey is closed on the way out. */
export const startUserStream = (options: UserStreamOptions): Effect.Effect<UserStream, never, Scope.Scope | Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const { client } = options
    const decode = client.market === "futures" ? decodeFutures : decodeSpot
    const listenKey = yield* Ref.make(Option.none<string>())
    // registered first, so it runs last: after the connection is gone, the key is closed
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Ref.get(listenKey), (key) =>
        // finalizers run uninterruptibly: the timeout can only cut an interruptible close short
        Option.isSome(key) ? Effect.interruptible(client.closeListenKey(key.value)).pipe(Effect.timeout(Duration.seconds(2)), Effect.ignore) : Effect.void)
    )
    const connected = yield* Deferred.make<void>()
    const restarts = yield* Queue.sliding<string>(1)
    const requestRestart = (why: string) => Queue.offer(restarts, why)

    const onMessage = (text: string) =>
      Either.match(decode(text), {
        onLeft: (error) =>
          Effect.zipRight(
            Effect.logWarning(`Aster user stream: an event we could not read was skipped: ${error.message.split("\n")[0]} in ${text.slice(0, 200)}`),
            // it may have been one of our fills: our orders are read again
            options.onUnreadable ?? Effect.void
          ),
        onRight: (event) =>
          event.e === "listenKeyExpired"
            ? Effect.zipRight(Effect.logWarning("Aster user stream: listenKey expired; opening a new one"), requestRestart("listenKey expired"))
            : options.onEvent(event)
      })

    const connection = runManagedSocket({
      url: client.createListenKey.pipe(
        Effect.tap((key) => Ref.set(listenKey, Option.some(key))),
        Effect.map((key) => `${options.streamUrl}/ws/${key}`)
      ),
      onOpen: () => Effect.zipRight(options.onConnected, Deferred.succeed(connected, undefined)),
      onMessage,
      onDisconnect: (reason) => Effect.zipRight(options.onDisconnected ?? Effect.void, Effect.logWarning(`Aster user stream dropped (${reason}); reconnecting`))
    })

    // a restart replaces the running connection (FiberHandle interrupts the previous one)
    const handle = yield* FiberHandle.make<never, never>()
    yield* Effect.forkScoped(
      Effect.forever(Effect.gen(function*() {
        yield* FiberHandle.run(handle, connection)
        yield* Queue.take(restarts)
        // the running connection is replaced: gone first, then down until the new one is up
        yield* FiberHandle.clear(handle)
        if (options.onDisconnected !== undefined) yield* options.onDisconnected
      }))
    )

    const keepAlive = Effect.gen(function*() {
      const key = yield* Ref.get(listenKey)
      if (Option.isNone(key)) return
      yield* client.keepAliveListenKey(key.value).pipe(
        Effect.catchAll((error) =>
          error._tag === "OrderRejected" && error.code === "-1125"
            ? Effect.zipRight(Effect.logWarning("Aster user stream: listenKey no longer valid; opening a new one"), requestRestart("listenKey invalid"))
            : Effect.logWarning(`Aster user stream keep-alive failed: ${error.message}; trying again at the next period`)
        )
      )
    })
    yield* Effect.forkScoped(Effect.repeat(Effect.delay(keepAlive, options.keepAliveEvery), Schedule.forever))

    return { connected: Deferred.await(connected) }
  })
