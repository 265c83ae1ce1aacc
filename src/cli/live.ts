/**
 * `npm run live -- CONFIG [--paper] [--journal FILE] [--record FILE [--depth]] [--report-json FILE] [--check] [--test-alert] [--unwind-only]`
 * Runs the hedge loop on the venues of CONFIG (real ones, or a local exchange), journalled so a
 * restart after a crash resumes safely. `--paper`: live market data, fills simulated locally.
 * `--check`: what a start would find and do first, with nothing sent (preflight.ts).
 * `--unwind-only`: unwind the hedged pair a stopped run left, then stop (ends flat on both venues).
 * Ctrl+C or SIGTERM stops it cleanly (cancel, hedge the residual, report); a second one, a second
 * or more later, exits at once (see stop-signals.ts).
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Console, Data, Deferred, Effect, Layer, Logger, LogLevel, Option } from "effect"
import { asterOptionsFromConfig, makeAsterExchange } from "../adapters/aster/exchange"
import { makeBackpackExchange } from "../adapters/backpack/exchange"
import { configSecrets, type HedgeConfig } from "../core/config/config"
import { deliverAlert, makeWebhookAlerts, noAlerts } from "../live/alerts"
import { deferredConsoleLogger } from "../live/deferred-logger"
import { loadLiveConfig } from "../live/live-config"
import { type CheckLine, preflight } from "../live/preflight"
import { describeRecording } from "../live/market-recorder"
import { makePaperExchange } from "../live/paper-exchange"
import { publicDataVenues, RECORDED_BACKPACK_DEPTH_EVERY_MS } from "../live/public-venues"
import { RunStopped, runLive, type Venues } from "../live/runner"
import { bookModels } from "../sim/models/book-models"
import { latencyOf } from "../sim/models/latency"
import { seededRng } from "../sim/models/rng"
import { formatSummary } from "./summary"
import { lockPathOf } from "../live/file-lock"
import { BadCommandLine, runCli } from "./run-cli"
import { awaitStopping, exitOnSecondStop } from "./stop-signals"
import { checkJsonTarget, writeJsonFile } from "./json-file"

const config = Args.text({ name: "CONFIG" }).pipe(Args.withDescription("hedge config (the original bot's YAML); secrets may come from HEDGELOOP_* environment variables"))
const paper = Options.boolean("paper").pipe(Options.withDescription("live market data, fills simulated by the backtest's matching engine: no order reaches a venue"))
const journal = Options.text("journal").pipe(
  Options.withDescription("journal (SQLite) of the run; a restart with the same journal resumes safely (default out/live-journal.db, out/paper-journal.db)"),
  Options.optional
)
const record = Options.text("record").pipe(
  Options.withDescription("record both venues' market data (book tickers, trades, funding) into this tick file, to backtest the same minutes; a restart appends to it"),
  Options.optional
)
const depth = Options.boolean("depth").pipe(
  Options.withDescription("with --record: also record both books' best 10 levels (Aster's twice a second, Backpack's as it changes, at most twice a second), for the backtest's hedges to walk and its maker orders to queue behind (up to about 140 MB a day)")
)
const reportJson = Options.file("report-json").pipe(Options.withDescription("write the run's report as JSON to this file when it ends"), Options.optional)
const check = Options.boolean("check").pipe(
  Options.withDescription(
    "check before trading, sending nothing: the keys (a signed read on each venue), filters, market, balances, positions, open orders, the first order a start would post, the funding guard, the cross-venue imbalance, the last 24 hours' loss (with risk.max_loss_per_day) and the journal; exits 0 when a start would trade, 1 when a read failed, 4 when a start would refuse"
  )
)

const unwindOnly = Options.boolean("unwind-only").pipe(
  Options.withDescription(
    "end flat on both venues: after the start's reconciliation, trade the Backpack position a stopped run left back to zero (maker legs, each fill hedged on Aster, as trade.unwind_at_start does before a first cycle), then stop without starting a cycle"
  )
)
const testAlert = Options.boolean("test-alert").pipe(
  Options.withDescription("send one test message to the config's alerts webhook (alerts.webhook_url or HEDGELOOP_ALERTS_WEBHOOK_URL) and exit: 0 when it took it, 1 with its answer when not; trades nothing")
)

class NoAlertsConfigured extends Data.TaggedError("NoAlertsConfigured")<{ readonly config: string }> {
  override get message() {
    return `${this.config} has no alerts webhook: set alerts.webhook_url (or HEDGELOOP_ALERTS_WEBHOOK_URL) first`
  }
}

/** Some check of `--check` failed (1) or a start would refuse to trade (4). */
class CheckFailed extends Data.TaggedError("CheckFailed")<{ readonly summary: string; readonly exitCode: number }> {
  override get message() {
    return this.summary
  }
}

