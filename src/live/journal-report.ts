/**
 * The run report rebuilt from a journal: the same RunReport (and the same meaning of every
 * number) as a backtest's. The ledger replays the journalled fills in time order with the
 * funding payments as the venues paid them; open positions are valued at the latest journalled
 * mark; cycle statistics come from the `cycles` and `hedges` rows exactly as the backtest's
 * recording observer counts the strategy's events.
 */
import { BigDecimal, Effect, Either, Option, Schema } from "effect"
import { feeValuation } from "../core/accounting/fee-value"
import { type FundingPayment, Ledger } from "../core/accounting/ledger"
import { type Decimal, DecimalString, formatDecimal, ZERO } from "../core/domain/decimal"
import { type Fill, signedQty } from "../core/domain/order"
import { CycleStatsCounter } from "../core/report/cycle-stats"
import { buildReport, type CycleStats, type RunReport } from "../core/report/report"
import type { Venue } from "../core/domain/venue"
import { type CycleEvent, type FilterChange, type Hedge, JournalError, type JournalService, KILLED, type Mark, openJournal, type Run, type RunKind } from "./journal"
import { DAY_MS } from "../core/risk/trailing-pnl"

export interface JournalReportOptions {
  /** one run; without it, every run (of `kind`, if given): a session restarted after a crash */
  readonly runId?: number
  readonly kind?: RunKind
  /**
   * A time window [since, until) in ms since epoch (a day, the last 24 hours): only the runs
   * that overlap it, and only their fills, funding, cycle events and hedges stamped inside it.
   * Quantity those fills leave open is valued at the last mark before `until`; a position
   * carried in from before `since` is not revalued (as risk.max_loss_per_day counts a day).
   */
  readonly since?: number
  readonly until?: number
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The part of a run's stored config the report needs. */
const StoredPoints = Schema.Struct({
  points: Schema.Struct({
    maker: Schema.Struct({ makerWeight: DecimalString, takerWeight: DecimalString }),
    hedge: Schema.Struct({ makerWeight: DecimalString, takerWeight: DecimalString })
  })
})

interface Window {
  readonly since: number
  readonly until: number
  /** when a run ended; one without an end (killed, or still running) at the last thing it journalled */
  readonly endOf: (run: Run) => number
}

const overlaps = (run: Run, window: Window) => run.startedAt < window.until && window.endOf(run) >= window.since

/** Each run's end: its own, else the last thing it journalled (asked only for runs without one). */
const runEnds = (journal: JournalService, runs: ReadonlyArray<Run>) =>
  Effect.gen(function*() {
    const ends = new Map<number, number>()
    for (const run of runs) {
      const end = Option.isSome(run.endedAt) ? run.endedAt.value : Option.getOrElse(yield* journal.lastActivity(run.id), () => run.startedAt)
      ends.set(run.id, Math.max(end, run.startedAt))
    }
    return (run: Run) => ends.get(run.id) ?? run.startedAt
  })

const windowText = (since: number, until: number) =>
  `between ${Number.isFinite(since) ? iso(since) : "its start"} and ${Number.isFinite(until) ? iso(until) : "now"}`

/** The runs one report may cover: one kind, one pair of instruments, inside the window. */
const selectRuns = (all: ReadonlyArray<Run>, options: JournalReportOptions, window: Window): Either.Either<readonly [Run, ...Array<Run>], string> => {
  if (options.runId !== undefined) {
    const run = all.find((r) => r.id === options.runId)
    if (run === undefined) return Either.left(`has no run ${options.runId} (${all.length === 0 ? "it has none" : `its runs: ${all.map((r) => r.id).join(", ")}`})`)
    if (options.kind !== undefined && run.kind !== options.kind) return Either.left(`run ${run.id} is a ${run.kind} run, not ${options.kind}`)
    if (!overlaps(run, window)) return Either.left(`run ${run.id} did not trade ${windowText(window.since, window.until)}`)
    return Either.right([run])
  }
  const ofKind = options.kind === undefined ? all : all.filter((r) => r.kind === options.kind)
  const runs = ofKind.filter((r) => overlaps(r, window))
  const [first, ...rest] = runs
  if (first === undefined) {
    if (ofKind.length > 0) return Either.left(`holds no ${options.kind === undefined ? "" : `${options.kind} `}run ${windowText(window.since, window.until)}`)
    return Either.left(options.kind === undefined ? "holds no runs yet" : `holds no ${options.kind} runs`)
  }
  if (rest.some((r) => r.kind !== first.kind)) return Either.left("holds both live and paper runs: choose one kind (or one run)")
  const other = rest.find((r) =>
    r.maker.venue !== first.maker.venue || r.maker.symbol !== first.maker.symbol || r.hedge.venue !== first.hedge.venue || r.hedge.symbol !== first.hedge.symbol
  )
  if (other !== undefined) return Either.left(`runs ${first.id} and ${other.id} trade different instruments: choose one run`)
  return Either.right([first, ...rest])
}

/** Recorded payments as the venue paid them (live amounts are the venue's, not recomputed). */
const applyFunding = (ledger: Ledger, payment: FundingPayment) => {
  const book = ledger.book(payment.venue)
  book.funding = BigDecimal.sum(book.funding, payment.amount)
  ledger.funding.push(payment)
}

/** The backtest's recordingObserver, over journal rows. */
export const cycleStatsOf = (events: ReadonlyArray<CycleEvent>, hedges: ReadonlyArray<Hedge>): CycleStats => {
  const stats = new CycleStatsCounter()
  for (const { detail } of events) {
    switch (detail.event) {
      case "started":
        stats.cycleStarted()
        break
      case "funding-pause":
        stats.fundingPause()
        break
      case "maker-order":
        stats.makerOrder(detail.repost)
        break
      case "leg-completed":
        stats.legCompleted(detail.startedAt, detail.filledAt, detail.orders)
        break
      case "hedge-failed":
        break
    }
  }
  for (const hedge of hedges) {
    // the strategy's hedges only (a backtest has no others): start-up hedges are in the fills
    if (hedge.state !== "done" || Option.isNone(hedge.cycle)) continue
    const executed = Option.all({ qty: hedge.executedQty, quote: hedge.executedQuote, referencePrice: hedge.referencePrice })
    stats.hedge(hedge.side, Option.getOrUndefined(executed))
  }
  return stats.current
}

/** The latest mark, else the last fill's price (flagged), else nothing to value (zero). */
const markOf = (venue: string, marks: ReadonlyArray<Mark>, fills: ReadonlyArray<Fill>, warnings: Array<string>): Decimal => {
  const mark = marks.find((m) => m.venue === venue)
  if (mark !== undefined) return mark.price
  const last = fills.filter((f) => f.venue === venue).at(-1)
  if (last === undefined) return ZERO
  warnings.push(`no mark price journalled for ${venue}: its position is valued at the last fill price ${formatDecimal(last.price)}`)
  return last.price
}

export const reportFromJournal = (path: string, options: JournalReportOptions = {}): Effect.Effect<RunReport, JournalError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const journal = yield* openJournal(path, "read")
      const fail = (reason: string) => Effect.fail(new JournalError({ path, reason }))
      const since = options.since ?? Number.NEGATIVE_INFINITY
      const until = options.until ?? Number.POSITIVE_INFINITY
      const windowed = options.since !== undefined || options.until !== undefined
      if (since >= until) return yield* fail(`the window is empty: ${iso(since)} is not before ${iso(until)}`)
      const all = yield* journal.runs()
      // each run's end (read only for runs without one): where the report ends
      const endOf = yield* runEnds(journal, all)
      const selected = selectRuns(all, options, { since, until, endOf })
      const ofKind = all.filter((r) => options.kind === undefined || r.kind === options.kind)
      if (Either.isLeft(selected) && options.runId === undefined && !ofKind.some((r) => overlaps(r, { since, until, endOf }))) {
        // a window no run traded in may still hold what a later start journalled at its times (the
        // funding paid on a pair held while no process ran): reported with the run before it, as its day is
        const holder = holderOf(ofKind, until)
        const sources = holder === undefined ? [] : rowSources(all, [holder], options)
        const rows = holder === undefined ? undefined : yield* readRows(journal, sources, { since, until })
        if (holder === undefined || rows === undefined || !holdsMoney(rows, since, until)) return yield* fail(selected.left)
        const opensAt = openingOf([holder], rows, since, until)
        const carried = yield* carriedInto(journal, [holder], sameKind(all, [holder]), opensAt)
        return yield* windowReport(path, journal, [holder], sources, rows, carried, { since, until, endOf, opensAt, windowed })
      }
      if (Either.isLeft(selected)) return yield* fail(selected.left)
      const runs = selected.right
      const sources = rowSources(all, runs, options)
      const rows = yield* readRows(journal, sources, { since, until })
      const opensAt = openingOf(runs, rows, since, until)
      const carried = yield* carriedInto(journal, runs, sameKind(all, runs), opensAt)
      return yield* windowReport(path, journal, runs, sources, rows, carried, { since, until, endOf, opensAt, windowed })
    })
  )

