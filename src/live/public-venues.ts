/**
 * Both venues for public data only (paper trading, recording): no order is sent, so no keys are
 * needed; a throwaway Backpack key pair stands in for missing ones (the adapter checks its form).
 */
import { Effect, Redacted } from "effect"
import { asterOptionsFromConfig, makeAsterExchange } from "../adapters/aster/exchange"
import { makeBackpackExchange } from "../adapters/backpack/exchange"
import type { HedgeConfig } from "../core/config/config"
import { generateBackpackTestKey } from "../sim/local-exchange/bot-config"

const withThrowawayMakerKey = (config: HedgeConfig): HedgeConfig => {
  if (Redacted.value(config.maker.secretKey).trim() !== "") return config
  const key = generateBackpackTestKey()
  return { ...config, maker: { ...config.maker, publicKey: Redacted.make(key.publicKeyB64), secretKey: Redacted.make(key.secretKeyB64) } }
}

/** A recording with depth keeps Backpack's book at most this often while it changes (Aster streams its own twice a second). */
export const RECORDED_BACKPACK_DEPTH_EVERY_MS = 500

/**
 * The maker and hedge venues of `config`, market data only, the Aster ticker (and its taps) from
 * its streams; `depthStream`: both books' best 10 levels too (recordings).
 */
export const publicDataVenues = (config: HedgeConfig, options: { readonly depthStream?: boolean } = {}) =>
  Effect.gen(function*() {
    const keyed = withThrowawayMakerKey(config)
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
