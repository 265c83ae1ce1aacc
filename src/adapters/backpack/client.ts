/**
 * Backpack's REST API as core-typed calls: signed requests on the venue's clock, the venue's error
 * bodies mapped onto the core errors, Backpack's numeric client ids, and the look-ups that keep an
 * unknown outcome safe (a placement that timed out is found by its client id, never sent again
 * while the venue may still book it; an order the venue no longer lists as open is read from the
 * order history and the fills, never assumed filled).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { BigDecimal, Clock, Duration, Effect, Either, Option, Ref, type Schema, type Scope } from "effect"
import { createHash } from "node:crypto"
import type { HedgeConfig } from "../../core/config/config"
import type { FundingPayment } from "../../core/accounting/ledger"
import type { Balance } from "../../core/domain/account"
import { type Decimal, formatDecimal, isMultipleOf, ZERO } from "../../core/domain/decimal"
import type { Instrument } from "../../core/domain/instrument"
import { type Fill, isOpenStatus, type LimitOrderRequest, type MarketOrderRequest, type Order, type Side } from "../../core/domain/order"
import { type ExchangeError, InsufficientBalance, InvalidResponse, OrderRejected, RateLimited, UnknownOrder, VenueUnavailable } from "../../core/errors"
import type { OrderRef } from "../../core/exchange"
import { setNewest } from "../../core/newest-entries"
import { logFilterChange } from "../common/filter-change-log"
import { PlacementsInDoubt } from "../common/placements-in-doubt"
import { decodeJson, execute, type RawResponse, readAgainWhenGarbled, type RestCall, venueHttpClient } from "../common/rest"
import { makeServerClock, type ServerClock } from "../common/server-clock"
import {
  bestOfDepth,
  type OrderExecuteBody,
  toBalances,
  toFill,
  toFundingPayment,
  toInstrument,
  toOrder,
  WireCapital,
  WireMaxOrder,
  WireDepth,
  WireErrorBody,
  WireFills,
  WireFundingPayments,
  WireMarket,
  type WireMarkPrice,
  WireMarkPrices,
  WireOrder,
  WireOrders,
  WirePositions,
  WireServerTime,
  wireSideOf,
  WireTicker
} from "./schemas"
import { offThreadSigner } from "./off-thread-signer"
import { authHeaders, type BackpackSigner, DEFAULT_WINDOW_MS, type InvalidBackpackKey, makeSigner, type SignedFields, type SigningInput, signingString, subscribeSigningString, subscriptionFields } from "./signing"

const VENUE = "backpack" as const
const JSON_CONTENT = "application/json; charset=utf-8"
const DEFAULT_TIMEOUT_MS = 5000
/** How long a cancel the venue accepted but had not executed yet (202) is polled for. */
const ACCEPTED_CANCEL_POLLS = 5
const ACCEPTED_CANCEL_PAUSE = Duration.millis(200)
/** A history's page size (the venue's maximum; it sends 100 unasked) and how many pages are read at most. */
const HISTORY_PAGE = 1000
const HISTORY_MAX_PAGES = 50

// ---------------------------------------------------------------------------------------------
// Client ids
// ---------------------------------------------------------------------------------------------

/**
 * Backpack's client id is an unsigned 32-bit integer; hedgeloop's are strings ("hl-m12"). A string
 * that already is a uint32 in decimal is used as it is; any other becomes the first four bytes
 * (big-endian) of its SHA-256. The same string always gives the same number, so a restarted bot
 * can still look its orders up by client id.
 */
export const backpackClientId = (clientId: string): number => {
  if (/^\d{1,10}$/.test(clientId) && Number(clientId) <= 0xffff_ffff) return Number(clientId)
  return createHash("sha256").update(clientId, "utf8").digest().readUInt32BE(0)
}

/**
 * The numbers this session sent lately, and the strings they stand for. Only the latest
 * `capacity` are kept (far more than are ever open at once): a run of weeks would otherwise hold
 * every id it sent, and the chance that a new id's number is taken would grow with them.
 */
export class ClientIds {
  private readonly byNumber = new Map<number, string>()

  constructor(private readonly capacity = 10_000) {}