/**
 * The runs whose rows a report reads: one run's own (`--run`); else every run of the kind on the
 * same markets, for a row is stamped when it happened, not when it was journalled: a start books
 * the funding paid while no process ran, and the fills of an earlier run's orders, under its own
 * run, at their times (a window or a day must hold them, whichever run journalled them).
 */
const rowSources = (all: ReadonlyArray<Run>, runs: readonly [Run, ...Array<Run>], options: JournalReportOptions): ReadonlyArray<Run> => {
  if (options.runId !== undefined) return runs
  const [first] = runs
  return all.filter((r) =>
    r.kind === first.kind && r.maker.venue === first.maker.venue && r.maker.symbol === first.maker.symbol && r.hedge.venue === first.hedge.venue &&
    r.hedge.symbol === first.hedge.symbol
  )
}

/**
 * When a report opens: its first run's start (or the window's, if later), or the first fill or
 * funding payment it counts if earlier (a start completes an earlier order's fills, and books the
 * funding paid while no process ran, under its own run, at their times): what is held when it
 * opens is then counted from the fills before that, each fill once.
 */
const openingOf = (runs: ReadonlyArray<Run>, rows: Pick<RunRows, "fills" | "funding">, since: number, until: number): number => {
  let opens = Math.max(since, Math.min(...runs.map((r) => r.startedAt)))
  for (const row of [...rows.fills, ...rows.funding]) if (row.ts >= since && row.ts < until && row.ts < opens) opens = row.ts
  return opens
}

