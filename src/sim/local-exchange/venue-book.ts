/**
 * One venue of the local exchange (`LocalVenue`): the backtest's `VenueEngine` fed in real time,
 * plus what a real venue keeps per account — orders and client ids, fills with fees, the position,
 * balances with a margin check, funding.
 *
 * Matching is the engine's, exactly as in the backtest: every order matches against the replayed
 * market only, so accounts never trade with each other. Rejects are the engine's (tick, step,
 * minQty, minNotional, postOnly, noLiquidity) plus the book's own: duplicateClientId,
 * insufficientBalance, reduceOnly and marketClosed.
 *
 * What the venue remembers of client ids and refused orders is the venue's own (`orderRules`,
 * default `venueOrderRules(venue)`): on Aster a client id only has to differ from those of the
 * account's open orders, and a crossing post-only (GTX) order, which Aster answers EXPIRED with an
 * order id, stays findable; on Backpack a client id must also differ from those of the closed orders
 * the book keeps, and a crossing post-only order is refused and forgotten. A lookup by client id
 * finds the newest order that used it.
 *
 * What an account holds and may spend (balances, margin, fees in the base asset): account-money.ts.
 *
 * Funding (perps): every `intervalHours` on the UTC grid (00:00, 04:00, … for 4 h), each open
 * position pays position × mark × rate (longs pay a positive rate, shorts receive it). The rate
 * is the tick file's upcoming funding row when it has rows (`fundingRate` from the feed), else
 * the configured one; the mark is the live mid (then the last trade, then the file's funding mark).
 * Funding is settled lazily: on the first market tick or call after the funding time. Each
 * account's payments are kept (`fundingPayments`, the venues' funding/income histories) and so is
 * each settlement's time, rate and mark (`fundingHistory`, the venues' rate histories).
 * The mark is the mid of the replayed quote; the index price is reported equal to it.
 *
 * The filters (tick, step, minimum quantity and notional) may change while the venue runs
 * (`changeFilters`, its values checked in filter-change.ts), as a real venue's sometimes do:
 * orders entered from then on are checked against the new ones, resting orders stay on the book
 * as they are.
 *
 * So may the market state (`changeMarketState`, in the venue's own words: market-states.ts),
 * carried as the instrument's `trading` (a book starts open: Open on Backpack, TRADING on Aster,
 * unless its instrument says otherwise). A new order the state does not take is refused
 * (`marketClosed`, the reason naming the state); cancels always work; resting orders stay, but
 * while the state takes no order at all the replayed market fills none of them (the prices still
 * move): a closed market trades nothing.
 */
import { BigDecimal } from "effect"
import { feeValuation } from "../../core/accounting/fee-value"
import { type FundingPayment, Ledger } from "../../core/accounting/ledger"
import { type Decimal, decimal, formatDecimal, fromUnits, toUnits, ZERO } from "../../core/domain/decimal"
import { checkFilters, type Instrument, type MarketTrading } from "../../core/domain/instrument"
import type { Fill, Order, OrderUpdate, Side, TimeInForce } from "../../core/domain/order"
import type { Venue } from "../../core/domain/venue"
import { engineFilters, type SimOrder, VenueEngine } from "../engine"
import { type ImpactModel, linearImpact } from "../models/impact"
import { conservativeQueue, type QueueModel } from "../models/queue"
import type { DepthLevels } from "../tickstore/types"
import { accountMoney, type AccountState, isOpen, type LocalAccountSummary } from "./account-money"
import { changedFilters } from "./filter-change"
import { marketRefusal, marketTradingOf, openStateOf, type OrderKind, takesNoOrders } from "./market-states"
import type { LocalFunding, LocalFundingEvent, LocalMarketEvent, LocalOrderRef, LocalTicker, LocalVenue } from "./types"

