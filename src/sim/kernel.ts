/**
 * The backtest kernel: one simulated clock, the tick replay, the venues' matching engines and the
 * messages in flight between them and the strategy. Nothing runs on its own: whenever the strategy
 * waits (a sleep, an order reply, the next order update) the kernel replays ticks and delivers
 * messages in time order until the wait is over. That keeps a month of 60 s cycles a matter of
 * seconds and makes a run deterministic for a given file, config and seed.
 *
 * Times are microseconds since the epoch. The tick loop is the hot path: typed arrays, no
 * per-tick allocation, engines touched only for the instruments the strategy trades.
 */
import { BigDecimal } from "effect"
import { Ledger } from "../core/accounting/ledger"
import { type Decimal, decimal, fromUnits, toUnits } from "../core/domain/decimal"
import type { Instrument } from "../core/domain/instrument"
import type { Ticker } from "../core/domain/market"
import type { Fill, Order, OrderUpdate } from "../core/domain/order"
import type { Venue } from "../core/domain/venue"
import { type EngineInstrument, type SimOrder, VenueEngine } from "./engine"
import type { FeeModel } from "./models/fees"
import type { ImpactModel } from "./models/impact"
import type { LatencyModel } from "./models/latency"
import type { QueueModel } from "./models/queue"
import type { Rng } from "./models/rng"
import type { TickFile } from "./tickstore/reader"
import type { StoredInstrument, TickBlock } from "./tickstore/types"
import { TickKind } from "./tickstore/types"

/** How long the strategy's view of a market lags the exchange is the feed latency; this many ticks are kept to look back. */
const VIEW_RING = 4096
const NO_EVENT = Number.POSITIVE_INFINITY

export interface KernelVenueConfig {
  readonly venue: Venue
  readonly symbol: string
  /** replay another venue's ticks for this one (e.g. Aster spot from a futures recording) */
  readonly ticksFrom?: Venue
  readonly latency: LatencyModel
  readonly fees: FeeModel
  readonly queue: QueueModel
  readonly impact: ImpactModel
  readonly assumedTopQty: Decimal
  /** probability that a market order is refused */
  readonly marketRejectProbability: number
}

export interface KernelConfig {
  readonly venues: ReadonlyArray<KernelVenueConfig>
  readonly rng: Rng
}

interface ScheduledEvent {
  readonly t: number
  readonly seq: number
  readonly run: () => void
}

/** Everything the kernel keeps per traded venue. */
export class VenueSlot {
  readonly inbox: Array<OrderUpdate> = []
  private readonly ringTs = new Float64Array(VIEW_RING).fill(-1)
  private readonly ringBid = new Float64Array(VIEW_RING)
  private readonly ringAsk = new Float64Array(VIEW_RING)
  private readonly ringLast = new Float64Array(VIEW_RING)
  private ringHead = -1
  private orderSeq = 0
  readonly priceScale: number
  readonly qtyScale: number

  constructor(
    readonly config: KernelVenueConfig,
    readonly stored: StoredInstrument,
    readonly instrument: Instrument,
    readonly engine: VenueEngine,
    /** funding times (µs) of this venue, ascending */
    readonly fundingTimes: ReadonlyArray<number>
  ) {
    this.priceScale = stored.priceScale
    this.qtyScale = stored.qtyScale
  }

  get venue(): Venue {
    return this.config.venue
  }

  nextOrderId(): string {
    return `${this.venue === "backpack" ? "bp" : "as"}-${++this.orderSeq}`
  }

  /** Remembers the market as it stood after a tick (read back with the feed delay). */
  record(ts: number): void {
    const e = this.engine
    const k = (this.ringHead + 1) & (VIEW_RING - 1)
    this.ringHead = k
    this.ringTs[k] = ts
    this.ringBid[k] = e.bid
    this.ringAsk[k] = e.ask
    this.ringLast[k] = e.last
  }

