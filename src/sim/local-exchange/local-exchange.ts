/**
 * The whole local exchange from a tick file: the three venue books (Backpack perp, Aster futures,
 * Aster spot), the real-time feed replaying the file into them, and the servers. Everything lives
 * in the caller's scope; closing it stops the feed, the servers and closes the file.
 *
 * Instruments come from the file: the first `backpack` one, and the `aster-futures` and
 * `aster-spot` ones, each Aster market standing in for the other when the file has only one (as in
 * the backtest; reported in `warnings`). Fees, queue model, market impact, slippage and the assumed top size
 * come from a hedge config's `sim` section when one is given, else the backtest's defaults.
 *
 * A fault plan's market changes (`Faults.marketChanges`: filters and market states) are made
 * here: checked against the venues (units, state words) when the exchange starts, then made right
 * after a venue answered the order placement that makes one due, or when its time comes (looked
 * at every 100 ms).
 */
import { Data, Effect, Either, Schedule, type Scope } from "effect"
import { type HedgeConfig, parseConfig, type SimVenueParams } from "../../core/config/config"
import { type Decimal, decimal } from "../../core/domain/decimal"
import { filterChanges, type Instrument } from "../../core/domain/instrument"
import type { Venue } from "../../core/domain/venue"
import { instrumentOf } from "../kernel"
import { bookModels } from "../models/book-models"
import { openTickFile, type TickFile } from "../tickstore/reader"
import type { StoredInstrument } from "../tickstore/types"
import { defaultAccounts, type LocalAccountBook } from "./accounts"
import { filterKeyOf, noFaults } from "./faults"
import { filterChangeProblems } from "./filter-change"
import { unknownStateProblem } from "./market-states"
import { startTickFeed, type TickReplay } from "./market-feed"
import { type LocalServerError, type LocalServerUrls, startLocalServers } from "./server"
import type { Faults, LocalVenue, MarketChangeTrigger, PlannedMarketChange } from "./types"
import { type LocalVenueBook, makeLocalVenue } from "./venue-book"

export class LocalExchangeError extends Data.TaggedError("LocalExchangeError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export interface LocalExchangeOptions {
  readonly dbPath: string
  /** file seconds per wall-clock second (default 1) */
  readonly speed?: number
  readonly loop?: boolean
  readonly portBackpack?: number
  readonly portAster?: number
  readonly portAsterSpot?: number
  readonly faults?: Faults
  readonly accounts?: LocalAccountBook
  /** its `sim` section sets fees and fill realism (default: the backtest's defaults) */
  readonly config?: HedgeConfig
  /** perps without funding rows in the file: rate per interval (defaults 0.0000125 per hour on Backpack, 0.00005 per 4 h on Aster) */
  readonly fundingRates?: Partial<Record<"backpack" | "aster-futures", Decimal>>
  /** venue clock, ms (default Date.now) */
  readonly clock?: () => number
  /** what the exchange reports while it runs (default: printed, a change on stdout, a refusal on stderr) */
  readonly onNotice?: (notice: LocalExchangeNotice) => void
  /** Aster's new orders per minute and account (default: the docs' 1200) */
  readonly asterOrdersPerMinute?: number
}

/**
 * A planned market change made, or refused (a filter value or state word the venue cannot take,
 * in a plan set at runtime): never fatal to the exchange.
 */
export type LocalExchangeNotice =
  | { readonly kind: "filtersChanged"; readonly venue: Venue; readonly entry: string; readonly before: Instrument; readonly after: Instrument; readonly message: string }
  | { readonly kind: "filtersRefused"; readonly venue: Venue; readonly entry: string; readonly message: string }
  | { readonly kind: "marketStateChanged"; readonly venue: Venue; readonly entry: string; readonly before: Instrument; readonly after: Instrument; readonly message: string }
  | { readonly kind: "marketStateRefused"; readonly venue: Venue; readonly entry: string; readonly message: string }

const printNotice = (notice: LocalExchangeNotice) =>
  notice.kind === "filtersChanged" || notice.kind === "marketStateChanged"
    ? console.log(`local exchange: ${notice.message}`)
    : console.error(`local exchange: error: ${notice.message}`)

export interface LocalExchangeVenueBooks {
  readonly backpack: LocalVenueBook
  readonly asterFutures: LocalVenueBook
  readonly asterSpot: LocalVenueBook
}

export interface RunningLocalExchange {
  readonly urls: LocalServerUrls
  readonly venues: LocalExchangeVenueBooks
  readonly feed: TickReplay
  readonly data: { readonly path: string; readonly source: string; readonly synthetic: boolean; readonly proxy: boolean; readonly from: string; readonly to: string }
  readonly warnings: ReadonlyArray<string>
}

/** The backtest's defaults for each venue's `sim` parameters (read through the config loader itself). */
const defaultSimConfig = (market: "spot" | "futures"): HedgeConfig =>
  Either.getOrThrow(
    parseConfig(
      `bp: {}\naster: { market: ${market} }\ntrade: { quantity: "1", offset_percent: 0, first_wait_seconds: 10, between_legs_sleep: 0, stop_before_funding_minutes: 0, cycle_sleep: 0 }\n`,
      "defaults"
    )
  )