/** Whether a window's rows hold a fill or a funding payment inside it. */
const holdsMoney = (rows: Pick<RunRows, "fills" | "funding">, since: number, until: number): boolean => {
  const inside = (row: { readonly ts: number }) => row.ts >= since && row.ts < until
  return rows.fills.some(inside) || rows.funding.some(inside)
}

/** The run a window no run traded in is reported under: the last one started before it ends, else the first. */
const holderOf = (runs: ReadonlyArray<Run>, until: number): Run | undefined => [...runs].reverse().find((run) => run.startedAt < until) ?? runs[0]

/** What some runs journalled inside a window, in the journal's order (time, then as written). */
interface RunRows {
  readonly fills: ReadonlyArray<Fill>
  readonly funding: ReadonlyArray<FundingPayment>
  readonly events: ReadonlyArray<CycleEvent>
  readonly hedges: ReadonlyArray<Hedge>
  readonly filterChanges: ReadonlyArray<FilterChange>
}

const readRows = (journal: JournalService, runs: ReadonlyArray<Run>, { since, until }: { readonly since: number; readonly until: number }) => {
  const ids = runs.map((r) => r.id)
  // the journal's bounds are exclusive: from just below `since` (the report keeps what is inside)
  const after = since - 1
  return Effect.all({
    fills: journal.fills(ids, after, until),
    funding: betweenReads(journal.funding(ids, after, until)),
    events: betweenReads(journal.cycleEvents(ids, after, until)),
    hedges: betweenReads(journal.hedges(ids, after, until)),
    filterChanges: betweenReads(journal.filterChanges(ids, after, until))
  })
}

/**
 * Each read blocks its thread (SQLite is synchronous here): inside a live run (the daily digest)
 * other fibers, the hedging one among them, get a turn between two.
 */
const betweenReads = <A, E>(read: Effect.Effect<A, E>): Effect.Effect<A, E> => Effect.zipRight(Effect.yieldNow(), read)

/**
 * The runs whose fills before the report say what was held when it opens: live, every run of the
 * kind, chosen or not (the account outlives them); paper, the chosen ones only (each paper start's
 * books begin flat).
 */
const sameKind = (all: ReadonlyArray<Run>, runs: ReadonlyArray<Run>): ReadonlyArray<Run> =>
  runs[0]?.kind === "paper" ? runs : all.filter((r) => r.kind === runs[0]?.kind)

/**
 * What was held on each of the report's venues when it opens at `since`: the fills before it of
 * every run of its kind (`from`), the chosen ones and those before them (a killed run's unhedged
 * fill, hedged by the next start).
 */
