/**
 * Aster REST for both markets — futures `/fapi/…`, spot `/api/…` — with V1 (API key + HMAC) or V3
 * (agent wallet, EIP-712) authentication, chosen by the credentials given: V1 uses the `/v1`
 * paths (`/fapi/v2` for balance and positionRisk), V3 the `/v3` ones.
 *
 * What it guarantees:
 * - the venue's error codes become the core's errors, keeping code and message;
 * - a timestamp / signature / nonce refusal (-1021, -1022, -4225) re-measures the venue's clock
 *   and is retried once with a fresh signature; never more, never blindly;
 * - reads are retried on unknown outcomes with a fresh signature (a V3 nonce cannot be reused);
 * - request weight is paced below the venue's limits (weight-limiter.ts);
 * - an order is sent with our client id, and a placement whose outcome is unknown (timeout, 5xx,
 *   undecodable answer) is looked up by that client id, never sent again while it may still land.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Either, Option, Redacted, type Schema } from "effect"
import type { Venue } from "../../core/domain/venue"
import {
  type ExchangeError,
  InsufficientBalance,
  InvalidResponse,
  OrderRejected,
  RateLimited,
  UnknownOrder,
  VenueUnavailable
} from "../../core/errors"
import { banEndsInMs, decodeJson, execute, queryString, type RawResponse, readAgainWhenGarbled, readRetry, type RestCall, venueHttpClient } from "../common/rest"
import { PlacementsInDoubt } from "../common/placements-in-doubt"
import { makeServerClock, type ServerClock } from "../common/server-clock"
import {
  BookTicker,
  Depth,
  Empty,
  ErrorBody,
  ExchangeInfoShallow,
  FundingInfo,
  FundingRateHistory,
  FuturesBalances,
  FuturesSymbolInfo,
  Income,
  ListenKey,
  PositionRisk,
  PositionSideDual,
  MultiAssetsMargin,
  CommissionRate,
  PremiumIndex,
  PriceTicker,
  type RateLimit,
  ServerTime,
  SpotAccount,
  SpotSymbolInfo,
  type SymbolInfo,
  type SymbolRules,
  symbolRulesOf,
  UserTrades,
  WireOrder,
  WireOrders,
  type WireSide,
  type WireTimeInForce
} from "./schemas"
import { API_KEY_HEADER, DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS, signV1, type V1Credentials } from "./signing-v1"
import { makeNonceSource, NONCE_WINDOW_MS, signV3, type V3Credentials, V3CredentialsError, validateV3Credentials } from "./signing-v3"
import { makeWeightLimiter, type WeightLimiter } from "./weight-limiter"

export type AsterMarket = "spot" | "futures"
export type AsterVenue = Extract<Venue, "aster-spot" | "aster-futures">

/** V1: API key and HMAC secret. V3: main wallet, agent wallet and the agent's key. */
export type AsterAuth = ({ readonly kind: "v1" } & V1Credentials) | ({ readonly kind: "v3" } & V3Credentials)

export interface AsterClientOptions {
  readonly venue: AsterVenue
  /** https://fapi.asterdex.com, https://sapi.asterdex.com, or a local exchange's http://127.0.0.1:port */
  readonly baseUrl: string
  readonly auth: AsterAuth
  /** V1 `recvWindow` (ms, ≤ 60000); default 5000 */
  readonly recvWindowMs?: number
  /** per request; default 10 s */
  readonly timeoutMs?: number
  /** share of each weight limit normal requests may use; default 0.8 */
  readonly weightSafety?: number
}

export type OrderLookup = { readonly orderId: string } | { readonly clientId: string }

export interface NewOrderRequest {
  readonly symbol: string
  readonly side: WireSide
  readonly type: "LIMIT" | "MARKET"
  /** decimal string on the instrument's step */
  readonly quantity: string
  /** decimal string on the tick grid (LIMIT only) */
  readonly price?: string
  readonly timeInForce?: WireTimeInForce
  /** sent as newClientOrderId: `^[.A-Z:/a-z0-9_-]{1,36}$` */
  readonly clientId: string
}

