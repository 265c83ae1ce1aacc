/**
 * The local Backpack protocol served on 127.0.0.1 (an ephemeral port) over a fake LocalVenue, and
 * test key pairs: what the Backpack contract tests run the live adapter against.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, ExecutionStrategy, Redacted, Scope } from "effect"
import * as http from "node:http"
import nacl from "tweetnacl"
import { type BackpackExchangeOptions, makeBackpackExchange } from "../../src/adapters/backpack/exchange"
import type { HedgeConfig } from "../../src/core/config/config"
import { decimal } from "../../src/core/domain/decimal"
import { backpackRoutes } from "../../src/sim/local-exchange/backpack/routes"
import { scriptedMarket } from "../../src/sim/local-exchange/market-feed"
import { makeLocalVenue } from "../../src/sim/local-exchange/venue-book"
import type { Faults, LocalAccounts, LocalVenue } from "../../src/sim/local-exchange/types"
import { type FakeVenueOptions, makeFakeLocalVenue, PERP } from "./fake-local-venue"
import { localInstrument } from "./local-instrument"
import { scriptedFaults } from "./scripted-faults"

/** Every Backpack key pair is an account of its own; Aster is not served here. */
export const testAccounts: LocalAccounts = {
  asterV1: () => undefined,
  asterV3: () => undefined,
  backpack: (apiKey) => ({ account: `bp:${apiKey}` })
}

export interface TestKeys {
  readonly secret: string
  readonly publicKey: string
}

/** A deterministic key pair from a one-byte seed pattern. */
export const testKeys = (seedByte: number): TestKeys => {
  const seed = new Uint8Array(32).fill(seedByte)
  return {
    secret: Buffer.from(seed).toString("base64"),
    publicKey: Buffer.from(nacl.sign.keyPair.fromSeed(seed).publicKey).toString("base64")
  }
}

export const makerConfig = (baseUrl: string, keys: TestKeys, symbol: string): Pick<HedgeConfig["maker"], "baseUrl" | "symbol" | "publicKey" | "secretKey"> => ({
  baseUrl,
  symbol,
  publicKey: Redacted.make(keys.publicKey),
  secretKey: Redacted.make(keys.secret)
})

/**
 * Serves the Backpack routes until the scope closes; the base URL to give the adapter. The server
 * lives in a scope of its own, closed as one step: NodeHttpServer registers its WebSocketServer's
 * finalizer at the first upgrade, and that finalizer waits for every client to disconnect, so a
 * client acquired in the same scope before the first upgrade would never be released.
 */
export const serveLocalBackpack = (venue: LocalVenue, faults: Faults): Effect.Effect<string, never, Scope.Scope> =>
  Effect.gen(function*() {
    const own = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    return yield* Effect.gen(function*() {
      const server = yield* NodeHttpServer.make(() => http.createServer(), { port: 0, host: "127.0.0.1" })
      yield* server.serve(backpackRoutes({ venue, faults, accounts: testAccounts }))
      const address = server.address as HttpServer.TcpAddress
      return `http://127.0.0.1:${address.port}`
    }).pipe(Scope.extend(own))
  }).pipe(Effect.orDie)

/**
 * A fake venue with a market (bid 0.9990 / ask 1.0010, last 1.0000), served locally under a
 * scripted fault plan, and the adapter on it, signing with `keys` (its window `windowMs`, if given).
 */
export const localBackpack = (
  options: BackpackExchangeOptions,
  settings: { readonly keys?: TestKeys; readonly windowMs?: number; readonly venue?: FakeVenueOptions } = {}
) =>
  Effect.gen(function*() {
    const venue = makeFakeLocalVenue(settings.venue)
    venue.quote("0.9990", "500", "1.0010", "400")
    venue.trade("1.0000", "3", "sell")
    const plan = scriptedFaults()
    const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
    const config = makerConfig(baseUrl, settings.keys ?? testKeys(11), PERP.symbol)
    const exchange = yield* makeBackpackExchange(settings.windowMs !== undefined ? { ...config, windowMs: settings.windowMs } : config, options)
    return { venue, plan, baseUrl, exchange }
  })

/** A local Backpack book on the real venue book, quoted 2.0000 / 2.0010 (the kind `npm run exchange` runs), and its market script. */
export const quotedLocalBackpack = () => {
  const book = makeLocalVenue({
    instrument: localInstrument("backpack"),
    priceScale: 4,
    qtyScale: 2,
    fees: { maker: decimal("0.0001"), taker: decimal("0.00035") },
    startingBalances: () => new Map([["USDC", decimal("100000")], ["ASTER", decimal("100000")]]),
    funding: { intervalHours: 1, rate: decimal("0.0000125") }
  })
  const market = scriptedMarket(book)
  market.quote("2.0000", "100", "2.0010", "100")
  return { book, market }
}
