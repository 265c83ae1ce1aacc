/**
 * Runs an @effect/cli command as a process: bad flags get @effect/cli's message and exit code 2,
 * a failure gets one `error: …` line and exit code 1 (or the `exitCode` it carries), never a
 * stack trace.
 */
import { Command, CommandDescriptor, type Usage, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { defaultTeardown, type Teardown } from "@effect/platform/Runtime"
import { Cause, Console, Data, Effect, HashMap, Layer, Logger } from "effect"
import { carriedExitCode } from "../core/errors"
import { consoleLogger } from "../live/console-logger"

/** @effect/cli's own flags, accepted by every command. */
const BUILT_IN_FLAGS = ["-h", "--help", "--version", "--wizard", "--completions", "--log-level"]

/** The command's flags, and those of them that take a value (a boolean flag takes none). */
const collectFlags = (usage: Usage.Usage, into: Set<string>, takingValues: Set<string>): void => {
  switch (usage._tag) {
    case "Named":
      for (const name of usage.names) {
        if (!name.startsWith("-")) continue
        into.add(name)
        if (usage.acceptedValues._tag === "Some") takingValues.add(name)
      }
      return
    case "Optional":
    case "Repeated":
      return collectFlags(usage.usage, into, takingValues)
    case "Alternation":
    case "Concat":
      collectFlags(usage.left, into, takingValues)
      return collectFlags(usage.right, into, takingValues)
    default:
      return
  }
}

/**
 * What is wrong with the flags in `args`, if anything @effect/cli would misread:
 * - a flag neither the command nor any subcommand knows: it would be taken for a positional
 *   argument ("Path '--qiet' must exist");
 * - an option without its value: the next flag would be taken for it (`--journal --paper`
 *   journals into a file named "--paper" and trades live), or a last one read as unknown.
 */
const flagProblem = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>, args: ReadonlyArray<string>, name: string): string | undefined => {
  const known = new Set(BUILT_IN_FLAGS)
  const takingValues = new Set<string>(["--log-level"])
  collectFlags(Command.getUsage(command), known, takingValues)
  for (const sub of HashMap.values(Command.getSubcommands(command))) collectFlags(CommandDescriptor.getUsage(sub), known, takingValues)
  const isFlag = (arg: string) => arg.startsWith("-") && arg !== "-" && !/^-\.?\d/.test(arg) // negative numbers are values, not flags
  for (const [i, arg] of args.entries()) {
    if (arg === "--") return undefined
    if (!isFlag(arg)) continue
    const flag = arg.split("=")[0]!
    if (!known.has(flag)) return `unknown option ${flag} (${name} --help lists the options)`
    if (!takingValues.has(flag) || arg.includes("=")) continue
    const next = args[i + 1]
    if (next === undefined) return `option ${flag} needs a value (${name} --help describes it)`
    if (isFlag(next) && known.has(next.split("=")[0]!)) return `option ${flag} needs a value, but is followed by the option ${next.split("=")[0]!} (${name} --help describes it)`
  }
  return undefined
}

/** A command line @effect/cli accepts but the command cannot take (flags that do not go together, a value out of range): exit 2, as any bad command line. */
export class BadCommandLine extends Data.TaggedError("BadCommandLine")<{ readonly reason: string }> {
  readonly exitCode = 2
  override get message() {
    return this.reason
  }
}

/** A failure may choose its exit code (a live run's outcome does); any other exits 1. */
const exitCodeOf = (error: unknown): number => carriedExitCode(error) ?? 1

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/**
 * A command's failure as the process shows it: one `error: …` line and its exit code (2 for a bad
 * command line, 130 for an interruption, else the failure's own or 1).
 */
export const reportFailure = (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
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
  const code = failure._tag === "Some" ? exitCodeOf(failure.value) : 1
  return Console.error(`error: ${message}`).pipe(Effect.zipRight(Effect.sync(() => void (process.exitCode = code))))
}

/**
 * runMain's teardown ends a command stopped by a signal with exit code 0 (interrupted), whatever
 * its wind-down decided: the code the wind-down set (a kill switch tripped while stopping: 3) wins.
 */
const keepingExitCode: Teardown = (exit, onExit) =>
  defaultTeardown(exit, (code) => onExit(code === 0 && typeof process.exitCode === "number" ? process.exitCode : code))

export const runCli = <Name extends string, E, A>(
  command: Command.Command<Name, NodeContext.NodeContext, E, A>,
  name: string,
  version = "0.1.0"
) => {
  const problem = flagProblem(command, process.argv.slice(2), name)
  if (problem !== undefined) {
    process.stderr.write(`error: ${problem}\n`)
    process.exitCode = 2
    return
  }
  const cli = Command.run(command, { name, version })
  cli(process.argv).pipe(
    Effect.catchAllCause(reportFailure),
    // Ctrl+C that cut a command short (its output not written) is no success: 130, as a shell says
    // it. A command that winds down when stopped (live, record) says how that went itself (awaitStopping)
    Effect.onInterrupt(() => Effect.sync(() => void (process.exitCode ??= 130))),
    // every command's lines as the backtest prints them (time, level, text), its config warnings
    // among them; a command that logs otherwise (the backtest's simulated clock) replaces it inside
    Effect.provide(Layer.merge(NodeContext.layer, Logger.replace(Logger.defaultLogger, consoleLogger))),
    NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown: keepingExitCode })
  )
}

/**
 * Runs synchronous work (a whole import, a generated file) that holds the thread until it is
 * done: no Effect sees Ctrl+C meanwhile, so its listeners step aside and the signal's default
 * action ends the process at once (a shell says 130), the file left unfinished, which readers
 * refuse and the same command run again replaces.
 */
export const blockingStep = <A>(work: () => A): A => {
  const listeners = process.listeners("SIGINT")
  process.removeAllListeners("SIGINT")
  try {
    return work()
  } finally {
    for (const listener of listeners) process.on("SIGINT", listener)
  }
}