  /** The market as the strategy sees it at `ts`: the latest recorded state not newer than ts. */
  view(ts: number): Ticker | undefined {
    if (this.ringHead < 0) return undefined
    let k = this.ringHead
    let oldest = k
    for (let steps = 0; steps < VIEW_RING; steps++) {
      const t = this.ringTs[k]!
      if (t < 0) break
      oldest = k
      if (t <= ts) return this.tickerAt(k)
      k = (k - 1) & (VIEW_RING - 1)
    }
    // nothing old enough: before the feed delay elapsed there is nothing to see yet
    return this.ringTs[oldest]! <= ts ? this.tickerAt(oldest) : undefined
  }

  private tickerAt(k: number): Ticker | undefined {
    const bid = this.ringBid[k]!
    const ask = this.ringAsk[k]!
    if (bid <= 0 || ask <= 0) return undefined
    const last = this.ringLast[k]!
    return {
      ts: Math.floor(this.ringTs[k]! / 1000),
      bid: fromUnits(bid, this.priceScale),
      ask: fromUnits(ask, this.priceScale),
      // before the first trade, the mid stands in for the last price
      last: last > 0 ? fromUnits(last, this.priceScale) : BigDecimal.unsafeDivide(fromUnits(bid + ask, this.priceScale), decimal("2"))
    }
  }

  /** Strategy-side decimal → engine units; -1 when it does not fit the grid (the venue rejects it). */
  priceUnits(price: Decimal): number {
    return unitsOrInvalid(price, this.priceScale)
  }

  qtyUnits(qty: Decimal): number {
    return unitsOrInvalid(qty, this.qtyScale)
  }

  toOrder(o: SimOrder): Order {
    return {
      venue: this.venue,
      symbol: this.instrument.symbol,
      id: o.id,
      clientId: o.clientId,
      side: o.sign > 0 ? "buy" : "sell",
      type: o.type,
      ...(o.type === "limit" && o.price > 0 ? { price: fromUnits(o.price, this.priceScale) } : {}),
      qty: fromUnits(Math.max(o.qty, 0), this.qtyScale),
      filledQty: fromUnits(o.filled, this.qtyScale),
      filledQuote: fromUnits(o.filledQuote, this.priceScale + this.qtyScale),
      status: o.status,
      postOnly: o.postOnly,
      timeInForce: o.timeInForce,
      createdAt: Math.floor(o.createdAt / 1000),
      updatedAt: Math.floor(o.updatedAt / 1000),
      ...(o.rejectReason !== undefined ? { rejectReason: o.rejectReason } : {})
    }
  }
}

const unitsOrInvalid = (value: Decimal, scale: number): number => {
  try {
    const units = toUnits(value, scale)
    return units > 0n && units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(units) : -1
  } catch {
    return -1
  }
}

export type WaitOutcome = "deadline" | "woke" | "end"

export class SimKernel {
  /** simulated time, µs */
  now: number
  /** the tick file is exhausted */
  ended = false
  /** the strategy is winding down: waits no longer end the run, time passes on a frozen market */
  stopping = false
  readonly ledger: Ledger
  readonly slots: ReadonlyArray<VenueSlot>
  ticksReplayed = 0
  /** called every ~1M ticks with the current time (progress bars) */
  onProgress: ((nowUs: number, ticks: number) => void) | undefined

  private readonly slotOfInstrument: Int8Array
  private readonly events: Array<ScheduledEvent> = []
  private nextEventT = NO_EVENT
  private eventSeq = 0
  private readonly blocks: Iterator<TickBlock>
  private block: TickBlock | undefined
  private index = 0

