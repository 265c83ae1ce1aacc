/**
 * The live runner's logger: lines are written after the turn they are logged in (a hedge leaves
 * first), in order, stamped with the time they were logged at, and none is lost at exit.
 */
import { Cause, Effect, Logger } from "effect"
import { describe, expect, it, vi } from "vitest"
import { consoleLogger } from "../src/live/console-logger"
import { deferredConsoleLogger, makeDeferredLogger } from "../src/live/deferred-logger"
import { runNode } from "./support/run-command"

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe("deferred logger", () => {
  const capture = () => {
    const written: Array<string> = []
    const inner = Logger.make<unknown, void>(({ date, message }) => void written.push(`${date.toISOString()} ${String(message)}`))
    return { written, deferred: makeDeferredLogger(inner) }
  }

  it("writes on the next turn, in the order logged, with the time each line was logged at", async () => {
    const { written, deferred } = capture()
    const provided = <A>(effect: Effect.Effect<A>) => Effect.runSync(effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, deferred.logger))))
    const loggedAt = provided(Effect.gen(function*() {
      const at = Date.now()
      yield* Effect.log("filled 5, hedging")
      yield* Effect.log("hedge sent")
      return at
    }))
    expect(written).toEqual([])
    // written a turn later, yet stamped with the time they were logged at, not the time written
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(written.map((line) => line.slice(25))).toEqual(["filled 5, hedging", "hedge sent"])
    for (const line of written) expect(Date.parse(line.slice(0, 24)) - loggedAt).toBeLessThan(40)
    // each turn's lines come out together, after the earlier ones
    provided(Effect.log("cycle done"))
    await nextTurn()
    expect(written.map((line) => line.slice(25))).toEqual(["filled 5, hedging", "hedge sent", "cycle done"])
  })

  it("flush writes what is pending at once", () => {
    const { written, deferred } = capture()
    Effect.runSync(Effect.zipRight(Effect.log("last line"), deferred.flush).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, deferred.logger))))
    expect(written.map((line) => line.slice(25))).toEqual(["last line"])
  })

  it("lines pending when the process exits are written on its way out", async () => {
    const script = `
      const { Effect, Logger } = await import("effect")
      const { makeDeferredLogger } = await import("./src/live/deferred-logger.ts")
      const deferred = makeDeferredLogger(Logger.map(Logger.logfmtLogger, (line) => process.stdout.write(line + "\\n")))
      Effect.runSync(Effect.log("stopping: flat across venues").pipe(Effect.provide(Logger.replace(Logger.defaultLogger, deferred.logger))))
      process.exit(3)
    `
    const child = await runNode(["--import", "tsx", "--input-type=module", "-e", script])
    expect(child.code, child.stderr).toBe(3)
    expect(child.stdout).toMatch(/level=INFO fiber=#\d+ message="stopping: flat across venues"\n$/)
  })
})

describe("console log lines", () => {
  it("a failure's cause follows its line", () => {
    const written: Array<string> = []
    const spy = vi.spyOn(globalThis.console, "log").mockImplementation((line: string) => void written.push(line))
    try {
      Effect.runSync(Effect.logError("stopping: could not wind down", Cause.fail("venue gone")).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, consoleLogger))))
    } finally {
      spy.mockRestore()
    }
    expect(written).toHaveLength(1)
    expect(written[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR stopping: could not wind down\nError: venue gone/)
  })

  it("live's deferred lines take the place of the commands' console logger: each line is written once, after the turn", async () => {
    const written: Array<string> = []
    const spy = vi.spyOn(globalThis.console, "log").mockImplementation((line: string) => void written.push(line))
    try {
      const logs = deferredConsoleLogger()
      // as under runCli (src/cli/run-cli.ts), with live's layer inside
      Effect.runSync(Effect.log("[Leg1] BP sell filled 10, hedging").pipe(Effect.provide(logs.layer), Effect.provide(Logger.replace(Logger.defaultLogger, consoleLogger))))
      expect(written).toEqual([])
      await nextTurn()
    } finally {
      spy.mockRestore()
    }
    expect(written.map((line) => line.slice(25))).toEqual(["INFO  [Leg1] BP sell filled 10, hedging"])
  })
})
