/**
 * `npm run import -- aster-csv --trades F --quotes F [--depth F] --venue aster-futures --symbol ASTERUSDT
 *   [--proxy backpack:ASTER_USDC_PERP] [--proxy-basis-bps N] [--proxy-spread-bps N] [--proxy-latency-ms N]
 *   [--proxy-volume-ratio X] [--quote-clock-offset-ms N] [--gap-seconds N]
 *   [--funding-interval-hours N --funding-rate R] [--tick-size T] [--step-size S] [--min-qty Q]
 *   [--min-notional N] --out F`
 * Imports recorded CSVs into a tick file and prints what the importer changed.
 */
import { Command, Options } from "@effect/cli"
import { BigDecimal, Console, Data, Effect, Option } from "effect"
import type { Venue } from "../core/domain/venue"
import { checkedDecimal, checkedNumber } from "./number-options"
import { BadCommandLine, blockingStep, runCli } from "./run-cli"
import { type ImportAsterCsvOptions, importAsterCsv } from "../sim/data/import-aster-csv"
import type { ProxyOptions } from "../sim/data/import/proxy"
import { formatImportSummary } from "../sim/data/import/summary"
import { isWholeMicroseconds } from "../sim/data/import/units"

class ImportFailed extends Data.TaggedError("ImportFailed")<{ readonly message: string }> {}

const VENUES = ["backpack", "aster-spot", "aster-futures"] as const satisfies ReadonlyArray<Venue>

const optionalText = (name: string, description: string) => Options.text(name).pipe(Options.optional, Options.withDescription(description))
/** A decimal option whose value is checked as the command line is read (exit 2, naming the flag). */
const optionalDecimal = (name: string, description: string, accepts: (d: BigDecimal.BigDecimal) => boolean, expected: string) =>
  Options.text(name).pipe(Options.mapEffect(checkedDecimal(name, accepts, expected)), Options.optional, Options.withDescription(description))
const optionalFloat = (name: string, description: string, accepts: (n: number) => boolean, expected: string) =>
  Options.float(name).pipe(Options.mapEffect(checkedNumber(name, accepts, expected)), Options.optional, Options.withDescription(description))
const positive = (d: BigDecimal.BigDecimal) => BigDecimal.isPositive(d)
const notNegative = (d: BigDecimal.BigDecimal) => !BigDecimal.isNegative(d)

const config = {
  trades: optionalText("trades", "aggregate trades CSV (Aster aggtrades.csv or Binance aggTrades)"),
  quotes: optionalText("quotes", "best bid/offer CSV (Aster bbo.csv or Binance bookTicker)"),
  depth: optionalText("depth", "Aster depth10.csv (stored as depth snapshots plus a level-0 quote)"),
  venue: Options.choice("venue", VENUES).pipe(Options.withDescription("venue of the recorded instrument")),
  symbol: Options.text("symbol").pipe(Options.withDescription("symbol of the recorded instrument, e.g. ASTERUSDT")),
  out: Options.text("out").pipe(Options.withDescription("tick file to write (replaced if present)")),
  proxy: optionalText("proxy", "derive a proxy feed for VENUE:SYMBOL from the recorded one, e.g. backpack:ASTER_USDC_PERP"),
  proxyBasisBps: optionalDecimal("proxy-basis-bps", "proxy prices = source × (1 + N/10⁴) (default 0)", (d) => BigDecimal.greaterThan(d, BigDecimal.fromBigInt(-10000n)), "basis points above -10000"),
  proxySpreadBps: optionalDecimal("proxy-spread-bps", "extra half-spread on each proxy side, bps of the mid (default 0)", notNegative, "basis points ≥ 0"),
  proxyLatencyMs: optionalFloat("proxy-latency-ms", "delay of the proxy ticks, ms (default 0)", (ms) => ms >= 0 && isWholeMicroseconds(ms), "milliseconds ≥ 0 with at most 3 decimals"),
  proxyVolumeRatio: optionalDecimal("proxy-volume-ratio", "proxy trade size = source size × X, floored to the step (default 1)", positive, "a ratio above 0"),
  quoteClockOffsetMs: optionalFloat("quote-clock-offset-ms", "added to quote and depth timestamps, ms (use --quote-clock-offset-ms=-40 for negatives)", isWholeMicroseconds, "milliseconds with at most 3 decimals"),
  gapSeconds: optionalFloat("gap-seconds", "record gaps longer than this (default 30)", (n) => n > 0, "seconds above 0"),
  fundingIntervalHours: optionalFloat("funding-interval-hours", "synthesize funding every N hours (UTC multiples) for perps (assumed)", (n) => n > 0, "hours above 0"),
  fundingRate: optionalDecimal("funding-rate", "rate of the synthesized funding events, e.g. 0.0001", () => true, "a decimal rate such as 0.0001"),
  tickSize: optionalDecimal("tick-size", "tick size of the recorded instrument (default: inferred from book prices)", positive, "a size above 0"),
  stepSize: optionalDecimal("step-size", "step size of the recorded instrument (default: inferred from quantities)", positive, "a size above 0"),
  minQty: optionalDecimal("min-qty", "minimum quantity (default: the step size)", notNegative, "a quantity ≥ 0"),
  minNotional: optionalDecimal("min-notional", "minimum notional (default 5 for aster-futures, else 0)", notNegative, "a value ≥ 0")
}

