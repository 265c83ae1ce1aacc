/**
 * `npm run gen-data -- [--out data/sample.db] [--seed 42] [--hours 6] [--ticks-per-second 4]
 * [--target-ticks N] [--start 2025-09-24T00:00:00Z]`: writes the deterministic synthetic sample.
 */
import * as fs from "node:fs"
import { Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import { DEFAULT_HOURS, DEFAULT_START_MS, DEFAULT_TICKS_PER_SECOND, generateSample } from "../sim/data/generate"
import { checkedNumber } from "./number-options"
import { BadCommandLine, blockingStep, runCli } from "./run-cli"
import { parseInstant } from "./time-options"

class GenDataFailed extends Data.TaggedError("GenDataFailed")<{ readonly message: string }> {}

const out = Options.text("out").pipe(Options.withDefault("data/sample.db"), Options.withDescription("tick file to write (replaced if present)"))
const seed = Options.integer("seed").pipe(Options.withDefault(42), Options.withDescription("PRNG seed"))
const hours = Options.float("hours").pipe(
  Options.mapEffect(checkedNumber("hours", (h) => h > 0, "a number of hours above 0")),
  Options.optional,
  Options.withDescription(`hours of data (default ${DEFAULT_HOURS}; unlimited when --target-ticks is given)`)
)
const ticksPerSecond = Options.float("ticks-per-second").pipe(
  Options.mapEffect(checkedNumber("ticks-per-second", (r) => r > 0 && r <= 1_000_000, "a rate above 0, at most 1000000")),
  Options.optional,
  Options.withDescription(`average ticks per second over both venues (default ${DEFAULT_TICKS_PER_SECOND})`)
)
const targetTicks = Options.integer("target-ticks").pipe(Options.mapEffect(checkedNumber("target-ticks", (n) => n >= 1, "at least 1")), Options.optional, Options.withDescription("stop after this many ticks"))
const start = Options.text("start").pipe(
  Options.withDescription(`start time, a UTC date or time such as 2025-09-24 or 2025-09-24T08:00 (default ${new Date(DEFAULT_START_MS).toISOString()})`),
  Options.mapEffect(parseInstant("start")),
  Options.optional
)

const command = Command.make("gen-data", { out, seed, hours, ticksPerSecond, targetTicks, start }, (o) =>
  Effect.gen(function* () {
    const startMs = Option.getOrElse(o.start, () => DEFAULT_START_MS)
    const t0 = performance.now()
    const summary = yield* Effect.try({
      try: () =>
        blockingStep(() => generateSample(o.out, {
          seed: o.seed,
          startMs,
          ...Option.match(o.hours, { onNone: () => ({}), onSome: (h) => ({ hours: h }) }),
          ...Option.match(o.ticksPerSecond, { onNone: () => ({}), onSome: (r) => ({ ticksPerSecond: r }) }),
          ...Option.match(o.targetTicks, { onNone: () => ({}), onSome: (n) => ({ targetTicks: n }) })
        })),
      catch: (e) => new GenDataFailed({ message: e instanceof Error ? e.message : String(e) })
    })
    if (summary.ticks === 0) {
      // nothing to backtest: no file left behind to be mistaken for a sample
      fs.rmSync(o.out, { force: true })
      return yield* new BadCommandLine({ reason: "--hours and --ticks-per-second ask for a sample without a single tick: ask for more hours or a higher rate" })
    }
    const seconds = (performance.now() - t0) / 1000
    const size = fs.statSync(o.out).size
    yield* Console.log(
      `wrote ${summary.path}: ${summary.ticks} ticks (${summary.quotes} quotes, ${summary.trades} trades, ${summary.depth} depth), ` +
        `${summary.funding} funding events, ${new Date(summary.firstTs / 1000).toISOString()} – ${new Date(summary.lastTs / 1000).toISOString()}, ` +
        `${(size / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s`
    )
  })
).pipe(Command.withDescription("Generate the deterministic synthetic two-venue tick file (backpack ASTER_USDC_PERP + aster-futures ASTERUSDT)."))

runCli(command, "hedgeloop gen-data")
