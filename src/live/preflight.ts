/**
 * `npm run live -- CONFIG --check`: everything a start needs, read and nothing sent. It proves the
 * keys (a signed read on each venue), shows each venue's filters and market, balances, positions
 * and open orders, whether the quantity can be traded at today's price, the first order a start
 * would post, where the funding guard stands, the cross-venue imbalance a start would hedge (or
 * refuse), a position at or beyond max_position (unwound first, or refused), whether the hedge
 * venue can fund a hedge (a spot buy from the quote balance, a perp's margin), the kill switch's
 * limits in force (defaults included), the last 24 hours' loss when risk.max_loss_per_day is set,
 * the fee rates a venue says the account pays beside those the config's backtests assume, and
 * what the journal holds from an earlier run. No order is placed or cancelled.
 */
import { BigDecimal, Cause, Clock, Effect, Either, Option, type Scope } from "effect"
import * as fs from "node:fs"
import type { HedgeConfig, SimVenueParams } from "../core/config/config"
import { type Decimal, formatDecimal, ZERO } from "../core/domain/decimal"
import { type Instrument, notTradingFor } from "../core/domain/instrument"
import { mid, type Ticker } from "../core/domain/market"
import { venueLabel } from "../core/domain/venue"
import { utcTime } from "../core/domain/utc"
import type { Exchange } from "../core/exchange"
import { limitPrice } from "../core/strategy/hedge-loop"
import { hedgeSizingPrice, quantityProblems } from "../core/strategy/tradable-quantity"
import { shrunkByUnwinding, unwindLeg, unwindsFirst } from "../core/strategy/unwind"
import { type JournalError, type JournalService, openJournal, type RunKind } from "./journal"
import { baseFeeFloatVerdict, firstSellFundingVerdict, hedgeFundingVerdict } from "./funding-checks"
import { beyondAutoHedge } from "./reconcile"
import { describeRefusal, JOURNAL_FILE, lockRefusalNow } from "./file-lock"
import { unjournalledExecutions } from "./journal-settlement"
import { earlierRunsLastDay, journalledNetQty, unwindOnlyCommand, type Venues } from "./runner"
import { DAY_MS, TrailingPnl } from "../core/risk/trailing-pnl"

export type CheckStatus = "ok" | "warn" | "fail" | "refuse"

export interface CheckLine {
  /** fail: a start would not get this far; refuse: a start would refuse to trade */
  readonly status: CheckStatus
  readonly subject: string
  readonly detail: string
}

interface VenueReading {
  readonly instrument?: Instrument
  readonly ticker?: Ticker
  readonly position?: BigDecimal.BigDecimal
  readonly nextFunding?: Option.Option<number>
}

/** The journal, read only: undefined when there is none yet, left when it cannot be opened. */
type ReadJournal = Either.Either<JournalService, JournalError> | undefined

