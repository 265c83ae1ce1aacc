/**
 * Deterministic synthetic two-venue tick file: instrument 0 = backpack ASTER_USDC_PERP (the maker
 * venue), instrument 1 = aster-futures ASTERUSDT (the hedge venue). Everything is integer
 * arithmetic on price ticks and quantity steps driven by a seeded 32-bit PRNG (mulberry32), so the
 * same seed and options give the same tick sequence on every machine.
 *
 * Model (documented in data/README.md), roughly calibrated on the real ASTERUSDT recording of
 * 2025-09-24 in ../shared/data (median |Δmid| ≈ 4 ticks over 1 s, ≈ 20 over 10 s; spreads mostly
 * 1–3 ticks with occasional wide ones; trade sizes median ≈ 130, p99 ≈ 26 000 ASTER):
 * - a fair price in ticks of 0.0001 starts at 2.0000 and moves every 100 ms by the sum of two
 *   uniform integers in −3…+3 (sd ≈ 2.8 ticks), with rare jumps (p ≈ 1/10 000 per step) of
 *   30–149 ticks, softly held inside 1.0–3.0;
 * - aster quotes around the fair price (spread 1–3 ticks, 12 % of quotes 1–8 ticks wider);
 *   backpack quotes around the fair price of 300 ms earlier plus a slowly wandering basis of
 *   −3…+5 ticks, with a 3–7 tick spread (likewise sometimes wider);
 * - trades hit the venue's current bid (taker sell) or lift its ask (taker buy), buys more likely
 *   after an up-move; sizes are heavy-tailed (power tail, exponent ≈ 0.75 for trades, 1 for
 *   book sizes, capped);
 * - events arrive with uniformly jittered gaps around 1 / ticksPerSecond (total for both venues);
 * - a 10-level aster depth snapshot every minute, level 0 = the current aster quote;
 * - funding: aster every 4 h at 00/04/08/12/16/20 UTC, backpack every hour; small signed rates,
 *   mark price = that venue's mid.
 */
import { formatDecimal, fromUnits } from "../../core/domain/decimal"
import type { StoredInstrument } from "../tickstore/types"
import { createTickFile } from "../tickstore/writer"

export interface GenerateOptions {
  readonly seed: number
  /** duration; default 6, or unlimited when targetTicks is given */
  readonly hours?: number
  /** start time, ms since epoch; default 2025-09-24T00:00:00Z */
  readonly startMs?: number
  /** average tick rate over both venues (quotes + trades), per second; default 4 */
  readonly ticksPerSecond?: number
  /** stop after this many ticks (depth snapshots included) */
  readonly targetTicks?: number
  /** seconds between aster depth snapshots; default 60, 0 = none */
  readonly depthEverySeconds?: number
  /** meta.created_at; default now */
  readonly createdAt?: string
}

export interface GenerateSummary {
  readonly path: string
  readonly seed: number
  readonly ticks: number
  readonly quotes: number
  readonly trades: number
  readonly depth: number
  readonly funding: number
  /** µs */
  readonly firstTs: number
  readonly lastTs: number
}

export const DEFAULT_START_MS = Date.UTC(2025, 8, 24, 0, 0, 0)
export const DEFAULT_HOURS = 6
export const DEFAULT_TICKS_PER_SECOND = 4

export const SAMPLE_INSTRUMENTS: ReadonlyArray<Omit<StoredInstrument, "idx">> = [
  {
    venue: "backpack",
    symbol: "ASTER_USDC_PERP",
    base: "ASTER",
    quote: "USDC",
    kind: "perp",
    tickSize: "0.0001",
    stepSize: "0.01",
    minQty: "0.01",
    minNotional: "0",
    priceScale: 4,
    qtyScale: 2
  },
  {
    venue: "aster-futures",
    symbol: "ASTERUSDT",
    base: "ASTER",
    quote: "USDT",
    kind: "perp",
    tickSize: "0.0001",
    stepSize: "0.01",
    minQty: "0.01",
    minNotional: "5",
    priceScale: 4,
    qtyScale: 2
  }
]

const BP = 0
const AS = 1

/** mulberry32: a tiny, fast, well-mixed 32-bit generator; returns uint32. */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/**
 * Size multipliers ×16 for a class k drawn with P(k) = 2^-(k+1) (capped at the table's end): a
 * growth g per class gives a power tail of exponent ln 2 / ln g.
 */
const TRADE_TAIL = [16, 40, 102, 256, 645, 1626, 4097, 10324, 26017] // g ≈ 2.52: exponent ≈ 0.75
const BOOK_TAIL = [16, 32, 64, 128, 256, 512, 1024] // g = 2: exponent 1

const PRICE_STEP_US = 100_000
const BACKPACK_LAG_STEPS = 3
const HOUR_US = 3_600_000_000