const DEFAULT_FUNDING = {
  backpack: { intervalHours: 1, rate: decimal("0.0000125") },
  "aster-futures": { intervalHours: 4, rate: decimal("0.00005") }
} as const

/** The funding interval of an instrument's rows in the file: the shortest gap, in whole hours. */
const fileFundingHours = (file: TickFile, stored: StoredInstrument): number | undefined => {
  const times = file.funding.filter((f) => f.instrumentIdx === stored.idx).map((f) => f.ts).sort((a, b) => a - b)
  let shortest = Number.POSITIVE_INFINITY
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!
    if (gap > 0) shortest = Math.min(shortest, gap)
  }
  if (!Number.isFinite(shortest)) return undefined
  const hours = Math.round(shortest / 3_600_000_000)
  return hours >= 1 ? hours : undefined
}

interface Chosen {
  readonly stored: StoredInstrument
  readonly instrument: Instrument
}

const pick = (file: TickFile, warnings: Array<string>): Either.Either<Record<"backpack" | "aster-futures" | "aster-spot", Chosen>, LocalExchangeError> => {
  const find = (venue: Venue) => file.instruments.find((i) => i.venue === venue)
  const available = file.instruments.map((i) => `${i.venue}:${i.symbol}`).join(", ")
  const backpack = find("backpack")
  if (backpack === undefined) return Either.left(new LocalExchangeError({ reason: `${file.path} has no backpack ticks (it has ${available})` }))
  const futures = find("aster-futures")
  const spot = find("aster-spot")
  if (futures === undefined && spot === undefined) return Either.left(new LocalExchangeError({ reason: `${file.path} has no aster ticks (it has ${available})` }))
  const as = (stored: StoredInstrument, venue: "aster-futures" | "aster-spot"): Chosen => {
    if (stored.venue === venue) return { stored, instrument: instrumentOf(stored) }
    warnings.push(`${file.path} has no ${venue} ticks: the ${stored.venue} ${stored.symbol} recording stands in for them`)
    return { stored, instrument: { ...instrumentOf(stored), venue, kind: venue === "aster-spot" ? "spot" : "perp" } }
  }
  return Either.right({
    backpack: { stored: backpack, instrument: instrumentOf(backpack) },
    "aster-futures": as(futures ?? spot!, "aster-futures"),
    "aster-spot": as(spot ?? futures!, "aster-spot")
  })
}

