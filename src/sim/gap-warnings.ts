/**
 * The gaps a tick file marks (a recording's downtime, an import's silences) as a backtest report
 * states them. Through a gap the replay has no ticks for that market, so its book stands still at
 * the last quote before it: a resting order there neither fills nor loses its place, and a hedge
 * sent then fills at that old quote, wherever the real market went meanwhile. The backtest cannot
 * know what happened in a gap; the report says how much of the run rested on one.
 */
import { Duration } from "effect"
import type { Fill } from "../core/domain/order"
import type { Gap } from "./tickstore/types"

export interface GapMarket {
  readonly venue: Fill["venue"]
  readonly symbol: string
  /** the file's instrument whose ticks this market replays */
  readonly instrumentIdx: number
}

/** whole seconds, as Duration.format says them ("10m 30s") */
const span = (us: number) => Duration.format(Duration.seconds(Math.max(1, Math.round(us / 1_000_000))))
const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString()

interface Span {
  readonly from: number
  readonly to: number
}

/** The spans with those that overlap joined, in time order. */
const merged = (spans: ReadonlyArray<Span>): Array<Span> => {
  const out: Array<{ from: number; to: number }> = []
  for (const g of [...spans].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1]
    if (last !== undefined && g.from < last.to) last.to = Math.max(last.to, g.to)
    else out.push({ ...g })
  }
  return out
}

/** Whether a time falls strictly inside one of the (merged) spans, searched (a month holds many fills and gaps). */
const insideAny = (merged: ReadonlyArray<Span>) => {
  return (t: number): boolean => {
    // the last span starting before t
    let lo = 0
    let hi = merged.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (merged[mid]!.from < t) lo = mid + 1
      else hi = mid
    }
    return lo > 0 && t < merged[lo - 1]!.to
  }
}

/**
 * One warning per market with gaps overlapping the replayed time [`fromUs`, `toUs`]: how many, how
 * long in all (overlaps once), the longest, and how many of the run's fills on that market came
 * inside one (a fill's time is ms; a gap's bounds are its ticks before and after it, µs).
 */
export const gapWarnings = (
  gaps: ReadonlyArray<Gap>,
  markets: ReadonlyArray<GapMarket>,
  fills: ReadonlyArray<Fill>,
  fromUs: number,
  toUs: number
): Array<string> =>
  markets.flatMap((market) => {
    const inRun = gaps.filter((g) => g.instrumentIdx === market.instrumentIdx && g.toTs > fromUs && g.fromTs < toUs)
    if (inRun.length === 0) return []
    // the part of each gap the run replayed
    const clipped = inRun.map((g) => ({ from: Math.max(g.fromTs, fromUs), to: Math.min(g.toTs, toUs) }))
    // overlapping gaps (a recording's downtime and a silence in it) miss their common time once
    const missing = merged(clipped)
    const total = missing.reduce((s, g) => s + (g.to - g.from), 0)
    const longest = clipped.reduce((a, b) => (b.to - b.from > a.to - a.from ? b : a))
    const there = fills.filter((f) => f.venue === market.venue && f.symbol === market.symbol)
    // in the fills' ms, as the replay stamps them (µs floored): a fill the closing tick set off is not inside
    const within = insideAny(missing.map((g) => ({ from: Math.floor(g.from / 1000), to: Math.floor(g.to / 1000) })))
    const inside = there.filter((f) => within(f.ts)).length
    const count = inRun.length === 1 ? "1 gap" : `${inRun.length} gaps`
    const longestSaid = inRun.length === 1 ? `${span(total)}, from` : `${span(total)} in all, the longest ${span(longest.to - longest.from)} from`
    const fillsSaid = inside === 0
      ? `none of this run's ${there.length} fill(s) there came inside one`
      : `${inside} of this run's ${there.length} fill(s) there came inside one, at a quote from before it`
    return [
      `${market.venue} ${market.symbol}: the data has ${count} (${longestSaid} ${iso(longest.from)} to ${iso(longest.to)}), through which its book stood still; ${fillsSaid}`
    ]
  })
