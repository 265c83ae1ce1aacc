/**
 * Imports recorded CSV market data into a tick file (src/sim/tickstore): the column format of the
 * public Aster collector (bbo.csv, aggtrades.csv, depth10.csv) and Binance-style public-data CSVs
 * (aggTrades, bookTicker), optionally deriving a proxy feed for a venue that has no recording.
 *
 * Real recordings are messy; the importer re-sorts by time (stable), drops exact duplicates,
 * crossed / invalid quotes and unparseable lines, records gaps, and returns a summary of every
 * change (also stored in meta.notes.import).
 *
 * Decimals are converted exactly: each decimal text is split into an integer mantissa and its
 * number of significant decimals by string scanning (no float ever holds a fractional price), then
 * scaled by an integer power of ten. Timestamps in float seconds are cut to µs on the text.
 */
import * as fs from "node:fs"
import { BigDecimal, Option, Schema } from "effect"
import { type Decimal, DecimalInput, decimalsOf, formatDecimal, fromUnits, parseDecimal, toUnits } from "../../core/domain/decimal"
import type { Venue } from "../../core/domain/venue"
import type { DataMeta, DepthLevels, StoredInstrument } from "../tickstore/types"
import { createTickFile, type TickFileWriter } from "../tickstore/writer"

// ---------------------------------------------------------------------------------------------
// Public shapes
// ---------------------------------------------------------------------------------------------

export type CsvFormat = "aster-bbo" | "aster-aggtrades" | "aster-depth10" | "binance-aggtrades" | "binance-bookticker"

export interface ProxyOptions {
  readonly venue: Venue
  readonly symbol: string
  /** basis of the proxy over the source, bps (decimal); prices × (1 + basisBps/10⁴). Default 0. */
  readonly basisBps?: number | string
  /** extra half-spread on each side, bps of the basis-adjusted mid. Default 0. */
  readonly spreadBps?: number | string
  /** delay of every proxy tick after its source tick, ms. Default 0. */
  readonly latencyMs?: number
  /** proxy trade (and known quote) size = source size × volumeRatio, floored to step. Default 1. */
  readonly volumeRatio?: number | string
  readonly tickSize?: string
  readonly stepSize?: string
  readonly minQty?: string
  readonly minNotional?: string
}

export interface ImportAsterCsvOptions {
  readonly trades?: string
  readonly quotes?: string
  readonly depth?: string
  readonly venue: Venue
  readonly symbol: string
  readonly out: string
  readonly proxy?: ProxyOptions
  /** added to the timestamps of the quotes and depth files (local receive clock), ms. Default 0. */
  readonly quoteClockOffsetMs?: number
  /** a gap is recorded when an instrument has no tick for longer than this. Default 30. */
  readonly gapSeconds?: number
  /** instrument filters of the imported venue; inferred from the data when absent */
  readonly tickSize?: string
  readonly stepSize?: string
  readonly minQty?: string
  /** default 5 for aster-futures, else 0 */
  readonly minNotional?: string
  readonly base?: string
  readonly quote?: string
  readonly kind?: "spot" | "perp"
  /** synthesize funding events every intervalHours (UTC multiples) for perp instruments */
  readonly funding?: { readonly intervalHours: number; readonly rate: string }
  /** meta.created_at; default now */
  readonly createdAt?: string
}

export interface FileSummary {
  readonly role: "trades" | "quotes" | "depth"
  readonly file: string
  readonly format: CsvFormat
  readonly header: boolean
  /** non-empty lines after the header */
  readonly rowsRead: number
  /** lines that could not be parsed (wrong column count, not a number, unknown side) */
  readonly unparseable: number
  /** line numbers (1-based, header included) of the first few */
  readonly unparseableLines: ReadonlyArray<number>
  /** parseable rows with impossible values (crossed or non-positive quote, book price off the tick grid, non-positive trade) */
  readonly invalid: number
  /** of which crossed quotes (bid ≥ ask) */
  readonly crossed: number
  readonly invalidLines: ReadonlyArray<{ readonly line: number; readonly reason: string }>
  /** kept trades whose price is off the tick grid (aggregate trades may carry an average price); stored exactly */
  readonly offTickTrades: number
  /** kept rows with a quantity off the step grid; stored exactly */
  readonly offStepQuantities: number
  /** valid rows whose timestamp is earlier than the previous valid row's (non-monotonic steps) */
  readonly outOfOrder: number
  /** valid rows earlier than the latest timestamp before them (rows the stable sort moved back) */
  readonly rowsMovedBySort: number
  /** exact duplicates removed after sorting (same timestamp and values; trades: same aggregate id) */
  readonly duplicates: number
  readonly rowsKept: number
  /** µs, of the kept rows after clock offset; NaN when none */
  readonly firstTs: number
  readonly lastTs: number
}

export interface InstrumentSummary {
  readonly idx: number
  readonly venue: Venue
  readonly symbol: string
  readonly quotes: number
  readonly trades: number
  readonly depth: number
  readonly gaps: number
  /** the first few gaps (µs) */
  readonly gapList: ReadonlyArray<{ readonly fromTs: number; readonly toTs: number }>
  readonly funding: number
}

export interface ImportSummary {
  readonly out: string
  readonly instruments: ReadonlyArray<StoredInstrument>
  /** which filters were inferred from the data or assumed (rather than given) */
  readonly assumptions: ReadonlyArray<string>
  readonly files: ReadonlyArray<FileSummary>
  readonly clockOffsetMs: number
  readonly gapSeconds: number
  readonly perInstrument: ReadonlyArray<InstrumentSummary>
  readonly proxy?: {
    readonly venue: Venue
    readonly symbol: string
    readonly from: Venue
    readonly parameters: Record<string, string | number>
    readonly quotesDerived: number
    /** proxy quotes dropped because the derived bid was not positive */
    readonly quotesDropped: number
    readonly tradesDerived: number
    /** proxy trades dropped because qty × volumeRatio floored to 0 steps */
    readonly tradesDroppedZeroQty: number
  }
  readonly funding?: { readonly intervalHours: number; readonly rate: string; readonly events: number; readonly assumed: true }
  readonly tickCount: number
  readonly firstTs: number
  readonly lastTs: number
}

// ---------------------------------------------------------------------------------------------
// Exact text → number helpers (exported for tests)
// ---------------------------------------------------------------------------------------------