/** Writes the synthetic sample to `path` (replacing any file there). */
export const generateSample = (path: string, options: GenerateOptions): GenerateSummary => {
  const seed = options.seed
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`)
  const rate = options.ticksPerSecond ?? DEFAULT_TICKS_PER_SECOND
  if (!(rate > 0 && rate <= 1_000_000)) throw new Error(`ticks per second must be in (0, 1e6], got ${rate}`)
  const targetTicks = options.targetTicks ?? Infinity
  if (!(targetTicks > 0)) throw new Error(`target ticks must be positive, got ${targetTicks}`)
  const hours = options.hours ?? (options.targetTicks === undefined ? DEFAULT_HOURS : Infinity)
  if (!(hours > 0)) throw new Error(`hours must be positive, got ${hours}`)
  const startMs = options.startMs ?? DEFAULT_START_MS
  if (!Number.isSafeInteger(startMs)) throw new Error(`start must be an integer ms timestamp, got ${startMs}`)
  const depthEvery = options.depthEverySeconds ?? 60
  if (!(depthEvery >= 0)) throw new Error(`depth interval must be non-negative, got ${depthEvery}`)

  const startUs = startMs * 1000
  const endUs = hours === Infinity ? Infinity : startUs + Math.round(hours * HOUR_US)
  const meanGapUs = Math.max(1, Math.round(1e6 / rate))
  const depthUs = depthEvery === 0 ? Infinity : Math.round(depthEvery * 1e6)

  const writer = createTickFile(
    path,
    {
      source: `gen-data seed ${seed}`,
      synthetic: true,
      proxy: [],
      createdAt: options.createdAt ?? new Date().toISOString(),
      notes: {
        generator: {
          seed,
          hours: hours === Infinity ? null : hours,
          startMs,
          ticksPerSecond: rate,
          targetTicks: options.targetTicks ?? null,
          depthEverySeconds: depthEvery,
          prng: "mulberry32"
        },
        assumptions: [
          "synthetic data: not a recording of any market",
          "backpack ASTER_USDC_PERP filters assumed: tick 0.0001, step 0.01, min qty 0.01, min notional 0",
          "aster-futures ASTERUSDT filters assumed: tick 0.0001, step 0.01, min qty 0.01, min notional 5",
          "funding assumed: aster-futures every 4 h at 00/04/08/12/16/20 UTC, backpack every 1 h; mark price = mid",
          "quote sizes are synthetic; depth snapshots on aster-futures only"
        ]
      }
    },
    SAMPLE_INSTRUMENTS
  )

  try {
    const rnd = mulberry32(seed)
    /** heavy-tailed size in qty units: uniform in [base, 2·base) times a tail multiplier */
    const heavy = (base: number, tail: ReadonlyArray<number>): number => {
      // trailing zeros of a random word: P(k) = 2^-(k+1), capped at the table's last class
      const w = rnd() | (1 << (tail.length - 1))
      const k = 31 - Math.clz32(w & -w)
      return Math.max(1, Math.floor(((base + (rnd() % base)) * tail[k]!) / 16))
    }
    /** 12 % of quotes are 1–8 ticks wider on one side: [extra bid ticks, extra ask ticks] */
    const widen = (): readonly [number, number] => {
      const r = rnd()
      if (r % 100 >= 12) return [0, 0]
      const extra = 1 + ((r >>> 8) % 8)
      return (r >>> 16) & 1 ? [extra, 0] : [0, extra]
    }

    // fair price (ticks) and its recent history for the lagged venue
    let fair = 20000
    const history = new Int32Array(8).fill(fair)
    let hpos = 0
    let lastMove = 1
    let basis = 2
    let priceClock = startUs
    let stepCount = 0

    // last quote per venue
    const bid = [0, 0]
    const ask = [0, 0]
    const bidQty = [0, 0]
    const askQty = [0, 0]

    let nextDepth = startUs + depthUs
    let nextBpFunding = startUs - (startUs % HOUR_US) + HOUR_US
    let nextAsFunding = startUs - (startUs % (4 * HOUR_US)) + 4 * HOUR_US
    let funding = 0
    let quotes = 0
    let trades = 0
    let depthSnapshots = 0
    let firstTs = NaN
    let ts = startUs

    const advancePrice = (until: number): void => {
      while (priceClock + PRICE_STEP_US <= until) {
        priceClock += PRICE_STEP_US
        const r = rnd()
        // two uniform integers in −3…+3 from 16-bit halves (modulo bias < 0.01 %)
        const move = ((r & 0xffff) % 7) - 3 + (((r >>> 16) % 7) - 3)
        fair += move
        if (move !== 0) lastMove = move > 0 ? 1 : -1
        if (rnd() % 10_000 === 0) {
          // rare jump
          const size = 30 + (rnd() % 120)
          const up = fair < 10000 ? true : fair > 30000 ? false : (rnd() & 1) === 1
          fair += up ? size : -size
          lastMove = up ? 1 : -1
        }
        // soft walls at 1.0 and 3.0
        if (fair < 10000) fair += 1
        if (fair > 30000) fair -= 1
        history[hpos] = fair
        hpos = (hpos + 1) & 7
        if (++stepCount % 6000 === 0) {
          // every 10 min the backpack basis wanders by a tick, inside −3…+5
          const d = (rnd() % 3) - 1
          basis = Math.min(5, Math.max(-3, basis + d))
        }
      }
    }

    const quote = (venue: number): void => {
      let b: number
      let a: number
      const [wb, wa] = widen()
      if (venue === AS) {
        const r = rnd()
        b = fair - (r & 1) - wb
        a = fair + 1 + ((r >>> 1) & 1) + wa
        bidQty[AS] = heavy(150_000, BOOK_TAIL)
        askQty[AS] = heavy(150_000, BOOK_TAIL)
      } else {
        const lagged = history[(hpos - 1 - BACKPACK_LAG_STEPS) & 7]! + basis
        b = lagged - 1 - (rnd() % 3) - wb
        a = lagged + 2 + (rnd() % 3) + wa
        bidQty[BP] = heavy(50_000, BOOK_TAIL)
        askQty[BP] = heavy(50_000, BOOK_TAIL)
      }
      bid[venue] = b
      ask[venue] = a
      writer.appendQuote(venue, ts, b, bidQty[venue]!, a, askQty[venue]!)
      quotes++
    }

    const trade = (venue: number): void => {
      const buy = rnd() % 100 < (lastMove > 0 ? 65 : 35)
      const qty = heavy(venue === AS ? 5_000 : 2_500, TRADE_TAIL)
      writer.appendTrade(venue, ts, buy ? ask[venue]! : bid[venue]!, qty, buy ? "buy" : "sell")
      trades++
    }

    const depth = (at: number): void => {
      const bids: Array<readonly [number, number]> = [[bid[AS]!, bidQty[AS]!]]
      const asks: Array<readonly [number, number]> = [[ask[AS]!, askQty[AS]!]]
      for (let k = 1; k < 10; k++) {
        bids.push([bids[k - 1]![0] - 1 - (rnd() % 5 === 0 ? 1 : 0), heavy(30_000, BOOK_TAIL)])
        asks.push([asks[k - 1]![0] + 1 + (rnd() % 5 === 0 ? 1 : 0), heavy(30_000, BOOK_TAIL)])
      }
      writer.appendDepth(AS, at, { bids, asks })
      depthSnapshots++
    }

    const mark = (venue: number): string => formatDecimal(fromUnits(BigInt(bid[venue]! + ask[venue]!) * 5n, 5))
    const fundingRate = (lo: number, hi: number): string => formatDecimal(fromUnits(BigInt(lo + (rnd() % (hi - lo + 1))), 6))

    const dueUntil = (t: number): void => {
      while (nextDepth <= t && writer.tickCount < targetTicks) {
        if (bid[AS]! > 0) depth(nextDepth)
        nextDepth += depthUs
      }
      while (nextBpFunding <= t) {
        if (bid[BP]! > 0) {
          writer.addFunding({ instrumentIdx: BP, ts: nextBpFunding, rate: fundingRate(-30, 120), markPrice: mark(BP) })
          funding++
        }
        nextBpFunding += HOUR_US
      }
      while (nextAsFunding <= t) {
        if (bid[AS]! > 0) {
          writer.addFunding({ instrumentIdx: AS, ts: nextAsFunding, rate: fundingRate(-50, 200), markPrice: mark(AS) })
          funding++
        }
        nextAsFunding += 4 * HOUR_US
      }
    }

    for (;;) {
      const next = ts + 1 + (rnd() % (2 * meanGapUs))
      if (next > endUs || writer.tickCount >= targetTicks) break
      advancePrice(next)
      dueUntil(next)
      if (writer.tickCount >= targetTicks) break
      ts = next
      if (Number.isNaN(firstTs)) firstTs = ts
      const venue = rnd() % 100 < 55 ? AS : BP
      if (bid[venue] === 0 || rnd() % 100 < 70) quote(venue)
      else trade(venue)
    }
    // funding and depth due up to the end of the covered period
    const end = endUs === Infinity ? ts : endUs
    advancePrice(end)
    dueUntil(end)

    const summary: GenerateSummary = {
      path,
      seed,
      ticks: writer.tickCount,
      quotes,
      trades,
      depth: depthSnapshots,
      funding,
      firstTs,
      lastTs: writer.lastTs
    }
    writer.finish()
    return summary
  } catch (e) {
    writer.abort()
    throw e
  }
}