/** startTime / endTime (ms, inclusive) and limit of a history request */
export interface TimeRange {
  readonly startTime?: number
  readonly endTime?: number
  readonly limit?: number
}

export interface AsterClient {
  readonly venue: AsterVenue
  readonly market: AsterMarket
  readonly clock: ServerClock
  readonly limiter: WeightLimiter
  readonly symbolRules: (symbol: string) => Effect.Effect<{ readonly rules: SymbolRules; readonly rateLimits: ReadonlyArray<RateLimit> }, ExchangeError>
  readonly bookTicker: (symbol: string) => Effect.Effect<typeof BookTicker.Type, ExchangeError>
  readonly lastPrice: (symbol: string) => Effect.Effect<typeof PriceTicker.Type, ExchangeError>
  readonly depth: (symbol: string, limit: 5 | 10 | 20 | 50 | 100 | 500 | 1000) => Effect.Effect<typeof Depth.Type, ExchangeError>
  /** futures only */
  readonly premiumIndex: (symbol: string) => Effect.Effect<typeof PremiumIndex.Type, ExchangeError>
  /** futures only */
  readonly fundingInfo: (symbol: string) => Effect.Effect<typeof FundingInfo.Type, ExchangeError>
  /** futures only: GET fundingRate, the rate history (ascending) */
  readonly fundingRateHistory: (symbol: string, range: TimeRange) => Effect.Effect<typeof FundingRateHistory.Type, ExchangeError>
  /** futures only: GET income (signed), of one type when given */
  readonly income: (symbol: string, incomeType: string | undefined, range: TimeRange) => Effect.Effect<typeof Income.Type, ExchangeError>
  /** sends at most once per client id while an earlier attempt's outcome is unknown */
  readonly newOrder: (request: NewOrderRequest) => Effect.Effect<WireOrder, ExchangeError>
  readonly queryOrder: (symbol: string, ref: OrderLookup) => Effect.Effect<WireOrder, ExchangeError>
  /** the order's state after the cancel; an unknown outcome is reconciled by a query */
  readonly cancelOrder: (symbol: string, ref: OrderLookup) => Effect.Effect<WireOrder, ExchangeError>
  readonly openOrders: (symbol: string) => Effect.Effect<ReadonlyArray<WireOrder>, ExchangeError>
  /** the account's trades of `symbol`, oldest first: from a time (7 days at most) or a trade id, `limit` of them (default 500, at most 1000) */
  readonly userTrades: (symbol: string, from?: { readonly fromId?: number; readonly startTime?: number; readonly limit?: number }) => Effect.Effect<typeof UserTrades.Type, ExchangeError>
  /** futures only */
  readonly positionRisk: (symbol: string) => Effect.Effect<typeof PositionRisk.Type, ExchangeError>
  /** futures only */
  readonly futuresBalances: Effect.Effect<typeof FuturesBalances.Type, ExchangeError>
  /** futures only: whether the account is in Hedge Mode (dual-side positions) */
  readonly dualSidePosition: Effect.Effect<boolean, ExchangeError>
  /** futures only: whether the account is in Multi-Assets mode (margin shared across its assets) */
  readonly multiAssetsMargin: Effect.Effect<boolean, ExchangeError>
  /** spot only */
  readonly spotAccount: Effect.Effect<typeof SpotAccount.Type, ExchangeError>
  /** this account's maker and taker rates on the symbol (its fee tier) */
  readonly commissionRate: (symbol: string) => Effect.Effect<typeof CommissionRate.Type, ExchangeError>
  readonly createListenKey: Effect.Effect<string, ExchangeError>
  readonly keepAliveListenKey: (listenKey: string) => Effect.Effect<void, ExchangeError>
  readonly closeListenKey: (listenKey: string) => Effect.Effect<void, ExchangeError>
}

type Method = RestCall["method"]
type Security = "NONE" | "USER_STREAM" | "SIGNED"
type Pairs = ReadonlyArray<readonly [string, string]>

interface Endpoint {
  readonly method: Method
  readonly name: string
  readonly weight: number
  readonly security: Security
  /** reads and cancels may be sent again when their outcome is unknown */
  readonly idempotent: boolean
}

