/** Serves the Aster wire protocol (asterRoutes) over a fake venue on 127.0.0.1, in the test's scope. */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Context, Effect, Layer, Redacted } from "effect"
import * as http from "node:http"
import type { AsterAuth } from "../../src/adapters/aster/client"
import { makeAsterExchange, type AsterExchangeOptions } from "../../src/adapters/aster/exchange"
import { asterRoutes, type AsterRoutesDeps } from "../../src/sim/local-exchange/aster/routes"
import { type FakeAsterVenue, makeFakeAsterVenue, scriptedFaults, testAccounts, V1_KEY, V3_WALLET } from "./fake-aster-venue"

export const serveAster = (deps: AsterRoutesDeps) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      HttpServer.serve(asterRoutes(deps)).pipe(Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" })))
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") return yield* Effect.die(new Error("expected a TCP address"))
    return `http://127.0.0.1:${address.port}`
  })

export const v1Auth = (secret = V1_KEY.apiSecret): AsterAuth => ({ kind: "v1", apiKey: Redacted.make(V1_KEY.apiKey), apiSecret: Redacted.make(secret) })
export const v3Auth = (chainId?: number): AsterAuth => ({
  kind: "v3",
  user: V3_WALLET.user,
  signer: V3_WALLET.signer,
  signerPrivateKey: Redacted.make(V3_WALLET.signerPrivateKey),
  ...(chainId !== undefined ? { chainId } : {})
})

export type Market = "futures" | "spot"

/** A fake venue served on loopback and the adapter connected to it. */
export const localAster = (
  market: Market,
  auth: AsterAuth,
  options: Partial<AsterExchangeOptions> = {},
  routes: Partial<Pick<AsterRoutesDeps, "requestWeightPerMinute" | "listenKeyTtlMs">> = {},
  /** runs in the background from before the adapter connects (a market that is already moving) */
  marketActivity: (venue: FakeAsterVenue) => Effect.Effect<void> = () => Effect.void
) =>
  Effect.gen(function*() {
    const venue = makeFakeAsterVenue(market === "futures" ? "aster-futures" : "aster-spot")
    const faults = scriptedFaults()
    const baseUrl = yield* serveAster({ venue, market, faults: faults.faults, accounts: testAccounts, ...routes })
    yield* Effect.forkScoped(marketActivity(venue))
    const exchange = yield* makeAsterExchange({
      venue: market === "futures" ? "aster-futures" : "aster-spot",
      baseUrl,
      symbol: "ASTERUSDT",
      auth,
      timeoutMs: 2000,
      recvWindowMs: 1000,
      streamConnectTimeout: "5 seconds",
      ...options
    })
    return { venue, faults, exchange, baseUrl }
  })
