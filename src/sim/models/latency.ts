/**
 * Latency per venue and per action, in microseconds. `submit`/`cancel` are the delays from the
 * strategy's request to the matching engine, `response` from the engine back to the strategy, and
 * `feed` from an exchange event (tick, own fill) to the strategy seeing it.
 */
import type { Rng } from "./rng"

export interface LatencyModel {
  submit(): number
  cancel(): number
  response(): number
  feed(): number
}

export interface LatencyParams {
  readonly submitLatencyMs: number
  readonly cancelLatencyMs: number
  readonly responseLatencyMs: number
  readonly feedLatencyMs: number
}

const US = 1000

export const constantLatency = (p: LatencyParams): LatencyModel => ({
  submit: () => Math.round(p.submitLatencyMs * US),
  cancel: () => Math.round(p.cancelLatencyMs * US),
  response: () => Math.round(p.responseLatencyMs * US),
  feed: () => Math.round(p.feedLatencyMs * US)
})

/** Constant latency plus a uniform random extra in [0, jitter) per message. */
export const jitteredLatency = (p: LatencyParams, jitterMs: number, rng: Rng): LatencyModel => {
  const extra = () => Math.round(rng.next() * jitterMs * US)
  return {
    submit: () => Math.round(p.submitLatencyMs * US) + extra(),
    cancel: () => Math.round(p.cancelLatencyMs * US) + extra(),
    response: () => Math.round(p.responseLatencyMs * US) + extra(),
    // the feed is one ordered stream: a constant delay keeps its messages in order
    feed: () => Math.round(p.feedLatencyMs * US)
  }
}

/** The latency a config's venue section asks for: jittered when it sets `latency_jitter_ms`. */
export const latencyOf = (p: LatencyParams & { readonly latencyJitterMs: number }, rng: Rng): LatencyModel =>
  p.latencyJitterMs > 0 ? jitteredLatency(p, p.latencyJitterMs, rng) : constantLatency(p)
