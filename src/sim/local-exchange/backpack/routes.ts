/**
 * The Backpack wire protocol over a LocalVenue: the paths, parameters, response shapes and error
 * bodies the live adapter (src/adapters/backpack) uses, signed requests checked like the venue
 * does, and the fault plan applied to every request and every outgoing stream message.
 *
 * Mounting: `backpackRoutes({ venue, faults, accounts })` is an `HttpRouter.HttpRouter` with every
 * route at its absolute path (/api/v1/…, /wapi/v1/…) and the WebSocket at `GET /` (upgrade), so it
 * is served at the root of its own port, e.g.
 *   `yield* server.serve(backpackRoutes(deps))` (HttpServer.HttpServer from NodeHttpServer.make)
 *   or `HttpServer.serve(backpackRoutes(deps))` as a Layer.
 * The adapter then takes `http://host:port` as its base URL and derives `ws://host:port/`.
 * On shutdown, destroy open connections before the server's own scope closes: NodeHttpServer's
 * WebSocketServer finalizer waits for every connected client to leave.
 *
 * REST: GET /api/v1/time, /api/v1/ping, /api/v1/markets, /api/v1/market, /api/v1/ticker,
 * /api/v1/depth, /api/v1/markPrices (public); signed: GET/POST/DELETE /api/v1/order,
 * GET /api/v1/orders, GET /api/v1/position, GET /api/v1/capital, GET /api/v1/account/limits/order
 * (`maxOrderQuantity`: what the account's balances and margin allow now), GET /wapi/v1/history/orders,
 * GET /wapi/v1/history/fills, GET /wapi/v1/history/funding (the account's funding payments, newest
 * first unless `sortDirection=Asc`; `limit`/`offset` pages, no time filter). GET /api/v1/order
 * lists resting orders only (404 RESOURCE_NOT_FOUND otherwise, as the venue); closed orders are in
 * the order history.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { BigDecimal, Effect, Either, Option, ParseResult, Schema, type Scope } from "effect"
import { FundingHistoryQueryParams, HistoryQueryParams, OrderCancelBody, OrderExecuteBody, OrderQueryParams } from "../../../adapters/backpack/schemas"
import type { SignedFields, SignedValue } from "../../../adapters/backpack/signing"
import { formatDecimal, parseDecimal } from "../../../core/domain/decimal"
import type { Order } from "../../../core/domain/order"
import type { Faults, LocalAccounts, LocalOrderRef, LocalVenue } from "../types"
import { authenticate } from "./auth"
import { makeDepthSequence } from "./depth-sequence"
import { OrderLog } from "./order-log"
import { capitalOf, depthOf, fillOf, fundingPaymentOf, marketOf, markPricesOf, orderOf, positionsOf, tickerOf } from "./render"
import { answerWithFaults, badRequest, ok, refuse, rejected, type Reply, toResponse } from "./replies"
import { backpackStream, type StreamDeps } from "./stream"

export interface BackpackRoutesDeps {
  readonly venue: LocalVenue
  readonly faults: Faults
  readonly accounts: LocalAccounts
}

type Handled = Effect.Effect<Reply, never, HttpServerRequest.HttpServerRequest | HttpServerRequest.ParsedSearchParams>

/** The first problem of a request payload, named by field. */
const describe = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const field = issue && issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ` : ""
  return `${field}${issue?.message ?? "invalid request"}`
}

const queryPairs = Effect.map(HttpServerRequest.ParsedSearchParams, (params) =>
  Object.entries(params).flatMap(([key, value]) => (Array.isArray(value) ? value.map((v) => [key, v] as const) : [[key, value as string] as const])))

const queryRecord = Effect.map(HttpServerRequest.ParsedSearchParams, (params) =>
  Object.fromEntries(Object.entries(params).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value])))

/** A JSON body as the signed fields it carries (nested values signed as their JSON text). */
const bodyFields = (json: unknown): SignedFields | undefined =>
  typeof json === "object" && json !== null && !Array.isArray(json)
    ? Object.fromEntries(Object.entries(json).map(([key, value]) => [key, value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? (value as SignedValue | null) : JSON.stringify(value)]))
    : undefined

const notFound = refuse(404, "RESOURCE_NOT_FOUND", "Order not found")
const isOpen = (order: Order) => order.status === "new" || order.status === "partially-filled"

/** The Backpack REST and WebSocket protocol over `deps.venue`; see the header for mounting. */
export const backpackRoutes = (deps: BackpackRoutesDeps): HttpRouter.HttpRouter<never, never> => {
  const { venue, faults, accounts } = deps
  const symbol = venue.instrument.symbol
  const log = new OrderLog()
  const depth = makeDepthSequence(venue)

  // the whole request is received first, as a venue does before it acts on it: a sender hanging up
  // during a delay fault then leaves a request that is carried out all the same
  const received = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => (request.method === "GET" ? Effect.void : Effect.ignore(request.text)))
  const answer = (route: string, handle: Handled) => Effect.zipRight(received, answerWithFaults(faults, venue.venue, route, handle))

  /** Checks the signature over the query (GET) or the JSON body (POST/DELETE), then handles. */
  const signed = (
    instruction: string,
    handle: (account: string, input: { readonly query: Record<string, string | undefined>; readonly body: unknown }) => Reply
  ): Handled =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const query = yield* queryPairs
      const text = request.method === "GET" ? "" : yield* Effect.orElseSucceed(request.text, () => "")
      let body: unknown = undefined
      if (text.trim().length > 0) {
        try {
          body = JSON.parse(text)
        } catch {
          return badRequest("Invalid JSON body")
        }
      }
      const fields = bodyFields(body)
      if (body !== undefined && fields === undefined) return badRequest("Expected a JSON object body")
      const auth = authenticate(accounts, venue.now(), {
        headers: request.headers,
        instruction,
        query,
        ...(fields ? { body: fields } : {})
      })
      if (Either.isLeft(auth)) return auth.left
      return handle(auth.right.account, { query: yield* queryRecord, body })
    })

  const decodeOr = <A, I>(schema: Schema.Schema<A, I>, input: unknown, then: (value: A) => Reply): Reply =>
    Either.match(Schema.decodeUnknownEither(schema)(input), { onLeft: (error) => badRequest(describe(error)), onRight: then })

  const wrongSymbol = (requested: string | undefined) => requested !== undefined && requested !== symbol

  /** One of orderId / clientId, as the venue insists. */
  const refOf = (input: { readonly orderId?: string | undefined; readonly clientId?: number | undefined }): LocalOrderRef | undefined =>
    (input.orderId === undefined) === (input.clientId === undefined)
      ? undefined
      : input.orderId !== undefined
      ? { orderId: input.orderId }
      : { clientId: String(input.clientId) }

  const rejection = (order: Order & { readonly rejectCode?: string }, clientId: number | undefined): Reply => {
    switch (order.rejectCode) {
      case "insufficientBalance":
        return refuse(400, "INSUFFICIENT_FUNDS", order.rejectReason ?? "Insufficient funds")
      case "postOnly":
        return refuse(400, "INVALID_ORDER", "Order would immediately match and take")
      case "duplicateClientId":
        return refuse(400, "INVALID_ORDER", `Order with client ID already exists: ${clientId ?? ""}`)
      case "marketClosed": {
        // the book's reason names the state ("order book is CancelOnly: …"); the wording is the local venue's own
        const reason = order.rejectReason ?? "order book does not take this order"
        return refuse(400, "INVALID_ORDER", `${reason.charAt(0).toUpperCase()}${reason.slice(1)}`)
      }
      default:
        return refuse(400, "INVALID_ORDER", order.rejectReason ?? "Invalid order")
    }
  }

  const execute = (account: string, body: typeof OrderExecuteBody.Type): Reply => {
    if (wrongSymbol(body.symbol)) return badRequest("Invalid market symbol")
    const clientId = body.clientId !== undefined ? String(body.clientId) : log.anonymousClientId()
    const side = body.side === "Bid" ? ("buy" as const) : ("sell" as const)
    const reduceOnly = body.reduceOnly !== undefined ? { reduceOnly: body.reduceOnly } : {}
    let placed: Order & { readonly rejectCode?: string }
    if (body.orderType === "Limit") {
      if (body.price === undefined || body.quantity === undefined) return badRequest("Limit orders must specify `price` and `quantity`")
      placed = venue.placeLimit(account, {
        clientId,
        side,
        price: body.price,
        qty: body.quantity,
        postOnly: body.postOnly ?? false,
        timeInForce: body.timeInForce ?? "GTC",
        ...reduceOnly
      })
    } else {
      if (body.quantity === undefined) return badRequest("Market orders must specify a `quantity` (`quoteQuantity` is not served locally)")
      placed = venue.placeMarket(account, { clientId, side, qty: body.quantity, ...reduceOnly })
    }
    if (placed.status === "rejected") return rejection(placed, body.clientId)
    log.add(account, placed.id)
    return ok(orderOf(placed))
  }

  const history = (account: string, params: typeof HistoryQueryParams.Type): Reply => {
    if (wrongSymbol(params.symbol)) return ok([])
    const orders = log
      .ids(account)
      .map((orderId) => venue.order(account, { orderId }))
      .filter((order): order is Order => order !== undefined && (params.orderId === undefined || order.id === params.orderId))
    return ok(page(orders, params).map((order) => orderOf(order, true)))
  }

  const fills = (account: string, params: typeof HistoryQueryParams.Type): Reply => {
    if (wrongSymbol(params.symbol)) return ok([])
    const own = venue
      .fills(account, params.from)
      .filter((fill) => (params.orderId === undefined || fill.orderId === params.orderId) && (params.to === undefined || fill.ts <= params.to))
      .sort((a, b) => b.ts - a.ts)
    return ok(page(own, params).map((fill) => fillOf(fill, venue.order(account, { orderId: fill.orderId })?.clientId)))
  }

  const funding = (account: string, params: typeof FundingHistoryQueryParams.Type): Reply => {
    if (wrongSymbol(params.symbol)) return ok([])
    const oldestFirst = venue.fundingPayments?.(account) ?? []
    const ordered = params.sortDirection === "Asc" ? oldestFirst : [...oldestFirst].reverse()
    return ok(page(ordered, params).map((payment) => fundingPaymentOf(symbol, payment)))
  }

  const route = (method: "GET" | "POST" | "DELETE", path: `/${string}`, handle: Handled) => {
    const add = method === "GET" ? HttpRouter.get : method === "POST" ? HttpRouter.post : HttpRouter.del
    return add(path, answer(`${method} ${path}`, handle))
  }

  const pub = (make: (query: Record<string, string | undefined>) => Reply): Handled => Effect.map(queryRecord, make)
  const forSymbol = (make: () => Reply) => pub((query) => (query["symbol"] !== symbol ? badRequest("Invalid market symbol") : make()))

  return HttpRouter.empty.pipe(
    route("GET", "/api/v1/time", Effect.sync(() => ok(venue.now()))),
    route("GET", "/api/v1/ping", Effect.succeed(ok("pong"))),
    route("GET", "/api/v1/markets", Effect.sync(() => ok([marketOf(venue.instrument, venue.funding())]))),
    route("GET", "/api/v1/market", pub((query) => (query["symbol"] !== symbol ? refuse(404, "RESOURCE_NOT_FOUND", "Market not found") : ok(marketOf(venue.instrument, venue.funding()))))),
    route("GET", "/api/v1/ticker", forSymbol(() => ok(tickerOf(symbol, venue.ticker())))),
    route("GET", "/api/v1/depth", pub((query) => {
      if (query["symbol"] !== symbol) return badRequest("Invalid market symbol")
      const limit = Number(query["limit"] ?? "100")
      return ok(depthOf(depth.snapshot(Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 100)))
    })),
    route("GET", "/api/v1/markPrices", pub((query) => ok(query["symbol"] === undefined || query["symbol"] === symbol ? markPricesOf(symbol, venue.funding()) : []))),
    route("GET", "/api/v1/order", signed("orderQuery", (account, { query }) =>
      decodeOr(OrderQueryParams, query, (params) => {
        if (wrongSymbol(params.symbol)) return badRequest("Invalid market symbol")
        const ref = refOf(params)
        if (ref === undefined) return badRequest("Must specify either `clientId` or `orderId`")
        const order = venue.order(account, ref)
        return order !== undefined && isOpen(order) ? ok(orderOf(order)) : notFound
      }))),
    route("POST", "/api/v1/order", signed("orderExecute", (account, { body }) => decodeOr(OrderExecuteBody, body, (parsed) => execute(account, parsed)))),
    route("DELETE", "/api/v1/order", signed("orderCancel", (account, { body }) =>
      decodeOr(OrderCancelBody, body, (params) => {
        if (wrongSymbol(params.symbol)) return badRequest("Invalid market symbol")
        const ref = refOf(params)
        if (ref === undefined) return badRequest("Must specify either `clientId` or `orderId`")
        const current = venue.order(account, ref)
        if (current === undefined || !isOpen(current)) return notFound
        return Option.match(Option.fromNullable(venue.cancel(account, ref)), { onNone: () => notFound, onSome: (order) => ok(orderOf(order)) })
      }))),
    route("GET", "/api/v1/orders", signed("orderQueryAll", (account, { query }) =>
      ok(wrongSymbol(query["symbol"]) ? [] : venue.openOrders(account).map((order) => orderOf(order))))),
    route("GET", "/wapi/v1/history/orders", signed("orderHistoryQueryAll", (account, { query }) => decodeOr(HistoryQueryParams, query, (params) => history(account, params)))),
    route("GET", "/wapi/v1/history/fills", signed("fillHistoryQueryAll", (account, { query }) => decodeOr(HistoryQueryParams, query, (params) => fills(account, params)))),
    route("GET", "/wapi/v1/history/funding", signed("fundingHistoryQueryAll", (account, { query }) => decodeOr(FundingHistoryQueryParams, query, (params) => funding(account, params)))),
    route("GET", "/api/v1/position", signed("positionQuery", (account) =>
      ok(venue.instrument.kind === "perp" ? positionsOf(symbol, venue.position(account), venue.funding()?.markPrice ?? venue.ticker()?.last) : []))),
    route("GET", "/api/v1/capital", signed("balanceQuery", (account) => ok(capitalOf(venue.balances(account))))),
    // what the account's balances and margin allow now; without a price, at the best opposite quote
    route("GET", "/api/v1/account/limits/order", signed("maxOrderQuantity", (account, { query }) => {
      if (wrongSymbol(query["symbol"])) return badRequest("Invalid market symbol")
      const side = query["side"]
      if (side !== "Bid" && side !== "Ask") return badRequest("`side` must be Bid or Ask")
      const ticker = venue.ticker()
      const price = query["price"] !== undefined ? parseDecimal(query["price"]) : Option.fromNullable(side === "Bid" ? ticker?.ask : ticker?.bid)
      if (Option.isNone(price) || !BigDecimal.isPositive(price.value)) return badRequest("Invalid `price`")
      if (venue.maxOrderQty === undefined) return notFound
      return ok({ symbol, side, price: formatDecimal(price.value), maxOrderQuantity: formatDecimal(venue.maxOrderQty(account, side === "Bid" ? "buy" : "sell", price.value)) })
    })),
    HttpRouter.get("/", wsUpgrade({ ...deps, depth }))
  )
}

/** The WebSocket endpoint: refused with the fault plan's status or reject, else upgraded. */
const wsUpgrade = (deps: StreamDeps): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest | Scope.Scope> =>
  Effect.gen(function*() {
    const fault = yield* deps.faults.http(deps.venue.venue, "GET /")
    if (fault.kind === "status" || fault.kind === "rateLimit") {
      return toResponse(fault.kind === "status" ? refuse(fault.status, "SERVICE_UNAVAILABLE", "Service unavailable") : refuse(429, "TOO_MANY_REQUESTS", "Too many requests"))
    }
    if (fault.kind === "delay") yield* Effect.sleep(fault.ms)
    if (fault.kind === "timeout") return yield* Effect.never
    if (fault.kind === "reject") return toResponse(rejected(fault))
    return yield* backpackStream(deps)
  })

/** Newest first, then the venue's offset/limit (default 100, at most 1000). */
const page = <A>(items: ReadonlyArray<A>, params: { readonly limit?: number | undefined; readonly offset?: number | undefined }): ReadonlyArray<A> => {
  const offset = Math.max(0, params.offset ?? 0)
  const limit = Math.min(Math.max(1, params.limit ?? 100), 1000)
  return items.slice(offset, offset + limit)
}
