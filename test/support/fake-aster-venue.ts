/**
 * A small in-test LocalVenue for the Aster wire-protocol contract tests (the real venue-book is
 * written elsewhere): one symbol, ASTERUSDT (tick 0.0001, step 0.01, min qty 0.01, min notional 5),
 * a quote set by the test, market orders filled whole at the touch, limit orders resting until the
 * test fills them, a clock the test can skew, filters the test can change while it runs. Also
 * scripted Faults and fixed LocalAccounts.
 */
import { BigDecimal, Effect } from "effect"
import type { Balance } from "../../src/core/domain/account"
import { type Decimal, decimal, formatDecimal, ZERO } from "../../src/core/domain/decimal"
import { checkFilters, type Instrument } from "../../src/core/domain/instrument"
import { type Fill, isOpenStatus, type Order, type OrderUpdate, type Side, type TimeInForce } from "../../src/core/domain/order"
import type { Venue } from "../../src/core/domain/venue"
import type { Faults, HttpFault, LocalAccounts, LocalMarketEvent, LocalOrderRef, LocalVenue, SocketFault } from "../../src/sim/local-exchange/types"
import { withFilterChange } from "../../src/sim/local-exchange/filter-change"

export const V1_KEY = { apiKey: "test-aster-api-key", apiSecret: "test-aster-api-secret" }
/** the reference's V3 demo wallet (its signer key is public test data) */
export const V3_WALLET = {
  user: "0x63DD5aCC6b1aa0f563956C0e534DD30B6dcF7C4e",
  signer: "0x21cF8Ae13Bb72632562c6Fff438652Ba1a151bb0",
  signerPrivateKey: "0x4fd0a42218f3eae43a6ce26d22544e986139a01e5b34a62db53757ffca81bae1"
} as const
export const ACCOUNT = "alice"
export const TAKER_FEE = decimal("0.00035")
const START_USDT = decimal("100000")

export const testAccounts: LocalAccounts = {
  asterV1: (apiKey) => (apiKey === V1_KEY.apiKey ? { account: ACCOUNT, secret: V1_KEY.apiSecret } : undefined),
  asterV3: (user, signer) =>
    user.toLowerCase() === V3_WALLET.user.toLowerCase() && signer.toLowerCase() === V3_WALLET.signer.toLowerCase() ? { account: ACCOUNT } : undefined,
  backpack: (apiKey) => ({ account: apiKey })
}

type Placed = Order & { readonly rejectCode?: string }

interface MutableOrder {
  order: Order
}

export interface FakeAsterVenue extends LocalVenue {
  /** ms added to the real clock (a venue clock that is ahead) */
  skewMs: number
  setQuote(bid: string, ask: string, last?: string): void
  /** sets the levels behind the best ones ([price, qty] decimal strings), as a depth snapshot would */
  setLevels(bids: ReadonlyArray<readonly [string, string]>, asks: ReadonlyArray<readonly [string, string]>): void
  /** how many orders were received with this client id */
  placements(clientId: string): number
  /** fills a resting limit order (whole remaining quantity by default) at its price, as maker */
  fillResting(orderId: string, qty?: string): void
  trade(price: string, qty: string, takerSide: Side): void
  /** the venue lists (and checks orders against) this instrument from now on, as given: no check of its own */
  setInstrument(next: Instrument): void
}

