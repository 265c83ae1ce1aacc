/**
 * The backtest kernel: one simulated clock, the tick replay, the venues' matching engines and the
 * messages in flight between them and the strategy. Nothing runs on its own: whenever the strategy
 * waits (a sleep, an order reply, the next order update) the kernel replays ticks and delivers
 * messages in time order until the wait is over. That keeps a month of 60 s cycles a matter of
 * seconds and makes a run deterministic for a given file, config and seed.
 *
 * Times are microseconds since the epoch. The tick loop is the hot path: typed arrays, no
 * per-tick allocation, and the matching engines see only the ticks that can reach one of our
 * resting orders; the others are skipped and each engine's market read back from the block.
 */
import { BigDecimal } from "effect"
import { feeValuation } from "../core/accounting/fee-value"
import { Ledger } from "../core/accounting/ledger"
import { type Decimal, decimal, formatDecimal, fromUnits, toUnits } from "../core/domain/decimal"
import type { Instrument } from "../core/domain/instrument"
import type { Ticker } from "../core/domain/market"
import type { Fill, Order, OrderUpdate } from "../core/domain/order"
import type { Venue } from "../core/domain/venue"
import { engineFilters, type SimOrder, tickReaches, VenueEngine } from "./engine"
import type { FeeModel } from "./models/fees"
import type { ImpactModel } from "./models/impact"
import type { LatencyModel } from "./models/latency"
import type { QueueModel } from "./models/queue"
import type { Rng } from "./models/rng"
import type { TickFile } from "./tickstore/reader"
import type { StoredInstrument, TickBlock } from "./tickstore/types"
import { TickKind } from "./tickstore/types"

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

/**
 * Recorded units → exact decimals, remembered: the same prices and sizes come back over and over,
 * and each fresh conversion goes through a string. Bounded, so memory stays flat.
 */
const decimalsOf = (scale: number): ((units: number) => Decimal) => {
  const memo = new Map<number, Decimal>()
  return (units) => {
    let d = memo.get(units)
    if (d === undefined) {
      if (memo.size >= 4096) memo.clear()
      d = fromUnits(units, scale)
      memo.set(units, d)
    }
    return d
  }
}

const TWO = decimal("2")

/** sim.assumed_top_qty in a recorded instrument's quantity units: a size finer than its grid is refused, naming the key. */
const assumedTopQtyUnits = (qty: Decimal, stored: StoredInstrument, path: string): number => {
  try {
    return Number(toUnits(qty, stored.qtyScale))
  } catch {
    throw new Error(`sim.assumed_top_qty ${formatDecimal(qty)} is finer than the quantities ${path} holds for ${stored.venue}:${stored.symbol} (${stored.qtyScale} decimals)`)
  }
}

/** own-order messages a venue's stream holds unread before it drops the oldest */
export const UNREAD_UPDATES = 4096