/** One venue: filters and market (public), then balances, position and open orders (signed). */
const readVenue = (exchange: Exchange, role: "maker" | "hedge", lines: Array<CheckLine>): Effect.Effect<VenueReading> =>
  Effect.gen(function*() {
    const name = venueLabel(exchange.venue)
    const line = (status: CheckStatus, what: string, detail: string) => lines.push({ status, subject: `${name} ${what}`, detail })
    const instrument = yield* Effect.either(exchange.instrument)
    if (Either.isLeft(instrument)) {
      line("fail", "instrument", instrument.left.message)
      return {}
    }
    const i = instrument.right
    line("ok", "instrument", `${exchange.venue} ${i.symbol} (${i.kind}): tick ${formatDecimal(i.tickSize)}, step ${formatDecimal(i.stepSize)}, min qty ${formatDecimal(i.minQty)}, min notional ${formatDecimal(i.minNotional)}`)
    if (i.trading !== undefined) {
      // a market that does not take the orders this venue gets (maker legs, hedges) holds a run's maker orders back
      const closed = notTradingFor(i, role)
      line(
        closed === undefined ? "ok" : "warn",
        "market state",
        closed === undefined ? `${i.trading.state}: takes the ${role === "maker" ? "maker legs' post-only orders" : "hedges' market orders"}` : `${closed}: a run waits, posting no maker order, until it does`
      )
    }
    const ticker = yield* Effect.either(exchange.ticker)
    if (Either.isLeft(ticker)) line("fail", "market", ticker.left.message)
    else line("ok", "market", `bid ${formatDecimal(ticker.right.bid)}, ask ${formatDecimal(ticker.right.ask)}, last ${formatDecimal(ticker.right.last)}`)
    // signed reads: they prove the keys
    const balances = yield* Effect.either(exchange.balances)
    if (Either.isLeft(balances)) line("fail", "account", `${balances.left.message} (a signed read: check the keys)`)
    else {
      const held = balances.right.filter((b) => b.asset === i.quote || b.asset === i.base)
      line("ok", "account", held.length === 0 ? `no ${i.quote} or ${i.base} balance` : held.map((b) => `${b.asset} ${formatDecimal(b.free)} free, ${formatDecimal(b.locked)} locked`).join("; "))
    }
    const position = yield* Effect.either(exchange.position)
    if (Either.isLeft(position)) line("fail", "position", position.left.message)
    else line("ok", "position", `${formatDecimal(position.right.qty)} ${i.base}${i.kind === "spot" ? " (spot: the base balance)" : ""}`)
    const open = yield* Effect.either(exchange.openOrders)
    if (Either.isLeft(open)) line("fail", "open orders", open.left.message)
    else if (open.right.length === 0) line("ok", "open orders", "none")
    else {
      line("warn", "open orders", `${open.right.length} on ${i.symbol}: a start cancels those this bot placed and leaves the others (${
        open.right.map((o) => `${o.side} ${formatDecimal(o.qty)} @ ${formatDecimal(o.price ?? BigDecimal.fromBigInt(0n))}`).join(", ")
      })`)
    }
    const nextFunding = yield* Effect.either(exchange.nextFundingTime)
    if (Either.isLeft(nextFunding)) line("fail", "funding", nextFunding.left.message)
    return {
      instrument: i,
      ...(Either.isRight(ticker) ? { ticker: ticker.right } : {}),
      ...(Either.isRight(position) ? { position: position.right.qty } : {}),
      ...(Either.isRight(nextFunding) ? { nextFunding: nextFunding.right } : {})
    }
  })