  constructor(readonly file: TickFile, config: KernelConfig) {
    this.now = file.firstTs
    this.blocks = file.blocks()
    this.slotOfInstrument = new Int8Array(Math.max(file.instruments.length, 1)).fill(-1)
    const slots: Array<VenueSlot> = []
    for (const venueConfig of config.venues) {
      const tickVenue = venueConfig.ticksFrom ?? venueConfig.venue
      const stored = file.instruments.find((i) => i.venue === tickVenue && i.symbol === venueConfig.symbol)
      if (!stored) {
        const available = file.instruments.map((i) => `${i.venue}:${i.symbol}`).join(", ")
        throw new Error(`${file.path} has no ticks for ${tickVenue}:${venueConfig.symbol} (it has ${available})`)
      }
      const instrument: Instrument = tickVenue === venueConfig.venue
        ? instrumentOf(stored)
        : { ...instrumentOf(stored), venue: venueConfig.venue, kind: venueConfig.venue === "aster-spot" ? "spot" : "perp" }
      const engineInstrument: EngineInstrument = {
        tickUnits: Number(toUnits(instrument.tickSize, stored.priceScale)),
        stepUnits: Number(toUnits(instrument.stepSize, stored.qtyScale)),
        minQtyUnits: Number(toUnits(instrument.minQty, stored.qtyScale)),
        minNotionalUnits: toUnits(instrument.minNotional, stored.priceScale + stored.qtyScale)
      }
      const slotIndex = slots.length
      const engine = new VenueEngine(
        venueConfig.venue,
        engineInstrument,
        venueConfig.queue,
        venueConfig.impact,
        (id) => file.depth(id),
        { onFill: (_venue, order, ts, price, qty, liquidity) => this.onFill(slotIndex, order, ts, price, qty, liquidity) },
        {
          assumedTopQtyUnits: Number(toUnits(venueConfig.assumedTopQty, stored.qtyScale)),
          depthMaxAgeUs: 5_000_000,
          rejectMarket: () => venueConfig.marketRejectProbability > 0 && config.rng.next() < venueConfig.marketRejectProbability
        }
      )
      const fundingTimes = instrument.kind === "perp"
        ? file.funding.filter((f) => f.instrumentIdx === stored.idx).map((f) => f.ts).sort((a, b) => a - b)
        : []
      slots.push(new VenueSlot(venueConfig, stored, instrument, engine, fundingTimes))
      this.slotOfInstrument[stored.idx] = slotIndex
    }
    this.slots = slots
    this.ledger = new Ledger(slots.map((s) => s.venue))
    for (const funding of file.funding) {
      const slotIndex = this.slotOfInstrument[funding.instrumentIdx] ?? -1
      if (slotIndex < 0) continue
      const slot = slots[slotIndex]!
      if (slot.instrument.kind !== "perp") continue
      const rate = decimal(funding.rate)
      const mark = decimal(funding.markPrice)
      this.schedule(funding.ts, () => {
        this.ledger.recordFunding(slot.venue, Math.floor(funding.ts / 1000), rate, mark)
      })
    }
  }

  slot(venue: Venue): VenueSlot {
    const slot = this.slots.find((s) => s.venue === venue)
    if (!slot) throw new Error(`kernel has no venue ${venue}`)
    return slot
  }

  schedule(t: number, run: () => void): void {
    const event = { t, seq: this.eventSeq++, run }
    // few events are ever pending: a sorted insert beats a heap here
    let i = this.events.length
    while (i > 0 && (this.events[i - 1]!.t > t || (this.events[i - 1]!.t === t && this.events[i - 1]!.seq > event.seq))) i--
    this.events.splice(i, 0, event)
    this.nextEventT = this.events[0]!.t
  }

  /**
   * Replays ticks and delivers events in time order until `until` (µs), or earlier when `wake`
   * says the awaited message arrived. "end" means the ticks ran out before either.
   */
  runUntil(until: number, wake?: () => boolean): WaitOutcome {
    while (true) {
      if (!this.ended) this.replayTicks(until)
      const t = this.nextEventT
      if (t !== NO_EVENT && t <= until && (this.ended || this.peekTickTs() >= t)) {
        const event = this.events.shift()!
        this.nextEventT = this.events.length > 0 ? this.events[0]!.t : NO_EVENT
        if (event.t > this.now) this.now = event.t
        event.run()
        if (wake !== undefined && wake()) return "woke"
        continue
      }
      if (this.ended && !this.stopping && (t > until || t === NO_EVENT)) return "end"
      if (!this.ended && this.peekTickTs() <= until) continue
      if (until > this.now && until !== Number.POSITIVE_INFINITY) this.now = until
      return "deadline"
    }
  }

