/**
 * The Exchange service on Aster (spot or futures), the hedge venue: market orders sized on the
 * MARKET_LOT_SIZE grid, limit orders on the tick and LOT_SIZE grids, the ticker from bookTicker
 * and the last price (REST, or the market streams when asked), own-order updates from the user
 * data stream (our open orders read over REST every `pollWhileDownMs` while it is down), position
 * from positionRisk (futures) or the base asset's balance (spot), and the next funding time from
 * premiumIndex (futures; none on spot).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Socket from "@effect/platform/Socket"
import { BigDecimal, Data, Duration, Effect, Either, Layer, Option, Ref, Schema, type Scope } from "effect"
import type { HedgeConfig } from "../../core/config/config"
import { type Decimal, formatDecimal, parseDecimal, ZERO } from "../../core/domain/decimal"
import { type Fill, isOpenStatus, type Order, type OrderUpdate } from "../../core/domain/order"
import { type ExchangeError, InvalidResponse, OrderRejected } from "../../core/errors"
import { type Exchange, HedgeVenue } from "../../core/exchange"
import type { Venue } from "../../core/domain/venue"
import { logFilterChange } from "../common/filter-change-log"
import { makeMarketTaps } from "../common/market-taps"
import { startStreamFallback } from "../common/stream-fallback"
import { makeUpdateMailbox } from "../common/update-mailbox"
import { type AsterClientOptions, makeAsterClient, type OrderLookup } from "./client"
import { asterFundingPayments } from "./funding-history"
import { startTickerStream } from "./market-stream"
import { OwnOrders } from "./own-orders"
import {
  ExecutionReport,
  futuresBalancesOf,
  futuresOrderUpdateOf,
  onGrid,
  orderOf,
  OrderTradeUpdate,
  positionQtyOf,
  spotBalancesOf,
  spotOrderUpdateOf,
  tickerOf,
  type UserEvent,
  fillOf,
  type WireOrder,
  wireSide,
  wireTimeInForce
} from "./schemas"
import { MAINNET_CHAIN_ID, TESTNET_CHAIN_ID, type V3CredentialsError } from "./signing-v3"
import { startUserStream } from "./user-stream"

export interface AsterExchangeOptions extends AsterClientOptions {
  readonly symbol: string
  /** WebSocket base, e.g. wss://fstream.asterdex.com; derived from baseUrl when left out */
  readonly streamUrl?: string
  /** listenKey keep-alive period; the venue lets a key lapse after 60 min. Default 30 min. */
  readonly keepAliveEvery?: Duration.DurationInput
  /** how long construction waits for the user data stream's first connection (default 10 s) */
  readonly streamConnectTimeout?: Duration.DurationInput
  /** read the ticker from the bookTicker / aggTrade streams (REST while they are down) */
  readonly tickerFromStream?: boolean
  /** with tickerFromStream: how long construction waits for the streams' first book ticker and last price (default 3 s) */
  readonly marketStreamReadyTimeout?: Duration.DurationInput
  /** with tickerFromStream: also stream the best 10 levels twice a second to watchMarket listeners (recordings) */
  readonly depthStream?: boolean
  /** own-order updates kept for nextUpdate; the oldest are dropped beyond it (default 4096) */
  readonly updateBuffer?: number
  /** public data only (paper trading): no user data stream, no signed request unless an order method is called */
  readonly marketDataOnly?: boolean
  /** while the user data stream is down, our open orders are read over REST this often (default 1000 ms; 0 = never) */
  readonly pollWhileDownMs?: number
}

/** fapi.* → wss://fstream.*, sapi.* → wss://sstream.*, anything else (a local exchange) → ws(s) on the same host. */
export const defaultStreamUrl = (baseUrl: string): string => {
  const url = new URL(baseUrl)
  const secure = url.protocol === "https:"
  const host = url.host.replace(/^fapi\./, "fstream.").replace(/^sapi\./, "sstream.")
  return `${secure ? "wss" : "ws"}://${host}`
}

/** How long a market order's final state is waited for when the venue answered before it settled. */
const MARKET_SETTLE_POLLS = 10
const MARKET_SETTLE_EVERY = Duration.millis(100)

const isOrderTradeUpdate = Schema.is(OrderTradeUpdate)
const isExecutionReport = Schema.is(ExecutionReport)