/** Mantissa and significant decimals of the last `scanDecimal` (scratch, no allocation). */
let decM = 0
let decD = 0

/**
 * Scans a decimal text such as "2.241200" or "-3" (the `parseDecimal` syntax: no exponent, no
 * leading dot) into decM = 22412, decD = 4 (trailing zeros dropped). False when not a decimal or
 * when the mantissa does not fit a safe integer.
 */
const scanDecimal = (s: string): boolean => {
  const len = s.length
  let i = 0
  let neg = false
  if (len > 0 && s.charCodeAt(0) === 45) {
    neg = true
    i = 1
  }
  let m = 0
  let d = 0
  let intDigits = 0
  let fracDigits = 0
  let dot = false
  let zeros = 0
  for (; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (dot || intDigits === 0) return false
      dot = true
      continue
    }
    if (c < 48 || c > 57) return false
    if (!dot) {
      intDigits++
      m = m * 10 + (c - 48)
    } else {
      fracDigits++
      if (c === 48) {
        zeros++
        continue
      }
      for (; zeros > 0; zeros--) {
        m *= 10
        d++
      }
      m = m * 10 + (c - 48)
      d++
    }
    if (m > Number.MAX_SAFE_INTEGER) return false
  }
  if (intDigits === 0 || (dot && fracDigits === 0)) return false
  decM = neg && m !== 0 ? -m : m
  decD = d
  return true
}

const POW10: ReadonlyArray<number> = Array.from({ length: 16 }, (_, i) => 10 ** i)

/** mantissa × 10^(scale − decimals) as an exact integer, NaN if not representable at `scale`. */
const rescale = (m: number, d: number, scale: number): number => {
  if (d > scale) return NaN
  const k = scale - d
  if (k >= POW10.length) return NaN
  const u = m * POW10[k]!
  return Number.isSafeInteger(u) ? u : NaN
}

/** Exact scaled integer of a decimal text (`"2.2412"`, 4 → 22412); NaN if not a decimal or not exact at `scale`. */
export const decimalTextToUnits = (text: string, scale: number): number => (scanDecimal(text) ? rescale(decM, decD, scale) : NaN)

/** Number of significant decimals of a decimal text ("2.241200" → 4); NaN if not a decimal. */
export const significantDecimals = (text: string): number => (scanDecimal(text) ? decD : NaN)

/** Float seconds as text ("1758699465.1337595") → integer µs, sub-µs digits truncated; NaN if invalid. */
export const secondsTextToUs = (text: string): number => {
  const dot = text.indexOf(".")
  const intPart = dot < 0 ? text : text.slice(0, dot)
  const frac = dot < 0 ? "" : text.slice(dot + 1)
  if (!/^\d+$/.test(intPart) || (dot >= 0 && !/^\d+$/.test(frac))) return NaN
  const us = Number(intPart) * 1_000_000 + Number((frac + "000000").slice(0, 6))
  return Number.isSafeInteger(us) ? us : NaN
}

/** Integer epoch time text in ms (or µs when > 10¹⁴) → µs; NaN if invalid. */
export const epochIntTextToUs = (text: string): number => {
  if (!/^\d{1,16}$/.test(text)) return NaN
  const v = Number(text)
  const us = v > 1e14 ? v : v * 1000
  return Number.isSafeInteger(us) ? us : NaN
}

/** ms (a JS number written in decimal, at most µs precision) → integer µs. */
const msToUs = (ms: number, what: string): number => {
  const us = Math.round(ms * 1000)
  if (!Number.isFinite(ms) || Math.abs(us - ms * 1000) > 1e-6 * Math.max(1, Math.abs(ms))) throw new Error(`${what} must be a number of ms with at most 3 decimals, got ${ms}`)
  return us
}

// ---------------------------------------------------------------------------------------------
// Format detection
// ---------------------------------------------------------------------------------------------

const EXPECTED: Record<"trades" | "quotes" | "depth", string> = {
  trades:
    "Aster aggtrades columns `id,unix_timestamp_ms,side,price,quantity` or Binance aggTrades `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]` (header optional)",
  quotes:
    "Aster bbo columns `unix_timestamp,bid,ask[,mid]` or Binance bookTicker `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time` (header optional)",
  depth: "Aster depth columns `unix_timestamp,lastUpdateId,bid_price_0,bid_qty_0,…,ask_price_0,ask_qty_0,…`"
}

interface Detected {
  readonly format: CsvFormat
  readonly header: boolean
  /** depth: number of levels per side and the column of each level's price/qty */
  readonly depthColumns?: { readonly bids: ReadonlyArray<readonly [number, number]>; readonly asks: ReadonlyArray<readonly [number, number]> }
}

const isNum = (s: string): boolean => /^-?\d+(\.\d+)?$/.test(s)

const sameColumns = (cols: ReadonlyArray<string>, expected: ReadonlyArray<string>): boolean =>
  cols.length === expected.length && expected.every((e, i) => cols[i] === e)

