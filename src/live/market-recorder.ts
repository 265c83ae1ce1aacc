/**
 * `npm run live --record FILE`: the public market data a live or paper run sees (both venues'
 * book tickers and trades, Aster's best 10 levels with `--depth`, and each perp's funding as its
 * time passes) kept in a tick file, so
 * the very minutes the bot traded can be backtested with the same config and the two reports
 * compared. Until now the only Backpack data a backtest had was a proxy derived from Aster.
 *
 * Ticks are stamped with the local time they arrived (µs, never going back): the order and the
 * delays with which this bot saw them. The file is committed every few seconds and is a complete
 * tick file after each commit, so a crash loses only the last seconds; a restart with the same
 * FILE appends to it, and the time nothing was recorded shows as a gap. One process records into a
 * file at a time (`file-lock.ts`). Recording is a side job:
 * if the file cannot be written, the run warns once and goes on trading without it.
 */
import { Data, Duration, Effect, Option, Ref, type Scope } from "effect"
import { type Decimal, decimalsOf, formatDecimal, toUnits } from "../core/domain/decimal"
import { filterChanges, type Instrument } from "../core/domain/instrument"
import type { MarketEvent } from "../core/domain/market"
import type { Exchange } from "../core/exchange"
import type { ExchangeError } from "../core/errors"
import type { StoredInstrument } from "../sim/tickstore/types"
import { type RecordedFilterChange, type RecordingNote, recordingNote } from "../sim/tickstore/recording-note"
import { RECORDING_NOTE } from "../sim/tickstore/schema"
import { openRecording, type RecordingWriter } from "../sim/tickstore/writer"
import { acquireFileLock, describeRefusal, RECORDING_FILE } from "./file-lock"
import { settleFundingOnTime } from "./funding-clock"

/** The recording file cannot be opened (or resumed); the run does not start. */
export class RecordingError extends Data.TaggedError("RecordingError")<{ readonly path: string; readonly reason: string; readonly flag?: string }> {
  override get message() {
    return `${this.flag ?? "--record"} ${this.path}: ${this.reason}`
  }
}

export interface RecordingOptions {
  readonly path: string
  /** the command's flag naming the file, for its errors (default --record) */
  readonly flag?: string
  /** "live" or "paper": said in the file's source */
  readonly kind: string
  /** how often the ticks are committed (default 5 s) */
  readonly commitEvery?: Duration.DurationInput
  /** silence on one instrument longer than this is recorded as a gap (default 30 s, as the importer) */
  readonly gapAfter?: Duration.DurationInput
  /** local time in µs (tests set it) */
  readonly nowUs?: () => number
  /**
   * re-read the venues' filters this often (`npm run record`, where no strategy does). Either way
   * a change is noted in the file at its next commit: it keeps the filters it started with.
   */
  readonly refreshFiltersEvery?: Duration.DurationInput
}

export interface RecordingSummary {
  readonly path: string
  /** ticks and funding events recorded by this run */
  readonly ticks: number
  readonly funding: number
  /** whole file */
  readonly totalTicks: number
  /** messages that could not be stored (a size off the instrument's step, a price finer than the file keeps) */
  readonly skipped: number
  /** why recording stopped early, if it did */
  readonly failure?: string
}

export interface MarketRecording {
  /** what has been recorded so far (committed or not) */
  readonly summary: Effect.Effect<RecordingSummary>
}

/** what the file's notes say about its tick times */
const TIMESTAMPS = "local receive time of each stream message (µs)"

/**
 * Decimals a recording keeps beyond a venue's tick: Aster's @aggTrade prints an aggregate's average
 * price, between ticks (2.241680 at tick 0.0001), and those are its largest trades (half the
 * traded volume of a day's recording): kept exactly, as an import keeps them.
 */
const PRICE_DECIMALS_BEYOND_TICK = 4

const storedInstrument = (i: Instrument): Omit<StoredInstrument, "idx"> => ({
  venue: i.venue,
  symbol: i.symbol,
  base: i.base,
  quote: i.quote,
  kind: i.kind,
  tickSize: formatDecimal(i.tickSize),
  stepSize: formatDecimal(i.stepSize),
  minQty: formatDecimal(i.minQty),
  minNotional: formatDecimal(i.minNotional),
  priceScale: decimalsOf(i.tickSize) + PRICE_DECIMALS_BEYOND_TICK,
  qtyScale: decimalsOf(i.stepSize)
})

/**
 * Starts recording both venues' market data into `options.path` until the scope closes, which
 * commits the rest and closes the file. The maker venue is instrument 0, the hedge venue 1.
 */