/** What a start with this config would find and do first; sends nothing. The journal is read in the caller's scope. */
export const preflight = (
  config: HedgeConfig,
  venues: Venues,
  journalPath: string,
  kind: RunKind,
  /** `--unwind-only`: the start would unwind the maker position and trade no cycle */
  unwindOnly = false
): Effect.Effect<ReadonlyArray<CheckLine>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const lines: Array<CheckLine> = []
    // opened once, read only, for the spot hedge's imbalance and the journal's line
    const journal: ReadJournal = fs.existsSync(journalPath) ? yield* Effect.either(openJournal(journalPath, "read")) : undefined
    const maker = yield* readVenue(venues.maker, "maker", lines)
    const hedge = yield* readVenue(venues.hedge, "hedge", lines)
    const { quantity, stopBeforeFundingMs } = config.trade

    if (maker.instrument !== undefined && hedge.instrument !== undefined && maker.ticker !== undefined) {
      const problems = quantityProblems(quantity, maker.instrument, hedge.instrument, maker.ticker.last, hedge.ticker !== undefined ? hedgeSizingPrice(hedge.ticker) : maker.ticker.last)
      if (problems.length > 0) lines.push({ status: "refuse", subject: "quantity", detail: `trade.quantity cannot be traded: ${problems.join("; ")}` })
      else lines.push(firstOrderLine(config, venues, maker.instrument, maker.ticker, maker.position, hedge.instrument, hedge.ticker !== undefined ? hedgeSizingPrice(hedge.ticker) : maker.ticker.last, unwindOnly))
    }

    const now = yield* Clock.currentTimeMillis
    const announced = [maker.nextFunding, hedge.nextFunding].flatMap((t) => (t !== undefined && Option.isSome(t) ? [t.value] : []))
    // a venue announces its next time a few seconds after one passed: a passed time is not the
    // next one (the funding guard waits for the venue's next, as here)
    const fundingTimes = announced.filter((t) => t > now)
    if (fundingTimes.length === 0 && announced.length > 0) {
      lines.push({ status: "ok", subject: "funding", detail: `a funding time just passed (${utcTime(Math.max(...announced))}); the venue has not announced the next yet` })
    }
    if (fundingTimes.length > 0) {
      const next = Math.min(...fundingTimes)
      const minutes = Math.floor((next - now) / 60_000)
      lines.push(
        next - now <= stopBeforeFundingMs
          ? { status: "ok", subject: "funding", detail: `next at ${utcTime(next)}, in ${minutes} min: inside stop_before_funding, the first cycle waits until it has passed` }
          : { status: "ok", subject: "funding", detail: `next at ${utcTime(next)}, in ${minutes} min: a cycle may start now` }
      )
    }

    /** spot: what the journal's trading moved on the hedge venue, as a start counts it */
    let spotMoved = ZERO
    if (maker.position !== undefined && hedge.position !== undefined && hedge.instrument !== undefined) {
      // a spot hedge's position is its whole base balance: only what the journal's trading moved
      // counts (the start's baseline is the balance less that)
      const spot = hedge.instrument.kind === "spot"
      // paper books start afresh in each process: nothing an earlier paper run traded is on them
      const hedgePosition = spot ? (kind === "paper" ? Either.right(ZERO) : yield* journalledHedgeQty(journal, venues.hedge, hedge.instrument.symbol, kind)) : Either.right(hedge.position)
      spotMoved = spot && Either.isRight(hedgePosition) ? hedgePosition.right : ZERO
      lines.push(
        Either.isLeft(hedgePosition)
          ? { status: "fail", subject: "imbalance", detail: `a spot hedge's imbalance needs the journal's fills: ${hedgePosition.left}` }
          : imbalanceLine(config, venues, maker.position, hedgePosition.right, spot)
      )
      // the limit is judged as a start judges it: after its hedge of an imbalance within max_auto_hedge
      const limitLine = Either.isRight(hedgePosition) ? positionLimitLine(config, venues, maker.position, afterStartHedge(config, maker.position, hedgePosition.right), unwindOnly) : undefined
      if (limitLine !== undefined) lines.push(limitLine)
    }

    // whether a start unwinds a leg first, as it judges it: its first order is then not cycle 1's
    // sell, and a hedge's funds are judged as after the unwinding
    const unwinds = maker.instrument !== undefined && maker.ticker !== undefined && maker.position !== undefined && hedge.instrument !== undefined &&
      unwindsFirst(config.trade.unwindAtStart, maker.position, quantity, maker.instrument, hedge.instrument, maker.ticker.last, hedge.ticker !== undefined ? hedgeSizingPrice(hedge.ticker) : maker.ticker.last)

    // whether a live hedge can be funded, as a start checks it (a paper account is simulated, and
    // unwinding alone frees funds); not when the account's reads failed already (its line says why)
    if (kind === "live" && !unwindOnly && hedge.instrument !== undefined && hedge.ticker !== undefined && hedge.position !== undefined) {
      // after the unwinding a start does first, which sells back what the pair's hedge bought (or frees its margin)
      const unwinding = unwinds && maker.position !== undefined ? { qty: maker.position, bid: hedge.ticker.bid } : undefined
      const funding = yield* Effect.either(hedgeFundingVerdict(venues.hedge, hedge.instrument, quantity, hedge.ticker.ask, unwinding))
      if (Either.isLeft(funding)) lines.push({ status: "fail", subject: "hedge funds", detail: `could not read whether a hedge can be funded: ${funding.left.message}` })
      else if (funding.right !== undefined) lines.push({ status: funding.right.status, subject: funding.right.subject, detail: funding.right.detail })
    }
    // a spot account taking its fees in ASTER needs spare ASTER for them, as a start warns
    if (kind === "live" && !unwindOnly && hedge.instrument?.kind === "spot" && journal !== undefined && Either.isRight(journal)) {
      const float = yield* Effect.either(baseFeeFloatVerdict(venues.hedge, hedge.instrument, quantity, config.sim.hedge.takerFee, journal.right, spotMoved))
      if (Either.isLeft(float)) lines.push({ status: "warn", subject: "fees in ASTER", detail: `could not read the spare ASTER its fees need: ${float.left.message}` })
      else if (float.right !== undefined) lines.push({ status: float.right.status, subject: float.right.subject, detail: float.right.detail })
    }
    // the first cycle's sell, as a start judges it
    if (kind === "live" && !unwindOnly && maker.instrument !== undefined && maker.ticker !== undefined && maker.position !== undefined) {
      const funding = yield* Effect.either(firstSellFundingVerdict(venues.maker, maker.instrument, config.trade, maker.ticker, unwinds))
      if (Either.isLeft(funding)) lines.push({ status: "fail", subject: "maker funds", detail: `could not read what the maker account allows an order: ${funding.left.message}` })
      else if (funding.right !== undefined) lines.push({ status: funding.right.status, subject: funding.right.subject, detail: funding.right.detail })
    }

    // each account's own fee tier, beside the rates the config's backtests and paper runs assume
    if (kind === "live") {
      for (const [exchange, assumed, key] of [[venues.maker, config.sim.maker, "sim.backpack"], [venues.hedge, config.sim.hedge, "sim.aster"]] as const) {
        const line = yield* feeRatesLine(exchange, assumed, key)
        if (line !== undefined) lines.push(line)
      }
    }

    const risk = config.risk
    lines.push({
      status: "ok",
      subject: "kill switch",
      detail: `risk.max_unhedged_qty_seconds ${formatDecimal(risk.maxUnhedgedQtySeconds)}, max_consecutive_hedge_failures ${risk.maxConsecutiveHedgeFailures}, max_position ${
        formatDecimal(risk.maxPosition)
      }, max_loss ${formatDecimal(risk.maxLoss)} (per run), max_loss_per_day ${
        Option.match(risk.maxLossPerDay, { onNone: () => "off", onSome: (limit) => `${formatDecimal(limit)} (any 24 hours, across runs)` })
      }, max_auto_hedge ${formatDecimal(risk.maxAutoHedge)}`
    })
    if (Option.isSome(risk.maxLossPerDay)) lines.push(yield* lastDayLine(risk.maxLossPerDay.value, journal, kind, venues, [maker, hedge], now))
    lines.push(alertsLine(config))
    lines.push(yield* journalLine(journalPath, journal))
    return lines
  })