/** What a market feed (tick file or test script) drives: prices and quantities in the book's units, times in µs. */
export interface MarketSink {
  readonly quote: (tsUs: number, bid: number, bidQty: number, ask: number, askQty: number) => void
  readonly trade: (tsUs: number, price: number, qty: number, takerBuys: boolean) => void
  readonly depth: (tsUs: number, levels: DepthLevels) => void
  /** the current funding interval's rate (and the file's mark for it, if known) */
  readonly fundingRate: (rate: Decimal, mark?: Decimal) => void
  /**
   * A funding time of the venue's own schedule (paper trading follows a real venue's clock rather
   * than a fixed grid): every open position pays or receives `rate` at `markPrice`. Only for a
   * book made without its own `funding` schedule; a time already settled is ignored.
   */
  readonly settleFunding: (fundingTime: number, rate: Decimal, markPrice: Decimal) => void
}

/** What a venue remembers of client order ids and of the orders it refuses. */
export interface LocalOrderRules {
  /**
   * Which of the account's orders a new order's client id must differ from: `open` ones only (Aster:
   * `newClientOrderId` "unique among open orders"), or every order the book keeps, open and the
   * last closed ones (`kept`, Backpack).
   */
  readonly clientIdUniqueAmong: "open" | "kept"
  /**
   * Whether a post-only order that would cross stays an order of the account, closed with its
   * final state and found by id and client id afterwards (Aster answers it EXPIRED with an order
   * id and returns it from GET order); otherwise it is refused and forgotten (Backpack).
   */
  readonly keepsCrossedPostOnly: boolean
}

/** Each venue's own rules: Aster's (futures and spot) or Backpack's. */
export const venueOrderRules = (venue: Venue): LocalOrderRules =>
  venue === "backpack"
    ? { clientIdUniqueAmong: "kept", keepsCrossedPostOnly: false }
    : { clientIdUniqueAmong: "open", keepsCrossedPostOnly: true }

export interface LocalVenueOptions {
  /** its `venue` is the book's venue; `kind` says spot or perp; its `trading` the state the market starts in (absent: open) */
  readonly instrument: Instrument
  /** price units = price × 10^priceScale (the tick file's scale when fed from one) */
  readonly priceScale: number
  readonly qtyScale: number
  readonly fees: { readonly maker: Decimal; readonly taker: Decimal }
  /** an account's balances when first seen, per asset */
  readonly startingBalances: (account: string) => ReadonlyMap<string, Decimal>
  /** whether an account pays its fees in the base asset while it holds enough of it (default: none does) */
  readonly paysFeesInBase?: (account: string) => boolean
  /** perps only: the funding interval and the rate used until a feed gives one */
  readonly funding?: { readonly intervalHours: number; readonly rate: Decimal }
  /** perps: margin leverage, a whole number (default 10) */
  readonly leverage?: number
  readonly queue?: QueueModel
  /** default: 2 bps per top-of-book size beyond the top (the backtest's default) */
  readonly impact?: ImpactModel
  /** top-of-book size assumed when the feed carries none (default 1000) */
  readonly assumedTopQty?: Decimal
  /** how client ids and refused orders are remembered (default: the instrument's venue's, `venueOrderRules`) */
  readonly orderRules?: LocalOrderRules
  /** venue time, ms (default Date.now) */
  readonly clock?: () => number
  /** a listener threw (default: console.error) */
  readonly onListenerError?: (error: unknown) => void
}

/** A LocalVenue plus the feed side and the extras the wire protocols may want. */
export interface LocalVenueBook extends LocalVenue {
  /** the market input: what a tick feed or a test script drives */
  readonly feed: MarketSink
  readonly engine: VenueEngine
  readonly priceScale: number
  readonly qtyScale: number
  readonly fees: { readonly maker: Decimal; readonly taker: Decimal }
  readonly accountSummary: (account: string) => LocalAccountSummary
  readonly maxOrderQty: (account: string, side: Side, price: Decimal) => Decimal
  readonly fundingPayments: (account: string) => ReadonlyArray<FundingPayment>
  readonly fundingHistory: () => ReadonlyArray<LocalFundingEvent>
  /** accounts seen so far */
  readonly accounts: () => ReadonlyArray<string>
  readonly changeMarketState: NonNullable<LocalVenue["changeMarketState"]>
  /** the market state a real venue was read in (paper trading), whatever its word: it takes what `trading` says */
  readonly adoptMarketTrading: (trading: MarketTrading) => Instrument
}