export const startMarketRecording = (
  venues: { readonly maker: Exchange; readonly hedge: Exchange },
  options: RecordingOptions
): Effect.Effect<MarketRecording, RecordingError | ExchangeError, Scope.Scope> =>
  Effect.gen(function*() {
    const { path } = options
    const named = `${options.flag ?? "--record"} ${path}`
    const sides = [venues.maker, venues.hedge] as const
    // the filters the file holds: those of its start (a venue's later changes are noted, below)
    const recordedFilters = [yield* venues.maker.instrument, yield* venues.hedge.instrument]
    const instruments = recordedFilters.map(storedInstrument)
    const refuse = (reason: string) => new RecordingError({ path, reason, ...(options.flag !== undefined ? { flag: options.flag } : {}) })
    // one recorder per file, held until the file is finished (this finalizer runs after that one)
    yield* Effect.acquireRelease(
      Effect.suspend(() => {
        const taken = acquireFileLock(path, RECORDING_FILE)
        return taken._tag === "Acquired" ? Effect.succeed(taken.release) : Effect.fail(refuse(describeRefusal(taken)))
      }),
      (release) => Effect.sync(release)
    )
    const opened = yield* Effect.try({
      try: () =>
        openRecording(path, {
          source: `hedgeloop ${options.kind} recording: ${instruments.map((i) => `${i.venue} ${i.symbol}`).join(" + ")}`,
          synthetic: false,
          proxy: [],
          createdAt: new Date().toISOString(),
          notes: { [RECORDING_NOTE]: { timestamps: TIMESTAMPS, runs: 0 } }
        }, instruments),
      catch: (e) => refuse(e instanceof Error ? e.message.replace(`${path}: `, "") : String(e))
    })
    const writer: RecordingWriter = opened.writer
    const nowUs = options.nowUs ?? (() => Date.now() * 1000)
    const gapUs = Duration.toMillis(options.gapAfter ?? Duration.seconds(30)) * 1000
    const before = writer.tickCount
    const earlier = Option.getOrUndefined(recordingNote(opened.resumed?.meta.notes ?? {}))
    const recordedFunding = new Set((opened.resumed?.funding ?? []).map((f) => `${f.instrumentIdx}:${f.ts}`))
    // an instrument's last tick: its own as the file's last commit noted it (else the file's end),
    // so the time no process recorded it is a gap; none in a file without ticks
    const resumedEnd = opened.resumed !== undefined && Number.isFinite(opened.resumed.lastTs) ? opened.resumed.lastTs : Number.NaN
    const lastTickUs = instruments.map((_, idx) => earlier?.lastTickUs?.[idx] ?? resumedEnd)
    let skipped = 0
    let funding = 0
    let failure: string | undefined
    let open = true

    /** Any write error ends the recording, never the run: the next commit reports it. */
    const guarded = (write: () => void): void => {
      if (!open) return
      try {
        write()
      } catch (e) {
        open = false
        failure = e instanceof Error ? e.message : String(e)
        writer.abort()
      }
    }

    /** The writer call that stores one message, or undefined when it is off the instrument's grid. */
    const storing = (idx: number, event: MarketEvent): ((ts: number) => void) | undefined => {
      // a resumed file keeps the scales it was started with
      const { priceScale, qtyScale } = (opened.resumed?.instruments ?? instruments)[idx]!
      const units = (d: Decimal, scale: number) => {
        const u = Number(toUnits(d, scale))
        if (!Number.isSafeInteger(u)) throw new Error("too large")
        return u
      }
      try {
        switch (event._tag) {
          case "Quote": {
            const q = event.quote
            const [bid, bidQty, ask, askQty] = [units(q.bid, priceScale), units(q.bidQty, qtyScale), units(q.ask, priceScale), units(q.askQty, qtyScale)]
            return (ts) => writer.appendQuote(idx, ts, bid, bidQty, ask, askQty)
          }
          case "Trade": {
            const t = event.trade
            const [price, qty] = [units(t.price, priceScale), units(t.qty, qtyScale)]
            return (ts) => writer.appendTrade(idx, ts, price, qty, t.takerSide)
          }
          case "Depth": {
            const side = (levels: ReadonlyArray<readonly [Decimal, Decimal]>) => levels.map(([p, q]) => [units(p, priceScale), units(q, qtyScale)] as const)
            const levels = { bids: side(event.depth.bids), asks: side(event.depth.asks) }
            return (ts) => void writer.appendDepth(idx, ts, levels)
          }
        }
      } catch {
        return undefined
      }
    }

    const append = (idx: number, event: MarketEvent): void =>
      guarded(() => {
        const store = storing(idx, event)
        if (store === undefined) {
          skipped += 1
          return
        }
        // local receive time, never before the last tick (the writer needs them in order)
        const ts = Math.max(nowUs(), writer.lastTs)
        const last = lastTickUs[idx]!
        if (ts - last > gapUs) writer.addGap({ instrumentIdx: idx, fromTs: last, toTs: ts })
        lastTickUs[idx] = ts
        store(ts)
      })

    // the filters last seen, and the changes the venues made since the start
    const seenFilters = [...recordedFilters]
    const filterChangesSeen: Array<RecordedFilterChange> = [...(earlier?.filterChanges ?? [])]
    const noteFilterChanges = Effect.gen(function*() {
      for (const [idx, venue] of sides.entries()) {
        // the adapters answer from what they last read: a venue that cannot say is asked at the next commit
        const read = yield* Effect.option(venue.instrument)
        if (Option.isNone(read)) continue
        const now = read.value
        const changes = filterChanges(seenFilters[idx]!, now)
        if (changes.length === 0) continue
        seenFilters[idx] = now
        filterChangesSeen.push({ venue: now.venue, symbol: now.symbol, at: new Date(nowUs() / 1000).toISOString(), changes })
        const sinceStart = filterChanges(recordedFilters[idx]!, now)
        yield* Effect.logWarning(
          `${named}: ${now.venue} ${now.symbol} changed its filters (${changes.join(", ")}); the recording keeps those it started with${
            sinceStart.length > 0 ? ` (${sinceStart.map((change) => change.split(" → ")[0]).join(", ")})` : ""
          }, and a backtest of it warns of the change`
        )
      }
    })

    const runs = (earlier?.runs ?? 0) + 1
    const note = (): RecordingNote => ({
      timestamps: TIMESTAMPS,
      runs,
      skipped: (earlier?.skipped ?? 0) + skipped,
      ...(filterChangesSeen.length > 0 ? { filterChanges: filterChangesSeen } : {}),
      lastTickUs: lastTickUs.map((ts) => (Number.isFinite(ts) ? ts : null))
    })
    const commit = Effect.zipRight(
      noteFilterChanges,
      Effect.sync(() =>
        guarded(() => {
          writer.setNote(RECORDING_NOTE, note())
          writer.commit()
        })
      )
    )
    const warned = yield* Ref.make(false)
    const warnOnFailure = Effect.gen(function*() {
      if (failure === undefined || (yield* Ref.getAndSet(warned, true))) return
      yield* Effect.logWarning(`${named}: recording stopped, trading goes on: ${failure}`)
    })

    yield* commit
    // closing: the rest is committed and the file closed, before the venues' sockets go
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Effect.zipRight(noteFilterChanges, Effect.sync(() =>
          guarded(() => {
            // a venue silent up to the end (its stream stuck, its market closed) is a gap too,
            // from its last tick to the file's (a resumed recording's next gap may overlap it)
            for (const [idx, last] of lastTickUs.entries()) {
              if (Number.isFinite(last) && writer.lastTs - last > gapUs) writer.addGap({ instrumentIdx: idx, fromTs: last, toTs: writer.lastTs })
            }
            writer.setNote(RECORDING_NOTE, note())
            writer.finish()
            open = false
          })
        )),
        warnOnFailure
      )
    )
    for (const [idx, venue] of sides.entries()) {
      if (venue.watchMarket === undefined) {
        yield* Effect.logWarning(`${named}: ${venue.venue} streams no market data here; its instrument stays without ticks`)
        continue
      }
      yield* venue.watchMarket((event) => append(idx, event))
      const read = venue.fundingQuote
      if (instruments[idx]!.kind === "perp" && read !== undefined) {
        yield* Effect.forkScoped(settleFundingOnTime(read, (quote) => {
          const ts = quote.fundingTime * 1000
          const key = `${idx}:${ts}`
          if (recordedFunding.has(key)) return
          recordedFunding.add(key)
          guarded(() => {
            writer.addFunding({ instrumentIdx: idx, ts, rate: formatDecimal(quote.rate), markPrice: formatDecimal(quote.markPrice) })
            funding += 1
          })
        }, `${named}: funding`))
      }
    }
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(options.commitEvery ?? Duration.seconds(5)), Effect.zipRight(commit, warnOnFailure))))
    if (options.refreshFiltersEvery !== undefined) {
      const every = options.refreshFiltersEvery
      const refresh = Effect.forEach(sides, (venue) =>
        venue.refreshInstrument === undefined
          ? Effect.void
          : Effect.catchAll(Effect.asVoid(venue.refreshInstrument), (error) => Effect.logDebug(`${named}: could not re-read the ${venue.venue} filters: ${error.message}`)), { discard: true })
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(every), refresh)))
    }
    yield* Effect.log(
      opened.resumed !== undefined
        ? `recording market data into ${path} (appending to its ${opened.resumed.tickCount} ticks)`
        : `recording market data into ${path}`
    )

    return {
      summary: Effect.sync(() => ({
        path,
        ticks: writer.tickCount - before,
        funding,
        totalTicks: writer.tickCount,
        skipped,
        ...(failure !== undefined ? { failure } : {})
      }))
    }
  })

export const describeRecording = (s: RecordingSummary): string =>
  `market recording: ${s.path}, ${s.ticks} ticks and ${s.funding} funding event(s) from this run (${s.totalTicks} in the file)` +
  (s.skipped > 0 ? `, ${s.skipped} message(s) off the instrument's grid not stored` : "") +
  (s.failure !== undefined ? `; recording stopped early: ${s.failure}` : "") +
  `; backtest it: npm run backtest -- ${s.path} --config CONFIG`