export const makeFakeAsterVenue = (venue: Extract<Venue, "aster-futures" | "aster-spot">): FakeAsterVenue => {
  let instrument: Instrument = {
    venue,
    symbol: "ASTERUSDT",
    base: "ASTER",
    quote: "USDT",
    kind: venue === "aster-spot" ? "spot" : "perp",
    tickSize: decimal("0.0001"),
    stepSize: decimal("0.01"),
    minQty: decimal("0.01"),
    minNotional: decimal("5")
  }
  let bid = decimal("1.9990")
  let ask = decimal("2.0010")
  let last = decimal("2.0000")
  let quoteTs = Date.now()
  let behind: { bids: Array<readonly [Decimal, Decimal]>; asks: Array<readonly [Decimal, Decimal]> } = { bids: [], asks: [] }
  let nextOrderId = 1000
  let nextTradeId = 500
  const orders = new Map<string, MutableOrder>()
  const fills: Array<Fill> = []
  const received = new Map<string, number>()
  const orderListeners = new Set<(update: OrderUpdate) => void>()
  const marketListeners = new Set<(event: LocalMarketEvent) => void>()
  // spot starts with some base asset to sell
  let usdt = START_USDT
  let base = venue === "aster-spot" ? decimal("1000") : ZERO

  const self: FakeAsterVenue = {
    skewMs: 0,
    venue,
    // read on every request (asterRoutes): the filters may change while the venue runs
    get instrument() {
      return instrument
    },
    leverage: venue === "aster-spot" ? 1 : 10,
    // what it charges: no maker fee, TAKER_FEE on takers
    fees: { maker: ZERO, taker: TAKER_FEE },
    now: () => Date.now() + self.skewMs,
    ticker: () => ({ ts: quoteTs, bid, bidQty: decimal("1000"), ask, askQty: decimal("1000"), last }),
    depth: (limit) => ({
      ts: quoteTs,
      bids: [[bid, decimal("1000")] as const, ...behind.bids.filter(([p]) => BigDecimal.lessThan(p, bid))].slice(0, limit),
      asks: [[ask, decimal("1000")] as const, ...behind.asks.filter(([p]) => BigDecimal.greaterThan(p, ask))].slice(0, limit)
    }),
    funding: () =>
      venue === "aster-futures"
        ? {
          markPrice: last,
          indexPrice: last,
          rate: decimal("0.0001"),
          nextFundingTime: Math.ceil((self.now() + 1) / 28_800_000) * 28_800_000,
          intervalHours: 8
        }
        : undefined,
    placeLimit: (account, r) => {
      count(r.clientId)
      const now = self.now()
      const rejected = refusal(account, r.clientId, r.side, r.qty, r.price)
      const order: Order = {
        venue,
        symbol: instrument.symbol,
        id: String(nextOrderId++),
        clientId: r.clientId,
        side: r.side,
        type: "limit",
        price: r.price,
        qty: r.qty,
        filledQty: ZERO,
        filledQuote: ZERO,
        status: "new",
        postOnly: r.postOnly,
        timeInForce: r.timeInForce,
        createdAt: now,
        updatedAt: now
      }
      if (rejected) return { ...order, status: "rejected", rejectReason: rejected, rejectCode: rejected }
      const crosses = r.side === "buy" ? BigDecimal.greaterThanOrEqualTo(r.price, ask) : BigDecimal.lessThanOrEqualTo(r.price, bid)
      if (crosses && r.postOnly) return { ...order, status: "rejected", rejectReason: "post-only order would cross", rejectCode: "postOnly" }
      const held: MutableOrder = { order }
      orders.set(order.id, held)
      emit({ order })
      if (crosses) execute(held, r.qty, r.side === "buy" ? ask : bid, "taker")
      return held.order
    },
    placeMarket: (account, r) => {
      count(r.clientId)
      const now = self.now()
      const price = r.side === "buy" ? ask : bid
      const order: Order = {
        venue,
        symbol: instrument.symbol,
        id: String(nextOrderId++),
        clientId: r.clientId,
        side: r.side,
        type: "market",
        qty: r.qty,
        filledQty: ZERO,
        filledQuote: ZERO,
        status: "new",
        postOnly: false,
        timeInForce: "IOC" as TimeInForce,
        createdAt: now,
        updatedAt: now
      }
      const rejected = refusal(account, r.clientId, r.side, r.qty, undefined, price)
      if (rejected) return { ...order, status: "rejected", rejectReason: rejected, rejectCode: rejected } satisfies Placed
      const held: MutableOrder = { order }
      orders.set(order.id, held)
      emit({ order })
      execute(held, r.qty, price, "taker")
      return held.order
    },
    cancel: (_account, ref) => {
      const held = find(ref)
      if (!held) return undefined
      if (isOpenStatus(held.order.status)) {
        held.order = { ...held.order, status: "cancelled", updatedAt: self.now() }
        emit({ order: held.order })
      }
      return held.order
    },
    order: (_account, ref) => find(ref)?.order,
    openOrders: () => [...orders.values()].map((h) => h.order).filter((o) => isOpenStatus(o.status)),
    fills: (_account, sinceMs) => fills.filter((f) => sinceMs === undefined || f.ts >= sinceMs),
    position: () => fills.reduce((acc, f) => BigDecimal.sum(acc, f.side === "buy" ? f.qty : BigDecimal.negate(f.qty)), ZERO),
    balances: (): ReadonlyArray<Balance> =>
      venue === "aster-futures"
        ? [{ venue, asset: "USDT", free: usdt, locked: ZERO }]
        : [{ venue, asset: "USDT", free: usdt, locked: ZERO }, { venue, asset: "ASTER", free: base, locked: ZERO }],
    onOrderUpdate: (_account, listener) => {
      orderListeners.add(listener)
      return () => orderListeners.delete(listener)
    },
    onMarket: (listener) => {
      marketListeners.add(listener)
      return () => marketListeners.delete(listener)
    },
    setQuote: (b, a, l) => {
      bid = decimal(b)
      ask = decimal(a)
      if (l !== undefined) last = decimal(l)
      quoteTs = self.now()
      marketListeners.forEach((f) => f({ kind: "quote", ts: quoteTs, bid, bidQty: decimal("1000"), ask, askQty: decimal("1000") }))
    },
    setLevels: (bids, asks) => {
      const parse = (levels: ReadonlyArray<readonly [string, string]>) => levels.map(([p, q]) => [decimal(p), decimal(q)] as const)
      behind = { bids: parse(bids), asks: parse(asks) }
      marketListeners.forEach((f) => f({ kind: "depth", ts: self.now() }))
    },
    placements: (clientId) => received.get(clientId) ?? 0,
    // exchangeInfo lists the new filters and new orders are checked against them (decimals: no units to be off)
    changeFilters: (change) => {
      const problems = (["tickSize", "stepSize", "minQty", "minNotional"] as const).flatMap((field) => {
        const value = change[field]
        if (value === undefined) return []
        const step = field === "tickSize" || field === "stepSize"
        return (step ? BigDecimal.isPositive(value) : !BigDecimal.isNegative(value)) ? [] : [`${field} ${formatDecimal(value)} must be ${step ? "positive" : "0 or more"}`]
      })
      if (problems.length > 0) throw new Error(`cannot change the filters: ${problems.join("; ")}`)
      instrument = withFilterChange(instrument, change)
      return instrument
    },
    setInstrument: (next) => {
      instrument = next
    },
    fillResting: (orderId, qty) => {
      const held = orders.get(orderId)
      if (!held || !isOpenStatus(held.order.status)) throw new Error(`order ${orderId} is not resting`)
      const remaining = BigDecimal.subtract(held.order.qty, held.order.filledQty)
      execute(held, qty !== undefined ? decimal(qty) : remaining, held.order.price!, "maker")
    },
    trade: (price, qty, takerSide) => {
      last = decimal(price)
      const tradeId = nextTradeId++
      marketListeners.forEach((f) => f({ kind: "trade", ts: self.now(), price: last, qty: decimal(qty), takerSide, tradeId }))
    }
  }

  const count = (clientId: string) => received.set(clientId, (received.get(clientId) ?? 0) + 1)

  const find = (ref: LocalOrderRef): MutableOrder | undefined =>
    "orderId" in ref ? orders.get(ref.orderId) : [...orders.values()].reverse().find((h) => h.order.clientId === ref.clientId)

  const emit = (update: OrderUpdate) => orderListeners.forEach((f) => f(update))

  /** rejectCode for an order the venue refuses on arrival, if any */
  const refusal = (_account: string, clientId: string, side: Side, qty: Decimal, price?: Decimal, reference?: Decimal): string | undefined => {
    if ([...orders.values()].some((h) => h.order.clientId === clientId && isOpenStatus(h.order.status))) return "duplicateClientId"
    const violation = checkFilters(instrument, qty, price, reference)
    if (violation) return violation.filter
    const notional = BigDecimal.multiply(qty, price ?? reference ?? last)
    if (venue === "aster-spot" && side === "sell" && BigDecimal.greaterThan(qty, base)) return "insufficientBalance"
    if (side === "buy" && BigDecimal.greaterThan(venue === "aster-spot" ? notional : BigDecimal.unsafeDivide(notional, decimal("10")), usdt)) return "insufficientBalance"
    return undefined
  }

  const execute = (held: MutableOrder, qty: Decimal, price: Decimal, liquidity: "maker" | "taker") => {
    const now = self.now()
    const notional = BigDecimal.multiply(qty, price)
    const fee = liquidity === "taker" ? BigDecimal.multiply(notional, TAKER_FEE) : ZERO
    const o = held.order
    const filledQty = BigDecimal.sum(o.filledQty, qty)
    held.order = {
      ...o,
      filledQty,
      filledQuote: BigDecimal.sum(o.filledQuote, notional),
      status: BigDecimal.equals(filledQty, o.qty) ? "filled" : "partially-filled",
      updatedAt: now
    }
    const fill: Fill = {
      venue,
      symbol: instrument.symbol,
      orderId: o.id,
      tradeId: String(nextTradeId++),
      side: o.side,
      price,
      qty,
      fee,
      feeAsset: "USDT",
      liquidity,
      ts: now
    }
    fills.push(fill)
    usdt = BigDecimal.subtract(usdt, fee)
    if (venue === "aster-spot") {
      usdt = o.side === "buy" ? BigDecimal.subtract(usdt, notional) : BigDecimal.sum(usdt, notional)
      base = o.side === "buy" ? BigDecimal.sum(base, qty) : BigDecimal.subtract(base, qty)
    }
    emit({ order: held.order, fill })
  }

  return self
}

/** Faults scripted per route / stream: each request takes the next one queued for it (else none). */
export interface ScriptedFaults {
  readonly faults: Faults
  /** queue faults for the next requests to `route` ("METHOD /path") */
  http(route: string, ...faults: ReadonlyArray<HttpFault>): void
  socket(stream: string, ...faults: ReadonlyArray<SocketFault>): void
  /** every route asked so far, in order */
  readonly requests: Array<string>
  count(route: string): number
}

export const scriptedFaults = (): ScriptedFaults => {
  const http = new Map<string, Array<HttpFault>>()
  const socket = new Map<string, Array<SocketFault>>()
  const requests: Array<string> = []
  return {
    faults: {
      http: (_venue, route) =>
        Effect.sync(() => {
          requests.push(route)
          return http.get(route)?.shift() ?? { kind: "none" }
        }),
      socket: (_venue, stream) => Effect.sync(() => socket.get(stream)?.shift() ?? { kind: "none" })
    },
    http: (route, ...faults) => http.set(route, [...(http.get(route) ?? []), ...faults]),
    socket: (stream, ...faults) => socket.set(stream, [...(socket.get(stream) ?? []), ...faults]),
    requests,
    count: (route) => requests.filter((r) => r === route).length
  }
}
