/**
 * `npm run backtest -- [DB] [--config FILE] [--report-json FILE] [--quiet] [--no-kill-switch]`
 * Replays a tick file through the hedge loop and prints (and optionally writes) the report. The
 * config's `risk:` limits stop it as they would a live run (exit 3), unless --no-kill-switch.
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Data, Effect, Option } from "effect"
import { parseConfigEffect } from "../core/config/config"
import { runBacktest } from "../sim/backtest"
import { formatSummary } from "./summary"
import { runCli } from "./run-cli"
import { checkJsonTarget, writeJsonFile } from "./json-file"

const db = Args.file({ name: "DB", exists: "yes" }).pipe(
  Args.withDescription("tick file (SQLite) to replay"),
  Args.withDefault("data/sample.db")
)
const config = Options.file("config", { exists: "yes" }).pipe(
  Options.withDescription("hedge config (the original bot's YAML, optionally with sim/points sections)"),
  Options.withDefault("config/hedge_futures.example.yaml")
)
const reportJson = Options.file("report-json").pipe(Options.withDescription("write the full report as JSON to this file"), Options.optional)
const quiet = Options.boolean("quiet").pipe(Options.withDescription("no strategy log lines, only the summary"))
const noKillSwitch = Options.boolean("no-kill-switch").pipe(
  Options.withDescription("run past the config's risk limits (to see what would follow a trip); by default they stop the backtest as they would a live run")
)

/** The kill switch stopped the run: exit 3, as the live runner does. */
class StoppedByKillSwitch extends Data.TaggedError("StoppedByKillSwitch")<{ readonly reason: string }> {
  readonly exitCode = 3
  override get message() {
    return `${this.reason} (the report above runs until then; --no-kill-switch runs past the limits)`
  }
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms. */
const progressBar = () => {
  let last = 0
  let lastPercent = -1
  const tty = process.stderr.isTTY === true
  return {
    update: (fraction: number, nowMs: number) => {
      const percent = Math.floor(fraction * 100)
      const wall = Date.now()
      if (tty) {
        if (wall - last < 100 && fraction < 1) return
        last = wall
        const width = 30
        const filled = Math.round(fraction * width)
        process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(percent).padStart(3)}% ${new Date(nowMs).toISOString().slice(0, 19)}Z`)
        if (fraction >= 1) process.stderr.write("\n")
      } else if (percent >= lastPercent + 25 || (fraction >= 1 && lastPercent < 100)) {
        lastPercent = fraction >= 1 ? 100 : percent - (percent % 25)
        process.stderr.write(`replay ${lastPercent}% (${new Date(nowMs).toISOString().slice(0, 19)}Z)\n`)
      }
    }
  }
}

const command = Command.make("backtest", { db, config, reportJson, quiet, noKillSwitch }, (args) =>
  Effect.gen(function*() {
    if (Option.isSome(args.reportJson)) yield* checkJsonTarget(args.reportJson.value, [args.db, args.config])
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(args.config)
    const hedgeConfig = yield* parseConfigEffect(text, args.config)
    for (const note of hedgeConfig.notes) yield* Effect.logWarning(note)
    const bar = progressBar()
    const report = yield* runBacktest({
      dbPath: args.db,
      config: hedgeConfig,
      ...(args.quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }),
      onProgress: bar.update,
      cooperative: true,
      killSwitch: !args.noKillSwitch
    })
    yield* Console.log(formatSummary(report))
    if (Option.isSome(args.reportJson)) {
      yield* writeJsonFile(args.reportJson.value, report, [args.db, args.config])
      yield* Console.log(`report written to ${args.reportJson.value}`)
    }
    if (report.run.outcome === "failed") {
      return yield* Effect.fail(new Error(`the strategy stopped with an error: ${report.run.message ?? "unknown"}`))
    }
    if (report.run.outcome === "kill-switch") return yield* new StoppedByKillSwitch({ reason: `stopped at ${report.run.to}: ${report.run.message ?? "kill switch"}` })
  })
).pipe(Command.withDescription(
  "Backtest the Backpack-maker / Aster-hedge loop on a recorded or synthetic tick file. Exit codes: 0 the run ended (the data or max_cycles); 1 failed (a bad file or config, the strategy's error); 2 a bad command line; 3 stopped by the kill switch (risk.*), as a live run would have been"
))

runCli(command, "hedgeloop backtest")
