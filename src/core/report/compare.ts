/**
 * Two run reports side by side (a backtest against a live run, two configs, two data sets): the
 * figures a trader compares, with the difference B − A. Money differences are exact decimals.
 */
import { BigDecimal, Option, Schema } from "effect"
import { type Decimal, divideToScale, formatDecimal, parseDecimal } from "../domain/decimal"
import { RunReport } from "./report"

/**
 * What a comparison reads of a report: all of it but the lists of fills and funding payments,
 * which a report of months holds half a million of and no figure here needs.
 */
export const ComparedReport = RunReport.pipe(Schema.omit("fills", "funding"))
export type ComparedReport = typeof ComparedReport.Type

export interface ComparisonRow {
  readonly metric: string
  readonly a: string | null
  readonly b: string | null
  /** b − a, when both are numbers */
  readonly delta: string | null
  /** (b − a) / |a| in percent, 2 decimals, when a ≠ 0 */
  readonly deltaPercent: string | null
}

/** Which run, over what, and how it ended (`outcome` as its report says: data-ended, kill-switch, …). */
export interface ComparedRun {
  readonly kind: string
  readonly file: string
  readonly from: string
  readonly to: string
  readonly outcome: string
}

/** A setting the two runs' configs gave different values (null: the config has no such key). */
export interface ConfigDifference {
  readonly key: string
  readonly a: string | null
  readonly b: string | null
}

export interface Comparison {
  readonly a: ComparedRun
  readonly b: ComparedRun
  readonly rows: ReadonlyArray<ComparisonRow>
  /** what makes the two not like for like: different periods, a run stopped early, synthetic or proxy data */
  readonly notes: ReadonlyArray<string>
  /** the settings that differ, among those both runs used (a live run uses no `sim.*`) */
  readonly configDifferences: ReadonlyArray<ConfigDifference>
  /** "A", "B": a report whose runs traded with more than one config (it shows its last run's) */
  readonly mixedConfigs: ReadonlyArray<string>
}

/** what a report says when its runs' configs differ (journal-report.ts) */
const MIXED_CONFIGS = "the runs' configs differ"


const asDecimal = (value: string | number | null): Decimal | undefined =>
  value === null ? undefined : Option.getOrUndefined(parseDecimal(typeof value === "number" ? String(value) : value))

const row = (metric: string, a: string | number | null, b: string | number | null): ComparisonRow => {
  const x = asDecimal(a)
  const y = asDecimal(b)
  const delta = x !== undefined && y !== undefined ? BigDecimal.subtract(y, x) : undefined
  return {
    metric,
    a: a === null ? null : String(a),
    b: b === null ? null : String(b),
    delta: delta === undefined ? null : formatDecimal(delta),
    deltaPercent: delta !== undefined && x !== undefined && !BigDecimal.isZero(x)
      ? formatDecimal(divideToScale(BigDecimal.multiply(delta, BigDecimal.fromBigInt(100n)), BigDecimal.abs(x), 2))
      : null
  }
}

/** How long a report's period lasted, in ms (undefined when its bounds do not parse). */
const lengthOf = (r: ComparedReport): number | undefined => {
  const ms = Date.parse(r.run.to) - Date.parse(r.run.from)
  return Number.isFinite(ms) && ms > 0 ? ms : undefined
}

const HOUR_MS = BigDecimal.fromNumber(3_600_000)

/** `value` per hour of the report's period, to 4 decimals: what runs of different lengths can be compared by. */
const perHour = (value: string, r: ComparedReport): string | null => {
  const x = asDecimal(value)
  const ms = lengthOf(r)
  return x === undefined || ms === undefined ? null : formatDecimal(divideToScale(BigDecimal.multiply(x, HOUR_MS), BigDecimal.fromNumber(ms), 4))
}

const hours = (r: ComparedReport): string | null => {
  const ms = lengthOf(r)
  return ms === undefined ? null : formatDecimal(divideToScale(BigDecimal.fromNumber(ms), HOUR_MS, 4))
}

const minutes = (ms: number): string => `${formatDecimal(divideToScale(BigDecimal.fromNumber(ms), BigDecimal.fromNumber(60_000), 1))} min`

/** How a run ends by itself or on request; any other outcome stopped it early (a limit, an error). */
const ENDED_AS_PLANNED: ReadonlySet<string> = new Set(["completed", "data-ended", "stopped"])