const HUNDRED = BigDecimal.fromBigInt(100n)
const percent = (rate: Decimal) => `${formatDecimal(BigDecimal.multiply(rate, HUNDRED))}%`

/**
 * The fee rates the venue says this account pays (its tier), beside those the config's backtests
 * and paper runs assume (`sim.<venue>`): a backtest with other rates misjudges what the farming
 * costs. A venue that does not tell them has no line; one whose read failed gets a warning only,
 * as a start does not need them.
 */
const feeRatesLine = (exchange: Exchange, assumed: SimVenueParams, key: string): Effect.Effect<CheckLine | undefined> => {
  if (exchange.feeRates === undefined) return Effect.succeed(undefined)
  const subject = `${venueLabel(exchange.venue)} fee rates`
  return Effect.match(exchange.feeRates, {
    onFailure: (error): CheckLine => ({ status: "warn", subject, detail: `could not read this account's rates: ${error.message}` }),
    onSuccess: (rates): CheckLine => {
      const own = `${rates.symbol}: maker ${percent(rates.maker)}, taker ${percent(rates.taker)} (this account's tier)`
      // the tier's rates are before Aster's discount for fees paid in ASTER, which the venue does not report
      const discount = exchange.venue === "backpack" ? "" : ` (paid in ASTER, "Pay fee in ASTER", they are 5 % less)`
      if (BigDecimal.equals(rates.maker, assumed.makerFee) && BigDecimal.equals(rates.taker, assumed.takerFee)) {
        return { status: "ok", subject, detail: `${own}; backtests and paper runs of this config assume the same${discount}` }
      }
      return {
        status: "warn",
        subject,
        detail: `${own}; backtests and paper runs of this config assume maker ${percent(assumed.makerFee)}, taker ${percent(assumed.takerFee)}: set ${key}.maker_fee: ${
          formatDecimal(rates.maker)
        } and ${key}.taker_fee: ${formatDecimal(rates.taker)} to rehearse this account's costs${discount}`
      }
    }
  })
}