const printChecks = (configPath: string, paper: boolean, lines: ReadonlyArray<CheckLine>) => {
  const width = Math.max(...lines.map((l) => l.subject.length))
  const failed = lines.filter((l) => l.status === "fail").length
  const refusals = lines.filter((l) => l.status === "refuse")
  return Effect.zipRight(
    Console.log([`check of ${configPath} (${paper ? "paper: the venues' public data and a simulated account; " : ""}nothing was sent):`, ...lines.map((l) => `  ${l.status.padEnd(6)} ${l.subject.padEnd(width)}  ${l.detail}`)].join("\n")),
    failed > 0
      ? Effect.fail(new CheckFailed({ summary: `${failed} check(s) failed: a start would not get through`, exitCode: 1 }))
      : refusals.length > 0
      ? Effect.fail(new CheckFailed({ summary: `a start would refuse to trade: ${refusals.map((l) => l.subject).join(", ")}`, exitCode: 4 }))
      : Console.log("a start would trade")
  )
}

class FlagWithoutRecord extends Data.TaggedError("FlagWithoutRecord") {
  /** a bad command line: no restart cures it */
  readonly exitCode = 2
  override get message() {
    return "--depth only says what --record keeps: give --record FILE too"
  }
}

/** An account the bot cannot trade as it stands: a start refuses (exit 4, which a restart cannot cure). */
class AccountRefused extends Data.TaggedError("AccountRefused")<{ readonly reason: string }> {
  readonly exitCode = 4
  override get message() {
    return `refused: ${this.reason}`
  }
}

const liveVenues = (config: HedgeConfig, depthStream: boolean) =>
  Effect.gen(function*() {
    const maker = yield* makeBackpackExchange(config.maker, depthStream ? { depthEveryMs: RECORDED_BACKPACK_DEPTH_EVERY_MS } : {})
    const hedge = yield* makeAsterExchange({ ...asterOptionsFromConfig(config.hedge), tickerFromStream: true, depthStream })
    return { maker, hedge } satisfies Venues
  }).pipe(Effect.catchTag("AsterHedgeModeAccount", (error) => new AccountRefused({ reason: error.message })))

const paperVenues = (config: HedgeConfig, depthStream: boolean) =>
  Effect.gen(function*() {
    const { maker: makerData, hedge: hedgeData } = yield* publicDataVenues(config, { depthStream })
    // the backtest's realism: one config, the same queue, impact, slippage and order latencies
    const models = bookModels(config.sim)
    const rng = seededRng(config.sim.seed)
    const maker = yield* makePaperExchange(makerData, { fees: config.sim.maker, models, latency: latencyOf(config.sim.maker, rng) })
    const hedge = yield* makePaperExchange(hedgeData, { fees: config.sim.hedge, models, latency: latencyOf(config.sim.hedge, rng) })
    return { maker, hedge } satisfies Venues
  }).pipe(
    // the adapter's error type, never met here: public data reads no account
    Effect.catchTag("AsterHedgeModeAccount", (error) => new AccountRefused({ reason: error.message }))
  )