/** Below this share of the longer run in common, the two runs did not see the same market. */
const SAME_PERIOD = 0.9

/** What a reader must know before reading the differences as the strategy's or the venue's. */
const notesOn = (a: ComparedReport, b: ComparedReport): Array<string> => {
  const notes: Array<string> = []
  const span = (r: ComparedReport) => ({ from: Date.parse(r.run.from), to: Date.parse(r.run.to) })
  const x = span(a)
  const y = span(b)
  if ([x.from, x.to, y.from, y.to].every(Number.isFinite)) {
    const overlap = Math.max(0, Math.min(x.to, y.to) - Math.max(x.from, y.from))
    const longer = Math.max(x.to - x.from, y.to - y.from)
    if (longer > 0 && overlap < SAME_PERIOD * longer) {
      const common = overlap === 0 ? "no time in common" : `${minutes(overlap)} in common`
      // a backtest beside a live or paper run: the live run's own recording is the like-for-like data
      const hint = (a.kind === "backtest") !== (b.kind === "backtest")
        ? "; to compare like for like, record the live run's market (npm run live -- CONFIG --record FILE) and backtest that file"
        : ""
      notes.push(`A and B ran over different periods (${minutes(x.to - x.from)} and ${minutes(y.to - y.from)}, ${common}): part of every difference is the market's, not the strategy's${hint}`)
    }
  }
  for (const [name, r] of [["A", a], ["B", b]] as const) {
    if (!ENDED_AS_PLANNED.has(r.run.outcome)) notes.push(`${name} ended ${r.run.outcome}${r.run.message !== undefined ? ` (${r.run.message})` : ""}: its figures stop there`)
    if (r.data.synthetic) notes.push(`${name} ran on synthetic data (${r.data.file})`)
    for (const p of r.data.proxyVenues) notes.push(`${name}'s ${p.venue} ${p.symbol} feed is a proxy derived from ${p.from}, not a recording`)
    for (const c of r.filterChanges ?? []) {
      // a journal's report warns of each change too (below): said once
      const at = new Date(c.ts).toISOString()
      if (r.data.warnings.some((w) => w.startsWith(`${c.venue} ${c.symbol} changed its filters`) && w.includes(at))) continue
      notes.push(`${name}'s ${c.venue} ${c.symbol} changed its filters at ${new Date(c.ts).toISOString()} (${c.changes.join(", ")}): its orders were priced and sized on the new ones from then on`)
    }
  }
  // what the reports themselves warn of (a fee asset counted at par, a position carried in, hedges
  // in doubt, runs of other configs, …) bears on their figures here too; said once if both do
  const inB = new Set(b.data.warnings)
  const inA = new Set(a.data.warnings)
  for (const warning of inA) notes.push(`${inB.has(warning) ? "A and B" : "A"}: ${warning}`)
  for (const warning of inB) if (!inA.has(warning)) notes.push(`B: ${warning}`)
  return notes
}

/** A report's config as dotted keys and their values' text, in the report's order. */
const settings = (config: unknown): Map<string, string> => {
  const out = new Map<string, string>()
  const walk = (value: unknown, key: string) => {
    if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, key === "" ? k : `${key}.${k}`)
    } else if (key !== "") {
      out.set(key, typeof value === "string" ? value : JSON.stringify(value) ?? "null")
    }
  }
  walk(config, "")
  return out
}

/** Settings a run of this kind acts on: the file's path is not one, and a live run's orders meet no `sim:`. */
const usedBy = (kind: string) => (key: string): boolean => key !== "source" && !(kind === "live" && (key === "sim" || key.startsWith("sim.")))

const configDifferences = (a: ComparedReport, b: ComparedReport): Array<ConfigDifference> => {
  const x = settings(a.config)
  const y = settings(b.config)
  const used = (key: string) => usedBy(a.kind)(key) && usedBy(b.kind)(key)
  // a credential shows only whether it is set (describeConfig): that changes no figure
  const credential = (key: string) => [x.get(key), y.get(key)].every((v) => v === undefined || v === "<set>" || v === "<empty>")
  return [...new Set([...x.keys(), ...y.keys()])]
    .filter((key) => used(key) && !credential(key) && x.get(key) !== y.get(key))
    .map((key) => ({ key, a: x.get(key) ?? null, b: y.get(key) ?? null }))
}

