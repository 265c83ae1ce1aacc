/**
 * The tick store's in-memory shapes. A tick file is one self-describing SQLite database; ticks are
 * packed in time-ordered columnar blocks (see data/README.md) so a replay decodes typed arrays
 * instead of materialising one JS object per row.
 *
 * Prices and quantities inside blocks are scaled integers held in Float64 (exact below 2^53):
 * price units = price × 10^priceScale, quantity units = qty × 10^qtyScale of the tick's instrument.
 * Timestamps are integer microseconds since the Unix epoch, also in Float64.
 */
import type { Venue } from "../../core/domain/venue"

/** `kind` column codes. */
export const TickKind = {
  /** p1 bid, q1 bid qty, p2 ask, q2 ask qty (qty 0 = size unknown) */
  Quote: 0,
  /** p1 price, q1 qty; the taker bought (lifted the ask) */
  TradeBuy: 1,
  /** p1 price, q1 qty; the taker sold (hit the bid) */
  TradeSell: 2,
  /** p1 = id of a row in `depth_snapshots` (levels read lazily) */
  Depth: 3
} as const
export type TickKind = (typeof TickKind)[keyof typeof TickKind]

export interface TickBlock {
  readonly n: number
  readonly ts: Float64Array
  readonly kind: Uint8Array
  /** index into TickFile.instruments */
  readonly instrument: Uint8Array
  readonly p1: Float64Array
  readonly q1: Float64Array
  readonly p2: Float64Array
  readonly q2: Float64Array
}

export interface StoredInstrument {
  /** position in the instruments table, as used by blocks and funding rows */
  readonly idx: number
  readonly venue: Venue
  readonly symbol: string
  readonly base: string
  readonly quote: string
  readonly kind: "spot" | "perp"
  /** decimal strings */
  readonly tickSize: string
  readonly stepSize: string
  readonly minQty: string
  readonly minNotional: string
  readonly priceScale: number
  readonly qtyScale: number
}

export interface DataMeta {
  readonly formatVersion: number
  /** where the ticks came from, e.g. "gen-data seed 42" or "aster-csv ../shared/data/…" */
  readonly source: string
  readonly synthetic: boolean
  /** venues whose feed was derived from another venue's (e.g. backpack from aster-futures) */
  readonly proxy: ReadonlyArray<{ readonly venue: Venue; readonly symbol: string; readonly from: Venue; readonly parameters: Record<string, string | number> }>
  readonly createdAt: string
  /** free-form JSON-able notes: what an importer changed, assumptions made */
  readonly notes: Record<string, unknown>
}

export interface StoredFunding {
  readonly instrumentIdx: number
  /** funding time, µs */
  readonly ts: number
  readonly rate: string
  readonly markPrice: string
}

export interface Gap {
  readonly instrumentIdx: number
  readonly fromTs: number
  readonly toTs: number
}

export interface DepthLevels {
  /** [priceUnits, qtyUnits], best first */
  readonly bids: ReadonlyArray<readonly [number, number]>
  readonly asks: ReadonlyArray<readonly [number, number]>
}
