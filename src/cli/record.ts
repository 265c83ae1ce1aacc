/**
 * `npm run record -- CONFIG --out FILE [--duration 8h] [--depth]`
 * Records both venues' public market data (book tickers, trades, funding) into a tick file without
 * trading: real Backpack data to backtest on before any money is at stake. No keys are needed.
 * Runs until `--duration` has passed or Ctrl+C; either way the file is finished and usable.
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Console, Deferred, Duration, Effect, Layer, Logger, LogLevel, Option } from "effect"
import { MARKET_READ_EVERY_MS } from "../core/strategy/venue-markets"
import { loadLiveConfig } from "../live/live-config"
import { consoleLogger } from "../live/console-logger"
import { describeRecording, startMarketRecording } from "../live/market-recorder"
import { publicDataVenues } from "../live/public-venues"
import { runCli } from "./run-cli"
import { parseDuration } from "./time-options"
import { awaitStopping, exitOnSecondStop } from "./stop-signals"

const config = Args.text({ name: "CONFIG" }).pipe(Args.withDescription("hedge config (the original bot's YAML): which venues and symbols; keys are not needed"))
const out = Options.text("out").pipe(Options.withDescription("tick file to record into; an earlier recording of the same markets there is appended to"))
const duration = Options.text("duration").pipe(
  Options.withDescription("stop after this long, e.g. 90s, 30m, 8h, 2d (default: until Ctrl+C)"),
  Options.mapEffect(parseDuration("duration")),
  Options.optional
)
const depth = Options.boolean("depth").pipe(
  Options.withDescription("also record both books' best 10 levels (Aster's twice a second, Backpack's as it changes, at most twice a second), for the backtest's hedges to walk and its maker orders to queue behind (up to about 140 MB a day)")
)
const PROGRESS_EVERY = Duration.minutes(1)

/**
 * Sleeps `duration`, however long: a timer longer than 2^31 − 1 ms (24.8 days) is taken for
 * "never" (Effect's and Node's alike), so a long recording sleeps a day at a time to its end.
 */
const sleepFor = (duration: Duration.Duration) =>
  Effect.gen(function*() {
    for (let left = Duration.toMillis(duration); left > 0; left -= DAY_MS) yield* Effect.sleep(Math.min(left, DAY_MS))
  })
const DAY_MS = 86_400_000

const command = Command.make("record", { config, out, duration, depth }, (args) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const loaded = yield* loadLiveConfig(args.config, { environment: process.env, requireCredentials: false })
    for (const warning of loaded.warnings) yield* Effect.logWarning(warning)
    yield* fs.makeDirectory(path.dirname(args.out), { recursive: true })

    const stop = yield* Deferred.make<void>()
    const record = Effect.gen(function*() {
      const summary = yield* Effect.scoped(Effect.gen(function*() {
        const venues = yield* publicDataVenues(loaded.config, { depthStream: args.depth })
        // no strategy re-reads the filters here: the recording does, as often as a run would
        const recording = yield* startMarketRecording(venues, { path: args.out, flag: "--out", kind: "market data", refreshFiltersEvery: Duration.millis(MARKET_READ_EVERY_MS) })
        const progress = Effect.flatMap(recording.summary, (s) => Effect.log(`recorded ${s.ticks} ticks and ${s.funding} funding event(s) so far`))
        yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(PROGRESS_EVERY), progress)))
        const until = Option.match(args.duration, {
          onNone: () => Deferred.await(stop),
          onSome: (d) => Effect.raceFirst(Deferred.await(stop), sleepFor(d))
        })
        yield* until
        return yield* recording.summary
      }))
      // printed once the scope has closed: the file is finished by now
      yield* Console.log(describeRecording(summary))
    }).pipe(
      // its lines as live's and the backtest's (time, level, text); not added beside the backtest's own logger, which a global one would be
      Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor, Logger.replace(Logger.defaultLogger, consoleLogger))),
      Logger.withMinimumLogLevel(loaded.config.debug ? LogLevel.Debug : LogLevel.Info)
    )
    // Ctrl+C interrupts this fiber, which asks the recording to stop and waits for the file to be finished
    yield* awaitStopping(yield* Effect.forkDaemon(record), stop)
  })
).pipe(Command.withDescription("Record both venues' public market data into a tick file (no trading), to backtest on"))

exitOnSecondStop()
runCli(command, "hedgeloop record")