const carriedInto = (journal: JournalService, runs: ReadonlyArray<Run>, from: ReadonlyArray<Run>, since: number) =>
  Effect.gen(function*() {
    const ids = from.map((r) => r.id)
    const carried = new Map<Venue, Decimal>()
    // each venue's markets the report's runs trade: another market's position on the same venue is not theirs
    const markets = new Set(runs.flatMap((r) => [`${r.maker.venue} ${r.maker.symbol}`, `${r.hedge.venue} ${r.hedge.symbol}`]))
    for (const market of markets) {
      const [venue, symbol] = market.split(" ") as [Venue, string]
      const held = yield* betweenReads(journal.netFilledQty(venue, ids, since, symbol))
      carried.set(venue, BigDecimal.sum(carried.get(venue) ?? ZERO, held))
    }
    return carried
  })

/** `carried` moved on by the fills of a window: what the same runs hold when the next one opens. */
const carriedAfter = (carried: ReadonlyMap<Venue, Decimal>, fills: ReadonlyArray<Fill>): Map<Venue, Decimal> => {
  const next = new Map(carried)
  for (const fill of fills) next.set(fill.venue, BigDecimal.sum(next.get(fill.venue) ?? ZERO, signedQty(fill.side, fill.qty)))
  return next
}

type StoredPoints = typeof StoredPoints.Type

const sameWeights = (a: StoredPoints, b: StoredPoints) =>
  (["maker", "hedge"] as const).every((role) =>
    BigDecimal.equals(a.points[role].makerWeight, b.points[role].makerWeight) && BigDecimal.equals(a.points[role].takerWeight, b.points[role].takerWeight)
  )

/**
 * The points of runs restarted with other points weights: each run's volume at its own weights
 * (the last run's weights would price every day of a session at the latest). None when all the
 * runs share `latest`'s, the usual case: the report's volumes at those weights are the points. A
 * run whose stored config has no weights counts at `latest`'s.
 */
const pointsOfRuns = (
  journal: JournalService,
  runs: ReadonlyArray<Run>,
  latest: StoredPoints,
  inWindow: (row: { readonly ts: number }) => boolean,
  { since, until }: { readonly since: number; readonly until: number }
): Effect.Effect<{ readonly maker: Decimal; readonly hedge: Decimal } | undefined, JournalError> =>
  Effect.gen(function*() {
    const weights = runs.map((run) => Either.getOrElse(Schema.decodeUnknownEither(StoredPoints)(run.config), () => latest))
    if (weights.every((w) => sameWeights(w, latest))) return undefined
    let maker = ZERO
    let hedge = ZERO
    for (const [i, run] of runs.entries()) {
      const w = weights[i]!
      for (const fill of (yield* betweenReads(journal.fills(run.id, since - 1, until))).filter(inWindow)) {
        const role = fill.venue === run.maker.venue ? "maker" : fill.venue === run.hedge.venue ? "hedge" : undefined
        if (role === undefined) continue
        const notional = BigDecimal.multiply(fill.price, fill.qty)
        const earned = BigDecimal.multiply(notional, fill.liquidity === "maker" ? w.points[role].makerWeight : w.points[role].takerWeight)
        if (role === "maker") maker = BigDecimal.sum(maker, earned)
        else hedge = BigDecimal.sum(hedge, earned)
      }
    }
    return { maker, hedge }
  })

/**
 * The report of `runs` (those chosen for the window) over [since, until), opening at `opensAt`,
 * from the rows of `sources` (`rowSources`).
 */