const detect = (file: string, role: "trades" | "quotes" | "depth", firstLine: string | undefined, lineNo: number): Detected => {
  const unexpected = (what: string): never => {
    throw new Error(`${file}: line ${lineNo}: ${what}; expected ${EXPECTED[role]}`)
  }
  if (firstLine === undefined) return unexpected("the file is empty")
  const cols = firstLine.split(",").map((c) => c.trim().toLowerCase())
  const shown = firstLine.length > 120 ? `${firstLine.slice(0, 120)}…` : firstLine
  let detected: Detected | undefined
  if (sameColumns(cols, ["id", "unix_timestamp_ms", "side", "price", "quantity"])) detected = { format: "aster-aggtrades", header: true }
  else if (sameColumns(cols, ["unix_timestamp", "bid", "ask", "mid"]) || sameColumns(cols, ["unix_timestamp", "bid", "ask"]))
    detected = { format: "aster-bbo", header: true }
  else if (
    sameColumns(cols.slice(0, 7), ["agg_trade_id", "price", "quantity", "first_trade_id", "last_trade_id", "transact_time", "is_buyer_maker"]) &&
    (cols.length === 7 || (cols.length === 8 && cols[7] === "is_best_match"))
  )
    detected = { format: "binance-aggtrades", header: true }
  else if (sameColumns(cols, ["update_id", "best_bid_price", "best_bid_qty", "best_ask_price", "best_ask_qty", "transaction_time", "event_time"]))
    detected = { format: "binance-bookticker", header: true }
  else if (cols[0] === "unix_timestamp" && cols[1] === "lastupdateid") {
    const index = new Map(cols.map((c, i) => [c, i]))
    const side = (name: "bid" | "ask"): Array<readonly [number, number]> => {
      const levels: Array<readonly [number, number]> = []
      for (let k = 0; index.has(`${name}_price_${k}`); k++) {
        const q = index.get(`${name}_qty_${k}`)
        if (q === undefined) unexpected(`column ${name}_price_${k} has no ${name}_qty_${k}`)
        levels.push([index.get(`${name}_price_${k}`)!, q!])
      }
      return levels
    }
    const bids = side("bid")
    const asks = side("ask")
    if (bids.length === 0 || asks.length === 0 || 2 + 2 * (bids.length + asks.length) !== cols.length)
      unexpected(`unrecognised depth columns "${shown}"`)
    detected = { format: "aster-depth10", header: true, depthColumns: { bids, asks } }
  } else if (cols.every((c, i) => isNum(c) || ((cols.length === 7 || cols.length === 8) && i >= 6 && (c === "true" || c === "false")))) {
    if ((cols.length === 7 || cols.length === 8) && (cols[6] === "true" || cols[6] === "false")) detected = { format: "binance-aggtrades", header: false }
    else if (cols.length === 7) detected = { format: "binance-bookticker", header: false }
  }
  if (detected === undefined) return unexpected(`unrecognised columns "${shown}"`)
  const roleOf: Record<CsvFormat, "trades" | "quotes" | "depth"> = {
    "aster-aggtrades": "trades",
    "binance-aggtrades": "trades",
    "aster-bbo": "quotes",
    "binance-bookticker": "quotes",
    "aster-depth10": "depth"
  }
  if (roleOf[detected.format] !== role) unexpected(`found ${detected.format} columns, but this was given as the ${role} file`)
  return detected
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** Calls f for every line (without line terminator), streaming the file in 1 MiB chunks. */
const forEachLine = (file: string, f: (line: string, lineNo: number) => void): void => {
  const fd = fs.openSync(file, "r")
  const buf = Buffer.allocUnsafe(1 << 20)
  const decoder = new TextDecoder("utf-8")
  let rest = ""
  let lineNo = 0
  const emit = (line: string): void => {
    if (lineNo === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1)
    f(line.endsWith("\r") ? line.slice(0, -1) : line, ++lineNo)
  }
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      const text = rest + decoder.decode(buf.subarray(0, n), { stream: true })
      let start = 0
      for (;;) {
        const nl = text.indexOf("\n", start)
        if (nl < 0) break
        emit(text.slice(start, nl))
        start = nl + 1
      }
      rest = text.slice(start)
    }
    rest += decoder.decode()
    if (rest.length > 0) emit(rest)
  } finally {
    fs.closeSync(fd)
  }
}

const MAX_LINES_LISTED = 5

/** Parsed rows of one file, columnar; decimals as (mantissa, significant decimals). */
class Rows {
  readonly ts: Array<number> = []
  readonly line: Array<number> = []
  /** quotes: bid, bidQty, ask, askQty; trades: price, qty, -, -  (mantissa / decimals pairs) */
  readonly m: [Array<number>, Array<number>, Array<number>, Array<number>] = [[], [], [], []]
  readonly d: [Array<number>, Array<number>, Array<number>, Array<number>] = [[], [], [], []]
  /** trades: 1 = taker bought, 2 = taker sold */
  readonly side: Array<number> = []
  /** trades: aggregate id; quotes: update id or NaN */
  readonly id: Array<number> = []
  /** depth rows: levels as (mantissa, decimals) runs: price, qty, price, qty… */
  readonly levels: Array<{ readonly bm: Array<number>; readonly bd: Array<number>; readonly am: Array<number>; readonly ad: Array<number> }> = []
  get length(): number {
    return this.ts.length
  }
}

interface Parsed {
  readonly role: "trades" | "quotes" | "depth"
  readonly file: string
  readonly detected: Detected
  readonly rows: Rows
  readonly rowsRead: number
  readonly unparseable: number
  readonly unparseableLines: ReadonlyArray<number>
}

/** Most significant decimals seen (−1: no such value seen). */
interface ScaleStats {
  bookPriceDecimals: number
  tradePriceDecimals: number
  qtyDecimals: number
}