/**
 * The first order a start would post: the leg that unwinds a maker position an interrupted run
 * left (trade.unwind_at_start, or --unwind-only), else cycle 1's sell.
 */
const firstOrderLine = (
  config: HedgeConfig,
  venues: Venues,
  makerInstrument: Instrument,
  ticker: Ticker,
  makerPosition: Decimal | undefined,
  hedgeInstrument: Instrument,
  /** the hedge venue's sizing price (the maker's last when it could not be read) */
  hedgePrice: Decimal,
  unwindOnly: boolean
): CheckLine => {
  const { quantity, offsetPercent } = config.trade
  const { bid, ask, last } = ticker
  const makerName = venueLabel(venues.maker.venue)
  const unwind = (config.trade.unwindAtStart || unwindOnly) && makerPosition !== undefined
    ? unwindLeg(makerPosition, quantity, makerInstrument, hedgeInstrument, last, hedgePrice)
    : undefined
  if (unwindOnly && unwind === undefined) {
    const position = makerPosition === undefined ? "unread" : formatDecimal(makerPosition)
    return { status: "ok", subject: "first order", detail: `none: the ${makerName} position ${position} leaves nothing to unwind on both venues (--unwind-only sends nothing)` }
  }
  const side = unwind?.side ?? "sell"
  const qty = unwind?.qty ?? quantity
  const price = limitPrice(makerInstrument, side, last, bid, ask, offsetPercent)
  // without a quote to keep off: the price from the last one alone
  const fromLast = limitPrice(makerInstrument, side, last, ZERO, ZERO, offsetPercent)
  const kept = side === "sell" ? `kept above the ${formatDecimal(bid)} bid` : `kept below the ${formatDecimal(ask)} ask`
  const origin = `from last ${formatDecimal(last)} ${side === "sell" ? "+" : "−"} ${formatDecimal(offsetPercent)}%${BigDecimal.equals(price, fromLast) ? "" : `, ${kept} so it rests`}`
  const why = unwind !== undefined && makerPosition !== undefined
    ? `, unwinding the ${formatDecimal(makerPosition)} ${makerInstrument.base} position an interrupted run left (${unwindOnly ? "--unwind-only" : "trade.unwind_at_start"})`
    : ""
  return {
    status: "ok",
    subject: "first order",
    detail: `${makerName} limit ${side} ${formatDecimal(qty)} at ${formatDecimal(price)} (${origin}), ${formatDecimal(BigDecimal.multiply(price, qty))} ${makerInstrument.quote}${why}; each fill hedged by an ${
      venueLabel(venues.hedge.venue)
    } market ${side === "sell" ? "buy" : "sell"}`
  }
}

/** What a start would tell the trader, and through what (nothing is sent by the check). */
const alertsLine = (config: HedgeConfig): CheckLine =>
  Option.match(config.alerts, {
    onNone: () => ({ status: "ok", subject: "alerts", detail: "none (set alerts.webhook_url to hear of a run's start, hedge failures, its end and each day's digest)" }),
    onSome: (a) => ({
      status: "ok",
      subject: "alerts",
      detail: `${a.format} webhook${a.format === "telegram" ? ` to chat ${a.telegramChatId}` : ""}: ${[a.onStart ? "a run's start" : "", a.onHedgeFailure ? "hedge failures (at most one a minute)" : "", a.onLossWarning ? "a loss limit 80% used" : "", "a venue's changed filters", "maker orders held back over a minute", "hedges waiting for a closed market", "its end", a.dailyDigest ? "a digest of each UTC day" : ""].filter(Boolean).join(", ")} (the check sends none)`
    })
  })

/** The cross-venue imbalance a start finds, and what it does about it (reconcile.ts). */
/** The hedge venue's position once a start has hedged an imbalance within risk.max_auto_hedge (beyond it, the start refuses). */
const afterStartHedge = (config: HedgeConfig, makerPosition: Decimal, hedgePosition: Decimal): Decimal => {
  const imbalance = BigDecimal.sum(makerPosition, hedgePosition)
  return BigDecimal.isZero(imbalance) || beyondAutoHedge(imbalance, config.risk.maxAutoHedge) ? hedgePosition : BigDecimal.negate(makerPosition)
}