/**
 * The futures account is in Hedge Mode. Our orders are one-way (positionSide BOTH), which Aster
 * refuses in that mode (-4061): every hedge would fail after its maker leg filled.
 */
export class AsterHedgeModeAccount extends Data.TaggedError("AsterHedgeModeAccount")<{ readonly venue: Venue }> {
  /** a start refused: a restart cannot cure it (see the live command's exit codes) */
  readonly exitCode = 4
  override get message() {
    return `the ${this.venue} account is in Hedge Mode (dual-side positions): Aster refuses its one-way hedge orders there (-4061), so every hedge would fail once a maker leg filled. Switch the account to One-way Mode (Aster: Preferences, Position Mode) and start again; nothing was sent`
  }
}

/** the trade history's largest page, and how many pages an order's fills are looked for in */
const TRADES_PAGE = 1000
const TRADES_MAX_PAGES = 20

export const makeAsterExchange = (
  options: AsterExchangeOptions
): Effect.Effect<Exchange, ExchangeError | V3CredentialsError | AsterHedgeModeAccount, Scope.Scope | HttpClient.HttpClient | Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const client = yield* makeAsterClient(options)
    const { venue, symbol } = options
    const streamUrl = (options.streamUrl ?? defaultStreamUrl(options.baseUrl)).replace(/\/+$/, "")
    yield* client.clock.resync
    // replaceable: a venue may change the symbol's filters while we run (`refreshInstrument`)
    const rulesRef = yield* Ref.make((yield* client.symbolRules(symbol)).rules)
    const currentInstrument = Effect.map(Ref.get(rulesRef), (rules) => rules.instrument)
    /** exchangeInfo read again; the rules are replaced only once the new ones decoded and validated */
    const refreshInstrument = Effect.gen(function*() {
      const { rules } = yield* client.symbolRules(symbol)
      const before = yield* Ref.getAndSet(rulesRef, rules)
      yield* logFilterChange(before.instrument, rules.instrument)
      return rules.instrument
    })
    // before anything is sent: in Hedge Mode no hedge of ours would be accepted. A read that
    // fails (wrong keys, say) refuses nothing here: the signed reads that follow say why. It is
    // said, though: unchecked, a Hedge Mode account would refuse the first hedge after its fill
    if (options.marketDataOnly !== true && client.market === "futures") {
      const dual = yield* Effect.either(client.dualSidePosition)
      if (Either.isRight(dual) && dual.right) return yield* new AsterHedgeModeAccount({ venue })
      if (Either.isLeft(dual)) {
        yield* Effect.logWarning(`could not read whether the Aster account is in Hedge Mode (${dual.left.message}): if it is, Aster refuses every hedge (-4061)`)
      }
    }
    const own = new OwnOrders()
    const updates = makeUpdateMailbox<OrderUpdate>(options.updateBuffer ?? 4096)

    const toOrder = (wire: WireOrder): Effect.Effect<Order, InvalidResponse> =>
      Either.match(orderOf(venue, wire), {
        onLeft: (detail) => Effect.fail(new InvalidResponse({ venue, detail: `order ${wire.orderId}: ${detail}` })),
        onRight: Effect.succeed
      })
    /**
     * Keeps the order's latest state. A reply without the order's creation time (a placement's, a
     * cancel's: only lookups carry `time`) is dated at its last update: the time known is kept.
     */
    const remember = (answered: Order) =>
      Effect.sync(() => {
        const known = own.known(answered.id)
        const order = known !== undefined && known.createdAt < answered.createdAt ? { ...answered, createdAt: known.createdAt } : answered
        own.accept(order)
        return order
      })

    /**
     * The fills of `order` in the account's trade history, which only filters by time or trade id:
     * read from a second before the order was created (asked of the venue: the order in hand may
     * be dated at a later update), a page of TRADES_PAGE at a time, until a page is short or past
     * the order's last update.
     */
    const orderFills = (order: Order) =>
      Effect.gen(function*() {
        const created = yield* client.queryOrder(symbol, { orderId: order.id }).pipe(
          Effect.map((wire) => Math.min(wire.time ?? order.createdAt, order.createdAt)),
          Effect.orElseSucceed(() => order.createdAt)
        )
        const fills = new Map<number, Fill>()
        let page = yield* client.userTrades(symbol, { startTime: Math.max(0, created - 1000), limit: TRADES_PAGE })
        for (let read = 1;; read++) {
          for (const trade of page) if (String(trade.orderId) === order.id) fills.set(trade.id, fillOf(venue, trade))
          const last = page[page.length - 1]
          if (last === undefined || page.length < TRADES_PAGE || last.time > order.updatedAt + 1000 || read >= TRADES_MAX_PAGES) break
          page = yield* client.userTrades(symbol, { fromId: last.id + 1, limit: TRADES_PAGE })
        }
        return [...fills.values()]
      })

    /** A price or quantity off the venue's grid is refused here, unsent. */
    const gridded = (value: Decimal, step: Decimal, what: string, filter: string): Effect.Effect<string, OrderRejected> =>
      Either.match(onGrid(value, step, what), {
        onLeft: (reason) => Effect.fail(new OrderRejected({ venue, reason: `${reason} (${filter}); not sent` })),
        onRight: (v) => Effect.succeed(formatDecimal(v))
      })

    const publish = (received: OrderUpdate) =>
      Effect.suspend(() => {
        if (received.order.symbol !== symbol || !own.isOwn(received.order)) return Effect.void
        // futures events carry no creation time: keep the one we know
        const known = own.known(received.order.id)
        const update = known !== undefined ? { ...received, order: { ...received.order, createdAt: known.createdAt } } : received
        const newTrade = update.fill !== undefined && own.newTrade(update.order.id, update.fill.tradeId)
        if (!own.accept(update.order)) {
          // an older state carrying a fill not heard yet: the fill goes on, with the state known
          const latest = own.known(update.order.id)
          if (newTrade && latest !== undefined) updates.offer({ ...update, order: latest })
          return Effect.void
        }
        own.passedOn(update.order)
        updates.offer(update)
        return Effect.void
      })

    /** A REST state: passed on only when it differs from the last update passed on (never twice). */
    const publishNews = (order: Order) => (own.alreadyPassedOn(order) ? Effect.void : publish({ order }))

    const onEvent = (event: UserEvent): Effect.Effect<void> => {
      const update = isOrderTradeUpdate(event)
        ? futuresOrderUpdateOf(venue, event)
        : isExecutionReport(event)
        ? spotOrderUpdateOf(venue, event)
        : undefined
      // balances and positions are read from REST when asked: exact, and never stale after a gap
      if (update === undefined) return Effect.logDebug(`Aster user stream: ${event.e}`)
      return Option.match(update, { onNone: () => Effect.void, onSome: publish })
    }

    /**
     * After a gap the stream may have missed fills and cancels: the REST state of our open orders
     * fills it (on every connection, and polled while the stream is down).
     */
    const resync = Effect.suspend(() => Effect.forEach(
      own.open(),
      (known) =>
        client.queryOrder(symbol, { orderId: known.id }).pipe(
          Effect.flatMap(toOrder),
          Effect.flatMap(publishNews),
          Effect.catchAll((error) => Effect.logWarning(`Aster resync of order ${known.id} failed: ${error.message}`))
        ),
      { discard: true }
    ))

    if (options.marketDataOnly !== true) {
      const fallback = yield* startStreamFallback({ name: `${venue} user data stream`, every: Duration.millis(options.pollWhileDownMs ?? 1000), poll: resync })
      const userStream = yield* startUserStream({
        client,
        streamUrl,
        keepAliveEvery: options.keepAliveEvery ?? Duration.minutes(30),
        onEvent,
        onConnected: Effect.zipRight(resync, fallback.up),
        onDisconnected: fallback.down,
        onUnreadable: fallback.missed
      })
      const connected = yield* Effect.timeoutOption(userStream.connected, options.streamConnectTimeout ?? Duration.seconds(10))
      if (Option.isNone(connected)) yield* Effect.logWarning("Aster user data stream not connected yet: our open orders are read over REST until it is")
    }

    const taps = makeMarketTaps()
    const stream = options.tickerFromStream
      ? yield* startTickerStream(streamUrl, symbol, client.clock.now, Effect.map(client.lastPrice(symbol), (t) => t.price), { venue, taps }, options.depthStream === true, client.market)
      : undefined
    if (stream !== undefined) {
      // until the streams have given a book (and the last price has been read) every ticker read
      // costs REST round trips, on a hedge's path: trading starts once they have, or the wait is over
      const spoke = yield* Effect.timeoutOption(stream.ready, options.marketStreamReadyTimeout ?? Duration.seconds(3))
      if (Option.isNone(spoke)) yield* Effect.logWarning(`${venue} ${symbol}: no book ticker and last price from the market streams yet; the ticker is read over REST until there are`)
    }
    const restTicker = Effect.all([client.bookTicker(symbol), client.lastPrice(symbol), client.clock.now], { concurrency: "unbounded" }).pipe(
      Effect.map(([book, last, now]) => tickerOf(book, last, now))
    )

    /** A MARKET order answered before it settled: its final state, briefly polled. */
    const settled = (order: Order): Effect.Effect<Order, ExchangeError> =>
      isOpenStatus(order.status)
        ? client.queryOrder(symbol, { orderId: order.id }).pipe(
          Effect.flatMap(toOrder),
          Effect.delay(MARKET_SETTLE_EVERY),
          Effect.repeat({ until: (o) => !isOpenStatus(o.status), times: MARKET_SETTLE_POLLS })
        )
        : Effect.succeed(order)

    const query = (ref: OrderLookup) => client.queryOrder(symbol, ref).pipe(Effect.flatMap(toOrder), Effect.flatMap(remember))

    const exchange: Exchange = {
      venue,
      instrument: currentInstrument,
      refreshInstrument,
      ticker: stream === undefined ? restTicker : Effect.flatMap(stream.ticker, Option.match({ onNone: () => restTicker, onSome: Effect.succeed })),
      placeMarket: (request) =>
        Effect.gen(function*() {
          const rules = yield* Ref.get(rulesRef)
          const quantity = yield* gridded(request.qty, rules.marketLot.stepSize, "quantity", "MARKET_LOT_SIZE step")
          own.register(request.clientId)
          const wire = yield* client.newOrder({ symbol, side: wireSide(request.side), type: "MARKET", quantity, clientId: request.clientId })
          return yield* remember(yield* settled(yield* toOrder(wire)))
        }),
      placeLimit: (request) =>
        Effect.gen(function*() {
          // one reading of the rules for both checks: a refresh in between cannot mix two grids
          const rules = yield* Ref.get(rulesRef)
          const price = yield* gridded(request.price, rules.tickSize, "price", "PRICE_FILTER tick")
          const quantity = yield* gridded(request.qty, rules.limitLot.stepSize, "quantity", "LOT_SIZE step")
          own.register(request.clientId)
          const wire = yield* client.newOrder({
            symbol,
            side: wireSide(request.side),
            type: "LIMIT",
            timeInForce: wireTimeInForce(request.timeInForce, request.postOnly),
            quantity,
            price,
            clientId: request.clientId
          })
          const order = yield* remember(yield* toOrder(wire))
          // a GTX order that would have crossed is expired by the venue instead of resting
          if (request.postOnly && order.status === "expired" && BigDecimal.isZero(order.filledQty))
            return yield* new OrderRejected({ venue, reason: `post-only order ${order.id} would have taken liquidity; the venue expired it`, wouldTake: true })
          return order
        }),
      cancel: (orderId) => client.cancelOrder(symbol, { orderId }).pipe(Effect.flatMap(toOrder), Effect.flatMap(remember)),
      queryOrder: query,
      // read only: remembering another client's order would pass its stream updates on as ours
      orderFills,
      // a stop, take-profit or trailing order the trader placed by hand is never ours (the bot
      // places limits and market orders only): it is left out, not taken for a garbled answer
      openOrders: Effect.flatMap(client.openOrders(symbol), (wire) => Effect.forEach(wire.filter((o) => o.symbol === symbol && (o.type === "LIMIT" || o.type === "MARKET")), toOrder)),
      nextUpdate: updates.take,
      position: client.market === "futures"
        ? Effect.map(client.positionRisk(symbol), (rows) => ({ venue, symbol, qty: positionQtyOf(rows, symbol) }))
        : Effect.map(Effect.zip(client.spotAccount, currentInstrument), ([account, instrument]) => {
          // spot holds no position: the base asset's balance stands for it
          const base = account.balances.find((b) => b.asset === instrument.base)
          return { venue, symbol, qty: base ? BigDecimal.sum(base.free, base.locked) : ZERO }
        }),
      balances: client.market === "futures"
        ? Effect.map(client.futuresBalances, (rows) => futuresBalancesOf(venue, rows))
        : Effect.map(client.spotAccount, (account) => spotBalancesOf(venue, account)),
      // what a hedge opening a position draws on: the margin asset's available balance at the
      // symbol's leverage. A mode that cannot be read counts as shared (a start then only warns)
      ...(client.market === "futures"
        ? {
          openingMargin: Effect.gen(function*() {
            const [rows, balances, shared] = yield* Effect.all([
              client.positionRisk(symbol),
              client.futuresBalances,
              Effect.either(client.multiAssetsMargin)
            ], { concurrency: "unbounded" })
            const text = rows.find((r) => r.symbol === symbol && r.leverage !== undefined)?.leverage
            const leverage = text === undefined ? Option.none() : Option.filter(parseDecimal(text), BigDecimal.isPositive)
            if (Option.isNone(leverage)) return yield* new InvalidResponse({ venue, detail: `positionRisk tells no leverage for ${symbol} (${text ?? "none"})` })
            if (Either.isLeft(shared)) yield* Effect.logDebug(`Aster margin mode unread: ${shared.left.message}`)
            const asset = (yield* currentInstrument).quote
            return {
              venue,
              asset,
              available: balances.find((b) => b.asset === asset)?.availableBalance ?? ZERO,
              leverage: leverage.value,
              sharedAcrossAssets: Either.getOrElse(shared, () => true)
            }
          })
        }
        : {}),
      feeRates: Effect.map(client.commissionRate(symbol), (rates) => ({ venue, symbol, maker: rates.makerCommissionRate, taker: rates.takerCommissionRate })),
      nextFundingTime: client.market === "futures"
        // between settlements a market may announce no next time (0): no funding known, as on Backpack
        ? Effect.map(client.premiumIndex(symbol), (index) => (index.nextFundingTime > 0 ? Option.some(index.nextFundingTime) : Option.none()))
        : Effect.succeed(Option.none()),
      fundingQuote: client.market === "futures"
        ? Effect.map(client.premiumIndex(symbol), (index) =>
          index.nextFundingTime > 0 ? Option.some({ fundingTime: index.nextFundingTime, rate: index.lastFundingRate, markPrice: index.markPrice }) : Option.none()
        )
        : Effect.succeed(Option.none()),
      // spot has no funding
      fundingPayments: (sinceMs) => (client.market === "futures" ? asterFundingPayments(client, venue, symbol, sinceMs) : Effect.succeed([])),
      // the market streams are only read with tickerFromStream
      ...(options.tickerFromStream ? { watchMarket: taps.watch } : {})
    }
    return exchange
  })