  private peekTickTs(): number {
    const block = this.block
    if (block !== undefined && this.index < block.n) return block.ts[this.index]!
    return this.ended ? NO_EVENT : Number.NEGATIVE_INFINITY
  }

  /** The hot loop: ticks strictly before the next event and not after `until`. */
  private replayTicks(until: number): void {
    let block = this.block
    let i = this.index
    const slotOf = this.slotOfInstrument
    const slots = this.slots
    let count = 0
    while (true) {
      if (block === undefined || i >= block.n) {
        const next = this.blocks.next()
        if (next.done) {
          this.ended = true
          this.block = undefined
          break
        }
        block = next.value
        i = 0
        if (this.onProgress) this.onProgress(this.now, this.ticksReplayed + count)
      }
      const { ts, kind, instrument, p1, q1, p2, q2, n } = block
      let stop = false
      const start = i
      for (; i < n; i++) {
        const t = ts[i]!
        // re-read every tick: an engine fill schedules a message that may come before `until`
        if (t >= this.nextEventT || t > until) {
          stop = true
          break
        }
        const s = slotOf[instrument[i]!]!
        if (s < 0) continue
        const slot = slots[s]!
        const engine = slot.engine
        switch (kind[i]) {
          case TickKind.Quote:
            engine.onQuote(t, p1[i]!, q1[i]!, p2[i]!, q2[i]!)
            break
          case TickKind.TradeBuy:
            engine.onTrade(t, p1[i]!, q1[i]!, true)
            break
          case TickKind.TradeSell:
            engine.onTrade(t, p1[i]!, q1[i]!, false)
            break
          case TickKind.Depth:
            engine.onDepth(t, p1[i]!)
            continue
        }
        slot.record(t)
      }
      count += i - start
      if (i > start) this.now = ts[i - 1]!
      this.block = block
      this.index = i
      if (stop) break
    }
    this.ticksReplayed += count
  }

  /** Replays until every traded venue has a two-sided quote the strategy can see. */
  warmUp(): boolean {
    const ready = () => this.slots.every((s) => s.view(this.now - s.config.latency.feed()) !== undefined)
    while (!ready()) {
      if (this.runUntil(this.now + 1_000_000) === "end") return false
    }
    return true
  }

  private onFill(slotIndex: number, order: SimOrder, ts: number, price: number, qty: number, liquidity: "maker" | "taker"): void {
    const slot = this.slots[slotIndex]!
    const priceDecimal = fromUnits(price, slot.priceScale)
    const qtyDecimal = fromUnits(qty, slot.qtyScale)
    const fee = BigDecimal.normalize(BigDecimal.multiply(BigDecimal.multiply(priceDecimal, qtyDecimal), slot.config.fees.rate(liquidity)))
    const fill: Fill = {
      venue: slot.venue,
      symbol: slot.instrument.symbol,
      orderId: order.id,
      tradeId: `${order.id}-${this.ledger.fills.length + 1}`,
      side: order.sign > 0 ? "buy" : "sell",
      price: priceDecimal,
      qty: qtyDecimal,
      fee,
      feeAsset: slot.instrument.quote,
      liquidity,
      ts: Math.floor(ts / 1000)
    }
    this.ledger.recordFill(fill)
    this.deliver(slot, ts, { order: slot.toOrder(order), fill })
  }

  /** Puts an own-order message on the strategy's stream after the feed delay. */
  deliver(slot: VenueSlot, ts: number, update: OrderUpdate): void {
    this.schedule(ts + slot.config.latency.feed(), () => {
      slot.inbox.push(update)
    })
  }
}

export const instrumentOf = (stored: StoredInstrument): Instrument => ({
  venue: stored.venue,
  symbol: stored.symbol,
  base: stored.base,
  quote: stored.quote,
  kind: stored.kind,
  tickSize: decimal(stored.tickSize),
  stepSize: decimal(stored.stepSize),
  minQty: decimal(stored.minQty),
  minNotional: decimal(stored.minNotional)
})