const readFile = (file: string, role: "trades" | "quotes" | "depth", offsetUs: number, stats: ScaleStats): Parsed => {
  if (!fs.existsSync(file)) throw new Error(`${role} file not found: ${file}`)
  if (!fs.statSync(file).isFile()) throw new Error(`${role} file is not a regular file: ${file}`)
  const rows = new Rows()
  let detected: Detected | undefined
  let rowsRead = 0
  let unparseable = 0
  const unparseableLines: Array<number> = []
  const bad = (lineNo: number): void => {
    unparseable++
    if (unparseableLines.length < MAX_LINES_LISTED) unparseableLines.push(lineNo)
  }
  // scratch for one row's decimals
  const rm = [0, 0, 0, 0]
  const rd = [0, 0, 0, 0]
  const statKey = role === "trades" ? "tradePriceDecimals" : "bookPriceDecimals"
  const dec = (text: string | undefined, k: number, isQty: boolean): boolean => {
    if (text === undefined || !scanDecimal(text.trim())) return false
    rm[k] = decM
    rd[k] = decD
    if (isQty) {
      if (decD > stats.qtyDecimals) stats.qtyDecimals = decD
    } else if (decD > stats[statKey]) stats[statKey] = decD
    return true
  }
  const pushRow = (ts: number, lineNo: number, side: number, id: number): void => {
    rows.ts.push(ts)
    rows.line.push(lineNo)
    for (let k = 0; k < 4; k++) {
      rows.m[k]!.push(rm[k]!)
      rows.d[k]!.push(rd[k]!)
    }
    rows.side.push(side)
    rows.id.push(id)
  }
  // the scale stats must only count rows that parse completely: collect into a local copy first
  const saved = { ...stats }
  const restore = (): void => {
    Object.assign(stats, saved)
  }
  const commit = (): void => {
    Object.assign(saved, stats)
  }

  forEachLine(file, (line, lineNo) => {
    if (detected === undefined) {
      if (line.trim() === "") return
      detected = detect(file, role, line, lineNo)
      if (detected.header) return
    }
    if (line.trim() === "") return
    rowsRead++
    const f = line.split(",")
    const fail = (): void => {
      restore()
      bad(lineNo)
    }
    rm.fill(0)
    rd.fill(0)
    switch (detected.format) {
      case "aster-bbo": {
        if (f.length !== 3 && f.length !== 4) return fail()
        const ts = secondsTextToUs(f[0]!.trim())
        if (Number.isNaN(ts) || !dec(f[1], 0, false) || !dec(f[2], 2, false)) return fail()
        if (f.length === 4 && !isNum(f[3]!.trim())) return fail()
        pushRow(ts + offsetUs, lineNo, 0, NaN)
        break
      }
      case "binance-bookticker": {
        if (f.length !== 7) return fail()
        const id = f[0]!.trim()
        let ts = epochIntTextToUs(f[5]!.trim())
        if (Number.isNaN(ts) || ts === 0) ts = epochIntTextToUs(f[6]!.trim())
        if (!/^\d+$/.test(id) || Number.isNaN(ts) || !dec(f[1], 0, false) || !dec(f[2], 1, true) || !dec(f[3], 2, false) || !dec(f[4], 3, true))
          return fail()
        pushRow(ts + offsetUs, lineNo, 0, Number(id))
        break
      }
      case "aster-aggtrades": {
        if (f.length !== 5) return fail()
        const id = f[0]!.trim()
        const ts = epochIntTextToUs(f[1]!.trim())
        const sideText = f[2]!.trim().toLowerCase()
        const side = sideText === "buy" ? 1 : sideText === "sell" ? 2 : 0
        if (!/^\d+$/.test(id) || Number.isNaN(ts) || side === 0 || !dec(f[3], 0, false) || !dec(f[4], 1, true)) return fail()
        pushRow(ts, lineNo, side, Number(id))
        break
      }
      case "binance-aggtrades": {
        if (f.length !== 7 && f.length !== 8) return fail()
        const id = f[0]!.trim()
        const ts = epochIntTextToUs(f[5]!.trim())
        const maker = f[6]!.trim().toLowerCase()
        // is_buyer_maker: the buyer rested, so the taker sold
        const side = maker === "true" ? 2 : maker === "false" ? 1 : 0
        if (!/^\d+$/.test(id) || Number.isNaN(ts) || side === 0 || !dec(f[1], 0, false) || !dec(f[2], 1, true)) return fail()
        pushRow(ts, lineNo, side, Number(id))
        break
      }
      case "aster-depth10": {
        const cols = detected.depthColumns!
        if (f.length !== 2 + 2 * (cols.bids.length + cols.asks.length)) return fail()
        const ts = secondsTextToUs(f[0]!.trim())
        const id = f[1]!.trim()
        if (Number.isNaN(ts) || !/^\d+$/.test(id)) return fail()
        const lv = { bm: [] as Array<number>, bd: [] as Array<number>, am: [] as Array<number>, ad: [] as Array<number> }
        for (const [pi, qi] of cols.bids) {
          if (!dec(f[pi], 0, false)) return fail()
          lv.bm.push(decM)
          lv.bd.push(decD)
          if (!dec(f[qi], 1, true)) return fail()
          lv.bm.push(decM)
          lv.bd.push(decD)
        }
        for (const [pi, qi] of cols.asks) {
          if (!dec(f[pi], 2, false)) return fail()
          lv.am.push(decM)
          lv.ad.push(decD)
          if (!dec(f[qi], 3, true)) return fail()
          lv.am.push(decM)
          lv.ad.push(decD)
        }
        // the top-of-book quote: level 0 of each side
        rm[0] = lv.bm[0]!
        rd[0] = lv.bd[0]!
        rm[1] = lv.bm[1]!
        rd[1] = lv.bd[1]!
        rm[2] = lv.am[0]!
        rd[2] = lv.ad[0]!
        rm[3] = lv.am[1]!
        rd[3] = lv.ad[1]!
        pushRow(ts + offsetUs, lineNo, 0, Number(id))
        rows.levels.push(lv)
        break
      }
    }
    commit()
  })
  if (detected === undefined) return detect(file, role, undefined, 1) as never
  return { role, file, detected, rows, rowsRead, unparseable, unparseableLines }
}

// ---------------------------------------------------------------------------------------------
// Validation, ordering, dedup
// ---------------------------------------------------------------------------------------------

/** A file's rows converted to units, validated, sorted and deduplicated: `order` lists kept rows in time order. */
interface Prepared {
  readonly parsed: Parsed
  readonly summary: FileSummary
  /** kept row indices, time order */
  readonly order: ReadonlyArray<number>
  /** units per row (NaN for invalid rows) */
  readonly u: [Float64Array, Float64Array, Float64Array, Float64Array]
  /** depth rows: levels in units */
  readonly depthLevels: Array<DepthLevels | undefined>
}

const prepare = (parsed: Parsed, priceScale: number, qtyScale: number, tickU: number, stepU: number): Prepared => {
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

  // exact duplicates
  const order: Array<number> = []
  let duplicates = 0
  if (role === "trades") {
    const seen = new Set<number>()
    for (const i of sorted) {
      const id = rows.id[i]!
      if (seen.has(id)) duplicates++
      else {
        seen.add(id)
        order.push(i)
      }
    }
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
    rowsKept: order.length,
    firstTs: order.length > 0 ? rows.ts[order[0]!]! : NaN,
    lastTs: order.length > 0 ? rows.ts[order[order.length - 1]!]! : NaN
  }
  return { parsed, summary, order, u, depthLevels }
}

// ---------------------------------------------------------------------------------------------
// Instruments and proxy math
// ---------------------------------------------------------------------------------------------

const KNOWN_QUOTES = ["FDUSD", "USDT", "USDC", "USD1", "BUSD", "USD"]

const splitSymbol = (symbol: string): { base: string; quote: string; perp: boolean } => {
  const parts = symbol.split("_")
  if (parts.length >= 2) return { base: parts[0]!, quote: parts[1]!, perp: parts.includes("PERP") }
  const upper = symbol.toUpperCase()
  for (const q of KNOWN_QUOTES) if (upper.endsWith(q) && upper.length > q.length) return { base: symbol.slice(0, -q.length), quote: symbol.slice(-q.length), perp: false }
  return { base: symbol, quote: "", perp: false }
}

