/**
 * Writes small hand-made tick files for tests: two instruments (Backpack ASTER_USDC_PERP and Aster
 * futures ASTERUSDT, tick 0.0001, step 0.01), prices and sizes given as decimal strings.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal, toUnits } from "../../src/core/domain/decimal"
import type { Venue } from "../../src/core/domain/venue"
import { createTickFile } from "../../src/sim/tickstore/writer"

export type ScriptedTick =
  | { readonly t: number; readonly venue: "bp" | "as"; readonly quote: readonly [string, string, string, string] }
  | { readonly t: number; readonly venue: "bp" | "as"; readonly trade: readonly [string, string, "buy" | "sell"] }
  | { readonly t: number; readonly venue: "bp" | "as"; readonly depth: { bids: ReadonlyArray<readonly [string, string]>; asks: ReadonlyArray<readonly [string, string]> } }

export interface ScriptOptions {
  readonly startMs?: number
  readonly funding?: ReadonlyArray<{ readonly t: number; readonly venue: "bp" | "as"; readonly rate: string; readonly mark: string }>
  readonly asterMinNotional?: string
  /** Backpack publishes none; a proxy import may give the maker one */
  readonly makerMinNotional?: string
  readonly asterMinQty?: string
  readonly asterStep?: string
  /** gaps the file marks, times in ms relative to start, as an import or a recording notes them */
  readonly gaps?: ReadonlyArray<{ readonly venue: "bp" | "as"; readonly from: number; readonly to: number }>
}

export const T0 = Date.UTC(2025, 8, 24, 1, 0, 0)
const PRICE_SCALE = 4
const QTY_SCALE = 2

const p = (text: string) => Number(toUnits(decimal(text), PRICE_SCALE))
const q = (text: string) => Number(toUnits(decimal(text), QTY_SCALE))

/**
 * One folder per test file, removed after its tests by `removeTempRoot` (test/setup.ts). Not on
 * process exit: vitest ends its workers without running exit handlers, and every run would
 * leave its files behind.
 */
let root: string | undefined
export const tempDir = () => {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-test-"))
  return fs.mkdtempSync(path.join(root, "t-"))
}

export const removeTempRoot = () => {
  if (root === undefined) return
  fs.rmSync(root, { recursive: true, force: true })
  root = undefined
}

/** Writes the ticks (times in ms relative to start) and returns the file path. */
export const writeScript = (ticks: ReadonlyArray<ScriptedTick>, options: ScriptOptions = {}): string => {
  const file = path.join(tempDir(), "script.db")
  const start = options.startMs ?? T0
  const writer = createTickFile(
    file,
    { source: "test script", synthetic: true, proxy: [], createdAt: new Date(0).toISOString(), notes: {} },
    [
      { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: options.makerMinNotional ?? "0", priceScale: PRICE_SCALE, qtyScale: QTY_SCALE },
      { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "perp", tickSize: "0.0001", stepSize: options.asterStep ?? "0.01", minQty: options.asterMinQty ?? "0.01", minNotional: options.asterMinNotional ?? "0", priceScale: PRICE_SCALE, qtyScale: QTY_SCALE }
    ]
  )
  const idx = (venue: "bp" | "as") => (venue === "bp" ? 0 : 1)
  const sorted = [...ticks].sort((a, b) => a.t - b.t)
  for (const tick of sorted) {
    const ts = (start + tick.t) * 1000
    if ("quote" in tick) writer.appendQuote(idx(tick.venue), ts, p(tick.quote[0]), q(tick.quote[1]), p(tick.quote[2]), q(tick.quote[3]))
    else if ("trade" in tick) writer.appendTrade(idx(tick.venue), ts, p(tick.trade[0]), q(tick.trade[1]), tick.trade[2])
    else writer.appendDepth(idx(tick.venue), ts, { bids: tick.depth.bids.map(([a, b]) => [p(a), q(b)] as const), asks: tick.depth.asks.map(([a, b]) => [p(a), q(b)] as const) })
  }
  for (const f of options.funding ?? []) writer.addFunding({ instrumentIdx: idx(f.venue), ts: (start + f.t) * 1000, rate: f.rate, markPrice: f.mark })
  for (const g of options.gaps ?? []) writer.addGap({ instrumentIdx: idx(g.venue), fromTs: (start + g.from) * 1000, toTs: (start + g.to) * 1000 })
  writer.finish()
  return file
}

/**
 * `seconds` of a market swinging gently around 2 (a sine of ±1 %): both venues quoted each second,
 * a Backpack trade each half second later, alternately taken by buyers and sellers. Enough to
 * fill and hedge some legs of a default config.
 */
export const writeSwingingScript = (seconds: number): string =>
  writeScript(
    Array.from({ length: seconds }, (_, s) => {
      const mid = 2 + Math.sin(s / 15) / 50
      return [
        { t: s * 1000, venue: "bp" as const, quote: [(mid - 0.0002).toFixed(4), "80", (mid + 0.0002).toFixed(4), "80"] as const },
        { t: s * 1000 + 2, venue: "as" as const, quote: [(mid - 0.0001).toFixed(4), "5", (mid + 0.0001).toFixed(4), "5"] as const },
        { t: s * 1000 + 500, venue: "bp" as const, trade: [mid.toFixed(4), "9", s % 2 ? "buy" : "sell"] as const }
      ]
    }).flat()
  )

export const venueOf = (short: "bp" | "as"): Venue => (short === "bp" ? "backpack" : "aster-futures")