const ep = (method: Method, name: string, weight: number, security: Security, idempotent = method === "GET"): Endpoint => ({ method, name, weight, security, idempotent })

const endpoints = {
  time: ep("GET", "time", 1, "NONE"),
  exchangeInfo: ep("GET", "exchangeInfo", 1, "NONE"),
  bookTicker: ep("GET", "ticker/bookTicker", 1, "NONE"),
  price: ep("GET", "ticker/price", 1, "NONE"),
  premiumIndex: ep("GET", "premiumIndex", 1, "NONE"),
  fundingInfo: ep("GET", "fundingInfo", 1, "NONE"),
  fundingRate: ep("GET", "fundingRate", 1, "NONE"),
  income: ep("GET", "income", 30, "SIGNED"),
  newOrder: ep("POST", "order", 1, "SIGNED", false),
  queryOrder: ep("GET", "order", 1, "SIGNED"),
  cancelOrder: ep("DELETE", "order", 1, "SIGNED", true),
  openOrders: ep("GET", "openOrders", 1, "SIGNED"),
  userTrades: ep("GET", "userTrades", 5, "SIGNED"),
  positionRisk: ep("GET", "positionRisk", 5, "SIGNED"),
  balance: ep("GET", "balance", 5, "SIGNED"),
  positionSideDual: ep("GET", "positionSide/dual", 30, "SIGNED"),
  multiAssetsMargin: ep("GET", "multiAssetsMargin", 30, "SIGNED"),
  account: ep("GET", "account", 5, "SIGNED"),
  commissionRate: ep("GET", "commissionRate", 20, "SIGNED"),
  listenKeyCreate: ep("POST", "listenKey", 1, "USER_STREAM", false),
  listenKeyKeepAlive: ep("PUT", "listenKey", 1, "USER_STREAM", true),
  listenKeyClose: ep("DELETE", "listenKey", 1, "USER_STREAM", true)
} as const

const depthWeight = (limit: number) => (limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20)

/** `/fapi/v1/order`, `/fapi/v2/balance` (V1 only), `/api/v3/order`, … */
export const asterPath = (market: AsterMarket, version: "v1" | "v3", name: string): string => {
  const root = market === "futures" ? "/fapi" : "/api"
  const v = version === "v3" ? "v3" : market === "futures" && (name === "balance" || name === "positionRisk") ? "v2" : "v1"
  return `${root}/${v}/${name}`
}

/** Codes that say the request was refused on arrival for its timing or signature: resync, retry once. */
const CLOCK_CODES = new Set([-1021, -1022, -4225])

/**
 * The venue's error body as a core error, keeping its code and message. `ref` names the order a
 * query or cancel was about.
 */
export const mapAsterError = (venue: Venue, body: ErrorBody, ref?: string): ExchangeError => {
  const { code, msg } = body
  switch (code) {
    case -1003:
    case -1015: {
      // "IP banned until <ms>": nothing may be sent before then (each request lengthens the ban)
      const after = banEndsInMs(msg, Date.now())
      return new RateLimited({ venue, ...(after !== undefined ? { retryAfterMs: after } : {}) })
    }
    case -1001:
    case -1006:
    case -1007:
      // "execution status unknown"
      return new VenueUnavailable({ venue, reason: `${msg} (${code})` })
    case -2011:
    case -2013:
      return new UnknownOrder({ venue, orderId: ref ?? `(${msg})` })
    case -5022:
      return new OrderRejected({ venue, code: String(code), reason: msg, wouldTake: true })
    case -2010:
      // NEW_ORDER_REJECTED is generic: Binance-style spot venues report a crossing post-only order
      // as -2010 too, and a balance shortfall ("Account has insufficient balance for requested
      // action."); anything else is a plain rejection (shortfalls proper are -2018 / -2019)
      if (/immediately match|post.?only|as maker/i.test(msg)) return new OrderRejected({ venue, code: String(code), reason: msg, wouldTake: true })
      if (/insufficient|balance/i.test(msg)) return new InsufficientBalance({ venue, reason: `${msg} (${code})` })
      return new OrderRejected({ venue, code: String(code), reason: msg })
    case -2018:
    case -2019:
      return new InsufficientBalance({ venue, reason: `${msg} (${code})` })
    case -4061:
      // a one-way order on an account in Hedge Mode (switched while a run trades, or unread at its start)
      return new OrderRejected({ venue, code: String(code), reason: `${msg} The account is in Hedge Mode: switch it to One-way Mode (Aster: Preferences, Position Mode).` })
    default:
      return new OrderRejected({ venue, code: String(code), reason: msg })
  }
}