/** Everything the kernel keeps per traded venue. */
export class VenueSlot {
  readonly inbox: Array<OrderUpdate> = []
  private orderSeq = 0
  readonly priceScale: number
  readonly qtyScale: number
  /** price units → decimal price */
  readonly price: (units: number) => Decimal
  /** quantity units → decimal quantity */
  readonly qty: (units: number) => Decimal

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
    this.price = decimalsOf(stored.priceScale)
    this.qty = decimalsOf(stored.qtyScale)
  }

  get venue(): Venue {
    return this.config.venue
  }

  nextOrderId(): string {
    return `${this.venue === "backpack" ? "bp" : "as"}-${++this.orderSeq}`
  }

  /** A ticker from recorded units (before the first trade the mid stands in for the last price). */
  ticker(tsUs: number, bid: number, ask: number, last: number): Ticker | undefined {
    if (bid <= 0 || ask <= 0) return undefined
    return {
      ts: Math.floor(tsUs / 1000),
      bid: this.price(bid),
      ask: this.price(ask),
      last: last > 0 ? this.price(last) : BigDecimal.unsafeDivide(fromUnits(bid + ask, this.priceScale), TWO)
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
      ...(o.type === "limit" && o.price > 0 ? { price: this.price(o.price) } : {}),
      qty: this.qty(Math.max(o.qty, 0)),
      filledQty: this.qty(o.filled),
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
  /**
   * What the strategy sees lags the exchange by the feed latency. Rather than recording the book
   * after every tick, the view is rebuilt on demand by scanning back through the current and the
   * previous block, starting from each slot's state as it stood when those blocks began.
   */
  private previousBlock: TickBlock | undefined
  private blockStart: Array<MarketState> = []
  private previousBlockStart: Array<MarketState> = []
  /** indices of the current block's Depth ticks, ascending */
  private depthTicks: ReadonlyArray<number> = []
  /** per instrument index: the engine's sellFloor / buyCeiling (±Infinity: nothing to reach) */
  private readonly sellFloorOf = new Float64Array(256).fill(Number.POSITIVE_INFINITY)
  private readonly buyCeilingOf = new Float64Array(256).fill(Number.NEGATIVE_INFINITY)

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
      const engineInstrument = engineFilters(instrument, stored.priceScale, stored.qtyScale)
      const slotIndex = slots.length
      const engine = new VenueEngine(
        venueConfig.venue,
        engineInstrument,
        venueConfig.queue,
        venueConfig.impact,
        (id) => file.depth(id),
        { onFill: (_venue, order, ts, price, qty, liquidity) => this.onFill(slotIndex, order, ts, price, qty, liquidity) },
        {
          assumedTopQtyUnits: assumedTopQtyUnits(venueConfig.assumedTopQty, stored, file.path),
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
    this.ledger = new Ledger(slots.map((s) => s.venue), feeValuation(slots.map((s) => s.instrument)))
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

  /**
   * The hot loop: ticks strictly before the next event and not after `until`. Only the ticks that
   * can reach a resting order go through the matching engines; the others just move a market, so
   * each stretch ends by setting every engine to the latest of its ticks in it.
   */
  private replayTicks(until: number): void {
    let block = this.block
    let i = this.index
    let count = 0
    while (true) {
      if (block === undefined || i >= block.n) {
        const next = this.blocks.next()
        if (next.done) {
          // the last block stays: the strategy's view of the market is read back from it
          this.ended = true
          break
        }
        this.previousBlock = block
        this.previousBlockStart = this.blockStart
        this.blockStart = this.slots.map(marketState)
        block = next.value
        this.depthTicks = depthTickIndices(block)
        i = 0
        if (this.onProgress) this.onProgress(this.now, this.ticksReplayed + count)
      }
      const start = i
      i = this.matchResting(block, start, until)
      this.catchUpMarkets(block, start, i)
      count += i - start
      if (i > start) this.now = block.ts[i - 1]!
      this.block = block
      this.index = i
      if (i < block.n) break
    }
    this.ticksReplayed += count
  }

  /** First index from `from` on that is at or after the next event, or after `until` (else n). */
  private stopIndex(block: TickBlock, from: number, until: number): number {
    const { ts, n } = block
    const next = this.nextEventT
    let i = from
    while (i < n && ts[i]! < next && ts[i]! <= until) i++
    return i
  }

  /**
   * Feeds the engines the ticks of this stretch that can reach a resting order (fills, queue
   * moves) and returns where the stretch stops.
   */
  private matchResting(block: TickBlock, from: number, until: number): number {
    let end = this.stopIndex(block, from, until)
    const floor = this.sellFloorOf
    const ceiling = this.buyCeilingOf
    let resting = false
    for (const slot of this.slots) {
      floor[slot.stored.idx] = slot.engine.sellFloor
      ceiling[slot.stored.idx] = slot.engine.buyCeiling
      resting ||= slot.engine.restingCount > 0
    }
    if (!resting) return end
    const { ts, kind, instrument, p1, q1, p2, q2 } = block
    const slotOf = this.slotOfInstrument
    for (let i = from; i < end; i++) {
      const inst = instrument[i]!
      const k = kind[i]!
      if (!tickReaches(k, p1[i]!, p2[i]!, floor[inst]!, ceiling[inst]!)) continue
      const engine = this.slots[slotOf[inst]!]!.engine
      const nextEvent = this.nextEventT
      if (k === TickKind.Quote) engine.onQuote(ts[i]!, p1[i]!, q1[i]!, p2[i]!, q2[i]!)
      else engine.onTrade(ts[i]!, p1[i]!, q1[i]!, k === TickKind.TradeBuy)
      floor[inst] = engine.sellFloor
      ceiling[inst] = engine.buyCeiling
      // a fill schedules its report, which may come before the event this stretch was heading for
      if (this.nextEventT !== nextEvent) end = this.stopIndex(block, i + 1, until)
    }
    return end
  }

  /** Sets each engine's quote, last trade and depth snapshot to the latest of its ticks in [from, to). */
  private catchUpMarkets(block: TickBlock, from: number, to: number): void {
    const { ts, kind, instrument, p1, q1, p2, q2 } = block
    for (let s = 0; s < this.slots.length; s++) {
      const idx = this.slots[s]!.stored.idx
      if (this.slotOfInstrument[idx] !== s) continue
      const engine = this.slots[s]!.engine
      // quotes and trades are dense: a short walk back finds both
      let quote = false
      let trade = false
      for (let i = to - 1; i >= from && !(quote && trade); i--) {
        if (instrument[i] !== idx) continue
        const k = kind[i]
        if (k === TickKind.Quote) {
          if (!quote) engine.setQuote(ts[i]!, p1[i]!, q1[i]!, p2[i]!, q2[i]!)
          quote = true
        } else if (k === TickKind.TradeBuy || k === TickKind.TradeSell) {
          if (!trade) engine.setLastTrade(ts[i]!, p1[i]!)
          trade = true
        }
      }
      // depth snapshots are sparse: looked up in the block's list of them
      const depth = this.depthTicks
      for (let d = depth.length - 1; d >= 0; d--) {
        const i = depth[d]!
        if (i >= to || instrument[i] !== idx) continue
        if (i >= from) engine.onDepth(ts[i]!, p1[i]!)
        break
      }
    }
  }

  /** The market of `slot` as the strategy sees it at `ts` (µs): the last quote and trade not newer. */
  view(slot: VenueSlot, ts: number): Ticker | undefined {
    const slotIndex = this.slots.indexOf(slot)
    const instrumentIdx = slot.stored.idx
    let quote: { ts: number; bid: number; ask: number } | undefined
    let trade: { ts: number; price: number } | undefined
    const generations: Array<[TickBlock | undefined, number, MarketState | undefined]> = [
      [this.block, this.index, this.blockStart[slotIndex]],
      [this.previousBlock, this.previousBlock?.n ?? 0, this.previousBlockStart[slotIndex]]
    ]
    let fallback: MarketState | undefined
    for (const [block, end, start] of generations) {
      if (block !== undefined) {
        const { ts: times, kind, instrument, p1, p2 } = block
        for (let i = end - 1; i >= 0 && (quote === undefined || trade === undefined); i--) {
          const t = times[i]!
          if (t > ts || instrument[i] !== instrumentIdx) continue
          const k = kind[i]
          if (k === TickKind.Quote) quote ??= { ts: t, bid: p1[i]!, ask: p2[i]! }
          else if (k === TickKind.TradeBuy || k === TickKind.TradeSell) trade ??= { ts: t, price: p1[i]! }
        }
      }
      if (start === undefined) break
      fallback = start
      // the state when this block began answers whatever the block itself did not, if old enough
      if (quote === undefined && start.quoteTs <= ts) quote = { ts: start.quoteTs, bid: start.bid, ask: start.ask }
      if (trade === undefined && start.lastTradeTs <= ts) trade = { ts: start.lastTradeTs, price: start.last }
      if (quote !== undefined && trade !== undefined) break
    }
    // a feed delay longer than two blocks of ticks: the oldest state kept is the best answer
    if (quote === undefined && fallback !== undefined && fallback.quoteTs >= 0) quote = { ts: fallback.quoteTs, bid: fallback.bid, ask: fallback.ask }
    if (quote === undefined) return undefined
    return slot.ticker(Math.max(quote.ts, trade?.ts ?? -1), quote.bid, quote.ask, trade?.price ?? fallback?.last ?? 0)
  }

  /** Replays until every traded venue has a two-sided quote the strategy can see. */
  warmUp(): boolean {
    const ready = () => this.slots.every((s) => this.view(s, this.now - s.config.latency.feed()) !== undefined)
    while (!ready()) {
      if (this.runUntil(this.now + 1_000_000) === "end") return false
    }
    return true
  }

  private onFill(slotIndex: number, order: SimOrder, ts: number, price: number, qty: number, liquidity: "maker" | "taker"): void {
    const slot = this.slots[slotIndex]!
    const priceDecimal = slot.price(price)
    const qtyDecimal = slot.qty(qty)
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

  /**
   * Puts an own-order message on the strategy's stream after the feed delay. A stream nobody
   * reads (the hedge venue's, in a backtest: its answers are the hedges' own) keeps its newest
   * `UNREAD_UPDATES`, as the live Aster adapter's does, so a replay of months stays flat.
   */
  deliver(slot: VenueSlot, ts: number, update: OrderUpdate): void {
    this.schedule(ts + slot.config.latency.feed(), () => {
      slot.inbox.push(update)
      if (slot.inbox.length > UNREAD_UPDATES) slot.inbox.shift()
    })
  }
}

const depthTickIndices = (block: TickBlock): Array<number> => {
  const found: Array<number> = []
  for (let i = block.kind.indexOf(TickKind.Depth); i >= 0; i = block.kind.indexOf(TickKind.Depth, i + 1)) found.push(i)
  return found
}

/** A slot's recorded top of book and last trade at one moment (units, µs; -1 = none yet). */
interface MarketState {
  readonly quoteTs: number
  readonly bid: number
  readonly ask: number
  readonly lastTradeTs: number
  readonly last: number
}

const marketState = (slot: VenueSlot): MarketState => {
  const e = slot.engine
  return { quoteTs: e.quoteTs, bid: e.bid, ask: e.ask, lastTradeTs: e.lastTradeTs, last: e.last }
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
