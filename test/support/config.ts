/** Builds configs for tests from the original bot's keys plus overrides. */
import { Either } from "effect"
import * as YAML from "yaml"
import { type HedgeConfig, parseConfig } from "../../src/core/config/config"

export const baseConfigObject = () => ({
  bp: { api_public_key_b64: "", api_secret_key_b64: "", base_url: "https://api.backpack.exchange", symbol: "ASTER_USDC_PERP" },
  aster: { api_key: "", api_secret: "", base_url: "https://fapi.asterdex.com", symbol: "ASTERUSDT" },
  trade: { quantity: "10", offset_percent: 0.2, first_wait_seconds: 10, between_legs_sleep: 20, stop_before_funding_minutes: 5, cycle_sleep: 60 },
  sim: {
    backpack: { submit_latency_ms: 10, cancel_latency_ms: 10, response_latency_ms: 10, feed_latency_ms: 5 },
    aster: { submit_latency_ms: 10, cancel_latency_ms: 10, response_latency_ms: 10, feed_latency_ms: 5 }
  }
})

type Patch = { [k: string]: unknown }

const merge = (base: Patch, patch: Patch): Patch => {
  const out: Patch = { ...base }
  for (const [k, v] of Object.entries(patch)) {
    out[k] = v !== null && typeof v === "object" && !Array.isArray(v) && typeof out[k] === "object" ? merge(out[k] as Patch, v as Patch) : v
  }
  return out
}

export const testConfig = (patch: Patch = {}): HedgeConfig => {
  const text = YAML.stringify(merge(baseConfigObject(), patch))
  return Either.getOrThrowWith(parseConfig(text, "test config"), (e) => new Error(e.message))
}

/** config/hedge_futures.yaml as strategy.md shows it (the original bot's file), the reference for edits in tests. */
export const ORIGINAL_FUTURES_YAML = `bp:
  api_public_key_b64: ""
  api_secret_key_b64: ""
  base_url: "https://api.backpack.exchange"
  symbol: "ASTER_USDC_PERP"
aster:
  api_key: ""
  api_secret: ""
  base_url: "https://fapi.asterdex.com"
  symbol: "ASTERUSDT"
trade:
  quantity: "10"
  offset_percent: 0.2
  first_wait_seconds: 10
  between_legs_sleep: 60
  stop_before_funding_minutes: 5
  cycle_sleep: 60
`