/** Opens the file, builds the venues, starts the feed and the servers in the current scope. */
export const startLocalExchange = (options: LocalExchangeOptions): Effect.Effect<RunningLocalExchange, LocalExchangeError | LocalServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const speed = options.speed ?? 1
    if (!(speed > 0) || !Number.isFinite(speed)) return yield* new LocalExchangeError({ reason: `speed must be a positive number, got ${speed}` })
    const file = yield* Effect.acquireRelease(
      Effect.try({ try: () => openTickFile(options.dbPath), catch: (e) => new LocalExchangeError({ reason: e instanceof Error ? e.message : String(e) }) }),
      (f) => Effect.sync(() => f.close())
    )
    const warnings: Array<string> = []
    const chosen = yield* pick(file, warnings)
    const accounts = options.accounts ?? defaultAccounts()
    const clock = options.clock ?? Date.now

    const futuresDefaults = defaultSimConfig("futures")
    const spotDefaults = defaultSimConfig("spot")
    const config = options.config
    const sim = config?.sim ?? futuresDefaults.sim
    const params: Record<Venue, SimVenueParams> = {
      backpack: sim.maker,
      "aster-futures": config?.hedge.venue === "aster-futures" ? config.sim.hedge : futuresDefaults.sim.hedge,
      "aster-spot": config?.hedge.venue === "aster-spot" ? config.sim.hedge : spotDefaults.sim.hedge
    }
    const models = bookModels(sim)

    const book = (venue: Venue): LocalVenueBook => {
      const { stored, instrument } = chosen[venue]
      const funding = venue === "aster-spot"
        ? undefined
        : {
          intervalHours: fileFundingHours(file, stored) ?? DEFAULT_FUNDING[venue].intervalHours,
          rate: options.fundingRates?.[venue] ?? DEFAULT_FUNDING[venue].rate
        }
      return makeLocalVenue({
        instrument,
        priceScale: stored.priceScale,
        qtyScale: stored.qtyScale,
        fees: { maker: params[venue].makerFee, taker: params[venue].takerFee },
        startingBalances: accounts.startingBalances,
        // Aster's "Pay fee in ASTER": only where ASTER is the traded base asset, the one the book can price
        ...(venue !== "backpack" && instrument.base === "ASTER" ? { paysFeesInBase: accounts.paysFeeInAster } : {}),
        ...(funding !== undefined ? { funding } : {}),
        ...models,
        clock
      })
    }
    const venues: LocalExchangeVenueBooks = { backpack: book("backpack"), asterFutures: book("aster-futures"), asterSpot: book("aster-spot") }
    const books: Record<Venue, LocalVenueBook> = { backpack: venues.backpack, "aster-futures": venues.asterFutures, "aster-spot": venues.asterSpot }

    // a planned change the venue cannot take is refused now, not in the middle of a run
    const faults = options.faults ?? noFaults
    const planned = faults.marketChanges?.planned() ?? []
    const unfit = planned.flatMap((p) => {
      if (p.kind === "state") {
        // a plan written as a literal skipped the decoder's check of the word
        const problem = unknownStateProblem(p.venue, p.state)
        return problem === undefined ? [] : [`${p.entry}.state: ${problem}`]
      }
      return filterChangeProblems(p.change, books[p.venue].priceScale, books[p.venue].qtyScale, p.venue).map((problem) => `${p.entry}.${filterKeyOf(problem.field)}: ${problem.value} ${problem.reason} on ${p.venue}`)
    })
    if (unfit.length > 0) return yield* new LocalExchangeError({ reason: `the fault plan's market changes do not fit ${options.dbPath}:\n${unfit.map((u) => `  - ${u}`).join("\n")}` })
    const notice = options.onNotice ?? printNotice
    const changeMarket = (p: PlannedMarketChange) => {
      const venue = books[p.venue]
      const before = venue.instrument
      try {
        if (p.kind === "filters") {
          const after = venue.changeFilters(p.change)
          notice({ kind: "filtersChanged", venue: p.venue, entry: p.entry, before, after, message: `${p.venue} ${after.symbol} filters changed: ${filterChanges(before, after).join(", ") || "unchanged"} (${p.entry})` })
        } else {
          const after = venue.changeMarketState(p.state)
          const message = `${p.venue} ${after.symbol} market state ${before.trading?.state ?? "?"} → ${after.trading?.state ?? "?"} (${p.entry})`
          notice({ kind: "marketStateChanged", venue: p.venue, entry: p.entry, before, after, message })
        }
      } catch (error) {
        // a plan set at runtime (setPlan) was not checked at the start: the exchange goes on without it
        const message = `${p.entry}: ${error instanceof Error ? error.message : String(error)}`
        notice({ kind: p.kind === "filters" ? "filtersRefused" : "marketStateRefused", venue: p.venue, entry: p.entry, message })
      }
    }
    const changesDue = (venue: Venue, trigger: MarketChangeTrigger) => {
      for (const p of faults.marketChanges?.due(venue, trigger) ?? []) changeMarket(p)
    }
    // the plan's times (after_seconds, for_seconds) count from here, on the venues' clock
    const started = clock()
    /** the book as the servers see it: an order placement it answered may make a market change due */
    const served = (book: LocalVenueBook): LocalVenue => ({
      ...book,
      get instrument() {
        return book.instrument
      },
      placeLimit: (account, request) => {
        const placed = book.placeLimit(account, request)
        changesDue(book.venue, { kind: "orderPlaced", ms: clock() - started })
        return placed
      },
      placeMarket: (account, request) => {
        const placed = book.placeMarket(account, request)
        changesDue(book.venue, { kind: "orderPlaced", ms: clock() - started })
        return placed
      }
    })

    const feed = yield* startTickFeed({
      file,
      targets: [
        { instrumentIdx: chosen.backpack.stored.idx, sink: venues.backpack.feed },
        { instrumentIdx: chosen["aster-futures"].stored.idx, sink: venues.asterFutures.feed },
        { instrumentIdx: chosen["aster-spot"].stored.idx, sink: venues.asterSpot.feed }
      ],
      speed,
      ...(options.loop !== undefined ? { loop: options.loop } : {}),
      clock
    })
    const urls = yield* startLocalServers({
      venues: { backpack: served(venues.backpack), asterFutures: served(venues.asterFutures), asterSpot: served(venues.asterSpot) },
      faults,
      accounts,
      ...(options.portBackpack !== undefined ? { portBackpack: options.portBackpack } : {}),
      ...(options.portAster !== undefined ? { portAster: options.portAster } : {}),
      ...(options.portAsterSpot !== undefined ? { portAsterSpot: options.portAsterSpot } : {}),
      ...(options.asterOrdersPerMinute !== undefined ? { asterOrdersPerMinute: options.asterOrdersPerMinute } : {})
    })
    if (faults.marketChanges !== undefined) {
      const tick = Effect.sync(() => {
        for (const venue of Object.keys(books) as Array<Venue>) changesDue(venue, { kind: "elapsed", ms: clock() - started })
      })
      yield* Effect.forkScoped(Effect.repeat(tick, Schedule.spaced("100 millis")))
    }
    const iso = (us: number) => (Number.isFinite(us) ? new Date(Math.floor(us / 1000)).toISOString() : "n/a")
    return {
      urls,
      venues,
      feed,
      data: { path: options.dbPath, source: file.meta.source, synthetic: file.meta.synthetic, proxy: file.meta.proxy.length > 0, from: iso(file.firstTs), to: iso(file.lastTs) },
      warnings
    }
  })