/** The hedge venue on Aster, for the live runner. */
export const AsterHedgeVenueLive = (
  options: AsterExchangeOptions
): Layer.Layer<HedgeVenue, ExchangeError | V3CredentialsError | AsterHedgeModeAccount, HttpClient.HttpClient | Socket.WebSocketConstructor> =>
  Layer.scoped(HedgeVenue, makeAsterExchange(options))

/** Aster's testnet hosts (fapi/sapi.asterdex-testnet.com) verify V3 signatures in their own EIP-712 domain. */
const isTestnet = (baseUrl: string): boolean => {
  try {
    return new URL(baseUrl).hostname.endsWith("asterdex-testnet.com")
  } catch {
    return false
  }
}

/**
 * Options from the hedge section of the config: V1 keys from `aster.api_key` / `aster.api_secret`,
 * or V3 credentials when given, signing for the chain `aster.chain_id` names, else for the one of
 * the network `base_url` is on (aster-api.md §3.2: 1666 mainnet, 714 testnet).
 */
export const asterOptionsFromConfig = (hedge: HedgeConfig["hedge"]): AsterExchangeOptions => ({
  venue: hedge.venue,
  baseUrl: hedge.baseUrl,
  symbol: hedge.symbol,
  ...(hedge.recvWindowMs !== undefined ? { recvWindowMs: hedge.recvWindowMs } : {}),
  auth: hedge.v3 !== undefined
    ? { kind: "v3", ...hedge.v3, chainId: hedge.v3.chainId ?? (isTestnet(hedge.baseUrl) ? TESTNET_CHAIN_ID : MAINNET_CHAIN_ID) }
    : { kind: "v1", apiKey: hedge.apiKey, apiSecret: hedge.apiSecret }
})
