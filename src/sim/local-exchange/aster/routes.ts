/**
 * Aster's wire protocol over a LocalVenue: the futures (`/fapi/…`) or spot (`/api/…`) REST API
 * and its WebSocket streams, with the same paths, parameters, response shapes and error bodies as
 * the venue (and as src/adapters/aster uses them).
 *
 * ## Mounting
 *
 * ```ts
 * const router: HttpRouter.HttpRouter<never, never> = asterRoutes({ venue, market: "futures", faults, accounts })
 * // one venue per port: the WebSocket streams live on the same port as the REST API
 * HttpServer.serve(router).pipe(Layer.provide(NodeHttpServer.layer(() => http.createServer(), { port, host: "127.0.0.1" })))
 * ```
 * A client then uses `baseUrl = http://127.0.0.1:<port>` and `streamUrl = ws://127.0.0.1:<port>`.
 * The router needs nothing beyond what `HttpServer.serve` provides; it holds its own state
 * (listenKeys, V3 nonces, request weight, order counts, wire ids), so make one per venue.
 *
 * ## Served
 *
 * | path (futures `/fapi`, spot `/api`; `v1` with V1 auth, `v3` with V3 auth) | security |
 * |---|---|
 * | GET `ping`, `time`, `exchangeInfo`, `depth`, `ticker/bookTicker`, `ticker/price` | none |
 * | GET `premiumIndex`, `fundingInfo`, `fundingRate` (the rate history; futures) | none |
 * | POST / GET / DELETE `order`, GET `openOrders`, GET `userTrades` | signed |
 * | GET `positionRisk`, `balance` (futures; V1 at `/fapi/v2/…`), GET `account` (spot) | signed |
 * | GET / POST `positionSide/dual` (futures: Hedge Mode, whose orders must name LONG or SHORT, else -4061) | signed |
 * | GET / POST `multiAssetsMargin` (futures: the mode is only reported; margin stays per account) | signed |
 * | GET `income` (futures; the account's FUNDING_FEE rows, the only income the local venue books) | signed |
 * | POST / PUT / DELETE `listenKey` | V1: API key; V3: signed |
 * | WS `/ws/<listenKey>`, `/ws/<stream>`, `/stream?streams=a/b` | — |
 *
 * ## Rate limits
 *
 * REQUEST_WEIGHT per minute (every answer's `X-MBX-USED-WEIGHT-1M`; past it 429 -1003 with
 * Retry-After) and ORDERS per minute and account (an accepted order's `X-MBX-ORDER-COUNT-1M`; past
 * it 429 -1015, the order not placed), both as exchangeInfo's `rateLimits` say.
 *
 * ## Faults
 *
 * `Faults.http(venue, "METHOD /path")` is asked once per request, before anything else:
 * `delay` then serve; `status` 500/502/504 answers that status unprocessed, 503 processes the
 * request first (the venue's "sent, outcome unknown"); `rateLimit` answers 429 with Retry-After,
 * unprocessed; `timeout` processes the request and never answers; `malformed` processes it and
 * answers the first half of the JSON; `reject` refuses it as a business rejection, unprocessed (no
 * authentication, nothing executed): HTTP 400 `{"code": -2019, "msg": "Margin is insufficient."}`
 * on futures and spot alike, or the plan's numeric `code` / `message`. WebSocket faults: see
 * streams.ts.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { BigDecimal, Effect, Option } from "effect"
import { type Decimal, formatDecimal, parseDecimal, ZERO } from "../../../core/domain/decimal"
import { isOpenStatus, type Side, type TimeInForce } from "../../../core/domain/order"
import type { Faults, LocalAccounts, LocalOrderRef, LocalVenue } from "../types"
import { apiError, AsterApiError, authenticate, mandatory, NonceMemory, type ReceivedRequest, type Security } from "./auth"
import { ListenKeys } from "./listen-keys"
import { RequestWeight } from "./request-weight"
import { serveMarketStreams, serveUserStream } from "./streams"
import {
  type AsterMarket,
  entryPriceOf,
  IdMap,
  rejectionError,
  wireExchangeInfo,
  unrealizedOf,
  wireFuturesBalances,
  wireOrder,
  wirePositionRisk,
  wireSpotAccount,
  wireTrade
} from "./wire"

export interface AsterRoutesDeps {
  readonly venue: LocalVenue
  readonly market: AsterMarket
  readonly faults: Faults
  readonly accounts: LocalAccounts
  /** REQUEST_WEIGHT per minute (default: the docs' samples, 2400 futures / 6000 spot) */
  readonly requestWeightPerMinute?: number
  /** ORDERS per minute and account (default 1200, the futures docs' sample) */
  readonly ordersPerMinute?: number
  /** listenKey validity (default 60 min) */
  readonly listenKeyTtlMs?: number
  /** EIP-712 chain id V3 signatures must use (default 1666, mainnet) */
  readonly v3ChainId?: number
}

