/**
 * A timeout that lets the effect start at once. `Effect.timeout` races the effect in a forked
 * fiber, and a forked fiber starts on the scheduler's next turn, behind whatever the process has
 * queued meanwhile: on a maker fill, the bot's own handling of the same message. A hedge order
 * must leave at once, so here the effect runs in a fiber started immediately (Runtime.runFork
 * runs it up to its first wait, e.g. the request written to the socket) and the timer is a second
 * such fiber (an `Effect.sleep`, so a TestClock still drives it). The effect keeps the caller's
 * context and fiber refs, and interrupting the caller interrupts it and waits for it to end, as
 * with `Effect.timeout`. Unlike `Effect.timeout`, the deadline holds in an uninterruptible caller
 * too (the effect itself is run interruptible): a wind-down runs as a finalizer, and its cancel
 * and hedge must not wait on a venue that never answers (undici's own limit is an hour).
 */
import { Cause, Duration, Effect, Exit, Fiber, FiberId, Runtime } from "effect"

export const timeoutFailAtOnce = <A, E, R, E1>(
  self: Effect.Effect<A, E, R>,
  options: { readonly duration: Duration.DurationInput; readonly onTimeout: () => E1 }
): Effect.Effect<A, E | E1, R> =>
  Effect.flatMap(Effect.runtime<R>(), (runtime) =>
    Effect.async<A, E | E1>((resume) => {
      let timedOut = false
      const work = Runtime.runFork(runtime, Effect.interruptible(self))
      const timer = Runtime.runFork(
        runtime,
        Effect.flatMap(Effect.sleep(options.duration), () =>
          Effect.sync(() => {
            timedOut = true
            work.unsafeInterruptAsFork(FiberId.none)
          }))
      )
      work.addObserver((exit) => {
        timer.unsafeInterruptAsFork(FiberId.none)
        resume(timedOut && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.fail(options.onTimeout()) : exit)
      })
      return Fiber.interrupt(work)
    }))
