/**
 * A small LocalVenue for wire-protocol tests, built on the backtest's VenueEngine (conservative
 * queue, no impact): the test moves the market with `quote` and `trade`, the engine decides fills,
 * and every placement, fill and cancel reaches the account's order-update listeners. Time is the
 * wall clock (plus `skewMs`), since the protocol under test runs over real loopback sockets.
 * The filters may change while it runs (`changeFilters`) within the decimals it was built with.
 */
import { BigDecimal } from "effect"
import type { Balance } from "../../src/core/domain/account"
import { type Decimal, decimal, decimalsOf, formatDecimal, fromUnits, toUnits, ZERO } from "../../src/core/domain/decimal"
import type { Instrument } from "../../src/core/domain/instrument"
import type { Fill, Order, OrderUpdate, Side } from "../../src/core/domain/order"
import { engineFilters, type SimOrder, VenueEngine } from "../../src/sim/engine"
import type { LocalFunding, LocalMarketEvent, LocalOrderRef, LocalVenue } from "../../src/sim/local-exchange/types"
import { changedFilters } from "../../src/sim/local-exchange/filter-change"
import { linearImpact } from "../../src/sim/models/impact"
import { conservativeQueue } from "../../src/sim/models/queue"

export const PERP: Instrument = {
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  base: "ASTER",
  quote: "USDC",
  kind: "perp",
  tickSize: decimal("0.0001"),
  stepSize: decimal("0.01"),
  minQty: decimal("0.01"),
  minNotional: ZERO
}

export interface FakeVenueOptions {
  readonly instrument?: Instrument
  readonly funding?: LocalFunding
  /** fee per unit of notional on every fill */
  readonly feeRate?: string
  readonly startingQuote?: string
}

export interface FakeLocalVenue extends LocalVenue {
  /** moves the top of book (decimal strings) */
  readonly quote: (bid: string, bidQty: string, ask: string, askQty: string) => void
  readonly trade: (price: string, qty: string, takerSide: Side) => void
  /** sets the levels behind the top of book ([price, qty] decimal strings), as a depth snapshot would */
  readonly levels: (bids: ReadonlyArray<readonly [string, string]>, asks: ReadonlyArray<readonly [string, string]>) => void
  /** every placement that reached the venue, in order */
  readonly placements: ReadonlyArray<{ readonly account: string; readonly clientId: string }>
  /** venue clock = wall clock + skew */
  skewMs: number
  /** what maxOrderQty answers (any side and price), and what it was asked */
  maxOrder: Decimal
  readonly maxOrderAsked: Array<{ readonly side: Side; readonly price: string }>
}

