/**
 * The local exchange's markets in real time. A tick file is replayed at wall-clock speed (times a
 * speed factor, optionally looping): file time is mapped onto the venue clock, so the first tick
 * happens when the feed starts and a tick 10 s later in the file happens 10 s / speed later. The
 * feed advances in small slices on a Schedule and never holds the event loop for long: each slice
 * replays what is due, at most `maxTicksPerSlice` ticks (a slower replay lags, it does not block).
 *
 * Ticks reach the venue books as the backtest's engines get them (`MarketSink`, integer units of
 * the file's instruments); one instrument may feed several books (Aster spot from a futures
 * recording). Funding rows tell the books the rate of the interval in progress: after every slice
 * each book has the rate of the next row of its instrument not yet reached in the file.
 *
 * `scriptedMarket` is the test double: quotes, trades, depth and rates pushed by hand.
 */
import { Duration, Effect, Schedule, type Scope } from "effect"
import { decimal, toUnits } from "../../core/domain/decimal"
import type { Side } from "../../core/domain/order"
import type { TickFile } from "../tickstore/reader"
import { type DepthLevels, type StoredFunding, type TickBlock, TickKind } from "../tickstore/types"
import type { MarketSink } from "./venue-book"

export interface FeedTarget {
  /** `TickFile.instruments` index whose ticks the sink gets */
  readonly instrumentIdx: number
  readonly sink: MarketSink
}

export interface TickReplayOptions {
  readonly file: TickFile
  readonly targets: ReadonlyArray<FeedTarget>
  /** file seconds per wall-clock second (default 1) */
  readonly speed?: number
  /** start again from the first tick after the last (1 s of file time later) instead of freezing the market */
  readonly loop?: boolean
  /** venue clock, ms (default Date.now); the books' clock */
  readonly clock?: () => number
  /** the wall time the first tick maps to (default: the clock when the replay is made) */
  readonly startMs?: number
  /** at most this many ticks per `advance` (default 50 000) */
  readonly maxTicksPerSlice?: number
}

export interface FeedStatus {
  /** file time (µs) of the last tick replayed; NaN before the first */
  readonly fileTs: number
  /** completed passes over the file */
  readonly loops: number
  readonly ticks: number
  /** the file is over and the feed does not loop: the market stays as it was */
  readonly ended: boolean
}

export interface TickReplay {
  /** Replays every tick due by `nowMs` (at most `maxTicksPerSlice`); true when more were due. */
  readonly advance: (nowMs: number) => boolean
  readonly status: () => FeedStatus
}

const LOOP_GAP_US = 1_000_000

