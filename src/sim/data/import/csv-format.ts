/**
 * Recognises which CSV layout a recording file uses (Aster collector or Binance public data) from
 * its first non-empty line, header or not, so the row parser knows each column's meaning.
 */

export type CsvFormat = "aster-bbo" | "aster-aggtrades" | "aster-depth10" | "binance-aggtrades" | "binance-bookticker"

const EXPECTED: Record<"trades" | "quotes" | "depth", string> = {
  trades:
    "Aster aggtrades columns `id,unix_timestamp_ms,side,price,quantity` or Binance aggTrades `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]` (header optional)",
  quotes:
    "Aster bbo columns `unix_timestamp,bid,ask[,mid]` or Binance bookTicker `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time` (header optional)",
  // without its header a depth row does not say how many levels each side has: the header is required
  depth: "Aster depth columns `unix_timestamp,lastUpdateId,bid_price_0,bid_qty_0,…,ask_price_0,ask_qty_0,…` (header required)"
}

export interface Detected {
  readonly format: CsvFormat
  readonly header: boolean
  /** depth: number of levels per side and the column of each level's price/qty */
  readonly depthColumns?: { readonly bids: ReadonlyArray<readonly [number, number]>; readonly asks: ReadonlyArray<readonly [number, number]> }
}

export const isNum = (s: string): boolean => /^-?\d+(\.\d+)?$/.test(s)

const sameColumns = (cols: ReadonlyArray<string>, expected: ReadonlyArray<string>): boolean =>
  cols.length === expected.length && expected.every((e, i) => cols[i] === e)

/**
 * What a binary file given for a CSV is, by its first bytes: a tick file or journal, an archive
 * (Binance ships its public data zipped), or any other binary file (it holds control bytes).
 */
const binaryKind = (firstLine: string): string | undefined => {
  if (firstLine.startsWith("SQLite format 3")) return "an SQLite file (a tick file or a journal?)"
  if (firstLine.startsWith("PK\x03\x04")) return "a zip archive (unzip it and give the CSV inside)"
  // read as UTF-8, gzip's second byte (0x8b) is no character
  if (/^\x1f(\x8b|\ufffd)/.test(firstLine)) return "a gzip archive (gunzip it and give the CSV inside)"
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f]/.test(firstLine)) return "a binary file"
  return undefined
}

export const detect = (file: string, role: "trades" | "quotes" | "depth", firstLine: string | undefined, lineNo: number): Detected => {
  const unexpected = (what: string): never => {
    throw new Error(`${file}: line ${lineNo}: ${what}; expected ${EXPECTED[role]}`)
  }
  if (firstLine === undefined) return unexpected("the file is empty")
  if (lineNo === 1) {
    const binary = binaryKind(firstLine)
    if (binary !== undefined) return unexpected(`${binary}, not a CSV file`)
  }
  const cols = firstLine.split(",").map((c) => c.trim().toLowerCase())
  // the line as the terminal would show it: a control byte could beep or overwrite the message
  // eslint-disable-next-line no-control-regex
  const printable = firstLine.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "?")
  const shown = printable.length > 120 ? `${printable.slice(0, 120)}…` : printable
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
  } else if (
    // headerless rows, told apart by column count and the side / is_buyer_maker text: Aster
    // aggtrades have 5 columns with buy/sell third, Aster bbo 3 or 4 numbers, Binance 7 or 8
    cols.length === 5 &&
    /^\d+$/.test(cols[0]!) &&
    /^\d+$/.test(cols[1]!) &&
    (cols[2] === "buy" || cols[2] === "sell") &&
    isNum(cols[3]!) &&
    isNum(cols[4]!)
  )
    detected = { format: "aster-aggtrades", header: false }
  else if (cols.every((c, i) => isNum(c) || ((cols.length === 7 || cols.length === 8) && i >= 6 && (c === "true" || c === "false")))) {
    if ((cols.length === 7 || cols.length === 8) && (cols[6] === "true" || cols[6] === "false")) detected = { format: "binance-aggtrades", header: false }
    else if (cols.length === 7) detected = { format: "binance-bookticker", header: false }
    else if (cols.length === 3 || cols.length === 4) detected = { format: "aster-bbo", header: false }
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
