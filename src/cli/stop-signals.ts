/**
 * Ctrl+C, SIGTERM or a hang-up (SIGHUP) once: the command stops cleanly (@effect/platform-node's runMain interrupts
 * it and waits). Again: it exits at once. But one stop often arrives more than once: a terminal
 * signals the whole process group and `npm run` and tsx pass the signal on as well, and systemd
 * signals every process of the service. Without this the copy would count as the second Ctrl+C
 * and cut the wind-down short (a working order left resting, a fill unhedged). A repeat within
 * `windowMs` of the first is taken as that same stop.
 */
import { Deferred, Effect, Exit, Fiber } from "effect"
import { reportFailure } from "./run-cli"

export const DUPLICATE_SIGNAL_WINDOW_MS = 1000

export const exitOnSecondStop = (windowMs: number = DUPLICATE_SIGNAL_WINDOW_MS): void => {
  let first: number | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now()
    if (first === undefined) {
      first = now
      return
    }
    if (now - first < windowMs) return
    process.stderr.write(`${signal} again: exiting at once, without winding down (the next start reconciles)\n`)
    process.exit(130)
  }
  // kept for the whole process: while a listener is installed, Node does not end it on a signal
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  // a hang-up (SSH dropped, terminal closed) would end the process at once, a working order left
  // resting: it stops the run as SIGTERM does. One after a stop is no request to hurry it.
  process.on("SIGHUP", () => {
    // the terminal is gone: writing to it fails, and that must not end the wind-down
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined)
    if (first !== undefined) return
    first = performance.now()
    process.kill(process.pid, "SIGTERM")
  })
}

/**
 * Waits for a fiber that winds down when asked. The first stop interrupts the command (runMain's
 * doing): that asks the fiber to stop and waits for its wind-down, whose failure still gives the
 * `error: …` line and the exit code (a kill switch tripped while stopping exits 3, not 0).
 */
export const awaitStopping = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, stop: Deferred.Deferred<void>) =>
  Fiber.join(fiber).pipe(Effect.onInterrupt(() =>
    Deferred.succeed(stop, undefined).pipe(
      Effect.zipRight(Fiber.await(fiber)),
      // a wind-down that went well is a clean end (0), not a command cut short (130)
      Effect.flatMap(Exit.match({ onSuccess: () => Effect.sync(() => void (process.exitCode ??= 0)), onFailure: reportFailure }))
    )
  ))