const command = Command.make("live", { config, paper, journal, record, depth, reportJson, check, testAlert, unwindOnly }, (args) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const kind = args.paper ? "paper" : "live"
    if (args.depth && Option.isNone(args.record)) return yield* Effect.fail(new FlagWithoutRecord())
    const loaded = yield* loadLiveConfig(args.config, { environment: process.env, requireCredentials: !args.paper && !args.testAlert })
    for (const warning of loaded.warnings) yield* Effect.logWarning(warning)
    if (loaded.fromEnvironment.length > 0) yield* Effect.log(`secrets from the environment: ${loaded.fromEnvironment.join(", ")}`)
    const journalPath = Option.getOrElse(args.journal, () => `out/${kind}-journal.db`)
    // the same file (however spelt) for both: its two writers would refuse each other
    if (Option.isSome(args.record) && lockPathOf(args.record.value) === lockPathOf(journalPath)) {
      return yield* new BadCommandLine({ reason: `--record and --journal name the same file (${args.record.value}): record the market into a tick file of its own` })
    }
    // refused now, not after hours of trading: the report must not replace the journal or the recording
    const reportInputs = [journalPath, args.config, ...Option.toArray(args.record)]
    if (Option.isSome(args.reportJson)) yield* checkJsonTarget(args.reportJson.value, reportInputs)
    if (args.testAlert) {
      if (Option.isNone(loaded.config.alerts)) return yield* new NoAlertsConfigured({ config: args.config })
      const alerts = loaded.config.alerts.value
      yield* deliverAlert(alerts, { event: "test", severity: "info", kind, text: `hedgeloop: a test alert from ${args.config}; a ${kind} run's start, hedge failures and end will come here` }, {
        secrets: configSecrets(loaded.config)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
      return yield* Console.log(`test alert delivered (${alerts.format} webhook${alerts.telegramChatId !== undefined ? `, chat ${alerts.telegramChatId}` : ""})`)
    }
    if (args.check) {
      const lines = yield* Effect.flatMap(args.paper ? paperVenues(loaded.config, false) : liveVenues(loaded.config, false), (venues) => preflight(loaded.config, venues, journalPath, kind, args.unwindOnly)).pipe(
        Effect.scoped,
        Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor))
      )
      return yield* printChecks(args.config, args.paper, lines)
    }
    yield* fs.makeDirectory(path.dirname(journalPath), { recursive: true })
    if (Option.isSome(args.record)) yield* fs.makeDirectory(path.dirname(args.record.value), { recursive: true })

    const stop = yield* Deferred.make<void>()
    // the run's log lines are written just after the turn they are logged in: a hedge never waits for them
    const logs = deferredConsoleLogger()
    const run = Effect.gen(function*() {
      const result = yield* Effect.gen(function*() {
        // opened first in the run's scope, closed last: the run's end is sent before the process exits
        const alerts = Option.isSome(loaded.config.alerts) ? yield* makeWebhookAlerts(loaded.config.alerts.value, { secrets: configSecrets(loaded.config) }) : noAlerts
        return yield* runLive({
          config: loaded.config,
          kind,
          journalPath,
          venues: args.paper ? paperVenues(loaded.config, args.depth) : liveVenues(loaded.config, args.depth),
          stop,
          alerts,
          unwindOnly: args.unwindOnly,
          ...(Option.isSome(args.record) ? { record: { path: args.record.value } } : {})
        })
      }).pipe(Effect.scoped)
      yield* logs.flush
      yield* Console.log(formatSummary(result.report))
      if (Option.isSome(args.reportJson)) {
        yield* writeJsonFile(args.reportJson.value, result.report, reportInputs)
        yield* Console.log(`report written to ${args.reportJson.value}`)
      }
      yield* Console.log(`journal: ${journalPath} (npm run report -- ${journalPath})`)
      if (result.recording !== undefined) yield* Console.log(describeRecording(result.recording))
      // decided here, in the run's fiber: a stop's wind-down that trips the kill switch exits 3 as well
      if (result.outcome !== "completed" && result.outcome !== "stopped") {
        return yield* new RunStopped({ outcome: result.outcome, reason: result.message ?? result.outcome })
      }
    }).pipe(
      Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor, logs.layer)),
      Logger.withMinimumLogLevel(loaded.config.debug ? LogLevel.Debug : LogLevel.Info),
      // whatever ends the run, its last lines come before what is printed about it
      Effect.ensuring(logs.flush)
    )
    // the run lives in its own fiber: Ctrl+C interrupts this one, which asks the run to stop and
    // waits for its wind-down and report
    yield* awaitStopping(yield* Effect.forkDaemon(run), stop)
  })
).pipe(Command.withDescription(
  "Run the Backpack-maker / Aster-hedge loop live (or --paper), journalled and crash-safe. Exit codes: 0 a clean end or stop; 1 failed (a venue unreachable beyond the retries, the journal unwritable, a bad config): a restart after a pause may cure it; 2 a bad command line; 3 stopped by a safety limit (the kill switch, a hedge that could not be placed, a stop whose wind-down could not hedge the residual); 4 refused to start trading (an imbalance beyond risk.max_auto_hedge, a quantity the venues cannot trade, a limit already reached such as risk.max_loss_per_day, an Aster futures account in Hedge Mode, an Aster account short of USDT or margin for a hedge buy, a Backpack account whose collateral does not allow the first sell). Under a supervisor, restart on 1 only"
))

exitOnSecondStop()
runCli(command, "hedgeloop live")