const imbalanceLine = (config: HedgeConfig, venues: Venues, makerPosition: Decimal, hedgePosition: Decimal, spot: boolean): CheckLine => {
  const imbalance = BigDecimal.normalize(BigDecimal.sum(makerPosition, hedgePosition))
  const positions = `${venueLabel(venues.maker.venue)} ${formatDecimal(makerPosition)}, ${venueLabel(venues.hedge.venue)} ${formatDecimal(BigDecimal.normalize(hedgePosition))}${
    spot ? "; on spot, what the journal's trading moved" : ""
  }`
  const limit = `risk.max_auto_hedge ${formatDecimal(config.risk.maxAutoHedge)}`
  if (BigDecimal.isZero(imbalance)) return { status: "ok", subject: "imbalance", detail: `none (${positions})` }
  if (beyondAutoHedge(imbalance, config.risk.maxAutoHedge)) {
    return { status: "refuse", subject: "imbalance", detail: `${formatDecimal(imbalance)} (${positions}) is beyond ${limit}: a start refuses to trade` }
  }
  return { status: "warn", subject: "imbalance", detail: `${formatDecimal(imbalance)} (${positions}): a start hedges it on ${venueLabel(venues.hedge.venue)} first (${limit})` }
}

/**
 * A position a start finds at or beyond risk.max_position (a stop, the kill switch's among them,
 * left the pair there): the start unwinds it first when it unwinds (the runner's rule: the maker's
 * position, and the hedge's when it is the other side of the pair), else it refuses to trade.
 * Nothing to say when both are under the limit.
 */
const positionLimitLine = (config: HedgeConfig, venues: Venues, makerPosition: Decimal, hedgePosition: Decimal, unwindOnly: boolean): CheckLine | undefined => {
  const limit = config.risk.maxPosition
  const unwinding = shrunkByUnwinding(makerPosition, hedgePosition, config.trade.unwindAtStart || unwindOnly)
  const over = [
    { venue: venues.maker.venue, qty: makerPosition, unwound: unwinding.maker },
    { venue: venues.hedge.venue, qty: BigDecimal.normalize(hedgePosition), unwound: unwinding.hedge }
  ].filter((p) => BigDecimal.greaterThanOrEqualTo(BigDecimal.abs(p.qty), limit))
  if (over.length === 0) return undefined
  const subject = "position limit"
  const listed = `${over.map((p) => `${venueLabel(p.venue)} ${formatDecimal(p.qty)}`).join(", ")} at or beyond risk.max_position ±${formatDecimal(limit)}`
  if (over.every((p) => p.unwound)) {
    return { status: "warn", subject, detail: `${listed}: a start unwinds it first (${unwindOnly ? "--unwind-only" : "trade.unwind_at_start"}); until it is under the limit it may shrink, not grow` }
  }
  const hint = !unwinding.maker && !BigDecimal.isZero(makerPosition)
    ? `; ${unwindOnlyCommand(config)} trades the ${venueLabel(venues.maker.venue)} position back to zero, hedged, and stops`
    : ""
  return { status: "refuse", subject, detail: `${listed}: a start refuses to trade${hint}` }
}

/**
 * What the journal's trading moved on a spot hedge venue (none without a journal), as a start
 * counts it: the journal's fills, and what the venue says earlier runs executed beyond them (a
 * killed run's lacking fills, its unrecorded hedges, requests in doubt); left: why it could not be read.
 */