const decimalOption = (value: string, what: string, positive: boolean): Decimal => {
  const d = Option.getOrUndefined(parseDecimal(value))
  if (d === undefined) throw new Error(`${what} must be a decimal number, got "${value}"`)
  if (positive ? !BigDecimal.isPositive(d) : BigDecimal.isNegative(d)) throw new Error(`${what} must be ${positive ? "positive" : "non-negative"}, got "${value}"`)
  return d
}

const decodeDecimalInput = Schema.decodeUnknownSync(DecimalInput)
const decimalParam = (value: number | string, what: string): Decimal => {
  try {
    return decodeDecimalInput(value)
  } catch {
    throw new Error(`${what} must be a decimal number, got ${JSON.stringify(value)}`)
  }
}

/** [numerator, denominator] of a decimal. */
const ratio = (d: Decimal): readonly [bigint, bigint] => (d.scale >= 0 ? [d.value, 10n ** BigInt(d.scale)] : [d.value * 10n ** BigInt(-d.scale), 1n])

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b)

/** The proxy derivation, exact in BigInt (see data/README.md). */
class ProxyMath {
  private readonly fN: bigint
  private readonly fD: bigint
  private readonly sN: bigint
  private readonly sD: bigint
  private readonly rN: bigint
  private readonly rD: bigint
  private readonly pricePow: bigint
  private readonly priceDen: bigint
  private readonly qtyPow: bigint
  private readonly qtyDen: bigint
  private readonly tick: bigint
  private readonly step: bigint
  constructor(
    basisBps: Decimal,
    spreadBps: Decimal,
    volumeRatio: Decimal,
    srcPriceScale: number,
    srcQtyScale: number,
    proxyPriceScale: number,
    proxyQtyScale: number,
    proxyTickU: number,
    proxyStepU: number
  ) {
    const [bN, bD] = ratio(basisBps)
    // f = 1 + basisBps / 10^4
    this.fN = bD * 10000n + bN
    this.fD = bD * 10000n
    const [sN, sD] = ratio(spreadBps)
    this.sN = sN
    this.sD = sD * 10000n
    const [rN, rD] = ratio(volumeRatio)
    this.rN = rN
    this.rD = rD
    this.tick = BigInt(proxyTickU)
    this.step = BigInt(proxyStepU)
    this.pricePow = 10n ** BigInt(proxyPriceScale)
    this.priceDen = 10n ** BigInt(srcPriceScale)
    this.qtyPow = 10n ** BigInt(proxyQtyScale)
    this.qtyDen = 10n ** BigInt(srcQtyScale)
  }
  /** bid' = f·bid − s·f·(bid+ask)/2 floored to the tick, ask' = f·ask + s·f·(bid+ask)/2 ceiled; units of the proxy. */
  quote(bidU: number, askU: number): readonly [number, number] {
    const bid = BigInt(bidU)
    const ask = BigInt(askU)
    const den = this.fD * 2n * this.sD * this.priceDen * this.tick
    const half = this.sN * (bid + ask)
    const bidN = this.fN * (2n * this.sD * bid - half) * this.pricePow
    const askN = this.fN * (2n * this.sD * ask + half) * this.pricePow
    return [Number(floorDiv(bidN, den) * this.tick), Number(ceilDiv(askN, den) * this.tick)]
  }
  /** price × f rounded to the nearest proxy tick (half up). */
  tradePrice(priceU: number): number {
    const num = this.fN * BigInt(priceU) * this.pricePow
    const den = this.fD * this.priceDen * this.tick
    return Number(floorDiv(2n * num + den, 2n * den) * this.tick)
  }
  /** qty × volumeRatio floored to the proxy step. */
  qty(qtyU: number): number {
    const num = BigInt(qtyU) * this.rN * this.qtyPow
    const den = this.rD * this.qtyDen * this.step
    return Number(floorDiv(num, den) * this.step)
  }
}

// ---------------------------------------------------------------------------------------------
// The import
// ---------------------------------------------------------------------------------------------

const DEFAULT_PROXY_FILTERS: Record<string, { tickSize: string; stepSize: string; minQty: string; minNotional: string }> = {
  "backpack:ASTER_USDC_PERP": { tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "0" }
}

const isoUs = (us: number): string => (Number.isFinite(us) ? new Date(Math.floor(us / 1000)).toISOString() : "-")

