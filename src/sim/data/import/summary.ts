/**
 * What an import changed, per file and per instrument (stored in meta.notes.import), and its
 * human-readable report for the CLI.
 */
import type { Venue } from "../../../core/domain/venue"
import type { StoredInstrument } from "../../tickstore/types"
import type { CsvFormat } from "./csv-format"

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
  /** exact duplicates removed after sorting (same timestamp and values; trades: same aggregate id, time, side, price and quantity) */
  readonly duplicates: number
  /** trades dropped for reusing an earlier row's aggregate id with another time, side, price or quantity (the first row kept) */
  readonly idConflicts: number
  /** the first few: line of the dropped row, line of the kept row with its id (1-based, header included) */
  readonly idConflictLines: ReadonlyArray<{ readonly line: number; readonly firstLine: number }>
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

export const MAX_LINES_LISTED = 5

/**
 * Refuses an import that would keep no row at all: an empty tick file would "succeed" with
 * assumptions inferred from nothing and replace the --out file, so the import must fail before the
 * output is created. Names each file and why its rows went.
 */
export const assertRowsKept = (files: ReadonlyArray<FileSummary>): void => {
  if (files.some((f) => f.rowsKept > 0)) return
  const lines = (list: ReadonlyArray<number>, total: number): string => `line${list.length > 1 ? "s" : ""} ${list.join(", ")}${total > list.length ? ", …" : ""}`
  const why = files.map((f) => {
    if (f.rowsRead === 0) return `${f.file} has no rows`
    const causes: Array<string> = []
    if (f.unparseable > 0) causes.push(`${f.unparseable} unparseable, first at ${lines(f.unparseableLines, f.unparseable)}`)
    if (f.invalid > 0)
      causes.push(
        `${f.invalid} invalid, first at ${f.invalidLines.map((l) => `line ${l.line}: ${l.reason}`).join(", ")}${f.invalid > f.invalidLines.length ? ", …" : ""}`
      )
    return `every row of ${f.file} was dropped (${causes.join("; ")})`
  })
  throw new Error(`nothing to import: ${why.join("; ")}`)
}

const isoUs = (us: number): string => (Number.isFinite(us) ? new Date(Math.floor(us / 1000)).toISOString() : "-")

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
    if (f.idConflicts > 0)
      changes.push(
        `${f.idConflicts} conflicting row(s) reusing an aggregate id with other values dropped (${f.idConflictLines.map((l) => `line ${l.line}: id of line ${l.firstLine}`).join("; ")}${f.idConflicts > f.idConflictLines.length ? "; …" : ""}): kept the first`
      )
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
        (s.funding === undefined
          ? ` (--funding-interval-hours H --funding-rate R adds a schedule)`
          : ` (no funding time of the schedule given, every ${s.funding.intervalHours} h, falls between the first quote and the end of the data)`)
    )
  for (const a of s.assumptions) lines.push(`  assumption: ${a}`)
  return lines.join("\n")
}