export type PlacedOrder = Order & { readonly rejectCode?: string }

const KEEP_CLOSED_ORDERS = 1000
const KEEP_FILLS = 10_000
/** funding settlements kept for the rate history (over a year of hourly funding) */
const KEEP_FUNDING_EVENTS = 10_000
const DEPTH_MAX_AGE_US = 5_000_000
const HOUR_MS = 3_600_000
const TWO = decimal("2")

/** Decimal → engine units; -1 when it does not fit the unit grid (the engine then rejects it). */
const unitsOrInvalid = (value: Decimal, scale: number): number => {
  try {
    const units = toUnits(value, scale)
    return units > 0n && units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(units) : -1
  } catch {
    return -1
  }
}

export const makeLocalVenue = (options: LocalVenueOptions): LocalVenueBook => {
  const { priceScale, qtyScale, fees } = options
  const venue = options.instrument.venue
  /**
   * the symbol, its filters and market state as they are now (`changeFilters` and
   * `changeMarketState` replace it; venue, symbol and assets never change)
   */
  let instrument: Instrument & { readonly trading: MarketTrading } = {
    ...options.instrument,
    trading: options.instrument.trading ?? marketTradingOf(venue, openStateOf(venue))
  }
  /** read on every market tick: whether the state takes no order at all (then nothing fills) */
  let halted = takesNoOrders(venue, instrument.trading)
  const perp = instrument.kind === "perp"
  const orderRules = options.orderRules ?? venueOrderRules(venue)
  const clock = options.clock ?? Date.now
  const leverage = options.leverage ?? 10
  const assumedTopQty = options.assumedTopQty ?? decimal("1000")
  const onListenerError = options.onListenerError ?? ((error: unknown) => console.error(`local exchange: a listener failed: ${String(error)}`))
  if (!Number.isSafeInteger(leverage) || leverage < 1) throw new Error(`leverage must be a whole number ≥ 1, got ${leverage}`)

  const px = (units: number) => fromUnits(units, priceScale)
  const qx = (units: number) => fromUnits(units, qtyScale)
  const engineInstrument = engineFilters(instrument, priceScale, qtyScale)
  const assumedTopUnits = (() => {
    // named as the backtest names it: the config's key, and the grid it is finer than
    try {
      return Number(toUnits(assumedTopQty, qtyScale))
    } catch {
      throw new Error(`sim.assumed_top_qty ${formatDecimal(assumedTopQty)} is finer than the quantities of ${instrument.venue}:${instrument.symbol} (${qtyScale} decimals)`)
    }
  })()

  // ---- ids: decimal integers (both venues' wire formats carry numeric ids), unique across restarts
  let orderSeq = clock() * 1000
  let tradeSeq = clock() * 1000
  let marketTradeSeq = clock() * 1000

  // ---- the latest depth snapshot, handed to the engine by a local id
  let depthLevels: DepthLevels | undefined
  let depthTs = -1
  let depthId = 0

  // ---- funding
  const intervalMs = options.funding !== undefined ? Math.round(options.funding.intervalHours * HOUR_MS) : 0
  if (perp && options.funding !== undefined && !(intervalMs > 0)) throw new Error("funding interval must be positive")
  let fundingRateNow: Decimal = options.funding?.rate ?? ZERO
  let fundingMark: Decimal | undefined
  let nextFundingDue = intervalMs > 0 ? (Math.floor(clock() / intervalMs) + 1) * intervalMs : Number.POSITIVE_INFINITY
  /** every settlement (time, rate, mark), whether or not an account held a position */
  const fundingEvents: Array<LocalFundingEvent> = []

  const accountsByName = new Map<string, AccountState>()
  const ownerOf = new Map<string, AccountState>()
  const marketListeners = new Set<(event: LocalMarketEvent) => void>()
  /** fills of an order being submitted wait until its acceptance has been announced */
  let submitting: { readonly id: string; readonly updates: Array<OrderUpdate> } | undefined

  const account = (name: string): AccountState => {
    let state = accountsByName.get(name)
    if (state === undefined) {
      state = {
        name,
        start: new Map(options.startingBalances(name)),
        paysFeesInBase: options.paysFeesInBase?.(name) ?? false,
        // its fees valued in the quote asset (those paid in the base at their fill's price)
        ledger: new Ledger([venue], feeValuation([instrument])),
        orders: new Map(),
        byClientId: new Map(),
        closed: [],
        fills: [],
        listeners: new Set()
      }
      accountsByName.set(name, state)
    }
    return state
  }

  const notify = (acct: AccountState, update: OrderUpdate) => {
    for (const listener of acct.listeners) {
      try {
        listener(update)
      } catch (error) {
        onListenerError(error)
      }
    }
  }

  const emitMarket = (event: LocalMarketEvent) => {
    for (const listener of marketListeners) {
      try {
        listener(event)
      } catch (error) {
        onListenerError(error)
      }
    }
  }

  const toOrder = (o: SimOrder): PlacedOrder => ({
    venue,
    symbol: instrument.symbol,
    id: o.id,
    clientId: o.clientId,
    side: o.sign > 0 ? "buy" : "sell",
    type: o.type,
    ...(o.type === "limit" && o.price > 0 ? { price: px(o.price) } : {}),
    qty: qx(Math.max(o.qty, 0)),
    filledQty: qx(o.filled),
    filledQuote: fromUnits(o.filledQuote, priceScale + qtyScale),
    status: o.status,
    postOnly: o.postOnly,
    timeInForce: o.timeInForce,
    createdAt: Math.floor(o.createdAt / 1000),
    updatedAt: Math.floor(o.updatedAt / 1000),
    ...(o.rejectReason !== undefined ? { rejectReason: o.rejectReason } : {}),
    ...(o.rejectCode !== undefined ? { rejectCode: o.rejectCode } : {})
  })

  const retire = (acct: AccountState, o: SimOrder) => {
    acct.closed.push(o.id)
    if (acct.closed.length > KEEP_CLOSED_ORDERS) {
      const old = acct.closed.shift()!
      const forgotten = acct.orders.get(old)
      acct.orders.delete(old)
      ownerOf.delete(old)
      if (forgotten !== undefined && acct.byClientId.get(forgotten.clientId) === old) acct.byClientId.delete(forgotten.clientId)
    }
  }

  // ---- prices

  const mid = (): Decimal | undefined => {
    const e = engine
    return e.bid > 0 && e.ask > 0 ? BigDecimal.unsafeDivide(px(e.bid + e.ask), TWO) : undefined
  }

  const markPrice = (): Decimal | undefined => mid() ?? (engine.last > 0 ? px(engine.last) : fundingMark)

  // ---- the engine and its fills

  const { feeOf, summary, balancesOf, unaffordable, notReducing } = accountMoney({
    venue,
    assets: { base: instrument.base, quote: instrument.quote },
    perp,
    leverage,
    fees,
    markPrice,
    px,
    qx
  })

  const onFill = (order: SimOrder, ts: number, price: number, qty: number, liquidity: "maker" | "taker") => {
    const acct = ownerOf.get(order.id)
    if (acct === undefined) return
    const priceDecimal = px(price)
    const qtyDecimal = qx(qty)
    const rate = liquidity === "maker" ? fees.maker : fees.taker
    const fee = feeOf(acct, order.sign, qtyDecimal, BigDecimal.multiply(priceDecimal, qtyDecimal), rate)
    const fill: Fill = {
      venue,
      symbol: instrument.symbol,
      orderId: order.id,
      tradeId: String(++tradeSeq),
      side: order.sign > 0 ? "buy" : "sell",
      price: priceDecimal,
      qty: qtyDecimal,
      fee: fee.amount,
      feeAsset: fee.asset,
      liquidity,
      ts: Math.floor(ts / 1000)
    }
    acct.ledger.recordFill(fill)
    acct.fills.push(fill)
    if (acct.fills.length > KEEP_FILLS) acct.fills.shift()
    const update: OrderUpdate = { order: toOrder(order), fill }
    if (submitting !== undefined && submitting.id === order.id) {
      submitting.updates.push(update)
      return
    }
    if (!isOpen(order)) retire(acct, order)
    notify(acct, update)
  }

  const engine = new VenueEngine(
    venue,
    engineInstrument,
    options.queue ?? conservativeQueue,
    options.impact ?? linearImpact(decimal("2"), 0),
    (id) => {
      if (id !== depthId || depthLevels === undefined) throw new Error(`local venue ${venue}: depth snapshot ${id} is gone`)
      return depthLevels
    },
    { onFill: (_venue, order, ts, price, qty, liquidity) => onFill(order, ts, price, qty, liquidity) },
    { assumedTopQtyUnits: assumedTopUnits, depthMaxAgeUs: DEPTH_MAX_AGE_US, rejectMarket: () => false }
  )

  // ---- funding

  const settleFunding = () => {
    if (!perp || intervalMs <= 0) return
    const now = clock()
    if (now < nextFundingDue) return
    // a clock that jumped far ahead (tests) settles the intervals it skipped, up to a bound
    if (now - nextFundingDue > 1000 * intervalMs) nextFundingDue = (Math.floor(now / intervalMs) - 999) * intervalMs
    while (now >= nextFundingDue) {
      const mark = markPrice()
      if (mark !== undefined) applyFunding(nextFundingDue, fundingRateNow, mark)
      nextFundingDue += intervalMs
    }
  }

  const applyFunding = (ts: number, rate: Decimal, mark: Decimal) => {
    for (const acct of accountsByName.values()) acct.ledger.recordFunding(venue, ts, rate, mark)
    fundingEvents.push({ ts, rate, markPrice: mark })
    if (fundingEvents.length > KEEP_FUNDING_EVENTS) fundingEvents.shift()
  }

  /**
   * The largest limit order of `side` at `price`, in whole steps, that `unaffordable` lets
   * through now: found by bisection, since what an order needs grows with its quantity.
   */
  const maxOrderQty = (accountName: string, side: Side, price: Decimal): Decimal => {
    const acct = account(accountName)
    const qtyOf = (steps: bigint) => BigDecimal.multiply(instrument.stepSize, BigDecimal.fromBigInt(steps))
    const affordable = (steps: bigint) => unaffordable(acct, side, qtyOf(steps), price) === undefined
    if (!affordable(1n)) return ZERO
    let lo = 1n
    let hi = 2n
    while (affordable(hi)) {
      lo = hi
      hi *= 2n
      if (hi > 1n << 62n) return BigDecimal.normalize(qtyOf(lo))
    }
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n
      if (affordable(mid)) lo = mid
      else hi = mid
    }
    return BigDecimal.normalize(qtyOf(lo))
  }

  // ---- order entry

  const newSimOrder = (clientId: string, side: Side, type: "limit" | "market", price: number, qty: number, postOnly: boolean, timeInForce: TimeInForce, ts: number): SimOrder => ({
    id: String(++orderSeq),
    clientId,
    sign: side === "buy" ? 1 : -1,
    type,
    price,
    qty,
    postOnly,
    timeInForce,
    createdAt: ts,
    updatedAt: ts,
    filled: 0,
    filledQuote: 0n,
    status: "new",
    queue: { ahead: 0 },
    levelQty: 0
  })

  const refuse = (o: SimOrder, code: string, reason: string): PlacedOrder => {
    o.status = "rejected"
    o.rejectCode = code
    o.rejectReason = reason
    return toOrder(o)
  }

  /** Runs the engine on an order the book accepted, then announces: accepted, each fill, the end. */
  const submit = (acct: AccountState, o: SimOrder, run: (o: SimOrder) => SimOrder): PlacedOrder => {
    const accepted = toOrder(o)
    const pending = { id: o.id, updates: [] as Array<OrderUpdate> }
    ownerOf.set(o.id, acct)
    submitting = pending
    try {
      run(o)
    } finally {
      submitting = undefined
    }
    const refusedUnfilled = o.status === "rejected" && o.filled === 0
    if (refusedUnfilled && !(o.rejectCode === "postOnly" && orderRules.keepsCrossedPostOnly)) {
      ownerOf.delete(o.id)
      return toOrder(o)
    }
    acct.orders.set(o.id, o)
    // the newest order with a client id is the one a lookup by it finds
    if (o.clientId !== "") acct.byClientId.set(o.clientId, o.id)
    if (refusedUnfilled) {
      // a crossing post-only order the venue keeps: closed at once, never on the book, announced to nobody
      retire(acct, o)
      return toOrder(o)
    }
    notify(acct, { order: accepted })
    for (const update of pending.updates) notify(acct, update)
    const last = pending.updates[pending.updates.length - 1]
    if (!isOpen(o)) {
      retire(acct, o)
      // the last fill already carried a "filled" state; an expiry or rejected remainder gets its own message
      if (last === undefined || last.order.status !== o.status) notify(acct, { order: toOrder(o) })
    }
    return toOrder(o)
  }

  /** whether `clientId` is taken, by the venue's rule: by an open order, or by any order the book keeps */
  const duplicate = (acct: AccountState, clientId: string) => {
    if (clientId === "") return false
    const id = acct.byClientId.get(clientId)
    if (id === undefined) return false
    if (orderRules.clientIdUniqueAmong === "kept") return true
    // only the newest order with an id can be open: an id is reused only once its order has closed
    const newest = acct.orders.get(id)
    return newest !== undefined && isOpen(newest)
  }

  /** why the market's state refuses a new order of this kind (undefined: it takes it) */
  const closedTo = (kind: OrderKind) => marketRefusal(venue, instrument.trading, kind)

  const placeLimit: LocalVenue["placeLimit"] = (accountName, request) => {
    settleFunding()
    const acct = account(accountName)
    const ts = clock() * 1000
    const o = newSimOrder(request.clientId, request.side, "limit", unitsOrInvalid(request.price, priceScale), unitsOrInvalid(request.qty, qtyScale), request.postOnly, request.timeInForce, ts)
    if (duplicate(acct, request.clientId)) return refuse(o, "duplicateClientId", `client order id ${request.clientId} is already used by an order of this account`)
    const closed = closedTo(request.postOnly ? "postOnlyLimit" : "limit")
    if (closed !== undefined) return refuse(o, "marketClosed", closed)
    const engineWillReject = o.price <= 0 || o.qty <= 0 || checkFilters(instrument, request.qty, request.price) !== undefined ||
      (request.postOnly && (o.sign < 0 ? engine.bid > 0 && o.price <= engine.bid : engine.ask > 0 && o.price >= engine.ask))
    if (!engineWillReject) {
      if (perp && request.reduceOnly === true && notReducing(acct, request.side, request.qty))
        return refuse(o, "reduceOnly", "reduce-only order would not reduce the position")
      const reason = request.reduceOnly === true && perp ? undefined : unaffordable(acct, request.side, request.qty, request.price)
      if (reason !== undefined) return refuse(o, "insufficientBalance", `insufficient balance: ${reason}`)
    }
    return submit(acct, o, (order) => engine.submitLimit(ts, order))
  }

  const placeMarket: LocalVenue["placeMarket"] = (accountName, request) => {
    settleFunding()
    const acct = account(accountName)
    const ts = clock() * 1000
    const o = newSimOrder(request.clientId, request.side, "market", 0, unitsOrInvalid(request.qty, qtyScale), false, "IOC", ts)
    if (duplicate(acct, request.clientId)) return refuse(o, "duplicateClientId", `client order id ${request.clientId} is already used by an order of this account`)
    const closed = closedTo("market")
    if (closed !== undefined) return refuse(o, "marketClosed", closed)
    const best = request.side === "buy" ? engine.ask : engine.bid
    const engineWillReject = best <= 0 || o.qty <= 0 || checkFilters(instrument, request.qty, undefined, px(best)) !== undefined
    if (!engineWillReject) {
      if (perp && request.reduceOnly === true && notReducing(acct, request.side, request.qty))
        return refuse(o, "reduceOnly", "reduce-only order would not reduce the position")
      const reason = request.reduceOnly === true && perp ? undefined : unaffordable(acct, request.side, request.qty, px(best))
      if (reason !== undefined) return refuse(o, "insufficientBalance", `insufficient balance: ${reason}`)
    }
    return submit(acct, o, (order) => engine.submitMarket(ts, order))
  }

  const find = (acct: AccountState, ref: LocalOrderRef): SimOrder | undefined => {
    const id = "orderId" in ref ? ref.orderId : acct.byClientId.get(ref.clientId)
    return id === undefined ? undefined : acct.orders.get(id)
  }

  const cancel: LocalVenue["cancel"] = (accountName, ref) => {
    settleFunding()
    const acct = account(accountName)
    const o = find(acct, ref)
    if (o === undefined) return undefined
    if (isOpen(o)) {
      engine.cancel(clock() * 1000, o.id)
      retire(acct, o)
      notify(acct, { order: toOrder(o) })
    }
    return toOrder(o)
  }

  // ---- market input (the feed)

  const feed: MarketSink = {
    quote: (tsUs, bid, bidQty, ask, askQty) => {
      settleFunding()
      // a market taking no orders matches none: the quote moves, resting orders wait
      if (halted) engine.setQuote(tsUs, bid, bidQty, ask, askQty)
      else engine.onQuote(tsUs, bid, bidQty, ask, askQty)
      if (marketListeners.size > 0)
        emitMarket({ kind: "quote", ts: Math.floor(tsUs / 1000), bid: px(bid), bidQty: qx(bidQty), ask: px(ask), askQty: qx(askQty) })
    },
    trade: (tsUs, price, qty, takerBuys) => {
      settleFunding()
      if (halted) engine.setLastTrade(tsUs, price)
      else engine.onTrade(tsUs, price, qty, takerBuys)
      const tradeId = ++marketTradeSeq
      if (marketListeners.size > 0)
        emitMarket({ kind: "trade", ts: Math.floor(tsUs / 1000), price: px(price), qty: qx(qty), takerSide: takerBuys ? "buy" : "sell", tradeId })
    },
    depth: (tsUs, levels) => {
      depthLevels = levels
      depthTs = tsUs
      depthId += 1
      engine.onDepth(tsUs, depthId)
      if (marketListeners.size > 0) emitMarket({ kind: "depth", ts: Math.floor(tsUs / 1000) })
    },
    fundingRate: (rate, mark) => {
      settleFunding()
      fundingRateNow = rate
      if (mark !== undefined) fundingMark = mark
    },
    settleFunding: (fundingTime, rate, mark) => {
      if (!perp) return
      if (intervalMs > 0) throw new Error("this book settles funding on its own schedule")
      const last = fundingEvents[fundingEvents.length - 1]
      if (last !== undefined && fundingTime <= last.ts) return
      applyFunding(fundingTime, rate, mark)
    }
  }

  const changeFilters: LocalVenue["changeFilters"] = (change) => {
    const next = changedFilters(instrument, change, priceScale, qtyScale)
    // the engine checks the orders entered from now on; the pre-checks read `instrument`
    engine.changeFilters(engineFilters(next, priceScale, qtyScale))
    instrument = { ...next, trading: instrument.trading }
    return instrument
  }

  const adoptMarketTrading: LocalVenueBook["adoptMarketTrading"] = (trading) => {
    instrument = { ...instrument, trading }
    halted = takesNoOrders(venue, trading)
    return instrument
  }
  const changeMarketState: LocalVenueBook["changeMarketState"] = (state) => adoptMarketTrading(marketTradingOf(venue, state))

  const depth: LocalVenue["depth"] = (limit) => {
    const now = clock()
    const bids: Array<readonly [Decimal, Decimal]> = []
    const asks: Array<readonly [Decimal, Decimal]> = []
    const n = Math.max(0, Math.floor(limit))
    if (engine.bid > 0 && engine.ask > 0 && n > 0) {
      const fresh = depthLevels !== undefined && now * 1000 - depthTs <= DEPTH_MAX_AGE_US ? depthLevels : undefined
      bids.push([px(engine.bid), qx(engine.bidQty > 0 ? engine.bidQty : assumedTopUnits)])
      asks.push([px(engine.ask), qx(engine.askQty > 0 ? engine.askQty : assumedTopUnits)])
      for (const [p, q] of fresh?.bids ?? []) if (p < engine.bid && q > 0 && bids.length < n) bids.push([px(p), qx(q)])
      for (const [p, q] of fresh?.asks ?? []) if (p > engine.ask && q > 0 && asks.length < n) asks.push([px(p), qx(q)])
    }
    return { ts: now, bids, asks }
  }

  const book: LocalVenueBook = {
    venue,
    // read per call: the filters may change (the wire routes read it per request)
    get instrument() {
      return instrument
    },
    changeFilters,
    changeMarketState,
    adoptMarketTrading,
    leverage: perp ? leverage : 1,
    maxOrderQty,
    engine,
    priceScale,
    qtyScale,
    fees,
    now: clock,
    ticker: (): LocalTicker | undefined => {
      settleFunding()
      if (!(engine.bid > 0 && engine.ask > 0)) return undefined
      return {
        ts: Math.floor(Math.max(engine.quoteTs, engine.lastTradeTs) / 1000),
        bid: px(engine.bid),
        bidQty: qx(engine.bidQty),
        ask: px(engine.ask),
        askQty: qx(engine.askQty),
        last: engine.last > 0 ? px(engine.last) : mid()!
      }
    },
    depth,
    funding: (): LocalFunding | undefined => {
      if (!perp || intervalMs <= 0) return undefined
      settleFunding()
      const mark = markPrice()
      if (mark === undefined) return undefined
      return { markPrice: mark, indexPrice: mark, rate: fundingRateNow, nextFundingTime: nextFundingDue, intervalHours: intervalMs / HOUR_MS }
    },
    placeLimit,
    placeMarket,
    cancel,
    order: (accountName, ref) => {
      settleFunding()
      const o = find(account(accountName), ref)
      return o === undefined ? undefined : toOrder(o)
    },
    openOrders: (accountName) => {
      settleFunding()
      return [...account(accountName).orders.values()].filter(isOpen).map(toOrder)
    },
    fills: (accountName, sinceMs) => {
      settleFunding()
      const all = account(accountName).fills
      return sinceMs === undefined ? [...all] : all.filter((f) => f.ts >= sinceMs)
    },
    position: (accountName) => {
      settleFunding()
      return account(accountName).ledger.book(venue).position
    },
    balances: (accountName) => {
      settleFunding()
      return balancesOf(account(accountName))
    },
    accountSummary: (accountName) => {
      settleFunding()
      return summary(account(accountName))
    },
    unrealizedPnl: (accountName) => {
      settleFunding()
      return summary(account(accountName)).unrealizedPnl
    },
    fundingPayments: (accountName) => {
      settleFunding()
      return [...account(accountName).ledger.funding]
    },
    fundingHistory: () => {
      settleFunding()
      return [...fundingEvents]
    },
    accounts: () => [...accountsByName.keys()],
    onOrderUpdate: (accountName, listener) => {
      const acct = account(accountName)
      acct.listeners.add(listener)
      return () => void acct.listeners.delete(listener)
    },
    onMarket: (listener) => {
      marketListeners.add(listener)
      return () => void marketListeners.delete(listener)
    },
    feed
  }
  return book
}