const journalledHedgeQty = (journal: ReadJournal, venue: Exchange, symbol: string, kind: RunKind): Effect.Effect<Either.Either<Decimal, string>> => {
  if (journal === undefined) return Effect.succeed(Either.right(ZERO))
  if (Either.isLeft(journal)) return Effect.succeed(Either.left(journal.left.message))
  return Effect.gen(function*() {
    const journalled = yield* journalledNetQty(journal.right, venue.venue, symbol, kind)
    // runs of another market on the same venue moved another asset
    const earlier = (yield* journal.right.runs()).filter((run) => run.kind === kind && run.hedge.venue === venue.venue && run.hedge.symbol === symbol)
    const beyond = yield* unjournalledExecutions(journal.right, earlier, venue)
    return BigDecimal.normalize(BigDecimal.sum(journalled, beyond))
  }).pipe(
    Effect.map(Either.right),
    Effect.catchAll((error) => Effect.succeed(Either.left(`could not look up what earlier runs executed on ${venueLabel(venue.venue)}: ${error.message}`))),
    // the journal is read as the runner reads it: a failed read is a defect there
    Effect.catchAllCause((cause) => Effect.succeed(Either.left(Cause.pretty(cause).split("\n")[0] ?? "unreadable")))
  )
}

/** risk.max_loss_per_day: the last 24 hours of the journal's runs of this kind, as a start counts them (marked at today's mids). */
const lastDayLine = (limit: Decimal, journal: ReadJournal, kind: RunKind, venues: Venues, readings: ReadonlyArray<VenueReading>, now: number): Effect.Effect<CheckLine> =>
  Effect.gen(function*() {
    const subject = "loss per day"
    if (journal === undefined) return { status: "ok", subject, detail: `no earlier run: the last 24 hours' PnL is 0 (the limit is ${formatDecimal(BigDecimal.negate(limit))})` } as const
    const { fills, funding } = yield* earlierRunsLastDay(yield* journal, kind, now)
    const lastDay = new TrailingPnl(DAY_MS, readings.flatMap((reading) => reading.instrument ?? []))
    for (const fill of fills) lastDay.addFill(fill)
    for (const payment of funding) lastDay.addFunding(payment.venue, payment.amount, payment.ts)
    for (const [i, venue] of [venues.maker.venue, venues.hedge.venue].entries()) {
      const ticker = readings[i]?.ticker
      if (ticker !== undefined) lastDay.mark(venue, mid(ticker.bid, ticker.ask), now)
    }
    const pnl = lastDay.pnlAt(now)
    const detail = `the last 24 hours' PnL is ${formatDecimal(pnl)} over ${fills.length} fill(s) of earlier ${kind} runs, the limit is ${formatDecimal(BigDecimal.negate(limit))}`
    return BigDecimal.greaterThan(pnl, BigDecimal.negate(limit))
      ? { status: "ok", subject, detail } as const
      : { status: "refuse", subject, detail: `${detail}: a start refuses to trade until ${utcTime(lastDay.clearsAt(now, limit))}` } as const
  }).pipe(Effect.catchAll((error) => Effect.succeed<CheckLine>({ status: "fail", subject: "loss per day", detail: error.message })))

/** What the journal holds from earlier runs (a missing journal is a first start). */
const journalLine = (journalPath: string, journal: ReadJournal): Effect.Effect<CheckLine> =>
  Effect.gen(function*() {
    // a start takes the journal's lock first: one held by a live runner refuses it
    const refusal = lockRefusalNow(journalPath, JOURNAL_FILE)
    if (refusal !== undefined) return { status: "fail", subject: "journal", detail: `${journalPath}: ${describeRefusal(refusal)}` } as const
    if (journal === undefined) return { status: "ok", subject: "journal", detail: `${journalPath}: none yet (a first start creates it)` } as const
    const opened = yield* journal
    const last = yield* opened.lastRun()
    if (Option.isNone(last)) return { status: "ok", subject: "journal", detail: `${journalPath}: no run yet` } as const
    const run = last.value
    const pending = yield* opened.pendingIntents()
    const ended = Option.isSome(run.endedAt)
      ? `run ${run.id} ended ${utcTime(run.endedAt.value)}: ${Option.getOrElse(run.outcome, () => "?")}`
      : `run ${run.id} (started ${utcTime(run.startedAt)}) never ended: running now, or it crashed`
    return pending.length === 0
      ? { status: "ok", subject: "journal", detail: `${journalPath}: ${ended}` } as const
      : { status: "warn", subject: "journal", detail: `${journalPath}: ${ended}; a start first settles ${pending.length} request(s) whose outcome is unknown` } as const
  }).pipe(Effect.catchAll((error) => Effect.succeed<CheckLine>({ status: "fail", subject: "journal", detail: error.message })))