const comparedRun = (r: ComparedReport): ComparedRun => ({ kind: r.kind, file: r.data.file, from: r.run.from, to: r.run.to, outcome: r.run.outcome })

export const compareReports = (a: ComparedReport, b: ComparedReport): Comparison => ({
  notes: notesOn(a, b),
  configDifferences: configDifferences(a, b),
  mixedConfigs: ([["A", a], ["B", b]] as const).filter(([, r]) => r.data.warnings.some((w) => w.startsWith(MIXED_CONFIGS))).map(([name]) => name),
  a: comparedRun(a),
  b: comparedRun(b),
  rows: [
    row("hours", hours(a), hours(b)),
    row("volume", a.totals.volume, b.totals.volume),
    row("maker volume", a.totals.makerVolume, b.totals.makerVolume),
    row("taker volume", a.totals.takerVolume, b.totals.takerVolume),
    row("fees", a.totals.fees, b.totals.fees),
    row("funding", a.totals.funding, b.totals.funding),
    row("realized pnl", a.totals.realizedPnl, b.totals.realizedPnl),
    row("pnl", a.totals.pnl, b.totals.pnl),
    row("points", a.points.total, b.points.total),
    row("cost per 1000 points", a.points.costPer1000Points, b.points.costPer1000Points),
    row("volume per hour", perHour(a.totals.volume, a), perHour(b.totals.volume, b)),
    row("points per hour", perHour(a.points.total, a), perHour(b.points.total, b)),
    row("pnl per hour", perHour(a.totals.pnl, a), perHour(b.totals.pnl, b)),
    row("cycles", a.cycles.count, b.cycles.count),
    row("maker orders", a.cycles.makerOrders, b.cycles.makerOrders),
    row("fill rate", a.cycles.fillRate, b.cycles.fillRate),
    row("mean time to fill (s)", a.cycles.meanTimeToFillSeconds, b.cycles.meanTimeToFillSeconds),
    row("hedge slippage (bps)", a.cycles.hedgeSlippageBps, b.cycles.hedgeSlippageBps),
    row("max |net delta|", a.exposure.maxAbsNetDelta, b.exposure.maxAbsNetDelta),
    row("unhedged qty × s", a.exposure.unhedgedQtySeconds, b.exposure.unhedgedQtySeconds)
  ]
})

export const formatComparison = (c: Comparison): string => {
  const widths = [22, 16, 16, 16, 9]
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")
  return [
    `A: ${c.a.kind} ${c.a.file} (${c.a.from} → ${c.a.to}, ${c.a.outcome})`,
    `B: ${c.b.kind} ${c.b.file} (${c.b.from} → ${c.b.to}, ${c.b.outcome})`,
    ...c.notes.map((note) => `note: ${note}`),
    "",
    line(["", "A", "B", "B − A", "%"]),
    ...c.rows.map((r) => line([r.metric, r.a ?? "n/a", r.b ?? "n/a", r.delta ?? "", r.deltaPercent === null ? "" : `${r.deltaPercent}%`])),
    "",
    ...formatConfigDifferences(c)
  ].join("\n")
}

/** At most this many differing settings are printed; `--json` keeps them all. */
const SHOWN_DIFFERENCES = 20

const formatConfigDifferences = (c: Comparison): Array<string> => {
  const differences = c.configDifferences
  // a session restarted with other settings compares only its last run's: "the same" would not be true
  const mixed = c.mixedConfigs.length === 0 ? [] : [`  (${c.mixedConfigs.join(" and ")}: the runs traded with more than one config; only the last run's is compared)`]
  if (differences.length === 0) return [c.mixedConfigs.length === 0 ? "config: the same settings" : "config: the same settings as the last run's", ...mixed]
  const width = Math.max(...differences.slice(0, SHOWN_DIFFERENCES).map((d) => d.key.length))
  const value = (text: string | null) => text ?? "(not set)"
  return [
    `config: ${differences.length} setting(s) differ (A → B)`,
    ...differences.slice(0, SHOWN_DIFFERENCES).map((d) => `  ${d.key.padEnd(width)}  ${value(d.a)} → ${value(d.b)}`),
    ...(differences.length > SHOWN_DIFFERENCES ? [`  … and ${differences.length - SHOWN_DIFFERENCES} more (all of them with --json)`] : []),
    ...mixed
  ]
}