type Params = ReadonlyMap<string, string>
type Handler = (params: Params, account: string) => Effect.Effect<unknown, AsterApiError>

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json", headers })

/** The plan's `reject`: its Aster code and message, else the venue's "Margin is insufficient." (a Backpack name code is not Aster's). */
const rejectFault = (fault: { readonly code?: number | string; readonly message?: string }): { readonly code: number; readonly msg: string } =>
  typeof fault.code === "number"
    ? { code: fault.code, msg: fault.message ?? (fault.code === -2019 ? "Margin is insufficient." : "Order rejected.") }
    : { code: -2019, msg: fault.message ?? "Margin is insufficient." }

const INCOME_TYPES = new Set(["TRANSFER", "WELCOME_BONUS", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR", "MARKET_MERCHANT_RETURN_REWARD"])
/** income rows' tranId: the account's n-th funding payment is FIRST_TRAN_ID + n */
const FIRST_TRAN_ID = 9_000_000_000

const depthWeight = (limit: number) => (limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20)

export const asterRoutes = (deps: AsterRoutesDeps): HttpRouter.HttpRouter<never, never> => {
  const { venue, market, faults } = deps
  // read per request: the filters may change while the venue runs (a fault plan's `filters`)
  const instrument = () => venue.instrument
  const root = market === "futures" ? "/fapi" : "/api"
  const weight = new RequestWeight(deps.requestWeightPerMinute ?? (market === "futures" ? 2400 : 6000))
  const ordersPerMinute = deps.ordersPerMinute ?? 1200
  /** each account's new orders in the current minute (the same windowed count as the weight's) */
  const orderCounts = new Map<string, RequestWeight>()
  const orderCountOf = (account: string) => {
    let count = orderCounts.get(account)
    if (count === undefined) {
      count = new RequestWeight(ordersPerMinute)
      orderCounts.set(account, count)
    }
    return count
  }
  const keys = new ListenKeys(venue.now, deps.listenKeyTtlMs)
  const nonces = new NonceMemory()
  const ids = new IdMap()
  const tradeIds = new IdMap()
  let depthUpdateId = 0
  let generatedClientIds = 0

  // ---- parameters

  const parseParams = (rawQuery: string, rawBody: string): Params => {
    const params = new Map<string, string>()
    new URLSearchParams(rawBody).forEach((value, key) => params.set(key, value))
    // the query string wins over the body
    new URLSearchParams(rawQuery).forEach((value, key) => params.set(key, value))
    return params
  }

  const decimalParam = (params: Params, name: string): Effect.Effect<Decimal, AsterApiError> => {
    const text = params.get(name)
    const value = text === undefined ? Option.none() : parseDecimal(text)
    return Option.match(value, { onNone: () => Effect.fail(mandatory(name)), onSome: Effect.succeed })
  }

  const checkSymbol = (params: Params, required = true): Effect.Effect<void, AsterApiError> => {
    const symbol = params.get("symbol")
    if (symbol === undefined) return required ? Effect.fail(mandatory("symbol")) : Effect.void
    return symbol === instrument().symbol ? Effect.void : Effect.fail(apiError(-1121, "Invalid symbol."))
  }

  const orderRef = (params: Params): Effect.Effect<LocalOrderRef, AsterApiError> => {
    const orderId = params.get("orderId")
    const clientId = params.get("origClientOrderId")
    if (orderId !== undefined && orderId.length > 0) return Effect.succeed({ orderId: ids.local(orderId) })
    if (clientId !== undefined && clientId.length > 0) return Effect.succeed({ clientId })
    return Effect.fail(apiError(-1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"))
  }

  // ---- the request pipeline

  /**
   * One endpoint: faults, weight, authentication, then the handler's JSON (or the venue's error).
   * One that `placesOrders` also counts the account's orders of the minute: past the limit it
   * answers 429 -1015 unprocessed, else its answer carries `X-MBX-ORDER-COUNT-1M` (an accepted
   * order's only: "not guaranteed on rejected orders").
   */
  const endpoint = (
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: `/${string}`,
    security: Security,
    cost: number | ((p: Params) => number),
    handler: Handler,
    placesOrders = false
  ) =>
    HttpRouter.makeRoute(
      method,
      path,
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const q = request.url.indexOf("?")
        const rawQuery = q >= 0 ? request.url.slice(q + 1) : ""
        const rawBody = method === "GET" ? "" : yield* Effect.orElseSucceed(request.text, () => "")
        const params = parseParams(rawQuery, rawBody)
        const apiKey = request.headers["x-mbx-apikey"]
        const received: ReceivedRequest = { rawQuery, rawBody, params, apiKey }
        const version = path.includes("/v3/") ? "v3" : "v1"

        const serve = Effect.gen(function*() {
          const charged = weight.charge(typeof cost === "number" ? cost : cost(params), venue.now())
          const used = { "X-MBX-USED-WEIGHT-1M": String(charged.used) }
          if (!charged.admitted) {
            return json(429, { code: -1003, msg: `Too many requests; current limit of IP is ${weight.limitPerMinute} requests per minute.` }, {
              ...used,
              "Retry-After": String(charged.retryAfterSeconds)
            })
          }
          const account = yield* authenticate(version, security, received, { accounts: deps.accounts, nonces, now: venue.now, ...(deps.v3ChainId !== undefined ? { chainId: deps.v3ChainId } : {}) })
          if (!placesOrders) return json(200, yield* handler(params, account ?? ""), used)
          const orders = orderCountOf(account ?? "").charge(1, venue.now())
          if (!orders.admitted) return json(429, { code: -1015, msg: `Too many new orders; current limit is ${ordersPerMinute} orders per MINUTE.` }, used)
          const body = yield* handler(params, account ?? "")
          return json(200, body, { ...used, "X-MBX-ORDER-COUNT-1M": String(orders.used) })
        }).pipe(
          Effect.catchTag("AsterApiError", (e) => Effect.succeed(json(e.status, { code: e.code, msg: e.msg }, { "X-MBX-USED-WEIGHT-1M": String(weight.current) })))
        )

        const fault = yield* faults.http(venue.venue, `${method} ${path}`)
        switch (fault.kind) {
          case "none":
            return yield* serve
          case "delay":
            // a request that has arrived is carried out even if its sender hangs up meanwhile, as at a real venue
            return yield* Effect.uninterruptible(Effect.zipRight(Effect.sleep(fault.ms), serve))
          case "status":
            if (fault.status === 503) {
              yield* serve
              return HttpServerResponse.text("Service Unavailable.", { status: 503 })
            }
            return HttpServerResponse.text(`<html><body><h1>${fault.status}</h1></body></html>`, { status: fault.status, contentType: "text/html" })
          case "rateLimit":
            return json(429, { code: -1003, msg: "Too many requests; please use the websocket for live updates." }, { "Retry-After": String(fault.retryAfterSeconds) })
          case "timeout":
            yield* serve
            return yield* Effect.never
          case "malformed": {
            const answer = yield* serve
            const text = answer.body._tag === "Uint8Array" ? new TextDecoder().decode(answer.body.body) : "{}"
            return HttpServerResponse.text(text.slice(0, Math.max(1, Math.floor(text.length / 2))), { status: answer.status, contentType: "application/json" })
          }
          case "reject": {
            const refusal = rejectFault(fault)
            return json(400, { code: refusal.code, msg: refusal.msg }, { "X-MBX-USED-WEIGHT-1M": String(weight.current) })
          }
        }
      })
    )

  // ---- handlers

  const time: Handler = () => Effect.sync(() => ({ serverTime: venue.now() }))

  const exchangeInfo: Handler = () => Effect.sync(() => wireExchangeInfo(market, instrument(), venue.now(), weight.limitPerMinute, ordersPerMinute))

  const depth: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p)
      const limit = Number(p.get("limit") ?? (market === "futures" ? 500 : 100))
      if (![5, 10, 20, 50, 100, 500, 1000].includes(limit)) return yield* apiError(-4021, `${p.get("limit")} is not a valid depth limit.`)
      const book = venue.depth(limit)
      const level = ([price, qty]: readonly [Decimal, Decimal]) => [formatDecimal(price), formatDecimal(qty)]
      return { lastUpdateId: ++depthUpdateId, E: venue.now(), T: book.ts, bids: book.bids.map(level), asks: book.asks.map(level) }
    })

  const quoted = Effect.suspend(() => {
    const t = venue.ticker()
    return t === undefined ? Effect.fail(apiError(-1112, "No orders on book for symbol.")) : Effect.succeed(t)
  })

  const bookTicker: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      const t = yield* quoted
      const row = { symbol: instrument().symbol, bidPrice: formatDecimal(t.bid), bidQty: formatDecimal(t.bidQty), askPrice: formatDecimal(t.ask), askQty: formatDecimal(t.askQty), time: t.ts }
      return p.has("symbol") ? row : [row]
    })

  const lastPrice: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      const t = yield* quoted
      const row = { symbol: instrument().symbol, price: formatDecimal(t.last), time: t.ts }
      return p.has("symbol") ? row : [row]
    })

  const markPrice = (): Decimal => {
    const funding = venue.funding()
    if (funding !== undefined) return funding.markPrice
    const t = venue.ticker()
    return t === undefined ? ZERO : BigDecimal.unsafeDivide(BigDecimal.sum(t.bid, t.ask), BigDecimal.fromBigInt(2n))
  }

  const premiumIndex: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      const f = venue.funding()
      if (f === undefined) return yield* apiError(-1000, "An unknown error occured while processing the request.")
      const row = {
        symbol: instrument().symbol,
        markPrice: formatDecimal(f.markPrice),
        indexPrice: formatDecimal(f.indexPrice),
        estimatedSettlePrice: formatDecimal(f.indexPrice),
        lastFundingRate: formatDecimal(f.rate),
        nextFundingTime: f.nextFundingTime,
        interestRate: "0.00010000",
        time: venue.now()
      }
      return p.has("symbol") ? row : [row]
    })

  const fundingInfo: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      const f = venue.funding()
      return f === undefined
        ? []
        : [{ symbol: instrument().symbol, interestRate: "0.00010000", time: venue.now(), fundingIntervalHours: f.intervalHours, fundingFeeCap: 0.02, fundingFeeFloor: -0.02 }]
    })

  /** An optional whole-number parameter (times, limits). */
  const intParam = (p: Params, name: string): Effect.Effect<number | undefined, AsterApiError> => {
    const text = p.get(name)
    if (text === undefined) return Effect.succeed(undefined)
    return /^\d{1,20}$/.test(text) ? Effect.succeed(Number(text)) : Effect.fail(apiError(-1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`))
  }

  /**
   * A history page as the venue cuts it, rows ascending by time: within [startTime, endTime], the
   * first `limit` from startTime when it is given, else the most recent `limit`.
   */
  const historyPage = <A extends { readonly time: number }>(p: Params, rows: ReadonlyArray<A>, defaultLimit: number) =>
    Effect.gen(function*() {
      const start = yield* intParam(p, "startTime")
      const end = yield* intParam(p, "endTime")
      const limit = Math.min(Math.max((yield* intParam(p, "limit")) ?? defaultLimit, 1), 1000)
      const inRange = rows.filter((row) => (start === undefined || row.time >= start) && (end === undefined || row.time <= end))
      return start !== undefined ? inRange.slice(0, limit) : inRange.slice(Math.max(0, inRange.length - limit))
    })

  /** The rate of every funding settlement so far (the venue's history has no mark price). */
  const fundingRate: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      const events = (venue.fundingHistory?.() ?? []).map((event) => ({ time: event.ts, rate: event.rate }))
      const rows = yield* historyPage(p, events, 100)
      return rows.map((row) => ({ symbol: instrument().symbol, fundingRate: formatDecimal(row.rate), fundingTime: row.time }))
    })

  /** The account's income: funding fees only (fees and realised PnL are not booked as income here). */
  const income: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      const type = p.get("incomeType")
      if (type !== undefined && !INCOME_TYPES.has(type)) return yield* apiError(-1130, "Data sent for parameter 'incomeType' is not valid.")
      if (type !== undefined && type !== "FUNDING_FEE") return []
      const payments = (venue.fundingPayments?.(account) ?? []).map((payment, index) => ({ time: payment.ts, payment, tranId: FIRST_TRAN_ID + index }))
      const rows = yield* historyPage(p, payments, 100)
      return rows.map((row) => ({
        symbol: instrument().symbol,
        incomeType: "FUNDING_FEE",
        income: formatDecimal(BigDecimal.normalize(row.payment.amount)),
        asset: instrument().quote,
        info: "FUNDING_FEE",
        time: row.time,
        tranId: row.tranId,
        tradeId: ""
      }))
    })

  const newOrder: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p)
      const sideText = p.get("side")
      if (sideText !== "BUY" && sideText !== "SELL") return yield* apiError(-1117, "Invalid side.")
      const side: Side = sideText === "BUY" ? "buy" : "sell"
      const type = p.get("type")
      if (type !== "LIMIT" && type !== "MARKET") return yield* apiError(-1116, "Invalid orderType.")
      const qty = yield* decimalParam(p, "quantity")
      const clientId = p.get("newClientOrderId") ?? `local-${++generatedClientIds}`
      if (!CLIENT_ID.test(clientId)) return yield* apiError(-4015, "Client order id is not valid.")
      // Hedge Mode wants LONG or SHORT; One-way Mode BOTH (the default)
      const positionSide = p.get("positionSide") ?? "BOTH"
      if (market === "futures" && (positionSide === "BOTH") === hedgeMode.has(account)) return yield* apiError(-4061, "Order's position side does not match user's setting.")
      // futures only: an order that may only shrink the position (the venue refuses one that would not)
      const reduceOnlyText = market === "futures" ? p.get("reduceOnly") : undefined
      if (reduceOnlyText !== undefined && reduceOnlyText !== "true" && reduceOnlyText !== "false") return yield* apiError(-1130, "Data sent for parameter 'reduceOnly' is not valid.")
      const reduceOnly = reduceOnlyText === "true" ? { reduceOnly: true } : {}
      let placed: ReturnType<LocalVenue["placeMarket"]>
      if (type === "LIMIT") {
        const price = yield* decimalParam(p, "price")
        const tif = p.get("timeInForce")
        if (tif === undefined) return yield* mandatory("timeInForce")
        if (tif !== "GTC" && tif !== "IOC" && tif !== "FOK" && tif !== "GTX") return yield* apiError(-1115, "Invalid timeInForce.")
        const timeInForce: TimeInForce = tif === "GTX" ? "GTC" : tif
        placed = venue.placeLimit(account, { clientId, side, price, qty, postOnly: tif === "GTX", timeInForce, ...reduceOnly })
      } else {
        placed = venue.placeMarket(account, { clientId, side, qty, ...reduceOnly })
      }
      // a crossing GTX order is answered as expired, every other refusal as the venue's error
      if (placed.rejectCode !== undefined && placed.rejectCode !== "postOnly") {
        const error = rejectionError(market, instrument(), placed.rejectCode, placed.rejectReason)
        return yield* apiError(error.code, error.msg)
      }
      return wireOrder(market, placed, ids, "new")
    })

  const queryOrder: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p)
      const order = venue.order(account, yield* orderRef(p))
      if (order === undefined) return yield* apiError(-2013, "Order does not exist.")
      return wireOrder(market, order, ids, "query")
    })

  const cancelOrder: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p)
      const ref = yield* orderRef(p)
      const known = venue.order(account, ref)
      // a filled or already cancelled order cannot be cancelled: the venue says it does not know it
      if (known === undefined || !isOpenStatus(known.status)) return yield* apiError(-2011, "Unknown order sent.")
      const final = venue.cancel(account, ref)
      if (final === undefined) return yield* apiError(-2011, "Unknown order sent.")
      return wireOrder(market, final, ids, "cancel")
    })

  const openOrders: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      return venue.openOrders(account).map((o) => wireOrder(market, o, ids, "query"))
    })

  const userTrades: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, market === "futures")
      const startTime = p.has("startTime") ? Number(p.get("startTime")) : undefined
      const endTime = p.has("endTime") ? Number(p.get("endTime")) : undefined
      const fromId = p.has("fromId") ? Number(p.get("fromId")) : undefined
      const limit = Math.min(Number(p.get("limit") ?? 500), 1000)
      const rows = venue.fills(account, startTime)
        .filter((f) => f.symbol === instrument().symbol)
        .map((f) => wireTrade(market, f, ids, tradeIds))
        .filter((t) => (fromId === undefined || t.id >= fromId) && (endTime === undefined || t.time <= endTime))
      // paged forward from fromId or startTime (the oldest first, as a client pages), else the newest
      return fromId !== undefined || startTime !== undefined ? rows.slice(0, limit) : rows.slice(Math.max(0, rows.length - limit))
    })

  const positionRisk: Handler = (p, account) =>
    Effect.gen(function*() {
      yield* checkSymbol(p, false)
      return wirePositionRisk(instrument().symbol, venue.position(account), entryPriceOf(venue.fills(account)), markPrice(), venue.leverage, venue.now())
    })

  /** the rates the book charges every account (one tier for all) */
  const commissionRate: Handler = (p) =>
    Effect.gen(function*() {
      yield* checkSymbol(p)
      if (venue.fees === undefined) return yield* Effect.fail(apiError(-1000, "An unknown error occured while processing the request."))
      return { symbol: instrument().symbol, makerCommissionRate: formatDecimal(venue.fees.maker), takerCommissionRate: formatDecimal(venue.fees.taker) }
    })

  /** accounts switched to Hedge Mode (dual-side positions); the others are in One-way Mode */
  const hedgeMode = new Set<string>()
  const positionSideDual: Handler = (_p, account) => Effect.sync(() => ({ dualSidePosition: hedgeMode.has(account) }))
  const setPositionSideDual: Handler = (p, account) =>
    Effect.gen(function*() {
      const dual = p.get("dualSidePosition")
      if (dual !== "true" && dual !== "false") return yield* mandatory("dualSidePosition")
      if ((dual === "true") === hedgeMode.has(account)) return yield* apiError(-4059, "No need to change position side.")
      if (!BigDecimal.isZero(venue.position(account)) || venue.openOrders(account).length > 0) {
        return yield* apiError(-4068, "Position side cannot be changed if there exists position or open orders.")
      }
      if (dual === "true") hedgeMode.add(account)
      else hedgeMode.delete(account)
      return { code: 200, msg: "success" }
    })

  /** accounts switched to Multi-Assets mode: reported as such, their margin computed as before */
  const multiAssets = new Set<string>()
  const multiAssetsMargin: Handler = (_p, account) => Effect.sync(() => ({ multiAssetsMargin: multiAssets.has(account) }))
  const setMultiAssetsMargin: Handler = (p, account) =>
    Effect.gen(function*() {
      const on = p.get("multiAssetsMargin")
      if (on !== "true" && on !== "false") return yield* mandatory("multiAssetsMargin")
      if (on === "true") multiAssets.add(account)
      else multiAssets.delete(account)
      return { code: 200, msg: "success" }
    })

  const futuresBalance: Handler = (_p, account) => Effect.sync(() => wireFuturesBalances(venue.balances(account), unrealizedOf(venue, account), venue.now()))

  const spotAccount: Handler = (_p, account) => Effect.sync(() => wireSpotAccount(venue.balances(account), venue.now()))

  const listenKeyCreate: Handler = (_p, account) => Effect.sync(() => ({ listenKey: keys.open(account) }))

  // spot names the key; futures acts on the account's active key
  const namedKey = (p: Params): Effect.Effect<string | undefined, AsterApiError> =>
    market === "spot" && !p.has("listenKey") ? Effect.fail(mandatory("listenKey")) : Effect.succeed(p.get("listenKey"))

  const listenKeyKeepAlive: Handler = (p, account) =>
    Effect.flatMap(namedKey(p), (key) => (keys.keepAlive(account, key) ? Effect.succeed({}) : Effect.fail(apiError(-1125, "This listenKey does not exist."))))

  const listenKeyClose: Handler = (p, account) =>
    Effect.flatMap(namedKey(p), (key) => (keys.close(account, key) ? Effect.succeed({}) : Effect.fail(apiError(-1125, "This listenKey does not exist."))))

  // ---- the route table

  const routes = (["v1", "v3"] as const).flatMap((v) => {
    const at = (name: string): `/${string}` => `${root}/${v}/${name}`
    // V1 futures account reads live under /fapi/v2
    const accountAt = (name: string): `/${string}` => `${root}/${v === "v1" && market === "futures" ? "v2" : v}/${name}`
    return [
      endpoint("GET", at("ping"), "NONE", 1, () => Effect.succeed({})),
      endpoint("GET", at("time"), "NONE", 1, time),
      endpoint("GET", at("exchangeInfo"), "NONE", 1, exchangeInfo),
      // charged for the limit it answers with (futures' default is 500, spot's 100)
      endpoint("GET", at("depth"), "NONE", (p) => depthWeight(Number(p.get("limit") ?? (market === "futures" ? 500 : 100))), depth),
      endpoint("GET", at("ticker/bookTicker"), "NONE", (p) => (p.has("symbol") ? 1 : 2), bookTicker),
      endpoint("GET", at("ticker/price"), "NONE", (p) => (p.has("symbol") ? 1 : 2), lastPrice),
      endpoint("POST", at("order"), "SIGNED", 1, newOrder, true),
      endpoint("GET", at("order"), "SIGNED", 1, queryOrder),
      endpoint("DELETE", at("order"), "SIGNED", 1, cancelOrder),
      endpoint("GET", at("openOrders"), "SIGNED", (p) => (p.has("symbol") ? 1 : 40), openOrders),
      endpoint("GET", at("userTrades"), "SIGNED", 5, userTrades),
      endpoint("GET", at("commissionRate"), "SIGNED", 20, commissionRate),
      endpoint("POST", at("listenKey"), "USER_STREAM", 1, listenKeyCreate),
      endpoint("PUT", at("listenKey"), "USER_STREAM", 1, listenKeyKeepAlive),
      endpoint("DELETE", at("listenKey"), "USER_STREAM", 1, listenKeyClose),
      ...(market === "futures"
        ? [
          endpoint("GET", at("premiumIndex"), "NONE", 1, premiumIndex),
          endpoint("GET", at("fundingInfo"), "NONE", 1, fundingInfo),
          endpoint("GET", at("fundingRate"), "NONE", 1, fundingRate),
          endpoint("GET", at("income"), "SIGNED", 30, income),
          endpoint("GET", accountAt("positionRisk"), "SIGNED", 5, positionRisk),
          endpoint("GET", accountAt("balance"), "SIGNED", 5, futuresBalance),
          endpoint("GET", at("positionSide/dual"), "SIGNED", 30, positionSideDual),
          endpoint("POST", at("positionSide/dual"), "SIGNED", 1, setPositionSideDual),
          endpoint("GET", at("multiAssetsMargin"), "SIGNED", 30, multiAssetsMargin),
          endpoint("POST", at("multiAssetsMargin"), "SIGNED", 1, setMultiAssetsMargin)
        ]
        : [endpoint("GET", at("account"), "SIGNED", 5, spotAccount)])
    ]
  })

  const streamDeps = { venue, market, faults }
  const userDeps = { venue, market, faults, keys, ids, tradeIds }
  const sockets = [
    HttpRouter.makeRoute(
      "GET",
      "/ws/:name",
      Effect.gen(function*() {
        const name = (yield* HttpRouter.params).name ?? ""
        if (name.includes("@")) return yield* serveMarketStreams(streamDeps, [name], false)
        const account = keys.accountOf(name)
        if (account === undefined) return json(400, { code: -1125, msg: "This listenKey does not exist." })
        return yield* serveUserStream(userDeps, account, name)
      })
    ),
    HttpRouter.makeRoute(
      "GET",
      "/stream",
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const streams = new URL(request.url, "http://local").searchParams.get("streams")?.split("/").filter((s) => s.length > 0) ?? []
        return yield* serveMarketStreams(streamDeps, streams, true)
      })
    )
  ]

  return HttpRouter.fromIterable([...routes, ...sockets])
}