const short = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text)

/** An answer that is not a success: the venue's error body, or what the status says. */
const errorOfResponse = (venue: Venue, res: RawResponse, path: string, ref: string | undefined): Effect.Effect<ExchangeError> =>
  Effect.gen(function*() {
    if (res.status === 403) return new RateLimited({ venue })
    const body = yield* Effect.either(decodeJson(venue, ErrorBody, res.text, `${path} error`))
    if (Either.isRight(body) && body.right.code < 0) return mapAsterError(venue, body.right, ref)
    if (res.status < 400) return new VenueUnavailable({ venue, reason: `${path} answered HTTP ${res.status}: ${short(res.text)}` })
    return new InvalidResponse({ venue, detail: `${path}: HTTP ${res.status} without an error code: ${short(res.text)}` })
  })

const isUnknownOutcome = (error: ExchangeError): error is VenueUnavailable | InvalidResponse =>
  error._tag === "VenueUnavailable" || error._tag === "InvalidResponse"

export const makeAsterClient = (options: AsterClientOptions): Effect.Effect<AsterClient, V3CredentialsError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* venueHttpClient
    const venue = options.venue
    const market: AsterMarket = venue === "aster-spot" ? "spot" : "futures"
    const auth = options.auth
    if (auth.kind === "v3") yield* validateV3Credentials(auth)
    const version = auth.kind === "v3" ? "v3" : "v1"
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    const timeoutMs = options.timeoutMs ?? 10_000
    const recvWindow = Math.min(options.recvWindowMs ?? DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS)

    // the clock's own round trip is public and unsigned; a start measures it first, so a garbled
    // answer or a 429 is asked again as any read's is
    const fetchServerTime = readAgainWhenGarbled(Effect.flatMap(
      execute(venue, { method: "GET", url: baseUrl + asterPath(market, version, "time"), timeoutMs, idempotent: true }),
      (res) => res.status === 200 ? Effect.map(decodeJson(venue, ServerTime, res.text, "time"), (t) => t.serverTime) : Effect.flatMap(errorOfResponse(venue, res, "time", undefined), Effect.fail)
    )).pipe(Effect.provideService(HttpClient.HttpClient, http))
    const clock = yield* makeServerClock(fetchServerTime)
    const limiter = yield* makeWeightLimiter(clock.now, options.weightSafety !== undefined ? { safety: options.weightSafety } : {})
    const nextNonce = yield* makeNonceSource(clock.now)

    /** One signed (or public) request, built afresh on each call: new timestamp / nonce. */
    const build = (endpoint: Endpoint, params: Pairs) =>
      Effect.gen(function*() {
        const path = asterPath(market, version, endpoint.name)
        const url = baseUrl + path
        const headers: Record<string, string> = {}
        let encoded: string
        // until when the venue may book the request, once signed (0: unsigned)
        let acceptUntil = 0
        if (endpoint.security === "NONE" || (endpoint.security === "USER_STREAM" && auth.kind === "v1")) {
          if (auth.kind === "v1" && endpoint.security === "USER_STREAM") headers[API_KEY_HEADER] = Redacted.value(auth.apiKey)
          encoded = queryString(params)
        } else if (auth.kind === "v1") {
          headers[API_KEY_HEADER] = Redacted.value(auth.apiKey)
          const timestamp = yield* clock.now
          encoded = signV1(auth.apiSecret, params, { timestamp, recvWindow }).signed
          acceptUntil = timestamp + recvWindow
        } else {
          const nonce = yield* nextNonce
          encoded = (yield* signV3(auth, params, nonce)).signed
          acceptUntil = Number(BigInt(nonce) / 1000n) + NONCE_WINDOW_MS
        }
        // GET carries its parameters in the query string, the others in a form body
        const call: RestCall = endpoint.method === "GET"
          ? { method: "GET", url: encoded.length > 0 ? `${url}?${encoded}` : url, headers, timeoutMs, idempotent: false }
          : { method: endpoint.method, url, headers, body: { text: encoded, contentType: "application/x-www-form-urlencoded" }, timeoutMs, idempotent: false }
        return { call, path, acceptUntil }
      })

    /**
     * One request to the venue: paced, signed, sent, decoded. A clock/signature refusal is
     * answered by measuring the venue's clock again and one more attempt.
     */
    const request = <A, I>(
      endpoint: Endpoint,
      params: Pairs,
      schema: Schema.Schema<A, I>,
      options: { readonly ref?: string; readonly acceptance?: { until: number } } = {}
    ): Effect.Effect<A, ExchangeError> => {
      const acceptance = options.acceptance ?? { until: 0 }
      const urgent = endpoint.name === "order" && endpoint.method !== "GET"
      const attempt = (resynced: boolean): Effect.Effect<A, ExchangeError> =>
        Effect.gen(function*() {
          yield* limiter.acquire(endpoint.weight, urgent ? "urgent" : "normal")
          const { call, path, acceptUntil } = yield* build(endpoint, params)
          // from here on the request may reach the venue (not while it was being signed)
          acceptance.until = acceptUntil
          const sentAt = yield* clock.now
          const res = yield* execute(venue, call).pipe(Effect.provideService(HttpClient.HttpClient, http))
          yield* limiter.observe(res.headers, sentAt)
          if (res.status === 200) return yield* decodeJson(venue, schema, res.text, `${endpoint.method} ${path}`)
          const error = yield* errorOfResponse(venue, res, `${endpoint.method} ${path}`, options.ref)
          // a definite answer: nothing of this attempt can be booked (a stop from here leaves nothing in doubt)
          if (!isUnknownOutcome(error)) acceptance.until = 0
          if (error._tag === "OrderRejected" && error.code !== undefined && CLOCK_CODES.has(Number(error.code)) && !resynced) {
            yield* Effect.logWarning(`Aster refused ${endpoint.method} ${path} (${error.code} ${error.reason}): measuring the venue's clock again and retrying once`)
            yield* clock.resync
            return yield* attempt(true)
          }
          return yield* Effect.fail(error)
        }).pipe(
          // a 429 / 418 / -1003: nothing more is sent until the venue's Retry-After (else 1 s) has passed
          Effect.tapError((error) => (error._tag === "RateLimited" ? limiter.pause(error.retryAfterMs ?? 1000) : Effect.void))
        )
      const once = attempt(false)
      // a read is asked again when nothing came back, garbage did (a cut-off body, a proxy's page)
      // or a 429 (the limiter holds the next attempt until the venue's Retry-After)
      return endpoint.idempotent
        ? once.pipe(Effect.retry({ schedule: readRetry, while: (e) => e._tag === "VenueUnavailable" || e._tag === "InvalidResponse" || e._tag === "RateLimited" }))
        : once
    }

    const symbolParam = (symbol: string): Pairs => [["symbol", symbol]]
    const lookupParams = (symbol: string, ref: OrderLookup): Pairs =>
      "orderId" in ref ? [["symbol", symbol], ["orderId", ref.orderId]] : [["symbol", symbol], ["origClientOrderId", ref.clientId]]
    const refName = (ref: OrderLookup) => ("orderId" in ref ? ref.orderId : `client id ${ref.clientId}`)

    const queryOnce = (symbol: string, ref: OrderLookup) => request(endpoints.queryOrder, lookupParams(symbol, ref), WireOrder, { ref: refName(ref) })

    /** client id → when the venue can no longer accept a placement whose outcome is unknown */
    const inDoubt = new PlacementsInDoubt(clock)
    /** The order placed under `clientId`; for one in doubt, none only once the venue can no longer accept it. */
    const lookUpClientId = (symbol: string, clientId: string) =>
      inDoubt.lookUp(
        clientId,
        queryOnce(symbol, { clientId }).pipe(Effect.map(Option.some), Effect.catchTag("UnknownOrder", () => Effect.succeed(Option.none<WireOrder>())))
      )

    /** A placement in doubt (its answer lost, or its sender interrupted) is unknown only once the venue can no longer accept it. */
    const queryOrder = (symbol: string, ref: OrderLookup): Effect.Effect<WireOrder, ExchangeError> =>
      "clientId" in ref && inDoubt.has(ref.clientId)
        ? Effect.flatMap(lookUpClientId(symbol, ref.clientId), Option.match({
          onSome: Effect.succeed,
          onNone: () => Effect.fail(new UnknownOrder({ venue, orderId: ref.clientId }))
        }))
        : queryOnce(symbol, ref)

    const newOrder = (req: NewOrderRequest): Effect.Effect<WireOrder, ExchangeError> =>
      Effect.gen(function*() {
        if (inDoubt.has(req.clientId)) {
          // an earlier attempt with this client id may have landed: look, never send blindly
          const found = yield* lookUpClientId(req.symbol, req.clientId)
          if (Option.isSome(found)) return found.value
        }
        const params: Array<readonly [string, string]> = [["symbol", req.symbol], ["side", req.side], ["type", req.type]]
        if (req.timeInForce !== undefined) params.push(["timeInForce", req.timeInForce])
        params.push(["quantity", req.quantity])
        if (req.price !== undefined) params.push(["price", req.price])
        params.push(["newClientOrderId", req.clientId], ["newOrderRespType", "RESULT"])
        const acceptance = { until: 0 }
        return yield* request(endpoints.newOrder, params, WireOrder, { ref: `client id ${req.clientId}`, acceptance }).pipe(
          // a sender interrupted once the request was signed (a stop, the kill switch) lost its answer: the
          // venue may still book it, and a look-up of its client id waits that out
          Effect.onInterrupt(() => Effect.sync(() => acceptance.until > 0 && inDoubt.remember(req.clientId, acceptance.until))),
          Effect.catchIf(isUnknownOutcome, (error) =>
            Effect.gen(function*() {
              inDoubt.remember(req.clientId, acceptance.until)
              yield* Effect.logWarning(`Aster order ${req.clientId}: outcome unknown (${error.message}); looking it up by client id`)
              const found = yield* lookUpClientId(req.symbol, req.clientId)
              if (Option.isSome(found)) return found.value
              return yield* Effect.fail(error)
            })
          )
        )
      })

    const cancelOrder = (symbol: string, ref: OrderLookup): Effect.Effect<WireOrder, ExchangeError> =>
      request(endpoints.cancelOrder, lookupParams(symbol, ref), WireOrder, { ref: refName(ref) }).pipe(
        Effect.catchIf(isUnknownOutcome, (error) =>
          // the cancel may or may not have landed: the order's state says which
          Effect.flatMap(queryOrder(symbol, ref), (order) =>
            order.status === "NEW" || order.status === "PARTIALLY_FILLED"
              ? Effect.zipRight(Effect.logWarning(`Aster cancel of ${refName(ref)}: ${error.message}; still open, cancelling again`), request(endpoints.cancelOrder, lookupParams(symbol, ref), WireOrder, { ref: refName(ref) }))
              : Effect.succeed(order))
        )
      )

    const symbolRules = (symbol: string) =>
      Effect.gen(function*() {
        const info = yield* request(endpoints.exchangeInfo, [], ExchangeInfoShallow)
        const raw = info.symbols.find((s) => s.symbol === symbol)
        if (raw === undefined) return yield* new InvalidResponse({ venue, detail: `exchangeInfo: no symbol ${symbol}` })
        // only our row is decoded in full (re-serialised so decodeJson names its fields)
        const rowText = JSON.stringify(raw)
        const what = `exchangeInfo symbols[${symbol}]`
        const row: SymbolInfo = market === "futures"
          ? yield* decodeJson(venue, FuturesSymbolInfo, rowText, what)
          : yield* decodeJson(venue, SpotSymbolInfo, rowText, what)
        const rules = yield* Either.match(symbolRulesOf(venue, row), {
          onLeft: (detail) => Effect.fail(new InvalidResponse({ venue, detail: `exchangeInfo ${detail}` })),
          onRight: Effect.succeed
        })
        yield* limiter.setLimits(info.rateLimits)
        return { rules, rateLimits: info.rateLimits }
      })

    const futuresOnly = <A>(what: string, effect: Effect.Effect<A, ExchangeError>): Effect.Effect<A, ExchangeError> =>
      market === "futures" ? effect : Effect.die(new Error(`${what} is a futures endpoint`))
    const spotOnly = <A>(what: string, effect: Effect.Effect<A, ExchangeError>): Effect.Effect<A, ExchangeError> =>
      market === "spot" ? effect : Effect.die(new Error(`${what} is a spot endpoint`))

    const rangeParams = (range: TimeRange): Pairs => [
      ...(range.startTime !== undefined ? [["startTime", String(range.startTime)] as const] : []),
      ...(range.endTime !== undefined ? [["endTime", String(range.endTime)] as const] : []),
      ...(range.limit !== undefined ? [["limit", String(range.limit)] as const] : [])
    ]

    const listenKeyParams = (listenKey: string): Pairs => (market === "spot" ? [["listenKey", listenKey]] : [])

    return {
      venue,
      market,
      clock,
      limiter,
      symbolRules,
      bookTicker: (symbol) => request(endpoints.bookTicker, symbolParam(symbol), BookTicker),
      lastPrice: (symbol) => request(endpoints.price, symbolParam(symbol), PriceTicker),
      depth: (symbol, limit) => request(ep("GET", "depth", depthWeight(limit), "NONE"), [["symbol", symbol], ["limit", String(limit)]], Depth),
      premiumIndex: (symbol) => futuresOnly("premiumIndex", request(endpoints.premiumIndex, symbolParam(symbol), PremiumIndex)),
      fundingInfo: (symbol) => futuresOnly("fundingInfo", request(endpoints.fundingInfo, symbolParam(symbol), FundingInfo)),
      fundingRateHistory: (symbol, range) => futuresOnly("fundingRate", request(endpoints.fundingRate, [["symbol", symbol], ...rangeParams(range)], FundingRateHistory)),
      income: (symbol, incomeType, range) =>
        futuresOnly(
          "income",
          request(endpoints.income, [["symbol", symbol], ...(incomeType !== undefined ? [["incomeType", incomeType] as const] : []), ...rangeParams(range)], Income)
        ),
      newOrder,
      queryOrder,
      cancelOrder,
      openOrders: (symbol) => request(endpoints.openOrders, symbolParam(symbol), WireOrders),
      userTrades: (symbol, from) =>
        request(endpoints.userTrades, [
          ["symbol", symbol],
          ...(from?.fromId !== undefined ? [["fromId", String(from.fromId)] as const] : []),
          ...(from?.startTime !== undefined ? [["startTime", String(from.startTime)] as const] : []),
          ...(from?.limit !== undefined ? [["limit", String(from.limit)] as const] : [])
        ], UserTrades),
      positionRisk: (symbol) => futuresOnly("positionRisk", request(endpoints.positionRisk, symbolParam(symbol), PositionRisk)),
      futuresBalances: futuresOnly("balance", request(endpoints.balance, [], FuturesBalances)),
      dualSidePosition: futuresOnly("positionSide/dual", Effect.map(request(endpoints.positionSideDual, [], PositionSideDual), (r) => r.dualSidePosition)),
      multiAssetsMargin: futuresOnly("multiAssetsMargin", Effect.map(request(endpoints.multiAssetsMargin, [], MultiAssetsMargin), (r) => r.multiAssetsMargin)),
      spotAccount: spotOnly("account", request(endpoints.account, [], SpotAccount)),
      commissionRate: (symbol) => request(endpoints.commissionRate, symbolParam(symbol), CommissionRate),
      createListenKey: Effect.map(request(endpoints.listenKeyCreate, [], ListenKey), (r) => r.listenKey),
      keepAliveListenKey: (listenKey) => Effect.asVoid(request(endpoints.listenKeyKeepAlive, listenKeyParams(listenKey), Empty)),
      closeListenKey: (listenKey) => Effect.asVoid(request(endpoints.listenKeyClose, listenKeyParams(listenKey), Empty))
    } satisfies AsterClient
  })