  /** The number to send for `clientId`; refused when another id of this session hashed to it. */
  register(clientId: string): Either.Either<number, string> {
    const number = backpackClientId(clientId)
    const known = this.byNumber.get(number)
    if (known !== undefined && known !== clientId) return Either.left(known)
    setNewest(this.byNumber, number, clientId, this.capacity)
    return Either.right(number)
  }

  /** Our string for a number the venue sent back (its decimal text when this session never sent it). */
  nameOf(number: number | undefined): string {
    if (number === undefined) return ""
    return this.byNumber.get(number) ?? String(number)
  }

  /** Whether this session placed an order under that number. */
  isOwn(number: number | undefined): boolean {
    return number !== undefined && this.byNumber.has(number)
  }

  /** Whether this session placed an order under that client id. */
  knows(clientId: string): boolean {
    return this.byNumber.get(backpackClientId(clientId)) === clientId
  }
}

// ---------------------------------------------------------------------------------------------
// Venue errors
// ---------------------------------------------------------------------------------------------

/** The venue's wording for a post-only order refused because it would take liquidity. */
const WOULD_TAKE = /would (immediately )?(match|cross|take)/i
/** A refused timestamp or window: the local clock drifted from the venue's. */
const CLOCK_REJECTION = /timestamp|window|expired/i

/**
 * A Backpack error body as a core error. `notFound` names the order a RESOURCE_NOT_FOUND refers to
 * on order look-ups and cancels; elsewhere an unknown code is a rejection keeping the venue's
 * code and message.
 */
export const venueError = (status: number, body: WireErrorBody, notFound?: string): ExchangeError => {
  switch (body.code) {
    case "INSUFFICIENT_FUNDS":
      return new InsufficientBalance({ venue: VENUE, reason: `${body.message} (${body.code})` })
    case "RESOURCE_NOT_FOUND":
      return notFound !== undefined
        ? new UnknownOrder({ venue: VENUE, orderId: notFound })
        : new OrderRejected({ venue: VENUE, code: body.code, reason: body.message })
    case "TOO_MANY_REQUESTS":
      return new RateLimited({ venue: VENUE })
    case "SERVICE_UNAVAILABLE":
    case "INTERNAL_ERROR":
      return new VenueUnavailable({ venue: VENUE, reason: `HTTP ${status} ${body.code}: ${body.message}` })
    default:
      return new OrderRejected({ venue: VENUE, code: body.code, reason: body.message, ...(WOULD_TAKE.test(body.message) ? { wouldTake: true } : {}) })
  }
}

const errorBodyOf = (response: RawResponse): WireErrorBody | undefined => {
  try {
    const json: unknown = JSON.parse(response.text)
    if (typeof json === "object" && json !== null && "code" in json && "message" in json && typeof json.code === "string" && typeof json.message === "string")
      return { code: json.code, message: json.message }
  } catch {
    // not an error body
  }
  return undefined
}