/** Imports the given CSV files into a new tick file at `out`; returns (and stores in meta.notes.import) what it changed. */
export const importAsterCsv = (options: ImportAsterCsvOptions): ImportSummary => {
  if (options.trades === undefined && options.quotes === undefined && options.depth === undefined)
    throw new Error("nothing to import: give at least one of the trades, quotes or depth files")
  const gapSeconds = options.gapSeconds ?? 30
  if (!(gapSeconds > 0)) throw new Error(`gap seconds must be positive, got ${gapSeconds}`)
  const gapUs = Math.round(gapSeconds * 1e6)
  const clockOffsetMs = options.quoteClockOffsetMs ?? 0
  const offsetUs = msToUs(clockOffsetMs, "quote clock offset")
  const assumptions: Array<string> = []

  // 1. parse
  const stats: ScaleStats = { bookPriceDecimals: -1, tradePriceDecimals: -1, qtyDecimals: -1 }
  const parsed: Array<Parsed> = []
  if (options.trades !== undefined) parsed.push(readFile(options.trades, "trades", 0, stats))
  if (options.quotes !== undefined) parsed.push(readFile(options.quotes, "quotes", offsetUs, stats))
  if (options.depth !== undefined) parsed.push(readFile(options.depth, "depth", offsetUs, stats))

  // 2. the imported instrument's filters. Book prices (bid/ask/depth levels) lie on the tick grid;
  // aggregate trade prices need not (an aggregate of fills at several levels may print its average),
  // so the tick is inferred from book prices when there are any, and the price scale covers both.
  const label = `${options.venue} ${options.symbol}`
  const tickDecimals = stats.bookPriceDecimals >= 0 ? stats.bookPriceDecimals : Math.max(stats.tradePriceDecimals, 0)
  const inferredTick = formatDecimal(fromUnits(1n, tickDecimals))
  const inferredStep = formatDecimal(fromUnits(1n, Math.max(stats.qtyDecimals, 0)))
  const tickSize = decimalOption(options.tickSize ?? inferredTick, "tick size", true)
  const stepSize = decimalOption(options.stepSize ?? inferredStep, "step size", true)
  if (options.tickSize === undefined)
    assumptions.push(
      `${label} tick size ${inferredTick} inferred from the most significant decimals of the ${stats.bookPriceDecimals >= 0 ? "book (bid/ask/depth)" : "trade"} prices`
    )
  if (options.stepSize === undefined)
    assumptions.push(
      stats.qtyDecimals >= 0
        ? `${label} step size ${inferredStep} inferred from the most significant decimals of the quantities`
        : `${label} step size ${inferredStep} assumed: the files carry no quantities`
    )
  const minQty = decimalOption(options.minQty ?? formatDecimal(stepSize), "min qty", false)
  if (options.minQty === undefined) assumptions.push(`${label} min qty = step size (assumed)`)
  const defaultMinNotional = options.venue === "aster-futures" ? "5" : "0"
  const minNotional = decimalOption(options.minNotional ?? defaultMinNotional, "min notional", false)
  if (options.minNotional === undefined) assumptions.push(`${label} min notional ${defaultMinNotional} (assumed default)`)
  const priceScale = Math.max(decimalsOf(tickSize), stats.bookPriceDecimals, stats.tradePriceDecimals)
  const qtyScale = Math.max(decimalsOf(stepSize), stats.qtyDecimals)
  if (priceScale > 15 || qtyScale > 15) throw new Error(`${label}: more than 15 decimals in prices or quantities`)
  const tickU = Number(toUnits(tickSize, priceScale))
  const stepU = Number(toUnits(stepSize, qtyScale))
  const sym = splitSymbol(options.symbol)
  const source: Omit<StoredInstrument, "idx"> = {
    venue: options.venue,
    symbol: options.symbol,
    base: options.base ?? sym.base,
    quote: options.quote ?? sym.quote,
    kind: options.kind ?? (options.venue === "aster-futures" ? "perp" : options.venue === "aster-spot" ? "spot" : sym.perp ? "perp" : "spot"),
    tickSize: formatDecimal(tickSize),
    stepSize: formatDecimal(stepSize),
    minQty: formatDecimal(minQty),
    minNotional: formatDecimal(minNotional),
    priceScale,
    qtyScale
  }

  // 3. validate, order, dedup
  const prepared = parsed.map((p) => prepare(p, priceScale, qtyScale, tickU, stepU))
  const trades = prepared.find((p) => p.parsed.role === "trades")
  const quotes = prepared.find((p) => p.parsed.role === "quotes")
  const depth = prepared.find((p) => p.parsed.role === "depth")

  // 4. proxy instrument
  const px = options.proxy
  let proxyInstrument: Omit<StoredInstrument, "idx"> | undefined
  let proxyMath: ProxyMath | undefined
  let proxyLatencyUs = 0
  let proxyParameters: Record<string, string | number> = {}
  if (px !== undefined) {
    const key = `${px.venue}:${px.symbol}`
    const known = DEFAULT_PROXY_FILTERS[key]
    const filters = {
      tickSize: px.tickSize ?? known?.tickSize ?? source.tickSize,
      stepSize: px.stepSize ?? known?.stepSize ?? source.stepSize,
      minQty: px.minQty ?? known?.minQty ?? px.stepSize ?? known?.stepSize ?? source.stepSize,
      minNotional: px.minNotional ?? known?.minNotional ?? "0"
    }
    if (px.tickSize === undefined || px.stepSize === undefined || px.minQty === undefined || px.minNotional === undefined)
      assumptions.push(
        `proxy ${key} filters assumed${known === undefined ? " (copied from the source instrument)" : ""}: tick ${filters.tickSize}, step ${filters.stepSize}, min qty ${filters.minQty}, min notional ${filters.minNotional}`
      )
    const pTick = decimalOption(filters.tickSize, "proxy tick size", true)
    const pStep = decimalOption(filters.stepSize, "proxy step size", true)
    const pSym = splitSymbol(px.symbol)
    proxyInstrument = {
      venue: px.venue,
      symbol: px.symbol,
      base: pSym.base,
      quote: pSym.quote,
      kind: px.venue === "aster-spot" ? "spot" : px.venue === "aster-futures" ? "perp" : pSym.perp ? "perp" : "spot",
      tickSize: formatDecimal(pTick),
      stepSize: formatDecimal(pStep),
      minQty: formatDecimal(decimalOption(filters.minQty, "proxy min qty", false)),
      minNotional: formatDecimal(decimalOption(filters.minNotional, "proxy min notional", false)),
      priceScale: decimalsOf(pTick),
      qtyScale: decimalsOf(pStep)
    }
    const basis = decimalParam(px.basisBps ?? 0, "proxy basis bps")
    const spread = decimalParam(px.spreadBps ?? 0, "proxy spread bps")
    const ratioD = decimalParam(px.volumeRatio ?? 1, "proxy volume ratio")
    const latencyMs = px.latencyMs ?? 0
    if (!BigDecimal.greaterThan(basis, BigDecimal.fromBigInt(-10000n))) throw new Error(`proxy basis bps must be above -10000, got ${formatDecimal(basis)}`)
    if (BigDecimal.isNegative(spread)) throw new Error(`proxy spread bps must be non-negative, got ${formatDecimal(spread)}`)
    if (!BigDecimal.isPositive(ratioD)) throw new Error(`proxy volume ratio must be positive, got ${formatDecimal(ratioD)}`)
    if (!(latencyMs >= 0)) throw new Error(`proxy latency ms must be non-negative, got ${latencyMs}`)
    proxyLatencyUs = msToUs(latencyMs, "proxy latency")
    proxyMath = new ProxyMath(
      basis,
      spread,
      ratioD,
      priceScale,
      qtyScale,
      proxyInstrument.priceScale,
      proxyInstrument.qtyScale,
      Number(toUnits(pTick, proxyInstrument.priceScale)),
      Number(toUnits(pStep, proxyInstrument.qtyScale))
    )
    proxyParameters = {
      fromSymbol: options.symbol,
      basisBps: formatDecimal(basis),
      spreadBps: formatDecimal(spread),
      latencyMs,
      volumeRatio: formatDecimal(ratioD)
    }
  }

  const instruments = proxyInstrument !== undefined ? [proxyInstrument, source] : [source]
  const srcIdx = instruments.length - 1
  const proxyIdx = proxyInstrument !== undefined ? 0 : -1

  // 5. funding schedule
  let fundingIntervalUs = 0
  let fundingRate = ""
  if (options.funding !== undefined) {
    if (!(options.funding.intervalHours > 0)) throw new Error(`funding interval hours must be positive, got ${options.funding.intervalHours}`)
    fundingIntervalUs = Math.round(options.funding.intervalHours * 3600e6)
    const rate = Option.getOrUndefined(parseDecimal(String(options.funding.rate)))
    if (rate === undefined) throw new Error(`funding rate must be a decimal number such as 0.0001, got "${options.funding.rate}"`)
    fundingRate = formatDecimal(rate)
  }

  // 6. write: merge the source events (depth + its quote, quotes, trades at equal times in that
  // order) with the proxy events (the same, delayed by the latency)
  const meta: Omit<DataMeta, "formatVersion"> = {
    source: `aster-csv ${[options.trades, options.quotes, options.depth].filter((f) => f !== undefined).join(" ")}`,
    synthetic: false,
    proxy: px === undefined ? [] : [{ venue: px.venue, symbol: px.symbol, from: options.venue, parameters: proxyParameters }],
    createdAt: options.createdAt ?? new Date().toISOString(),
    notes: {}
  }
  const writer: TickFileWriter = createTickFile(options.out, meta, instruments)
  try {
    // cursors over the three sorted sources
    class Cursor {
      t = 0
      q = 0
      d = 0
      constructor(readonly shift: number) {}
      /** 0 depth, 1 quote, 2 trade, -1 done; and its time */
      next(): [number, number] {
        let best = -1
        let bestTs = Infinity
        if (depth !== undefined && this.d < depth.order.length) {
          best = 0
          bestTs = depth.parsed.rows.ts[depth.order[this.d]!]!
        }
        if (quotes !== undefined && this.q < quotes.order.length) {
          const t = quotes.parsed.rows.ts[quotes.order[this.q]!]!
          if (t < bestTs) {
            best = 1
            bestTs = t
          }
        }
        if (trades !== undefined && this.t < trades.order.length) {
          const t = trades.parsed.rows.ts[trades.order[this.t]!]!
          if (t < bestTs) {
            best = 2
            bestTs = t
          }
        }
        return [best, bestTs + this.shift]
      }
    }
    const src = new Cursor(0)
    const prx = new Cursor(proxyLatencyUs)

    const counts = instruments.map(() => ({ quotes: 0, trades: 0, depth: 0, gaps: 0, gapList: [] as Array<{ fromTs: number; toTs: number }>, funding: 0 }))
    const lastTs = instruments.map(() => NaN)
    const lastMid2 = instruments.map(() => NaN) // bid + ask (twice the mid), units
    let proxyQuotesDerived = 0
    let proxyQuotesDropped = 0
    let proxyTradesDerived = 0
    let proxyTradesDropped = 0
    let nextFunding = NaN
    let fundingEvents = 0

    let firstWritten = NaN
    const touch = (idx: number, ts: number): void => {
      if (Number.isNaN(firstWritten)) firstWritten = ts
      const prev = lastTs[idx]!
      if (ts - prev > gapUs) {
        writer.addGap({ instrumentIdx: idx, fromTs: prev, toTs: ts })
        const c = counts[idx]!
        c.gaps++
        if (c.gapList.length < MAX_LINES_LISTED) c.gapList.push({ fromTs: prev, toTs: ts })
      }
      lastTs[idx] = ts
    }
    const fundingUntil = (ts: number): void => {
      // funding times strictly after the first tick and not after `ts`
      if (fundingIntervalUs === 0) return
      if (Number.isNaN(nextFunding)) {
        nextFunding = (Math.floor(ts / fundingIntervalUs) + 1) * fundingIntervalUs
        return
      }
      while (nextFunding <= ts) {
        instruments.forEach((inst, idx) => {
          const mid2 = lastMid2[idx]!
          if (inst.kind !== "perp" || Number.isNaN(mid2)) return
          writer.addFunding({ instrumentIdx: idx, ts: nextFunding, rate: fundingRate, markPrice: formatDecimal(fromUnits(BigInt(mid2) * 5n, inst.priceScale + 1)) })
          counts[idx]!.funding++
          fundingEvents++
        })
        nextFunding += fundingIntervalUs
      }
    }
    const quote = (idx: number, ts: number, bid: number, bq: number, ask: number, aq: number): void => {
      fundingUntil(ts)
      touch(idx, ts)
      writer.appendQuote(idx, ts, bid, bq, ask, aq)
      lastMid2[idx] = bid + ask
      counts[idx]!.quotes++
    }
    const proxyStepU = proxyInstrument === undefined ? 0 : Number(toUnits(decimalOption(proxyInstrument.stepSize, "proxy step size", true), proxyInstrument.qtyScale))

    /** Emits the next event of `c`: the source's own, or (proxy) its derived tick. */
    const emit = (c: Cursor, kind: number, ts: number, proxy: boolean): void => {
      if (kind === 0) {
        const p = depth!
        const i = p.order[c.d++]!
        const [u0, u1, u2, u3] = p.u
        if (!proxy) {
          fundingUntil(ts)
          touch(srcIdx, ts)
          writer.appendDepth(srcIdx, ts, p.depthLevels[i]!)
          counts[srcIdx]!.depth++
          quote(srcIdx, ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
        } else proxyQuote(ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
      } else if (kind === 1) {
        const p = quotes!
        const i = p.order[c.q++]!
        const [u0, u1, u2, u3] = p.u
        if (!proxy) quote(srcIdx, ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
        else proxyQuote(ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
      } else {
        const p = trades!
        const i = p.order[c.t++]!
        const side = p.parsed.rows.side[i] === 1 ? "buy" : "sell"
        const price = p.u[0][i]!
        const q = p.u[1][i]!
        if (!proxy) {
          fundingUntil(ts)
          touch(srcIdx, ts)
          writer.appendTrade(srcIdx, ts, price, q, side)
          counts[srcIdx]!.trades++
        } else {
          proxyTradesDerived++
          const pq = proxyMath!.qty(q)
          const pp = proxyMath!.tradePrice(price)
          if (pq <= 0 || pp <= 0) {
            proxyTradesDropped++
            return
          }
          fundingUntil(ts)
          touch(proxyIdx, ts)
          writer.appendTrade(proxyIdx, ts, pp, pq, side)
          counts[proxyIdx]!.trades++
        }
      }
    }
    const proxyQuote = (ts: number, bid: number, bq: number, ask: number, aq: number): void => {
      proxyQuotesDerived++
      const [b, a] = proxyMath!.quote(bid, ask)
      if (b <= 0 || b >= a) {
        proxyQuotesDropped++
        return
      }
      quote(proxyIdx, ts, b, bq > 0 ? Math.max(proxyMath!.qty(bq), proxyStepU) : 0, a, aq > 0 ? Math.max(proxyMath!.qty(aq), proxyStepU) : 0)
    }

    for (;;) {
      const [sk, sts] = src.next()
      const [pk, pts] = proxyMath !== undefined ? prx.next() : [-1, Infinity]
      if (sk < 0 && pk < 0) break
      // at equal times the source tick goes first
      if (sk >= 0 && (pk < 0 || sts <= pts)) emit(src, sk, sts, false)
      else emit(prx, pk, pts, true)
    }
    fundingUntil(writer.lastTs)

    const fileSummaries = prepared.map((p) => p.summary)
    const perInstrument: Array<InstrumentSummary> = instruments.map((inst, idx) => ({ idx, venue: inst.venue, symbol: inst.symbol, ...counts[idx]! }))
    const tickCount = writer.tickCount
    const summary: ImportSummary = {
      out: options.out,
      instruments: instruments.map((inst, idx) => ({ idx, ...inst })),
      assumptions,
      files: fileSummaries,
      clockOffsetMs,
      gapSeconds,
      perInstrument,
      ...(px !== undefined
        ? {
            proxy: {
              venue: px.venue,
              symbol: px.symbol,
              from: options.venue,
              parameters: proxyParameters,
              quotesDerived: proxyQuotesDerived,
              quotesDropped: proxyQuotesDropped,
              tradesDerived: proxyTradesDerived,
              tradesDroppedZeroQty: proxyTradesDropped
            }
          }
        : {}),
      ...(options.funding !== undefined
        ? { funding: { intervalHours: options.funding.intervalHours, rate: fundingRate, events: fundingEvents, assumed: true as const } }
        : {}),
      tickCount,
      firstTs: firstWritten,
      lastTs: tickCount > 0 ? writer.lastTs : NaN
    }
    writer.setNote("import", summary)
    writer.setNote("assumptions", assumptions)
    if (options.funding !== undefined) writer.setNote("funding", `assumed: every ${options.funding.intervalHours} h (UTC multiples) at rate ${fundingRate}, mark = last mid`)
    writer.finish()
    return summary
  } catch (e) {
    writer.abort()
    throw e
  }
}

/** Human-readable report of an import (what the CLI prints). */
export const formatImportSummary = (s: ImportSummary): string => {
  const lines: Array<string> = []
  lines.push(`wrote ${s.out}: ${s.tickCount} ticks, ${isoUs(s.firstTs)} – ${isoUs(s.lastTs)}`)
  for (const f of s.files) {
    lines.push(`  ${f.role} ${f.file} (${f.format}${f.header ? "" : ", no header"}): ${f.rowsRead} rows read, ${f.rowsKept} kept`)
    const changes: Array<string> = []
    if (f.unparseable > 0) changes.push(`${f.unparseable} unparseable dropped (lines ${f.unparseableLines.join(", ")}${f.unparseable > f.unparseableLines.length ? ", …" : ""})`)
    if (f.invalid > 0)
      changes.push(
        `${f.invalid} invalid dropped${f.crossed > 0 ? ` (${f.crossed} crossed)` : ""} (${f.invalidLines.map((l) => `line ${l.line}: ${l.reason}`).join("; ")}${f.invalid > f.invalidLines.length ? "; …" : ""})`
      )
    if (f.outOfOrder > 0) changes.push(`${f.outOfOrder} non-monotonic steps re-sorted (${f.rowsMovedBySort} rows moved)`)
    if (f.duplicates > 0) changes.push(`${f.duplicates} exact duplicates removed`)
    lines.push(`    ${changes.length === 0 ? "no changes" : changes.join("; ")}`)
    if (f.offTickTrades > 0) lines.push(`    note: ${f.offTickTrades} trade prices off the tick grid (aggregate average prices?), kept exactly`)
    if (f.offStepQuantities > 0) lines.push(`    note: ${f.offStepQuantities} rows with a quantity off the step grid, kept exactly`)
  }
  if (s.clockOffsetMs !== 0) lines.push(`  quote clock offset ${s.clockOffsetMs} ms applied to quotes/depth`)
  for (const i of s.perInstrument) {
    lines.push(
      `  [${i.idx}] ${i.venue} ${i.symbol}: ${i.quotes} quotes, ${i.trades} trades, ${i.depth} depth, ${i.funding} funding, ${i.gaps} gaps > ${s.gapSeconds} s` +
        (i.gapList.length > 0 ? ` (${i.gapList.map((g) => `${isoUs(g.fromTs)}–${isoUs(g.toTs)}`).join(", ")}${i.gaps > i.gapList.length ? ", …" : ""})` : "")
    )
  }
  if (s.proxy !== undefined) {
    const p = s.proxy
    lines.push(
      `  proxy ${p.venue} ${p.symbol} from ${p.from} (${Object.entries(p.parameters).map(([k, v]) => `${k} ${v}`).join(", ")}): ` +
        `${p.quotesDerived - p.quotesDropped}/${p.quotesDerived} quotes, ${p.tradesDerived - p.tradesDroppedZeroQty}/${p.tradesDerived} trades (${p.tradesDroppedZeroQty} rounded to 0 qty)`
    )
  }
  if (s.funding !== undefined) lines.push(`  funding assumed: every ${s.funding.intervalHours} h at ${s.funding.rate}: ${s.funding.events} events`)
  const unfunded = s.perInstrument.filter((i) => i.funding === 0 && s.instruments[i.idx]?.kind === "perp")
  if (unfunded.length > 0)
    lines.push(
      `  note: no funding events for ${unfunded.map((i) => `${i.venue} ${i.symbol}`).join(", ")}: a backtest of this file pays no funding and its funding guard never pauses` +
        ` (--funding-interval-hours H --funding-rate R adds a schedule)`
    )
  for (const a of s.assumptions) lines.push(`  assumption: ${a}`)
  return lines.join("\n")
}
