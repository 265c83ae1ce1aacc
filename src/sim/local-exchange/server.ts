/**
 * The local exchange's HTTP + WebSocket servers, on loopback only: one per venue host, as the real
 * venues have separate hosts. Backpack (./backpack/routes.ts), Aster futures (the fapi host, with
 * its fstream streams at the root) and Aster spot (the sapi host, sstream streams at the root;
 * ./aster/routes.ts) each on a port of their own, so a client derives the stream URL from the
 * base URL exactly as it does for the real hosts. Each server also answers `GET /__local/health`
 * (the local exchange's own route: which venue it serves, its clock). Everything runs in the
 * caller's scope: closing it closes every connection, WebSockets included, and the servers.
 */
import * as http from "node:http"
import type * as net from "node:net"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Data, Effect, ExecutionStrategy, Scope } from "effect"
import { asterRoutes } from "./aster/routes"
import { backpackRoutes } from "./backpack/routes"
import type { Faults, LocalAccounts, LocalVenue } from "./types"

export interface LocalExchangeVenues {
  readonly backpack: LocalVenue
  readonly asterFutures: LocalVenue
  readonly asterSpot: LocalVenue
}

export interface LocalServerOptions {
  readonly venues: LocalExchangeVenues
  readonly faults: Faults
  readonly accounts: LocalAccounts
  /** 0 (the default) = any free port */
  readonly portBackpack?: number
  /** Aster futures (fapi) */
  readonly portAster?: number
  /** Aster spot (sapi) */
  readonly portAsterSpot?: number
  /** a loopback address (default 127.0.0.1) */
  readonly host?: string
  /** Aster's new orders per minute and account (default: the docs' 1200) */
  readonly asterOrdersPerMinute?: number
}

export interface LocalServerUrls {
  /** http://host:port, what `bp.base_url` takes */
  readonly backpack: string
  /** http://host:port, what `aster.base_url` takes for the futures variant (/fapi/…) */
  readonly asterFutures: string
  /** http://host:port, what `aster.base_url` takes for the spot variant (/api/…) */
  readonly asterSpot: string
  /** Backpack's WebSocket endpoint (at the root, as wss://ws.backpack.exchange) */
  readonly backpackWs: string
  /** Aster futures streams: /ws/<stream>, /ws/<listenKey>, /stream?streams=… (as fstream) */
  readonly asterFuturesWs: string
  /** Aster spot streams, the same paths (as sstream) */
  readonly asterSpotWs: string
}

export class LocalServerError extends Data.TaggedError("LocalServerError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"])

type VenueRouter = HttpRouter.HttpRouter<unknown, never>

const healthRouter = (family: string, venues: ReadonlyArray<LocalVenue>): VenueRouter =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/__local/health",
      Effect.sync(() =>
        HttpServerResponse.unsafeJson({
          ok: true,
          family,
          venues: venues.map((v) => ({ venue: v.venue, symbol: v.instrument.symbol, quoted: v.ticker() !== undefined })),
          time: venues[0]?.now() ?? Date.now()
        })
      )
    )
  )

/** One server on `host:port` serving `router`; its connections are destroyed when the scope closes. */
const serveOne = (host: string, port: number, router: VenueRouter): Effect.Effect<HttpServer.TcpAddress, LocalServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const sockets = new Set<net.Socket>()
    let httpServer: http.Server | undefined
    // the server lives in a child scope; the finalizer added after it runs first when the caller's
    // scope closes and destroys every connection, so the server's own close (and the WebSocket
    // server's, which waits for its clients) never waits on keep-alive connections or open sockets
    const inner = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const server = yield* Scope.extend(
      NodeHttpServer.make(() => {
        const s = http.createServer()
        httpServer = s
        s.on("connection", (socket) => {
          sockets.add(socket)
          socket.once("close", () => sockets.delete(socket))
        })
        return s
      }, { host, port }).pipe(
        Effect.mapError((error) => {
          const cause = error.cause as { readonly code?: string; readonly message?: string } | undefined
          const why = cause?.code === "EADDRINUSE" ? "the port is in use" : cause?.message ?? String(error.cause)
          return new LocalServerError({ reason: `cannot listen on ${host}:${port}: ${why}` })
        })
      ),
      inner
    )
    yield* Scope.extend(server.serve(router), inner)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        // stop accepting first, so no connection slips in between the destroys and the close
        httpServer?.closeAllConnections()
        for (const socket of sockets) socket.destroy()
        sockets.clear()
      })
    )
    const address = server.address
    if (address._tag !== "TcpAddress") return yield* new LocalServerError({ reason: "the server did not bind a TCP address" })
    return address
  })

const urlHost = (hostname: string) => (hostname.includes(":") ? `[${hostname}]` : hostname)

/** Starts the three servers in the current scope and returns their base URLs. */
export const startLocalServers = (options: LocalServerOptions): Effect.Effect<LocalServerUrls, LocalServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    if (!LOOPBACK.has(host)) return yield* new LocalServerError({ reason: `the local exchange listens on loopback only (127.0.0.1, ::1 or localhost), not ${host}` })
    const { venues, faults, accounts } = options
    const orderLimit = options.asterOrdersPerMinute !== undefined ? { ordersPerMinute: options.asterOrdersPerMinute } : {}
    const backpack = backpackRoutes({ venue: venues.backpack, faults, accounts })
    const bp = yield* serveOne(host, options.portBackpack ?? 0, HttpRouter.concat(healthRouter("backpack", [venues.backpack]), backpack))
    const futures = yield* serveOne(
      host,
      options.portAster ?? 0,
      HttpRouter.concat(healthRouter("aster-futures", [venues.asterFutures]), asterRoutes({ venue: venues.asterFutures, market: "futures", faults, accounts, ...orderLimit }))
    )
    const spot = yield* serveOne(
      host,
      options.portAsterSpot ?? 0,
      HttpRouter.concat(healthRouter("aster-spot", [venues.asterSpot]), asterRoutes({ venue: venues.asterSpot, market: "spot", faults, accounts, ...orderLimit }))
    )
    const origin = (address: HttpServer.TcpAddress) => `${urlHost(address.hostname)}:${address.port}`
    return {
      backpack: `http://${origin(bp)}`,
      asterFutures: `http://${origin(futures)}`,
      asterSpot: `http://${origin(spot)}`,
      backpackWs: `ws://${origin(bp)}`,
      asterFuturesWs: `ws://${origin(futures)}`,
      asterSpotWs: `ws://${origin(spot)}`
    }
  })