export const makeTickReplay = (options: TickReplayOptions): TickReplay => {
  const { file } = options
  const speed = options.speed ?? 1
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`speed must be a positive number, got ${speed}`)
  const clock = options.clock ?? Date.now
  const startUs = (options.startMs ?? clock()) * 1000
  const maxTicks = options.maxTicksPerSlice ?? 50_000
  const firstTs = file.firstTs
  const period = (Number.isFinite(file.lastTs) ? file.lastTs - firstTs : 0) + LOOP_GAP_US

  const sinksOf: Array<Array<MarketSink>> = file.instruments.map(() => [])
  for (const target of options.targets) {
    const sinks = sinksOf[target.instrumentIdx]
    if (sinks === undefined) throw new Error(`${file.path} has no instrument ${target.instrumentIdx}`)
    sinks.push(target.sink)
  }

  // funding rows per targeted instrument, with the index of the next one not reached yet
  const funding = sinksOf.map((sinks, idx) => ({
    sinks,
    rows: sinks.length === 0 ? [] : file.funding.filter((f) => f.instrumentIdx === idx).sort((a, b) => a.ts - b.ts),
    next: 0,
    announced: undefined as StoredFunding | undefined
  }))
  const announceFunding = (fileNow: number) => {
    for (const f of funding) {
      if (f.rows.length === 0) continue
      while (f.next < f.rows.length && f.rows[f.next]!.ts <= fileNow) f.next++
      // past the last row its rate stays in force
      const row = f.rows[Math.min(f.next, f.rows.length - 1)]!
      if (row === f.announced) continue
      f.announced = row
      const rate = decimal(row.rate)
      const mark = decimal(row.markPrice)
      for (const sink of f.sinks) sink.fundingRate(rate, mark)
    }
  }

  let blocks = file.blocks()
  let block: TickBlock | undefined
  let i = 0
  let loops = 0
  let ticks = 0
  let lastFileTs = Number.NaN
  let ended = !Number.isFinite(firstTs) || file.tickCount === 0

  const restart = () => {
    blocks = file.blocks()
    block = undefined
    i = 0
    loops += 1
    for (const f of funding) f.next = 0
  }

  if (!ended) announceFunding(firstTs)

  const advance = (nowMs: number): boolean => {
    if (ended) return false
    const virtualNow = (nowMs * 1000 - startUs) * speed
    let count = 0
    let more = false
    while (true) {
      if (block === undefined || i >= block.n) {
        const next = blocks.next()
        if (next.done) {
          if (options.loop !== true || ticks === 0) {
            ended = true
            break
          }
          restart()
          continue
        }
        block = next.value
        i = 0
      }
      const ts = block.ts[i]!
      const virtual = loops * period + (ts - firstTs)
      if (virtual > virtualNow) break
      if (count >= maxTicks) {
        more = true
        break
      }
      const sinks = sinksOf[block.instrument[i]!]
      if (sinks !== undefined && sinks.length > 0) {
        const mapped = Math.floor(startUs + virtual / speed)
        switch (block.kind[i]) {
          case TickKind.Quote:
            for (const sink of sinks) sink.quote(mapped, block.p1[i]!, block.q1[i]!, block.p2[i]!, block.q2[i]!)
            break
          case TickKind.TradeBuy:
            for (const sink of sinks) sink.trade(mapped, block.p1[i]!, block.q1[i]!, true)
            break
          case TickKind.TradeSell:
            for (const sink of sinks) sink.trade(mapped, block.p1[i]!, block.q1[i]!, false)
            break
          case TickKind.Depth: {
            const levels = file.depth(block.p1[i]!)
            for (const sink of sinks) sink.depth(mapped, levels)
            break
          }
        }
      }
      lastFileTs = ts
      i++
      count++
      ticks++
    }
    if (!ended) announceFunding(firstTs + Math.min(virtualNow - loops * period, period))
    return more
  }

  return { advance, status: () => ({ fileTs: lastFileTs, loops, ticks, ended }) }
}

/**
 * Starts a real-time replay in a fiber of the current scope: every `sliceMs` (default 25 ms) it
 * replays what is due. Closing the scope stops it; a file that ends (without `loop`) stops it too.
 */
export const startTickFeed = (options: TickReplayOptions & { readonly sliceMs?: number }): Effect.Effect<TickReplay, never, Scope.Scope> =>
  Effect.gen(function*() {
    const replay = makeTickReplay(options)
    const clock = options.clock ?? Date.now
    yield* Effect.sync(() => replay.advance(clock())).pipe(
      Effect.repeat({ schedule: Schedule.spaced(Duration.millis(options.sliceMs ?? 25)), until: () => replay.status().ended }),
      Effect.forkScoped
    )
    return replay
  })

/** A market pushed by hand (tests): decimal strings, stamped with the book's clock. */
export interface ScriptedMarket {
  readonly quote: (bid: string, bidQty: string, ask: string, askQty: string) => void
  readonly trade: (price: string, qty: string, takerSide: Side) => void
  /** levels best first, [price, qty] */
  readonly depth: (bids: ReadonlyArray<readonly [string, string]>, asks: ReadonlyArray<readonly [string, string]>) => void
  readonly fundingRate: (rate: string, mark?: string) => void
}

export const scriptedMarket = (book: { readonly feed: MarketSink; readonly priceScale: number; readonly qtyScale: number; readonly now: () => number }): ScriptedMarket => {
  const p = (text: string) => Number(toUnits(decimal(text), book.priceScale))
  const q = (text: string) => Number(toUnits(decimal(text), book.qtyScale))
  const ts = () => book.now() * 1000
  const levels = (side: ReadonlyArray<readonly [string, string]>) => side.map(([price, qty]) => [p(price), q(qty)] as const)
  return {
    quote: (bid, bidQty, ask, askQty) => book.feed.quote(ts(), p(bid), q(bidQty), p(ask), q(askQty)),
    trade: (price, qty, takerSide) => book.feed.trade(ts(), p(price), q(qty), takerSide === "buy"),
    depth: (bids, asks) => {
      const snapshot: DepthLevels = { bids: levels(bids), asks: levels(asks) }
      book.feed.depth(ts(), snapshot)
    },
    fundingRate: (rate, mark) => book.feed.fundingRate(decimal(rate), mark === undefined ? undefined : decimal(mark))
  }
}