export const makeFakeLocalVenue = (options: FakeVenueOptions = {}): FakeLocalVenue => {
  const initial = options.instrument ?? PERP
  // venue and symbol never change: only the filters do (changeFilters)
  let instrument = initial
  const priceScale = decimalsOf(initial.tickSize)
  const qtyScale = decimalsOf(initial.stepSize)
  const priceUnits = (d: Decimal) => Number(toUnits(d, priceScale))
  const qtyUnits = (d: Decimal) => Number(toUnits(d, qtyScale))
  const feeRate = decimal(options.feeRate ?? "0.0002")

  const placements: Array<{ account: string; clientId: string }> = []
  const accountOf = new Map<string, string>()
  const orderIds = new Map<string, Array<string>>()
  const fills = new Map<string, Array<Fill>>()
  const position = new Map<string, Decimal>()
  const cash = new Map<string, Decimal>()
  const orderListeners = new Map<string, Set<(update: OrderUpdate) => void>>()
  const marketListeners = new Set<(event: LocalMarketEvent) => void>()
  let nextOrderId = 1000
  let nextTradeId = 1
  let last: Decimal | undefined
  let behind: { bids: Array<readonly [Decimal, Decimal]>; asks: Array<readonly [Decimal, Decimal]> } = { bids: [], asks: [] }

  const toOrder = (o: SimOrder): Order => ({
    venue: instrument.venue,
    symbol: instrument.symbol,
    id: o.id,
    clientId: o.clientId,
    side: o.sign > 0 ? "buy" : "sell",
    type: o.type,
    ...(o.type === "limit" ? { price: fromUnits(o.price, priceScale) } : {}),
    qty: fromUnits(o.qty, qtyScale),
    filledQty: fromUnits(o.filled, qtyScale),
    filledQuote: fromUnits(o.filledQuote, priceScale + qtyScale),
    status: o.status,
    postOnly: o.postOnly,
    timeInForce: o.timeInForce,
    // the engine keeps times in µs
    createdAt: Math.floor(o.createdAt / 1000),
    updatedAt: Math.floor(o.updatedAt / 1000),
    ...(o.rejectReason !== undefined ? { rejectReason: o.rejectReason } : {})
  })

  const emit = (account: string, update: OrderUpdate) => {
    for (const listener of orderListeners.get(account) ?? []) listener(update)
  }

  const venue: FakeLocalVenue = {
    venue: instrument.venue,
    // read on every request (backpackRoutes): the filters may change while the venue runs
    get instrument() {
      return instrument
    },
    // as the venue book's: its units are the decimals of the filters it was built with
    changeFilters: (change) => {
      instrument = changedFilters(instrument, change, priceScale, qtyScale)
      // GET /api/v1/market lists the new ones; the engine checks the orders entered from now on
      engine.changeFilters(engineFilters(instrument, priceScale, qtyScale))
      return instrument
    },
    leverage: 10,
    skewMs: 0,
    maxOrder: decimal("1000"),
    maxOrderAsked: [],
    maxOrderQty: (_account, side, price) => {
      venue.maxOrderAsked.push({ side, price: formatDecimal(price) })
      return venue.maxOrder
    },
    placements,
    now: () => Date.now() + venue.skewMs,
    ticker: () => (engine.bid > 0 && last !== undefined
      ? {
        ts: venue.now(),
        bid: fromUnits(engine.bid, priceScale),
        bidQty: fromUnits(engine.bidQty, qtyScale),
        ask: fromUnits(engine.ask, priceScale),
        askQty: fromUnits(engine.askQty, qtyScale),
        last
      }
      : undefined),
    depth: (limit) => ({
      ts: venue.now(),
      bids: engine.bid > 0
        ? [[fromUnits(engine.bid, priceScale), fromUnits(engine.bidQty, qtyScale)] as const, ...behind.bids.filter(([p]) => priceUnits(p) < engine.bid)].slice(0, limit)
        : [],
      asks: engine.ask > 0
        ? [[fromUnits(engine.ask, priceScale), fromUnits(engine.askQty, qtyScale)] as const, ...behind.asks.filter(([p]) => priceUnits(p) > engine.ask)].slice(0, limit)
        : []
    }),
    funding: () => options.funding,
    placeLimit: (account, request) => {
      placements.push({ account, clientId: request.clientId })
      const duplicate = (orderIds.get(account) ?? []).some((id) => {
        const o = engine.order(id)
        return o !== undefined && o.clientId === request.clientId && (o.status === "new" || o.status === "partially-filled")
      })
      const sim = newOrder(String(++nextOrderId), request.clientId, request.side, "limit", priceUnits(request.price), qtyUnits(request.qty), request.postOnly, request.timeInForce, venue.now() * 1000)
      if (duplicate) return { ...toOrder({ ...sim, status: "rejected", rejectReason: "duplicate client id" }), rejectCode: "duplicateClientId" }
      accountOf.set(sim.id, account)
      orderIds.set(account, [...(orderIds.get(account) ?? []), sim.id])
      const result = engine.submitLimit(venue.now() * 1000, sim)
      if (result.status === "rejected") return { ...toOrder(result), ...(result.rejectCode !== undefined ? { rejectCode: result.rejectCode } : {}) }
      emit(account, { order: toOrder(result) })
      return toOrder(result)
    },
    placeMarket: (account, request) => {
      placements.push({ account, clientId: request.clientId })
      const sim = newOrder(String(++nextOrderId), request.clientId, request.side, "market", 0, qtyUnits(request.qty), false, "IOC", venue.now() * 1000)
      accountOf.set(sim.id, account)
      orderIds.set(account, [...(orderIds.get(account) ?? []), sim.id])
      const result = engine.submitMarket(venue.now() * 1000, sim)
      if (result.status === "rejected" && result.filled === 0) return { ...toOrder(result), ...(result.rejectCode !== undefined ? { rejectCode: result.rejectCode } : {}) }
      return toOrder(result)
    },
    cancel: (account, ref) => {
      const id = idOf(account, ref)
      if (id === undefined) return undefined
      const before = engine.order(id)?.status
      const o = engine.cancel(venue.now() * 1000, id)
      if (o === undefined) return undefined
      if (before !== o.status) emit(account, { order: toOrder(o) })
      return toOrder(o)
    },
    order: (account, ref) => {
      const id = idOf(account, ref)
      const o = id === undefined ? undefined : engine.order(id)
      return o === undefined ? undefined : toOrder(o)
    },
    openOrders: (account) =>
      (orderIds.get(account) ?? []).flatMap((id) => {
        const o = engine.order(id)
        return o !== undefined && (o.status === "new" || o.status === "partially-filled") ? [toOrder(o)] : []
      }),
    fills: (account, sinceMs) => (fills.get(account) ?? []).filter((f) => sinceMs === undefined || f.ts >= sinceMs),
    position: (account) => position.get(account) ?? ZERO,
    balances: (account): ReadonlyArray<Balance> => [
      { venue: instrument.venue, asset: instrument.quote, free: cash.get(account) ?? decimal(options.startingQuote ?? "10000"), locked: ZERO },
      { venue: instrument.venue, asset: instrument.base, free: position.get(account) ?? ZERO, locked: ZERO }
    ],
    onOrderUpdate: (account, listener) => {
      const set = orderListeners.get(account) ?? new Set()
      set.add(listener)
      orderListeners.set(account, set)
      return () => void set.delete(listener)
    },
    onMarket: (listener) => {
      marketListeners.add(listener)
      return () => void marketListeners.delete(listener)
    },
    quote: (bid, bidQty, ask, askQty) => {
      const ts = venue.now()
      engine.onQuote(ts * 1000, priceUnits(decimal(bid)), qtyUnits(decimal(bidQty)), priceUnits(decimal(ask)), qtyUnits(decimal(askQty)))
      for (const listener of marketListeners) listener({ kind: "quote", ts, bid: decimal(bid), bidQty: decimal(bidQty), ask: decimal(ask), askQty: decimal(askQty) })
    },
    levels: (bids, asks) => {
      const parse = (levels: ReadonlyArray<readonly [string, string]>) => levels.map(([p, q]) => [decimal(p), decimal(q)] as const)
      behind = { bids: parse(bids), asks: parse(asks) }
      for (const listener of marketListeners) listener({ kind: "depth", ts: venue.now() })
    },
    trade: (price, qty, takerSide) => {
      const ts = venue.now()
      last = decimal(price)
      engine.onTrade(ts * 1000, priceUnits(decimal(price)), qtyUnits(decimal(qty)), takerSide === "buy")
      for (const listener of marketListeners) listener({ kind: "trade", ts, price: decimal(price), qty: decimal(qty), takerSide, tradeId: nextTradeId++ })
    }
  }

  const idOf = (account: string, ref: LocalOrderRef): string | undefined => {
    if ("orderId" in ref) return accountOf.get(ref.orderId) === account ? ref.orderId : undefined
    const ids = [...(orderIds.get(account) ?? [])].reverse()
    return ids.find((id) => engine.order(id)?.clientId === ref.clientId)
  }

  const engine: VenueEngine = new VenueEngine(
    instrument.venue,
    engineFilters(instrument, priceScale, qtyScale),
    conservativeQueue,
    linearImpact(ZERO, 1_000_000),
    () => {
      throw new Error("the fake venue keeps no depth snapshots")
    },
    {
      onFill: (_venue, o, tsUs, price, qty, liquidity) => {
        const account = accountOf.get(o.id)
        if (account === undefined) return
        const p = fromUnits(price, priceScale)
        const q = fromUnits(qty, qtyScale)
        const notional = BigDecimal.multiply(p, q)
        const fee = BigDecimal.normalize(BigDecimal.multiply(notional, feeRate))
        const fill: Fill = {
          venue: instrument.venue,
          symbol: instrument.symbol,
          orderId: o.id,
          tradeId: String(nextTradeId++),
          side: o.sign > 0 ? "buy" : "sell",
          price: p,
          qty: q,
          fee,
          feeAsset: instrument.quote,
          liquidity,
          ts: Math.floor(tsUs / 1000)
        }
        fills.set(account, [...(fills.get(account) ?? []), fill])
        const signed = o.sign > 0 ? q : BigDecimal.negate(q)
        position.set(account, BigDecimal.sum(position.get(account) ?? ZERO, signed))
        const start = cash.get(account) ?? decimal(options.startingQuote ?? "10000")
        cash.set(account, BigDecimal.subtract(o.sign > 0 ? BigDecimal.subtract(start, notional) : BigDecimal.sum(start, notional), fee))
        emit(account, { order: toOrder(o), fill })
      }
    },
    { assumedTopQtyUnits: 1_000_000, depthMaxAgeUs: 0, rejectMarket: () => false }
  )

  return venue
}

const newOrder = (
  id: string,
  clientId: string,
  side: Side,
  type: "limit" | "market",
  price: number,
  qty: number,
  postOnly: boolean,
  timeInForce: "GTC" | "IOC" | "FOK",
  nowUs: number
): SimOrder => ({
  id,
  clientId,
  sign: side === "buy" ? 1 : -1,
  type,
  price,
  qty,
  postOnly,
  timeInForce,
  createdAt: nowUs,
  updatedAt: nowUs,
  filled: 0,
  filledQuote: 0n,
  status: "new",
  queue: { ahead: 0 },
  levelQty: 0
})
