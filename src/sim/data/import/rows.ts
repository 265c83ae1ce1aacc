/**
 * Parses one recording file into columnar rows of exact (mantissa, significant decimals) pairs.
 * The decimal scanner lives here too: its scratch result (decM/decD) is read right after each scan
 * by the parser and the text helpers below, so it stays private to this module.
 */
import * as fs from "node:fs"
import { type Detected, detect, isNum } from "./csv-format"
import { forEachLine } from "./lines"
import { MAX_LINES_LISTED } from "./summary"
import { epochIntTextToUs, rescale, secondsTextToUs } from "./units"

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

/** Exact scaled integer of a decimal text (`"2.2412"`, 4 → 22412); NaN if not a decimal or not exact at `scale`. */
export const decimalTextToUnits = (text: string, scale: number): number => (scanDecimal(text) ? rescale(decM, decD, scale) : NaN)

/** Number of significant decimals of a decimal text ("2.241200" → 4); NaN if not a decimal. */
export const significantDecimals = (text: string): number => (scanDecimal(text) ? decD : NaN)

/** Parsed rows of one file, columnar; decimals as (mantissa, significant decimals). */
export class Rows {
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

export interface Parsed {
  readonly role: "trades" | "quotes" | "depth"
  readonly file: string
  readonly detected: Detected
  readonly rows: Rows
  readonly rowsRead: number
  readonly unparseable: number
  readonly unparseableLines: ReadonlyArray<number>
}

/** Most significant decimals seen (−1: no such value seen). */
export interface ScaleStats {
  bookPriceDecimals: number
  tradePriceDecimals: number
  qtyDecimals: number
  /** where the most decimals of any value were seen: a stray row that makes the scales too fine is found by it */
  widest?: { readonly decimals: number; readonly file: string; readonly line: number }
}

export const readFile = (file: string, role: "trades" | "quotes" | "depth", offsetUs: number, stats: ScaleStats): Parsed => {
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
  /** the line being parsed */
  let currentLine = 0
  const dec = (text: string | undefined, k: number, isQty: boolean): boolean => {
    if (text === undefined || !scanDecimal(text.trim())) return false
    rm[k] = decM
    rd[k] = decD
    if (decD > (stats.widest?.decimals ?? -1)) stats.widest = { decimals: decD, file, line: currentLine }
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

  forEachLine(file, (line, lineNo, cutShort) => {
    currentLine = lineNo
    if (detected === undefined) {
      if (line.trim() === "") return
      detected = detect(file, role, line, lineNo)
      if (detected.header) return
    }
    if (line.trim() === "") return
    rowsRead++
    // its last value may be cut short (1069.780000 read as 1069.7): dropped as unparseable, not stored wrong
    if (cutShort) return bad(lineNo)
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
