/**
 * The proxy feed: a venue without a recording gets ticks derived from the recorded one (basis,
 * spread, latency, volume ratio), rounded exactly in BigInt onto the proxy's grid.
 */
import type { Decimal } from "../../../core/domain/decimal"
import type { Venue } from "../../../core/domain/venue"

export interface ProxyOptions {
  readonly venue: Venue
  readonly symbol: string
  /** basis of the proxy over the source, bps (decimal); prices × (1 + basisBps/10⁴). Default 0. */
  readonly basisBps?: number | string
  /** extra half-spread on each side, bps of the basis-adjusted mid. Default 0. */
  readonly spreadBps?: number | string
  /** delay of every proxy tick after its source tick, ms. Default 0. */
  readonly latencyMs?: number
  /** proxy trade (and known quote) size = source size × volumeRatio, floored to step. Default 1. */
  readonly volumeRatio?: number | string
  readonly tickSize?: string
  readonly stepSize?: string
  readonly minQty?: string
  readonly minNotional?: string
}

export const DEFAULT_PROXY_FILTERS: Record<string, { tickSize: string; stepSize: string; minQty: string; minNotional: string }> = {
  "backpack:ASTER_USDC_PERP": { tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "0" }
}

/** [numerator, denominator] of a decimal. */
const ratio = (d: Decimal): readonly [bigint, bigint] => (d.scale >= 0 ? [d.value, 10n ** BigInt(d.scale)] : [d.value * 10n ** BigInt(-d.scale), 1n])

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b)

/** The proxy derivation, exact in BigInt (see data/README.md). */
export class ProxyMath {
  private readonly fN: bigint
  private readonly fD: bigint
  private readonly sN: bigint
  private readonly sD: bigint
  private readonly rN: bigint
  private readonly rD: bigint
  private readonly pricePow: bigint
  private readonly priceDen: bigint
  private readonly qtyPow: bigint
  private readonly qtyDen: bigint
  private readonly tick: bigint
  private readonly step: bigint
  constructor(
    basisBps: Decimal,
    spreadBps: Decimal,
    volumeRatio: Decimal,
    srcPriceScale: number,
    srcQtyScale: number,
    proxyPriceScale: number,
    proxyQtyScale: number,
    proxyTickU: number,
    proxyStepU: number
  ) {
    const [bN, bD] = ratio(basisBps)
    // f = 1 + basisBps / 10^4
    this.fN = bD * 10000n + bN
    this.fD = bD * 10000n
    const [sN, sD] = ratio(spreadBps)
    this.sN = sN
    this.sD = sD * 10000n
    const [rN, rD] = ratio(volumeRatio)
    this.rN = rN
    this.rD = rD
    this.tick = BigInt(proxyTickU)
    this.step = BigInt(proxyStepU)
    this.pricePow = 10n ** BigInt(proxyPriceScale)
    this.priceDen = 10n ** BigInt(srcPriceScale)
    this.qtyPow = 10n ** BigInt(proxyQtyScale)
    this.qtyDen = 10n ** BigInt(srcQtyScale)
  }
  /** bid' = f·bid − s·f·(bid+ask)/2 floored to the tick, ask' = f·ask + s·f·(bid+ask)/2 ceiled; units of the proxy. */
  quote(bidU: number, askU: number): readonly [number, number] {
    const bid = BigInt(bidU)
    const ask = BigInt(askU)
    const den = this.fD * 2n * this.sD * this.priceDen * this.tick
    const half = this.sN * (bid + ask)
    const bidN = this.fN * (2n * this.sD * bid - half) * this.pricePow
    const askN = this.fN * (2n * this.sD * ask + half) * this.pricePow
    return [Number(floorDiv(bidN, den) * this.tick), Number(ceilDiv(askN, den) * this.tick)]
  }
  /** price × f rounded to the nearest proxy tick (half up). */
  tradePrice(priceU: number): number {
    const num = this.fN * BigInt(priceU) * this.pricePow
    const den = this.fD * this.priceDen * this.tick
    return Number(floorDiv(2n * num + den, 2n * den) * this.tick)
  }
  /** qty × volumeRatio floored to the proxy step. */
  qty(qtyU: number): number {
    const num = BigInt(qtyU) * this.rN * this.qtyPow
    const den = this.rD * this.qtyDen * this.step
    return Number(floorDiv(num, den) * this.step)
  }
}
