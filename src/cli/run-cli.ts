/**
 * Runs an @effect/cli command as a process: bad flags get @effect/cli's message and exit code 2,
 * a failure gets one `error: …` line and exit code 1, never a stack trace.
 */
import { Command, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect } from "effect"

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

export const runCli = <Name extends string, E, A>(
  command: Command.Command<Name, NodeContext.NodeContext, E, A>,
  name: string,
  version = "0.1.0"
) => {
  const cli = Command.run(command, { name, version })
  cli(process.argv).pipe(
    Effect.catchAllCause((cause) => {
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some" && ValidationError.isValidationError(failure.value)) {
        return Effect.sync(() => {
          process.exitCode = 2
        })
      }
      if (Cause.isInterruptedOnly(cause)) return Effect.sync(() => void (process.exitCode = 130))
      // a defect (a bug or a library throwing) still gets one line, not a stack trace
      const defect = Cause.dieOption(cause)
      const message = failure._tag === "Some" ? describe(failure.value) : defect._tag === "Some" ? describe(defect.value) : Cause.pretty(cause)
      return Console.error(`error: ${message}`).pipe(Effect.zipRight(Effect.sync(() => void (process.exitCode = 1))))
    }),
    Effect.provide(NodeContext.layer),
    NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
  )
}