const windowReport = (
  path: string,
  journal: JournalService,
  runs: readonly [Run, ...Array<Run>],
  sources: ReadonlyArray<Run>,
  rows: RunRows,
  carried: ReadonlyMap<Venue, Decimal>,
  { since, until, endOf, opensAt, windowed }: Window & { readonly opensAt: number; readonly windowed: boolean }
): Effect.Effect<RunReport, JournalError> =>
  Effect.gen(function*() {
    const inWindow = (row: { readonly ts: number }) => row.ts >= since && row.ts < until
    const ids = runs.map((r) => r.id)
    const last = runs[runs.length - 1]!
    const { maker, hedge } = last

    const fills = rows.fills.filter(inWindow)
    const funding = rows.funding.filter(inWindow)
    const marks = yield* journal.latestMarks(ids, until)
    const events = rows.events.filter(inWindow)
    const hedges = rows.hedges.filter(inWindow)
    const filterChanges = rows.filterChanges.filter(inWindow)
    const inDoubt = (yield* journal.hedgesInDoubt()).filter((h) => ids.includes(h.runId))
    const points = yield* Schema.decodeUnknown(StoredPoints)(last.config).pipe(
      Effect.mapError(() => new JournalError({ path, reason: `run ${last.id}'s stored config has no points weights` }))
    )
    const earned = yield* pointsOfRuns(journal, sources, points, inWindow, { since, until })

    const warnings: Array<string> = []
    for (const run of runs) {
      if (Option.isNone(run.endedAt)) {
        warnings.push(`run ${run.id} has no end: the process stopped without closing it (killed or crashed) or is still running`)
      } else if (Option.contains(run.outcome, KILLED)) {
        warnings.push(
          run.kind === "paper"
            ? `run ${run.id} (paper) was killed or crashed: the next start closed it at its last record; fills its paper books made after that record died with its process`
            : `run ${run.id} was killed or crashed: the next start completed its fills from the venues and closed it at its last record`
        )
      }
    }
    if (inDoubt.length > 0) {
      warnings.push(`${inDoubt.length} hedge(s) sent and never confirmed (${inDoubt.map((h) => h.clientId).join(", ")}): only their journalled fills are counted`)
    }
    if (windowed) warnings.push(`window ${windowText(since, until)}: only the fills, funding, cycles and hedges inside it count`)
    // what was held when the report opens: its fills are outside, so it is not valued, but the
    // exposure starts from it
    for (const [venue, qty] of carried) {
      if (!BigDecimal.isZero(qty)) {
        warnings.push(
          `${venue} held ${formatDecimal(qty)} from before the ${windowed ? "window" : "report's first run (earlier runs' fills)"}: it is not revalued in this report; the exposure starts from it`
        )
      }
    }
    for (const change of filterChanges) {
      warnings.push(
        `${change.venue} ${change.symbol} changed its filters during run ${change.runId} at ${iso(change.ts)} (${change.changes.join(", ")}): the run traded on the new ones from then on; a backtest keeps its recording's filters`
      )
    }
    if (runs.some((r) => JSON.stringify(r.config) !== JSON.stringify(last.config))) {
      warnings.push(`the runs' configs differ: the report shows run ${last.id}'s`)
    }

    // a run without an end (killed, or still running) lasted at least until the last thing it
    // journalled, its marks included (a run waiting with a fill unhedged only marks prices)
    const from = opensAt
    let lastActive = Math.max(...runs.map(endOf))
    for (const rows of [fills, funding, events, hedges]) for (const row of rows) lastActive = Math.max(lastActive, row.ts)
    const to = Math.max(from, Math.min(until, lastActive))

    const ledger = yield* Effect.try({
      try: () => {
        // every run of the report trades these two markets (reportableRuns): fees in their base assets are valued
        const markets = [maker, hedge].map((v) => ({ venue: v.venue, symbol: v.symbol, base: v.baseAsset, quote: v.quoteAsset }))
        const ledger = new Ledger([maker.venue, hedge.venue], feeValuation(markets))
        ledger.openExposure(from, [...carried.values()].reduce((a, b) => BigDecimal.sum(a, b), ZERO))
        for (const fill of fills) ledger.recordFill(fill)
        for (const payment of funding) applyFunding(ledger, payment)
        ledger.close(to)
        return ledger
      },
      catch: (error) => new JournalError({ path, reason: `cannot rebuild the ledger: ${error instanceof Error ? error.message : String(error)}` })
    })

    const makerMark = markOf(maker.venue, marks, fills, warnings)
    const hedgeMark = markOf(hedge.venue, marks, fills, warnings)
    const outcome = Option.getOrElse(last.outcome, () => "unfinished")
    const message = runs.length === 1
      ? Option.getOrUndefined(last.message)
      : `${runs.length} runs: ${runs.map((r) => `#${r.id} ${Option.getOrElse(r.outcome, () => "unfinished")}`).join(", ")}${Option.match(last.message, { onNone: () => "", onSome: (m) => `; last: ${m}` })}`

    return buildReport({
      kind: last.kind,
      data: { file: path, source: "journal", synthetic: false, proxy: false, proxyVenues: [], from: iso(from), to: iso(to), ticks: 0, warnings },
      config: last.config,
      run: { from: iso(from), to: iso(to), outcome, ...(message !== undefined ? { message } : {}) },
      ledger,
      venues: [
        { ...maker, markPrice: makerMark, points: points.points.maker, ...(earned !== undefined ? { pointsEarned: earned.maker } : {}) },
        { ...hedge, markPrice: hedgeMark, points: points.points.hedge, ...(earned !== undefined ? { pointsEarned: earned.hedge } : {}) }
      ],
      cycles: cycleStatsOf(events, hedges),
      filterChanges: filterChanges.map(({ venue, symbol, ts, cycle, changes, why }) => ({ venue, symbol, ts, cycle, changes, why }))
    })
  })

