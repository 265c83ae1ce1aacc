/**
 * REST polling while a private stream is down. The adapter tells it when its own-order stream
 * comes up and when it drops; while it is down (and before its first connection), `poll` (the
 * adapter's resync: a REST read of our orders, emitting only what changed) runs every `every`, so
 * fills keep reaching `nextUpdate`. Polling stops as soon as the stream is up again.
 *
 * The first poll of an outage comes one period after the drop, so a stream that reconnects at once
 * costs no request and logs nothing here. An outage that outlasts that period logs once when
 * polling starts and once when the stream is back; a failed poll is logged once per outage (the
 * next polls retry quietly). A message the stream delivered unreadable gets one resync, as the
 * gap it may be.
 */
import { Duration, Effect, FiberHandle, Ref, type Scope } from "effect"

export interface StreamFallbackOptions<E extends { readonly message: string }> {
  /** names the stream in the log lines, e.g. "backpack order stream" */
  readonly name: string
  /** polling period while the stream is down; not positive = no polling */
  readonly every: Duration.DurationInput
  /** one REST resync; it must emit only what is new */
  readonly poll: Effect.Effect<void, E>
}

export interface StreamFallback {
  /** the stream is connected and subscribed (call it after its resync): polling stops */
  readonly up: Effect.Effect<void>
  /** the stream dropped, or a connection attempt failed: polling starts one period later */
  readonly down: Effect.Effect<void>
  /** whether REST polling ran since the stream was last up (its next connection must resync then) */
  readonly polledWhileDown: Effect.Effect<boolean>
  /**
   * A message of the stream could not be read (it may have been one of our fills): one resync
   * shortly, the messages missed within that moment sharing it; nothing while polling anyway.
   */
  readonly missed: Effect.Effect<void>
}

/** a missed message's resync waits this long for others to share it (a broken proxy garbles many) */
const MISSED_RESYNC_DELAY = Duration.millis(100)
/** and the resyncs for missed messages come at most this often (each reads every open order of ours) */
const MISSED_RESYNC_SPACING = Duration.seconds(1)

interface Outage {
  /** polls run so far */
  readonly polls: number
  /** a failed poll was logged */
  readonly failureLogged: boolean
}

/** Starts in the current scope, with the stream down (polling one period from now). */
export const startStreamFallback = <E extends { readonly message: string }>(
  options: StreamFallbackOptions<E>
): Effect.Effect<StreamFallback, never, Scope.Scope> =>
  Effect.gen(function*() {
    const every = Duration.decode(options.every)
    const enabled = Duration.toMillis(every) > 0
    /** none while the stream is up */
    const outage = yield* Ref.make<Outage | undefined>({ polls: 0, failureLogged: false })
    const poller = yield* FiberHandle.make<void, never>()
    const resyncer = yield* FiberHandle.make<void, never>()
    let missedSinceResync = false

    const pollOnce = Effect.gen(function*() {
      const now = yield* Ref.get(outage)
      if (now === undefined) return
      if (now.polls === 0) yield* Effect.logWarning(`${options.name} down: reading our orders over REST every ${Duration.format(every)} until it is back`)
      yield* Ref.set(outage, { ...now, polls: now.polls + 1 })
      yield* options.poll.pipe(
        Effect.catchAll((error) =>
          Effect.flatMap(Ref.get(outage), (current) => {
            if (current === undefined) return Effect.void
            if (current.failureLogged) return Effect.logDebug(`${options.name}: REST poll failed again: ${error.message}`)
            return Effect.zipRight(
              Ref.set(outage, { ...current, failureLogged: true }),
              Effect.logWarning(`${options.name}: REST poll failed: ${error.message}; trying again every ${Duration.format(every)}`)
            )
          }))
      )
    })

    const startPolling = enabled
      ? Effect.asVoid(FiberHandle.run(poller, Effect.forever(Effect.zipRight(Effect.sleep(every), pollOnce)), { onlyIfMissing: true }))
      : Effect.void
    yield* startPolling

    return {
      up: Effect.gen(function*() {
        const ended = yield* Ref.getAndSet(outage, undefined)
        yield* FiberHandle.clear(poller)
        if (ended !== undefined && ended.polls > 0) yield* Effect.logInfo(`${options.name} back: REST polling stopped`)
      }),
      down: Effect.gen(function*() {
        const wasUp = (yield* Ref.getAndUpdate(outage, (now) => now ?? { polls: 0, failureLogged: false })) === undefined
        if (wasUp) yield* startPolling
      }),
      polledWhileDown: Effect.map(Ref.get(outage), (now) => now !== undefined && now.polls > 0),
      missed: Effect.gen(function*() {
        if (!enabled || (yield* Ref.get(outage)) !== undefined) return
        missedSinceResync = true
        yield* FiberHandle.run(
          resyncer,
          Effect.gen(function*() {
            yield* Effect.sleep(MISSED_RESYNC_DELAY)
            // a message missed during a resync or the pause after it gets the next one
            while (missedSinceResync) {
              missedSinceResync = false
              yield* options.poll.pipe(Effect.catchAll((error) => Effect.logWarning(`${options.name}: reading our orders after an unreadable message failed: ${error.message}`)))
              yield* Effect.sleep(MISSED_RESYNC_SPACING)
            }
          }),
          { onlyIfMissing: true }
        )
      })
    }
  })
