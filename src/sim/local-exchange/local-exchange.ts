/**
 * The whole local exchange from a tick file: the three venue books (Backpack perp, Aster futures,
 * Aster spot), the real-time feed replaying the file into them, and the servers. Everything lives
 * in the caller's scope; closing it stops the feed, the servers and closes the file.
 *
 * Instruments come from the file: the first `backpack` one, and the `aster-futures` and
 * `aster-spot` ones, each Aster market standing in for the other when the file has only one (as in
 * the backtest; reported in `warnings`). Fees, queue model, market impact and the assumed top size
 * come from a hedge config's `sim` section when one is given, else the backtest's defaults.
 */
import { BigDecimal, Data, Effect, Either, type Scope } from "effect"
import { type HedgeConfig, parseConfig, type SimVenueParams } from "../../core/config/config"
import { type Decimal, decimal } from "../../core/domain/decimal"
import type { Instrument } from "../../core/domain/instrument"
import type { Venue } from "../../core/domain/venue"
import { instrumentOf } from "../kernel"
import { linearImpact } from "../models/impact"
import { conservativeQueue, probabilisticQueue } from "../models/queue"
import { openTickFile, type TickFile } from "../tickstore/reader"
import type { StoredInstrument } from "../tickstore/types"
import { defaultAccounts, type LocalAccountBook } from "./accounts"
import { noFaults } from "./faults"
import { startTickFeed, type TickReplay } from "./market-feed"
import { type LocalServerError, type LocalServerUrls, startLocalServers } from "./server"
import type { Faults } from "./types"
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
}

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
      `bp: {}\naster: { market: ${market} }\ntrade: { quantity: "1", offset_percent: 0, first_wait_seconds: 0, between_legs_sleep: 0, stop_before_funding_minutes: 0, cycle_sleep: 0 }\n`,
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
    const queue = sim.queueModel === "probabilistic" ? probabilisticQueue(sim.queuePower) : conservativeQueue

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
        queue,
        impact: linearImpact(BigDecimal.unsafeToNumber(sim.marketImpactBps), 0),
        assumedTopQty: sim.assumedTopQty,
        clock
      })
    }
    const venues: LocalExchangeVenueBooks = { backpack: book("backpack"), asterFutures: book("aster-futures"), asterSpot: book("aster-spot") }

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
      venues,
      faults: options.faults ?? noFaults,
      accounts,
      ...(options.portBackpack !== undefined ? { portBackpack: options.portBackpack } : {}),
      ...(options.portAster !== undefined ? { portAster: options.portAster } : {}),
      ...(options.portAsterSpot !== undefined ? { portAsterSpot: options.portAsterSpot } : {})
    })
    const iso = (us: number) => (Number.isFinite(us) ? new Date(Math.floor(us / 1000)).toISOString() : "n/a")
    return {
      urls,
      venues,
      feed,
      data: { path: options.dbPath, source: file.meta.source, synthetic: file.meta.synthetic, proxy: file.meta.proxy.length > 0, from: iso(file.firstTs), to: iso(file.lastTs) },
      warnings
    }
  })