const isClockRejection = (response: RawResponse): boolean => {
  if (response.status < 400 || response.status >= 500) return false
  const body = errorBodyOf(response)
  return body !== undefined && body.code !== "INVALID_SIGNATURE" && CLOCK_REJECTION.test(body.message)
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

export type BackpackClientConfig = Pick<HedgeConfig["maker"], "baseUrl" | "symbol" | "publicKey" | "secretKey" | "windowMs">

export interface BackpackRestOptions {
  /** per request (default 5000 ms): past it the outcome is unknown */
  readonly timeoutMs?: number
  /** X-Window of signed requests (default 5000 ms, the venue's maximum is 60000) */
  readonly windowMs?: number
}

/** The venue's order book as GET /api/v1/depth lists it (levels in the venue's order). */
export interface DepthBook {
  readonly ts: number
  /** the last depth-stream update the book contains */
  readonly lastUpdateId: number
  readonly bids: ReadonlyArray<readonly [Decimal, Decimal]>
  readonly asks: ReadonlyArray<readonly [Decimal, Decimal]>
}

export interface BookTop {
  readonly ts: number
  readonly bid: Decimal
  readonly bidQty: Decimal
  readonly ask: Decimal
  readonly askQty: Decimal
}

export interface BackpackClient {
  readonly symbol: string
  readonly clock: ServerClock
  readonly clientIds: ClientIds
  /** GET /api/v1/market, fetched once and kept until `refreshInstrument` reads it anew */
  readonly instrument: Effect.Effect<Instrument, ExchangeError>
  /** GET /api/v1/market again: the kept instrument is replaced only by an answer that passes the same checks */
  readonly refreshInstrument: Effect.Effect<Instrument, ExchangeError>
  /** GET /api/v1/ticker */
  readonly lastPrice: Effect.Effect<Decimal, ExchangeError>
  /** GET /api/v1/depth */
  readonly bookTop: Effect.Effect<BookTop, ExchangeError>
  /** GET /api/v1/depth: the whole book the venue lists, with the update id it is current to */
  readonly depthBook: Effect.Effect<DepthBook, ExchangeError>
  /** GET /api/v1/markPrices (none when the venue lists no mark price for the symbol) */
  readonly markPrice: Effect.Effect<Option.Option<WireMarkPrice>, ExchangeError>
  readonly placeLimit: (request: LimitOrderRequest) => Effect.Effect<Order, ExchangeError>
  readonly placeMarket: (request: MarketOrderRequest) => Effect.Effect<Order, ExchangeError>
  /** the order's final state; an order no longer open is read back rather than reported unknown */
  readonly cancel: (orderId: string) => Effect.Effect<Order, ExchangeError>
  /** open orders first, then the history (with the fills) */
  readonly queryOrder: (ref: OrderRef) => Effect.Effect<Order, ExchangeError>
  /** GET /api/v1/orders for the symbol */
  readonly openOrders: Effect.Effect<ReadonlyArray<Order>, ExchangeError>
  /** GET /wapi/v1/history/fills for the symbol */
  readonly fills: (filter: { readonly orderId?: string; readonly fromMs?: number }) => Effect.Effect<ReadonlyArray<Fill>, ExchangeError>
  /** GET /api/v1/position: the symbol's signed net quantity (0 without a position) */
  readonly positionQty: Effect.Effect<Decimal, ExchangeError>
  /** GET /api/v1/capital */
  readonly balances: Effect.Effect<ReadonlyArray<Balance>, ExchangeError>
  /** GET /api/v1/account/limits/order: the largest limit order of `side` at `price` the account allows now */
  readonly maxOrderQty: (side: Side, price: Decimal) => Effect.Effect<Decimal, ExchangeError>
  /** GET /wapi/v1/history/funding for the symbol: payments at or after `sinceMs`, oldest first */
  readonly fundingPayments: (sinceMs: number) => Effect.Effect<ReadonlyArray<FundingPayment>, ExchangeError>
  /** the `signature` of a private SUBSCRIBE, on the venue's clock */
  readonly subscriptionSignature: Effect.Effect<readonly [string, string, string, string]>
  /** measures the venue's clock again (a refused subscription may have been signed on a drifted one) */
  readonly resyncClock: Effect.Effect<void, ExchangeError>
}

type Query = ReadonlyArray<readonly [string, string]>

interface Call {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  /** signed when present */
  readonly instruction?: string
  readonly query?: Query
  readonly body?: SignedFields
  readonly idempotent: boolean
  /** the order a 404 RESOURCE_NOT_FOUND refers to */
  readonly notFound?: string
  /** set to the signed timestamp + window as each attempt is signed: until then the venue may accept it */
  readonly acceptance?: { until: number }
}

const label = (call: Call) => `${call.method} ${call.path}`

export const makeBackpackClient = (
  config: BackpackClientConfig,
  options: BackpackRestOptions = {}
): Effect.Effect<BackpackClient, InvalidBackpackKey, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const inline: BackpackSigner = yield* makeSigner(config.secretKey, config.publicKey)
    // off the thread that hedges (off-thread-signer.ts)
    const signer = yield* offThreadSigner(config.secretKey, inline)
    const http = yield* venueHttpClient
    const symbol = config.symbol
    const baseUrl = config.baseUrl.replace(/\/+$/, "")
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const windowMs = options.windowMs ?? config.windowMs ?? DEFAULT_WINDOW_MS
    const clientIds = new ClientIds()

    /** Signed afresh for each attempt: a read (or cancel) sent again after a timeout is not refused as expired. */
    const sendOnce = (call: Call, now: Effect.Effect<number>) => {
      const signed: Effect.Effect<RestCall> = Effect.gen(function*() {
        let headers: Record<string, string> = {}
        if (call.instruction !== undefined) {
          const input: SigningInput = {
            instruction: call.instruction,
            ...(call.query ? { query: call.query } : {}),
            ...(call.body ? { body: call.body } : {}),
            timestamp: yield* now,
            window: windowMs
          }
          headers = authHeaders(signer.apiKey, yield* signer.sign(signingString(input)), input)
          // from here on the request may reach the venue, which may book it until then (not while it was being signed)
          if (call.acceptance) call.acceptance.until = input.timestamp + windowMs
        }
        return {
          method: call.method,
          url: `${baseUrl}${call.path}`,
          ...(call.query ? { query: call.query } : {}),
          headers,
          ...(call.body ? { body: { text: JSON.stringify(call.body), contentType: JSON_CONTENT } } : {}),
          timeoutMs,
          idempotent: call.idempotent
        }
      })
      return execute(VENUE, signed, call.idempotent).pipe(Effect.provideService(HttpClient.HttpClient, http))
    }

    const answer = <A, I>(call: Call, response: RawResponse, schema: Schema.Schema<A, I>): Effect.Effect<A, ExchangeError> =>
      response.status >= 200 && response.status < 300
        ? decodeJson(VENUE, schema, response.text, label(call))
        : Effect.flatMap(
          decodeJson(VENUE, WireErrorBody, response.text, `${label(call)} error answer (HTTP ${response.status})`),
          (body) => Effect.fail(venueError(response.status, body, call.notFound))
        )

    // the venue clock's own endpoint is public: nothing is signed before the clock exists. A start
    // measures it first: one garbled answer must not fail the start
    const timeCall: Call = { method: "GET", path: "/api/v1/time", idempotent: true }
    const serverTime = readAgainWhenGarbled(Effect.flatMap(sendOnce(timeCall, Clock.currentTimeMillis), (response) => answer(timeCall, response, WireServerTime)))
    const clock = yield* makeServerClock(serverTime)

    /** A refused timestamp/window means our clock drifted: measure again and sign afresh, once. */
    const send = (call: Call) =>
      Effect.gen(function*() {
        const first = yield* sendOnce(call, clock.now)
        if (call.instruction === undefined || !isClockRejection(first)) return first
        // refused: nothing of it can be booked (a stop while the clock is measured leaves nothing in doubt)
        if (call.acceptance) call.acceptance.until = 0
        yield* Effect.logWarning(`backpack refused the timestamp of ${label(call)}; measuring the venue clock again`)
        yield* clock.resync
        return yield* sendOnce(call, clock.now)
      })

    const request = <A, I>(call: Call, schema: Schema.Schema<A, I>): Effect.Effect<A, ExchangeError> => {
      const once = Effect.flatMap(send(call), (response) => answer(call, response, schema))
      return call.idempotent ? readAgainWhenGarbled(once) : once
    }

    const bySymbol: Query = [["symbol", symbol]]

    const asOrder = (wire: WireOrder) => Effect.map(clock.now, (now) => toOrder(wire, clientIds.nameOf(wire.clientId), now))

    // ---- market data ----

    const cachedInstrument = yield* Ref.make(Option.none<Instrument>())
    /** the market as the venue lists it now, checked; the cache is set only once it passed */
    const fetchInstrument = request({ method: "GET", path: "/api/v1/market", query: bySymbol, idempotent: true }, WireMarket).pipe(
      Effect.filterOrFail(
        (market) => market.symbol === symbol,
        (market) => new InvalidResponse({ venue: VENUE, detail: `GET /api/v1/market: field symbol: asked for ${symbol}, got ${market.symbol}` })
      ),
      Effect.map(toInstrument),
      Effect.tap((found) => Ref.set(cachedInstrument, Option.some(found)))
    )
    const instrument = Effect.flatMap(Ref.get(cachedInstrument), Option.match({ onSome: Effect.succeed, onNone: () => fetchInstrument }))
    const refreshInstrument = Effect.gen(function*() {
      const before = yield* Ref.get(cachedInstrument)
      const after = yield* fetchInstrument
      if (Option.isSome(before)) yield* logFilterChange(before.value, after)
      return after
    })

    // a market without a trade yet answers 0: no price to quote from
    const lastPrice = request({ method: "GET", path: "/api/v1/ticker", query: bySymbol, idempotent: true }, WireTicker).pipe(
      Effect.filterOrFail((ticker) => BigDecimal.isPositive(ticker.lastPrice), () => new VenueUnavailable({ venue: VENUE, reason: `no ${symbol} trade yet (last price 0)` })),
      Effect.map((ticker) => ticker.lastPrice)
    )

    const wireDepth = request({ method: "GET", path: "/api/v1/depth", query: bySymbol, idempotent: true }, WireDepth)
    const depthBook = Effect.gen(function*() {
      const wire = yield* wireDepth
      const lastUpdateId = Number(wire.lastUpdateId ?? Number.NaN)
      if (!Number.isSafeInteger(lastUpdateId)) {
        return yield* new InvalidResponse({ venue: VENUE, detail: `GET /api/v1/depth: field lastUpdateId: expected an update id, got ${JSON.stringify(wire.lastUpdateId ?? null)}` })
      }
      return { ts: wire.timestamp ?? (yield* clock.now), lastUpdateId, bids: wire.bids, asks: wire.asks }
    })

    const bookTop = Effect.gen(function*() {
      const depth = yield* wireDepth
      const best = bestOfDepth(depth)
      if (best.bid === undefined || best.ask === undefined) return yield* new VenueUnavailable({ venue: VENUE, reason: `the ${symbol} order book has no bid or no ask` })
      return { ts: depth.timestamp ?? (yield* clock.now), bid: best.bid[0], bidQty: best.bid[1], ask: best.ask[0], askQty: best.ask[1] }
    })

    const markPrice = Effect.map(
      request({ method: "GET", path: "/api/v1/markPrices", query: bySymbol, idempotent: true }, WireMarkPrices),
      (prices) => Option.fromNullable(prices.find((p) => p.symbol === symbol))
    )

    // ---- orders ----

    /** Prices and sizes go out exactly as the instrument's grid allows, or not at all. */
    const onGrid = (value: Decimal, step: Decimal, what: "price" | "quantity", code: "tick" | "step") =>
      BigDecimal.isPositive(value) && isMultipleOf(value, step)
        ? Effect.succeed(formatDecimal(value))
        : Effect.fail(new OrderRejected({ venue: VENUE, code, reason: `${what} ${formatDecimal(value)} is not a positive multiple of ${formatDecimal(step)} (not sent)` }))

    const registerClientId = (clientId: string) =>
      Either.match(clientIds.register(clientId), {
        onRight: Effect.succeed,
        onLeft: (other) =>
          Effect.fail(new OrderRejected({ venue: VENUE, code: "CLIENT_ID_COLLISION", reason: `client id ${clientId} maps to the same Backpack client id as ${other} (not sent)`, clientIdTaken: true }))
      })

    const historyOrders = (query: Query) =>
      request({ method: "GET", path: "/wapi/v1/history/orders", instruction: "orderHistoryQueryAll", query: [...bySymbol, ...query], idempotent: true }, WireOrders)

    /**
     * The fill history, in pages (`historyPages`): an order filled in more pieces than one page
     * holds is read whole. A fill booked while paging shifts the pages by one row: each trade is kept once.
     */
    /**
     * A history (newest first) in pages of HISTORY_PAGE by offset, each handed to `onPage`, until a
     * page is short, `onPage` says it has gone back far enough, or HISTORY_MAX_PAGES were read.
     */
    const historyPages = <A, I>(
      path: string,
      instruction: string,
      query: Query,
      schema: Schema.Schema<ReadonlyArray<A>, I>,
      onPage: (rows: ReadonlyArray<A>) => "more" | "enough"
    ) =>
      Effect.gen(function*() {
        for (let page = 0; page < HISTORY_MAX_PAGES; page++) {
          const rows = yield* request({
            method: "GET",
            path,
            instruction,
            query: [...query, ["limit", String(HISTORY_PAGE)], ["offset", String(page * HISTORY_PAGE)]],
            idempotent: true
          }, schema)
          if (onPage(rows) === "enough" || rows.length < HISTORY_PAGE) return
        }
      })

    const fills = (filter: { readonly orderId?: string; readonly fromMs?: number }) =>
      Effect.gen(function*() {
        const byTrade = new Map<string, Fill>()
        const query: Query = [
          ...bySymbol,
          ...(filter.orderId !== undefined ? [["orderId", filter.orderId] as const] : []),
          ...(filter.fromMs !== undefined ? [["from", String(filter.fromMs)] as const] : [])
        ]
        yield* historyPages("/wapi/v1/history/fills", "fillHistoryQueryAll", query, WireFills, (page) => {
          // rows without a trade id are keyed by order and time: a second one of the same order in
          // the same millisecond on a page is a fill of its own (a row repeated by a shifted page
          // comes on the next page, under the same key)
          const standInsSeen = new Map<string, number>()
          for (const row of page) {
            let fill = toFill(row)
            if (row.tradeId === undefined) {
              const seen = (standInsSeen.get(fill.tradeId) ?? 0) + 1
              standInsSeen.set(fill.tradeId, seen)
              if (seen > 1) fill = { ...fill, tradeId: `${fill.tradeId}#${seen}` }
            }
            if (!byTrade.has(fill.tradeId)) byTrade.set(fill.tradeId, fill)
          }
          return "more"
        })
        return [...byTrade.values()]
      })

    /** The history can lag the fills: what the fills prove executed is never reported smaller. */
    const reconcileWithFills = (order: Order) =>
      Effect.map(fills({ orderId: order.id }), (own) => {
        const mine = own.filter((fill) => fill.orderId === order.id)
        const qty = mine.reduce((acc, fill) => BigDecimal.sum(acc, fill.qty), ZERO)
        if (!BigDecimal.greaterThan(qty, order.filledQty)) return order
        const quote = mine.reduce((acc, fill) => BigDecimal.sum(acc, BigDecimal.multiply(fill.price, fill.qty)), ZERO)
        return { ...order, filledQty: qty, filledQuote: quote }
      })

    /** An order GET /api/v1/order no longer lists (it only knows resting orders): read its history. */
    const closedOrder = (ref: OrderRef, name: string) =>
      Effect.gen(function*() {
        const wanted = "orderId" in ref ? undefined : backpackClientId(ref.clientId)
        const history = yield* historyOrders("orderId" in ref ? [["orderId", ref.orderId]] : [["limit", "1000"]])
        const matches = history.filter((wire) => ("orderId" in ref ? wire.id === ref.orderId : wire.clientId === wanted) && wire.symbol === symbol)
        const latest = matches.reduce<WireOrder | undefined>((best, wire) => (best === undefined || wire.createdAt > best.createdAt ? wire : best), undefined)
        if (latest === undefined) return yield* new UnknownOrder({ venue: VENUE, orderId: name })
        return yield* reconcileWithFills(yield* asOrder(latest))
      })

    /** GET /api/v1/order, then the history: what the venue says now, without regard to placements in doubt. */
    const queryVenue = (ref: OrderRef): Effect.Effect<Order, ExchangeError> => {
      const name = "orderId" in ref ? ref.orderId : ref.clientId
      if ("clientId" in ref) clientIds.register(ref.clientId)
      const id: readonly [string, string] = "orderId" in ref ? ["orderId", ref.orderId] : ["clientId", String(backpackClientId(ref.clientId))]
      return request({ method: "GET", path: "/api/v1/order", instruction: "orderQuery", query: [id, ...bySymbol], idempotent: true, notFound: name }, WireOrder).pipe(
        Effect.flatMap(asOrder),
        Effect.catchTag("UnknownOrder", () => closedOrder(ref, name))
      )
    }

    /** client id → when the venue can no longer book a placement whose answer was lost */
    const inDoubt = new PlacementsInDoubt(clock)

    /** The order placed under `clientId`; for one in doubt, none only once the venue can no longer book it. */
    const lookUpClientId = (clientId: string) =>
      inDoubt.lookUp(
        clientId,
        queryVenue({ clientId }).pipe(Effect.map(Option.some), Effect.catchTag("UnknownOrder", () => Effect.succeedNone))
      )

    const queryOrder = (ref: OrderRef): Effect.Effect<Order, ExchangeError> =>
      "orderId" in ref
        ? queryVenue(ref)
        : Effect.flatMap(lookUpClientId(ref.clientId), Option.match({
          onSome: Effect.succeed,
          onNone: () => Effect.fail(new UnknownOrder({ venue: VENUE, orderId: ref.clientId }))
        }))

    /**
     * Sends an order once. A lost answer (timeout, dropped connection, 5xx) or one that cannot be
     * read leaves the outcome unknown: the order is looked up by its client id, never sent again
     * while the venue may still book the lost request.
     */
    const sendOrder = (body: typeof OrderExecuteBody.Encoded, clientId: string) =>
      Effect.gen(function*() {
        if (inDoubt.has(clientId)) {
          // an earlier attempt under this client id may have been booked: look before sending
          const earlier = yield* lookUpClientId(clientId).pipe(
            Effect.catchTag("VenueUnavailable", (error) =>
              Effect.fail(new VenueUnavailable({ venue: VENUE, reason: `an earlier placement of order ${clientId} is in doubt and looking it up failed (${error.reason}); not sent` })))
          )
          if (Option.isSome(earlier)) return earlier.value
        }
        const acceptance = { until: 0 }
        return yield* request({ method: "POST", path: "/api/v1/order", instruction: "orderExecute", body, idempotent: false, acceptance }, WireOrder).pipe(
          // a sender interrupted once the request was signed (a stop, the kill switch) lost its answer: the
          // venue may still book it, and a look-up of its client id waits that out
          Effect.onInterrupt(() => Effect.sync(() => acceptance.until > 0 && inDoubt.remember(clientId, acceptance.until))),
          Effect.flatMap(asOrder),
          Effect.catchTags({
            VenueUnavailable: (error) =>
              findPlacement(clientId, acceptance.until, error.reason, (failure) =>
                new VenueUnavailable({
                  venue: VENUE,
                  reason: failure === undefined
                    ? `${error.reason}; no order with client id ${clientId} booked by the end of its ${windowMs} ms window (not sent again)`
                    : `${error.reason}; looking up client id ${clientId} failed too (${failure.message}): outcome unknown (not sent again)`
                })),
            InvalidResponse: (error) => findPlacement(clientId, acceptance.until, error.detail, () => error)
          })
        )
      })

    /** `lost` gets the look-up's own failure, or none when the venue surely never booked the order. */
    const findPlacement = (clientId: string, acceptUntil: number, what: string, lost: (failure: ExchangeError | undefined) => ExchangeError) =>
      Effect.gen(function*() {
        inDoubt.remember(clientId, acceptUntil)
        yield* Effect.logWarning(`backpack: the answer to order ${clientId} was lost or unreadable (${what}); looking it up by client id until the venue can no longer book it`)
        const found = yield* Effect.either(lookUpClientId(clientId))
        if (Either.isRight(found) && Option.isSome(found.right)) return found.right.value
        return yield* Effect.fail(lost(Either.isLeft(found) ? found.left : undefined))
      })

    const placeLimit = (req: LimitOrderRequest) =>
      Effect.gen(function*() {
        const market = yield* instrument
        const price = yield* onGrid(req.price, market.tickSize, "price", "tick")
        const quantity = yield* onGrid(req.qty, market.stepSize, "quantity", "step")
        const clientId = yield* registerClientId(req.clientId)
        return yield* sendOrder({
          symbol,
          side: wireSideOf(req.side),
          orderType: "Limit",
          price,
          quantity,
          postOnly: req.postOnly,
          timeInForce: req.timeInForce,
          clientId
        }, req.clientId)
      })

    const placeMarket = (req: MarketOrderRequest) =>
      Effect.gen(function*() {
        const market = yield* instrument
        const quantity = yield* onGrid(req.qty, market.stepSize, "quantity", "step")
        const clientId = yield* registerClientId(req.clientId)
        return yield* sendOrder({ symbol, side: wireSideOf(req.side), orderType: "Market", quantity, clientId }, req.clientId)
      })

    /** A cancel answered 202 (accepted, not yet executed): read the order until it is closed. */
    const settleAcceptedCancel = (orderId: string) =>
      Effect.gen(function*() {
        let order = yield* queryOrder({ orderId })
        for (let poll = 1; poll < ACCEPTED_CANCEL_POLLS && isOpenStatus(order.status); poll++) {
          yield* Effect.sleep(ACCEPTED_CANCEL_PAUSE)
          order = yield* queryOrder({ orderId })
        }
        return order
      })

    const cancel = (orderId: string) => {
      const call: Call = { method: "DELETE", path: "/api/v1/order", instruction: "orderCancel", body: { orderId, symbol }, idempotent: true, notFound: orderId }
      return Effect.gen(function*() {
        const response = yield* send(call)
        if (response.status === 202) return yield* settleAcceptedCancel(orderId)
        return yield* asOrder(yield* answer(call, response, WireOrder))
      }).pipe(
        // no longer open: filled or cancelled before we asked; the history says which
        Effect.catchTag("UnknownOrder", () => queryOrder({ orderId }))
      )
    }

    const openOrders = Effect.flatMap(
      request({ method: "GET", path: "/api/v1/orders", instruction: "orderQueryAll", query: bySymbol, idempotent: true }, WireOrders),
      (wire) => Effect.forEach(wire.filter((o) => o.symbol === symbol), asOrder)
    )

    const positionQty = Effect.map(
      request({ method: "GET", path: "/api/v1/position", instruction: "positionQuery", idempotent: true }, WirePositions),
      (positions) => positions.find((p) => p.symbol === symbol)?.netQuantity ?? ZERO
    )

    const balances = Effect.map(request({ method: "GET", path: "/api/v1/capital", instruction: "balanceQuery", idempotent: true }, WireCapital), toBalances)

    const maxOrderQty = (side: Side, price: Decimal) =>
      Effect.map(
        request({
          method: "GET",
          path: "/api/v1/account/limits/order",
          instruction: "maxOrderQuantity",
          query: [...bySymbol, ["side", side === "buy" ? "Bid" : "Ask"], ["price", formatDecimal(price)]],
          idempotent: true
        }, WireMaxOrder),
        (wire) => wire.maxOrderQuantity
      )

    /**
     * The funding history has no time filter: its pages (`historyPages`) until one reaches back
     * before `sinceMs`.
     */
    const fundingPayments = (sinceMs: number) =>
      Effect.gen(function*() {
        // by funding time: a payment booked while paging shifts the pages by one row
        const rows = new Map<number, FundingPayment>()
        yield* historyPages("/wapi/v1/history/funding", "fundingHistoryQueryAll", [...bySymbol, ["sortDirection", "Desc"]], WireFundingPayments, (page) => {
          for (const row of page) if (row.symbol === symbol && row.intervalEndTimestamp >= sinceMs) rows.set(row.intervalEndTimestamp, toFundingPayment(row))
          return page.some((row) => row.intervalEndTimestamp < sinceMs) ? "enough" : "more"
        })
        return [...rows.values()].sort((a, b) => a.ts - b.ts)
      })

    const client: BackpackClient = {
      symbol,
      clock,
      clientIds,
      instrument,
      refreshInstrument,
      lastPrice,
      bookTop,
      depthBook,
      markPrice,
      placeLimit,
      placeMarket,
      cancel,
      queryOrder,
      openOrders,
      fills,
      positionQty,
      balances,
      maxOrderQty,
      fundingPayments,
      subscriptionSignature: Effect.flatMap(clock.now, (now) =>
        Effect.map(signer.sign(subscribeSigningString(now, windowMs)), (signature) => subscriptionFields(signer.apiKey, signature, now, windowMs))),
      resyncClock: clock.resync
    }
    return client
  })