export interface DayReport {
  /** the UTC day, YYYY-MM-DD */
  readonly day: string
  /** the runs it covers (those that overlap the day) */
  readonly runIds: ReadonlyArray<number>
  readonly report: RunReport
}

/**
 * One report per UTC day the chosen runs traded in, inside `since`/`until` when given: a farming
 * session's days side by side, whatever restarts they had. Each equals `reportFromJournal` over
 * that day's window; a day no run overlaps is left out. The journal is read once per set of runs.
 */
/**
 * `quietWhenNoRun`: a window no run of the kind traded in gives no day (the digest after a day
 * without a run), rather than the error a report asked for it gives.
 */
export const dailyReportsFromJournal = (path: string, options: JournalReportOptions & { readonly quietWhenNoRun?: boolean } = {}): Effect.Effect<ReadonlyArray<DayReport>, JournalError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const since = options.since ?? Number.NEGATIVE_INFINITY
      const until = options.until ?? Number.POSITIVE_INFINITY
      if (since >= until) return yield* Effect.fail(new JournalError({ path, reason: `the window is empty: ${iso(since)} is not before ${iso(until)}` }))
      const journal = yield* openJournal(path, "read")
      // the days to cover: from the first run's start to the last thing journalled (a run without
      // an end, killed, lasted until then)
      const all = yield* journal.runs()
      const endOf = yield* runEnds(journal, all)
      const window = { since, until, endOf }
      if (options.quietWhenNoRun === true && !all.some((r) => (options.kind === undefined || r.kind === options.kind) && overlaps(r, window))) return []
      const selected = selectRuns(all, options, window)
      if (Either.isLeft(selected)) return yield* Effect.fail(new JournalError({ path, reason: selected.left }))
      const runs = selected.right
      const sources = rowSources(all, runs, options)
      // from the first run's start, or the first row a start stamped before it (the funding paid,
      // and an earlier order's fills, while no process ran): its day counts it as the run's report does
      const firstStart = Math.max(since, Math.min(...runs.map((r) => r.startedAt)))
      const first = since < firstStart ? openingOf(runs, yield* readRows(journal, sources, { since, until: firstStart }), since, firstStart) : firstStart
      const last = Math.min(until - 1, Math.max(...runs.map(endOf)))
      // each day's rows are read for that day alone; what the runs carry into a day is asked of the
      // journal once per set of runs, then moved on by each day's fills
      let carry: { readonly key: string; readonly into: ReadonlyMap<Venue, Decimal> } | undefined
      const days: Array<DayReport> = []
      for (let day = Math.floor(first / DAY_MS) * DAY_MS; day <= last; day += DAY_MS) {
        const window = { since: Math.max(since, day), until: Math.min(until, day + DAY_MS) }
        const traded = runs.filter((run) => overlaps(run, { ...window, endOf }))
        const rows = yield* readRows(journal, sources, window)
        // a day no run traded in may still hold what a later start journalled at its times (the
        // funding paid on a pair held while no process ran): reported with the run before it
        const holder = traded.length > 0 || !holdsMoney(rows, window.since, window.until) ? undefined : holderOf(runs, window.until)
        const dayRuns = holder === undefined ? traded : [holder]
        const [firstRun, ...rest] = dayRuns
        if (firstRun === undefined) {
          // a day no run traded and nothing happened in: the next one asks the journal afresh rather than assume it
          carry = undefined
          continue
        }
        const key = dayRuns.map((run) => run.id).join(",")
        const opensAt = openingOf(dayRuns, rows, window.since, window.until)
        // what the day opens with: live, every run's fills before it; paper, the day's own runs' (each paper book starts flat)
        const into = carry?.key === key ? carry.into : yield* carriedInto(journal, dayRuns, sameKind(all, dayRuns), opensAt)
        const report = yield* windowReport(path, journal, [firstRun, ...rest], sources, rows, into, { ...window, endOf, opensAt, windowed: true })
        carry = { key, into: carriedAfter(into, rows.fills.filter((fill) => fill.ts >= window.since && fill.ts < window.until)) }
        days.push({ day: iso(day).slice(0, 10), runIds: traded.map((run) => run.id), report })
      }
      return days
    })
  )