type Parsed = Command.Command.ParseConfig<typeof config>

/** The options as the importer takes them; a mistake among them is a bad command line (exit 2). */
const toOptions = (o: Parsed): Effect.Effect<ImportAsterCsvOptions, BadCommandLine> =>
  Effect.gen(function* () {
    const fail = (reason: string) => new BadCommandLine({ reason })
    const some = <A>(opt: Option.Option<A>): A | undefined => Option.getOrUndefined(opt)
    if (Option.isNone(o.trades) && Option.isNone(o.quotes) && Option.isNone(o.depth))
      return yield* fail("nothing to import: give at least one of --trades, --quotes, --depth")
    let proxy: ProxyOptions | undefined
    const proxyText = some(o.proxy)
    const proxyFlags = Option.isSome(o.proxyBasisBps) || Option.isSome(o.proxySpreadBps) || Option.isSome(o.proxyLatencyMs) || Option.isSome(o.proxyVolumeRatio)
    if (proxyText === undefined) {
      if (proxyFlags) return yield* fail("--proxy-* options need --proxy VENUE:SYMBOL")
    } else {
      const m = /^([a-z-]+):(\S+)$/.exec(proxyText)
      const venue = m?.[1]
      if (m === null || !VENUES.includes(venue as Venue))
        return yield* fail(`--proxy: expected VENUE:SYMBOL with VENUE one of ${VENUES.join(", ")}, got "${proxyText}"`)
      if (venue === o.venue && m[2] === o.symbol)
        return yield* fail(`--proxy ${proxyText} is the recorded instrument itself: a proxy stands in for another venue's market (e.g. backpack:ASTER_USDC_PERP)`)
      proxy = {
        venue: venue as Venue,
        symbol: m[2]!,
        ...(Option.isSome(o.proxyBasisBps) ? { basisBps: o.proxyBasisBps.value } : {}),
        ...(Option.isSome(o.proxySpreadBps) ? { spreadBps: o.proxySpreadBps.value } : {}),
        ...(Option.isSome(o.proxyLatencyMs) ? { latencyMs: o.proxyLatencyMs.value } : {}),
        ...(Option.isSome(o.proxyVolumeRatio) ? { volumeRatio: o.proxyVolumeRatio.value } : {})
      }
    }
    if (Option.isSome(o.fundingIntervalHours) !== Option.isSome(o.fundingRate))
      return yield* fail("--funding-interval-hours and --funding-rate go together")
    const opt = <K extends string, A>(key: K, value: Option.Option<A>): { [P in K]?: A } =>
      (Option.isSome(value) ? { [key]: value.value } : {}) as { [P in K]?: A }
    return {
      venue: o.venue,
      symbol: o.symbol,
      out: o.out,
      ...opt("trades", o.trades),
      ...opt("quotes", o.quotes),
      ...opt("depth", o.depth),
      ...(proxy !== undefined ? { proxy } : {}),
      ...opt("quoteClockOffsetMs", o.quoteClockOffsetMs),
      ...opt("gapSeconds", o.gapSeconds),
      ...opt("tickSize", o.tickSize),
      ...opt("stepSize", o.stepSize),
      ...opt("minQty", o.minQty),
      ...opt("minNotional", o.minNotional),
      ...(Option.isSome(o.fundingIntervalHours) && Option.isSome(o.fundingRate)
        ? { funding: { intervalHours: o.fundingIntervalHours.value, rate: o.fundingRate.value } }
        : {})
    } as ImportAsterCsvOptions
  })

const asterCsv = Command.make("aster-csv", config, (o) =>
  Effect.gen(function* () {
    const options = yield* toOptions(o)
    const t0 = performance.now()
    const summary = yield* Effect.try({
      try: () => blockingStep(() => importAsterCsv(options)),
      catch: (e) => new ImportFailed({ message: e instanceof Error ? e.message : String(e) })
    })
    yield* Console.log(formatImportSummary(summary))
    yield* Console.log(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s`)
  })
).pipe(
  Command.withDescription(
    "Import the Aster collector CSVs (bbo.csv, aggtrades.csv, depth10.csv) or Binance-style aggTrades/bookTicker CSVs into a tick file; " +
      "re-sorts, deduplicates, drops invalid rows, records gaps, optionally derives a proxy venue feed."
  )
)

const command = Command.make("import", {}, () => new BadCommandLine({ reason: "missing subcommand: use `import aster-csv …` (see --help)" })).pipe(
  Command.withDescription("Import recorded market data into a hedgeloop tick file."),
  Command.withSubcommands([asterCsv])
)

runCli(command, "hedgeloop import")
