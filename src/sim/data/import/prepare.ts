/**
 * Turns a file's parsed rows into units at the instrument's scales, drops invalid rows (recording
 * why), re-sorts by time (stable), removes exact duplicates and drops trades reusing an aggregate id
 * with other values (keeping the first), counting every change for the summary.
 */
import type { DepthLevels } from "../../tickstore/types"
import type { Parsed } from "./rows"
import { type FileSummary, MAX_LINES_LISTED } from "./summary"
import { rescale } from "./units"

/** A file's rows converted to units, validated, sorted and deduplicated: `order` lists kept rows in time order. */
export interface Prepared {
  readonly parsed: Parsed
  readonly summary: FileSummary
  /** kept row indices, time order */
  readonly order: ReadonlyArray<number>
  /** units per row (NaN for invalid rows) */
  readonly u: [Float64Array, Float64Array, Float64Array, Float64Array]
  /** depth rows: levels in units */
  readonly depthLevels: Array<DepthLevels | undefined>
}

export const prepare = (parsed: Parsed, priceScale: number, qtyScale: number, tickU: number, stepU: number): Prepared => {
  const { rows, role } = parsed
  const n = rows.length
  const u: Prepared["u"] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)]
  const depthLevels: Array<DepthLevels | undefined> = []
  let invalid = 0
  let crossed = 0
  const invalidLines: Array<{ line: number; reason: string }> = []
  const valid: Array<number> = []
  /** per row: 1 = trade price off the tick grid, 2 = a quantity off the step grid */
  const off = new Uint8Array(n)
  // scales cover every decimal seen, so rescale only fails on overflow (NaN)
  const price = (m: number, d: number): number => rescale(m, d, priceScale)
  const qty = (m: number, d: number): number => rescale(m, d, qtyScale)
  const bookPrice = (m: number, d: number): number => {
    const x = rescale(m, d, priceScale)
    return x % tickU === 0 ? x : NaN
  }
  for (let i = 0; i < n; i++) {
    let reason: string | undefined
    let rowOffStep = false
    if (role === "trades") {
      const p = price(rows.m[0][i]!, rows.d[0][i]!)
      const q = qty(rows.m[1][i]!, rows.d[1][i]!)
      u[0][i] = p
      u[1][i] = q
      if (Number.isNaN(p) || Number.isNaN(q)) reason = "value too large"
      else if (p <= 0) reason = "non-positive price"
      else if (q <= 0) reason = "non-positive quantity"
      else {
        if (p % tickU !== 0) off[i] = off[i]! | 1
        rowOffStep = q % stepU !== 0
      }
    } else {
      const bid = bookPrice(rows.m[0][i]!, rows.d[0][i]!)
      const bq = qty(rows.m[1][i]!, rows.d[1][i]!)
      const ask = bookPrice(rows.m[2][i]!, rows.d[2][i]!)
      const aq = qty(rows.m[3][i]!, rows.d[3][i]!)
      u[0][i] = bid
      u[1][i] = bq
      u[2][i] = ask
      u[3][i] = aq
      rowOffStep = bq % stepU !== 0 || aq % stepU !== 0
      if (Number.isNaN(bid) || Number.isNaN(ask)) reason = "book price not on the tick grid"
      else if (Number.isNaN(bq) || Number.isNaN(aq)) reason = "value too large"
      else if (bid <= 0 || ask <= 0) reason = "non-positive price"
      else if (bq < 0 || aq < 0) reason = "negative quantity"
      else if (bid >= ask) {
        reason = `crossed quote (bid ≥ ask)`
        crossed++
      }
      if (role === "depth") {
        const lv = rows.levels[i]!
        const bids: Array<readonly [number, number]> = []
        const asks: Array<readonly [number, number]> = []
        for (let k = 0; k < lv.bm.length && reason === undefined; k += 2) {
          const p = bookPrice(lv.bm[k]!, lv.bd[k]!)
          const q = qty(lv.bm[k + 1]!, lv.bd[k + 1]!)
          if (q % stepU !== 0) rowOffStep = true
          if (Number.isNaN(p) || Number.isNaN(q) || p <= 0 || q < 0) reason = `invalid bid level ${k / 2}`
          else if (bids.length > 0 && p >= bids[bids.length - 1]![0]) reason = `bid levels not descending at level ${k / 2}`
          else bids.push([p, q])
        }
        for (let k = 0; k < lv.am.length && reason === undefined; k += 2) {
          const p = bookPrice(lv.am[k]!, lv.ad[k]!)
          const q = qty(lv.am[k + 1]!, lv.ad[k + 1]!)
          if (q % stepU !== 0) rowOffStep = true
          if (Number.isNaN(p) || Number.isNaN(q) || p <= 0 || q < 0) reason = `invalid ask level ${k / 2}`
          else if (asks.length > 0 && p <= asks[asks.length - 1]![0]) reason = `ask levels not ascending at level ${k / 2}`
          else asks.push([p, q])
        }
        depthLevels.push(reason === undefined ? { bids, asks } : undefined)
      }
    }
    if (reason !== undefined) {
      invalid++
      if (invalidLines.length < MAX_LINES_LISTED) invalidLines.push({ line: rows.line[i]!, reason })
    } else {
      valid.push(i)
      if (rowOffStep) off[i] = off[i]! | 2
    }
  }

  // ordering statistics over the valid rows in file order
  let outOfOrder = 0
  let moved = 0
  let maxTs = -Infinity
  let prevTs = -Infinity
  for (const i of valid) {
    const t = rows.ts[i]!
    if (t < prevTs) outOfOrder++
    if (t < maxTs) moved++
    if (t > maxTs) maxTs = t
    prevTs = t
  }
  const sorted = moved === 0 ? valid : [...valid].sort((a, b) => rows.ts[a]! - rows.ts[b]! || a - b)

  // exact duplicates (trades: and rows conflicting over an aggregate id)
  const order: Array<number> = []
  let duplicates = 0
  let idConflicts = 0
  const idConflictLines: Array<{ line: number; firstLine: number }> = []
  if (role === "trades") {
    // an aggregate id names one trade: a row repeating it with the same time, side, price and
    // quantity is an exact duplicate; with other values the rows conflict and the first in file
    // order is kept (by file order, so which one survives does not hang on the disputed timestamp)
    const firstOf = new Map<number, number>()
    const dropped = new Uint8Array(n)
    for (const i of valid) {
      const id = rows.id[i]!
      const k = firstOf.get(id)
      if (k === undefined) {
        firstOf.set(id, i)
        continue
      }
      dropped[i] = 1
      if (rows.ts[i] === rows.ts[k] && rows.side[i] === rows.side[k] && u[0][i] === u[0][k] && u[1][i] === u[1][k]) duplicates++
      else {
        idConflicts++
        if (idConflictLines.length < MAX_LINES_LISTED) idConflictLines.push({ line: rows.line[i]!, firstLine: rows.line[k]! })
      }
    }
    for (const i of sorted) if (dropped[i] === 0) order.push(i)
  } else {
    const same = (a: number, b: number): boolean => {
      if (!(u[0][a] === u[0][b] && u[1][a] === u[1][b] && u[2][a] === u[2][b] && u[3][a] === u[3][b])) return false
      const ia = rows.id[a]!
      const ib = rows.id[b]!
      if (!(ia === ib || (Number.isNaN(ia) && Number.isNaN(ib)))) return false
      if (role !== "depth") return true
      const la = depthLevels[a]!
      const lb = depthLevels[b]!
      const eqSide = (x: DepthLevels["bids"], y: DepthLevels["bids"]): boolean =>
        x.length === y.length && x.every((l, k) => l[0] === y[k]![0] && l[1] === y[k]![1])
      return eqSide(la.bids, lb.bids) && eqSide(la.asks, lb.asks)
    }
    let groupStart = 0
    for (const i of sorted) {
      const t = rows.ts[i]!
      if (order.length === 0 || rows.ts[order[order.length - 1]!]! !== t) groupStart = order.length
      let dup = false
      for (let k = groupStart; k < order.length && !dup; k++) dup = same(order[k]!, i)
      if (dup) duplicates++
      else order.push(i)
    }
  }

  let offTick = 0
  let offStep = 0
  for (const i of order) {
    if ((off[i]! & 1) !== 0) offTick++
    if ((off[i]! & 2) !== 0) offStep++
  }
  const summary: FileSummary = {
    role,
    file: parsed.file,
    format: parsed.detected.format,
    header: parsed.detected.header,
    rowsRead: parsed.rowsRead,
    unparseable: parsed.unparseable,
    unparseableLines: parsed.unparseableLines,
    invalid,
    crossed,
    invalidLines,
    offTickTrades: offTick,
    offStepQuantities: offStep,
    outOfOrder,
    rowsMovedBySort: moved,
    duplicates,
    idConflicts,
    idConflictLines,
    rowsKept: order.length,
    firstTs: order.length > 0 ? rows.ts[order[0]!]! : NaN,
    lastTs: order.length > 0 ? rows.ts[order[order.length - 1]!]! : NaN
  }
  return { parsed, summary, order, u, depthLevels }
}
