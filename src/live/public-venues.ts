/**
 * Both venues for public data only (paper trading, recording): no order is sent, so no keys are
 * used, whatever the config holds (half a key pair, a V3 config whose signing key is elsewhere):
 * a throwaway Backpack key pair stands in (the adapter checks its form), and Aster gets none.
 */
import { Effect, Redacted } from "effect"
import { asterOptionsFromConfig, makeAsterExchange } from "../adapters/aster/exchange"
import { makeBackpackExchange } from "../adapters/backpack/exchange"
import type { HedgeConfig } from "../core/config/config"
import { generateBackpackTestKey } from "../sim/local-exchange/bot-config"

const withoutKeys = (config: HedgeConfig): HedgeConfig => {
  const key = generateBackpackTestKey()
  const { v3: _unused, ...hedge } = config.hedge
  return {
    ...config,
    maker: { ...config.maker, publicKey: Redacted.make(key.publicKeyB64), secretKey: Redacted.make(key.secretKeyB64) },
    hedge: { ...hedge, apiKey: Redacted.make(""), apiSecret: Redacted.make("") }
  }
}

/** A recording with depth keeps Backpack's book at most this often while it changes (Aster streams its own twice a second). */
export const RECORDED_BACKPACK_DEPTH_EVERY_MS = 500

/**
 * The maker and hedge venues of `config`, market data only, the Aster ticker (and its taps) from
 * its streams; `depthStream`: both books' best 10 levels too (recordings).
 */
export const publicDataVenues = (config: HedgeConfig, options: { readonly depthStream?: boolean } = {}) =>
  Effect.gen(function*() {
    const keyed = withoutKeys(config)
    const maker = yield* makeBackpackExchange(keyed.maker, {
      marketDataOnly: true,
      ...(options.depthStream === true ? { depthEveryMs: RECORDED_BACKPACK_DEPTH_EVERY_MS } : {})
    })
    const hedge = yield* makeAsterExchange({
      ...asterOptionsFromConfig(keyed.hedge),
      marketDataOnly: true,
      tickerFromStream: true,
      depthStream: options.depthStream === true
    })
    return { maker, hedge }
  })
