/**
 * Imports recorded CSV market data into a tick file (src/sim/tickstore): the column format of the
 * public Aster collector (bbo.csv, aggtrades.csv, depth10.csv) and Binance-style public-data CSVs
 * (aggTrades, bookTicker), optionally deriving a proxy feed for a venue that has no recording.
 *
 * Real recordings are messy; the importer re-sorts by time (stable), drops exact duplicates,
 * crossed / invalid quotes and unparseable lines, records gaps, and returns a summary of every
 * change (also stored in meta.notes.import).
 *
 * Decimals are converted exactly: each decimal text is split into an integer mantissa and its
 * number of significant decimals by string scanning (no float ever holds a fractional price), then
 * scaled by an integer power of ten. Timestamps in float seconds are cut to µs on the text.
 */
import { BigDecimal, Option } from "effect"
import { decimalsOf, formatDecimal, fromUnits, parseDecimal, toUnits } from "../../core/domain/decimal"
import type { Venue } from "../../core/domain/venue"
import type { DataMeta, StoredInstrument } from "../tickstore/types"
import { createTickFile, type TickFileWriter } from "../tickstore/writer"
import { decimalOption, decimalParam, splitSymbol } from "./import/instrument"
import { prepare } from "./import/prepare"
import { DEFAULT_PROXY_FILTERS, ProxyMath, type ProxyOptions } from "./import/proxy"
import { type Parsed, readFile, type ScaleStats } from "./import/rows"
import { assertRowsKept, type ImportSummary, type InstrumentSummary, MAX_LINES_LISTED } from "./import/summary"
import { msToUs } from "./import/units"

export interface ImportAsterCsvOptions {
  readonly trades?: string
  readonly quotes?: string
  readonly depth?: string
  readonly venue: Venue
  readonly symbol: string
  readonly out: string
  readonly proxy?: ProxyOptions
  /** added to the timestamps of the quotes and depth files (local receive clock), ms. Default 0. */
  readonly quoteClockOffsetMs?: number
  /** a gap is recorded when an instrument has no tick for longer than this. Default 30. */
  readonly gapSeconds?: number
  /** instrument filters of the imported venue; inferred from the data when absent */
  readonly tickSize?: string
  readonly stepSize?: string
  readonly minQty?: string
  /** default 5 for aster-futures, else 0 */
  readonly minNotional?: string
  readonly base?: string
  readonly quote?: string
  readonly kind?: "spot" | "perp"
  /** synthesize funding events every intervalHours (UTC multiples) for perp instruments */
  readonly funding?: { readonly intervalHours: number; readonly rate: string }
  /** meta.created_at; default now */
  readonly createdAt?: string
}

/** Imports the given CSV files into a new tick file at `out`; returns (and stores in meta.notes.import) what it changed. */
export const importAsterCsv = (options: ImportAsterCsvOptions): ImportSummary => {
  if (options.trades === undefined && options.quotes === undefined && options.depth === undefined)
    throw new Error("nothing to import: give at least one of the trades, quotes or depth files")
  const gapSeconds = options.gapSeconds ?? 30
  if (!(gapSeconds > 0)) throw new Error(`gap seconds must be positive, got ${gapSeconds}`)
  const gapUs = Math.round(gapSeconds * 1e6)
  const clockOffsetMs = options.quoteClockOffsetMs ?? 0
  const offsetUs = msToUs(clockOffsetMs, "quote clock offset")
  const assumptions: Array<string> = []

  // 1. parse
  const stats: ScaleStats = { bookPriceDecimals: -1, tradePriceDecimals: -1, qtyDecimals: -1 }
  const parsed: Array<Parsed> = []
  if (options.trades !== undefined) parsed.push(readFile(options.trades, "trades", 0, stats))
  if (options.quotes !== undefined) parsed.push(readFile(options.quotes, "quotes", offsetUs, stats))
  if (options.depth !== undefined) parsed.push(readFile(options.depth, "depth", offsetUs, stats))

  // 2. the imported instrument's filters. Book prices (bid/ask/depth levels) lie on the tick grid;
  // aggregate trade prices need not (an aggregate of fills at several levels may print its average),
  // so the tick is inferred from book prices when there are any, and the price scale covers both.
  const label = `${options.venue} ${options.symbol}`
  const tickDecimals = stats.bookPriceDecimals >= 0 ? stats.bookPriceDecimals : Math.max(stats.tradePriceDecimals, 0)
  const inferredTick = formatDecimal(fromUnits(1n, tickDecimals))
  const inferredStep = formatDecimal(fromUnits(1n, Math.max(stats.qtyDecimals, 0)))
  const tickSize = decimalOption(options.tickSize ?? inferredTick, "tick size", true)
  const stepSize = decimalOption(options.stepSize ?? inferredStep, "step size", true)
  if (options.tickSize === undefined)
    assumptions.push(
      `${label} tick size ${inferredTick} inferred from the most significant decimals of the ${stats.bookPriceDecimals >= 0 ? "book (bid/ask/depth)" : "trade"} prices`
    )
  if (options.stepSize === undefined)
    assumptions.push(
      stats.qtyDecimals >= 0
        ? `${label} step size ${inferredStep} inferred from the most significant decimals of the quantities`
        : `${label} step size ${inferredStep} assumed: the files carry no quantities`
    )
  const minQty = decimalOption(options.minQty ?? formatDecimal(stepSize), "min qty", false)
  if (options.minQty === undefined) assumptions.push(`${label} min qty = step size (assumed)`)
  const defaultMinNotional = options.venue === "aster-futures" ? "5" : "0"
  const minNotional = decimalOption(options.minNotional ?? defaultMinNotional, "min notional", false)
  if (options.minNotional === undefined) assumptions.push(`${label} min notional ${defaultMinNotional} (assumed default)`)
  const priceScale = Math.max(decimalsOf(tickSize), stats.bookPriceDecimals, stats.tradePriceDecimals)
  const qtyScale = Math.max(decimalsOf(stepSize), stats.qtyDecimals)
  if (priceScale > 15 || qtyScale > 15) {
    const at = stats.widest !== undefined && stats.widest.decimals > 15 ? `: ${stats.widest.decimals} in ${stats.widest.file} line ${stats.widest.line}` : ""
    throw new Error(`${label}: more than 15 decimals in prices or quantities${at} (a stray row? remove it: the values must fit 15 decimals)`)
  }
  const tickU = Number(toUnits(tickSize, priceScale))
  const stepU = Number(toUnits(stepSize, qtyScale))
  const sym = splitSymbol(options.symbol)
  const source: Omit<StoredInstrument, "idx"> = {
    venue: options.venue,
    symbol: options.symbol,
    base: options.base ?? sym.base,
    quote: options.quote ?? sym.quote,
    kind: options.kind ?? (options.venue === "aster-futures" ? "perp" : options.venue === "aster-spot" ? "spot" : sym.perp ? "perp" : "spot"),
    tickSize: formatDecimal(tickSize),
    stepSize: formatDecimal(stepSize),
    minQty: formatDecimal(minQty),
    minNotional: formatDecimal(minNotional),
    priceScale,
    qtyScale
  }

  // 3. validate, order, dedup
  const prepared = parsed.map((p) => prepare(p, priceScale, qtyScale, tickU, stepU))
  const trades = prepared.find((p) => p.parsed.role === "trades")
  const quotes = prepared.find((p) => p.parsed.role === "quotes")
  const depth = prepared.find((p) => p.parsed.role === "depth")
  // before the output is created: an existing --out file stays as it was
  assertRowsKept(prepared.map((p) => p.summary))

  // 4. proxy instrument
  const px = options.proxy
  let proxyInstrument: Omit<StoredInstrument, "idx"> | undefined
  let proxyMath: ProxyMath | undefined
  let proxyLatencyUs = 0
  let proxyParameters: Record<string, string | number> = {}
  if (px !== undefined) {
    const key = `${px.venue}:${px.symbol}`
    const known = DEFAULT_PROXY_FILTERS[key]
    const filters = {
      tickSize: px.tickSize ?? known?.tickSize ?? source.tickSize,
      stepSize: px.stepSize ?? known?.stepSize ?? source.stepSize,
      minQty: px.minQty ?? known?.minQty ?? px.stepSize ?? known?.stepSize ?? source.stepSize,
      minNotional: px.minNotional ?? known?.minNotional ?? "0"
    }
    if (px.tickSize === undefined || px.stepSize === undefined || px.minQty === undefined || px.minNotional === undefined)
      assumptions.push(
        `proxy ${key} filters assumed${known === undefined ? " (copied from the source instrument)" : ""}: tick ${filters.tickSize}, step ${filters.stepSize}, min qty ${filters.minQty}, min notional ${filters.minNotional}`
      )
    const pTick = decimalOption(filters.tickSize, "proxy tick size", true)
    const pStep = decimalOption(filters.stepSize, "proxy step size", true)
    const pSym = splitSymbol(px.symbol)
    proxyInstrument = {
      venue: px.venue,
      symbol: px.symbol,
      base: pSym.base,
      quote: pSym.quote,
      kind: px.venue === "aster-spot" ? "spot" : px.venue === "aster-futures" ? "perp" : pSym.perp ? "perp" : "spot",
      tickSize: formatDecimal(pTick),
      stepSize: formatDecimal(pStep),
      minQty: formatDecimal(decimalOption(filters.minQty, "proxy min qty", false)),
      minNotional: formatDecimal(decimalOption(filters.minNotional, "proxy min notional", false)),
      priceScale: decimalsOf(pTick),
      qtyScale: decimalsOf(pStep)
    }
    const basis = decimalParam(px.basisBps ?? 0, "proxy basis bps")
    const spread = decimalParam(px.spreadBps ?? 0, "proxy spread bps")
    const ratioD = decimalParam(px.volumeRatio ?? 1, "proxy volume ratio")
    const latencyMs = px.latencyMs ?? 0
    if (!BigDecimal.greaterThan(basis, BigDecimal.fromBigInt(-10000n))) throw new Error(`proxy basis bps must be above -10000, got ${formatDecimal(basis)}`)
    if (BigDecimal.isNegative(spread)) throw new Error(`proxy spread bps must be non-negative, got ${formatDecimal(spread)}`)
    if (!BigDecimal.isPositive(ratioD)) throw new Error(`proxy volume ratio must be positive, got ${formatDecimal(ratioD)}`)
    if (!(latencyMs >= 0)) throw new Error(`proxy latency ms must be non-negative, got ${latencyMs}`)
    proxyLatencyUs = msToUs(latencyMs, "proxy latency")
    proxyMath = new ProxyMath(
      basis,
      spread,
      ratioD,
      priceScale,
      qtyScale,
      proxyInstrument.priceScale,
      proxyInstrument.qtyScale,
      Number(toUnits(pTick, proxyInstrument.priceScale)),
      Number(toUnits(pStep, proxyInstrument.qtyScale))
    )
    proxyParameters = {
      fromSymbol: options.symbol,
      basisBps: formatDecimal(basis),
      spreadBps: formatDecimal(spread),
      latencyMs,
      volumeRatio: formatDecimal(ratioD)
    }
  }

  const instruments = proxyInstrument !== undefined ? [proxyInstrument, source] : [source]
  const srcIdx = instruments.length - 1
  const proxyIdx = proxyInstrument !== undefined ? 0 : -1

  // 5. funding schedule
  let fundingIntervalUs = 0
  let fundingRate = ""
  if (options.funding !== undefined) {
    if (!(options.funding.intervalHours > 0)) throw new Error(`funding interval hours must be positive, got ${options.funding.intervalHours}`)
    fundingIntervalUs = Math.round(options.funding.intervalHours * 3600e6)
    const rate = Option.getOrUndefined(parseDecimal(String(options.funding.rate)))
    if (rate === undefined) throw new Error(`funding rate must be a decimal number such as 0.0001, got "${options.funding.rate}"`)
    fundingRate = formatDecimal(rate)
  }

  // 6. write: merge the source events (depth + its quote, quotes, trades at equal times in that
  // order) with the proxy events (the same, delayed by the latency)
  const meta: Omit<DataMeta, "formatVersion"> = {
    source: `aster-csv ${[options.trades, options.quotes, options.depth].filter((f) => f !== undefined).join(" ")}`,
    synthetic: false,
    proxy: px === undefined ? [] : [{ venue: px.venue, symbol: px.symbol, from: options.venue, parameters: proxyParameters }],
    createdAt: options.createdAt ?? new Date().toISOString(),
    notes: {}
  }
  const writer: TickFileWriter = createTickFile(options.out, meta, instruments)
  try {
    // cursors over the three sorted sources
    class Cursor {
      t = 0
      q = 0
      d = 0
      constructor(readonly shift: number) {}
      /** 0 depth, 1 quote, 2 trade, -1 done; and its time */
      next(): [number, number] {
        let best = -1
        let bestTs = Infinity
        if (depth !== undefined && this.d < depth.order.length) {
          best = 0
          bestTs = depth.parsed.rows.ts[depth.order[this.d]!]!
        }
        if (quotes !== undefined && this.q < quotes.order.length) {
          const t = quotes.parsed.rows.ts[quotes.order[this.q]!]!
          if (t < bestTs) {
            best = 1
            bestTs = t
          }
        }
        if (trades !== undefined && this.t < trades.order.length) {
          const t = trades.parsed.rows.ts[trades.order[this.t]!]!
          if (t < bestTs) {
            best = 2
            bestTs = t
          }
        }
        return [best, bestTs + this.shift]
      }
    }
    const src = new Cursor(0)
    const prx = new Cursor(proxyLatencyUs)

    const counts = instruments.map(() => ({ quotes: 0, trades: 0, depth: 0, gaps: 0, gapList: [] as Array<{ fromTs: number; toTs: number }>, funding: 0 }))
    const lastTs = instruments.map(() => NaN)
    const lastMid2 = instruments.map(() => NaN) // bid + ask (twice the mid), units
    let proxyQuotesDerived = 0
    let proxyQuotesDropped = 0
    let proxyTradesDerived = 0
    let proxyTradesDropped = 0
    let nextFunding = NaN
    let fundingEvents = 0

    let firstWritten = NaN
    const touch = (idx: number, ts: number): void => {
      if (Number.isNaN(firstWritten)) firstWritten = ts
      const prev = lastTs[idx]!
      if (ts - prev > gapUs) {
        writer.addGap({ instrumentIdx: idx, fromTs: prev, toTs: ts })
        const c = counts[idx]!
        c.gaps++
        if (c.gapList.length < MAX_LINES_LISTED) c.gapList.push({ fromTs: prev, toTs: ts })
      }
      lastTs[idx] = ts
    }
    const fundingUntil = (ts: number): void => {
      // funding times strictly after the first tick and not after `ts`
      if (fundingIntervalUs === 0) return
      if (Number.isNaN(nextFunding)) {
        nextFunding = (Math.floor(ts / fundingIntervalUs) + 1) * fundingIntervalUs
        return
      }
      while (nextFunding <= ts) {
        instruments.forEach((inst, idx) => {
          const mid2 = lastMid2[idx]!
          if (inst.kind !== "perp" || Number.isNaN(mid2)) return
          writer.addFunding({ instrumentIdx: idx, ts: nextFunding, rate: fundingRate, markPrice: formatDecimal(fromUnits(BigInt(mid2) * 5n, inst.priceScale + 1)) })
          counts[idx]!.funding++
          fundingEvents++
        })
        nextFunding += fundingIntervalUs
      }
    }
    const quote = (idx: number, ts: number, bid: number, bq: number, ask: number, aq: number): void => {
      fundingUntil(ts)
      touch(idx, ts)
      writer.appendQuote(idx, ts, bid, bq, ask, aq)
      lastMid2[idx] = bid + ask
      counts[idx]!.quotes++
    }
    const proxyStepU = proxyInstrument === undefined ? 0 : Number(toUnits(decimalOption(proxyInstrument.stepSize, "proxy step size", true), proxyInstrument.qtyScale))

    /** Emits the next event of `c`: the source's own, or (proxy) its derived tick. */
    const emit = (c: Cursor, kind: number, ts: number, proxy: boolean): void => {
      if (kind === 0) {
        const p = depth!
        const i = p.order[c.d++]!
        const [u0, u1, u2, u3] = p.u
        if (!proxy) {
          fundingUntil(ts)
          touch(srcIdx, ts)
          writer.appendDepth(srcIdx, ts, p.depthLevels[i]!)
          counts[srcIdx]!.depth++
          quote(srcIdx, ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
        } else proxyQuote(ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
      } else if (kind === 1) {
        const p = quotes!
        const i = p.order[c.q++]!
        const [u0, u1, u2, u3] = p.u
        if (!proxy) quote(srcIdx, ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
        else proxyQuote(ts, u0[i]!, u1[i]!, u2[i]!, u3[i]!)
      } else {
        const p = trades!
        const i = p.order[c.t++]!
        const side = p.parsed.rows.side[i] === 1 ? "buy" : "sell"
        const price = p.u[0][i]!
        const q = p.u[1][i]!
        if (!proxy) {
          fundingUntil(ts)
          touch(srcIdx, ts)
          writer.appendTrade(srcIdx, ts, price, q, side)
          counts[srcIdx]!.trades++
        } else {
          proxyTradesDerived++
          const pq = proxyMath!.qty(q)
          const pp = proxyMath!.tradePrice(price)
          if (pq <= 0 || pp <= 0) {
            proxyTradesDropped++
            return
          }
          fundingUntil(ts)
          touch(proxyIdx, ts)
          writer.appendTrade(proxyIdx, ts, pp, pq, side)
          counts[proxyIdx]!.trades++
        }
      }
    }
    const proxyQuote = (ts: number, bid: number, bq: number, ask: number, aq: number): void => {
      proxyQuotesDerived++
      const [b, a] = proxyMath!.quote(bid, ask)
      if (b <= 0 || b >= a) {
        proxyQuotesDropped++
        return
      }
      quote(proxyIdx, ts, b, bq > 0 ? Math.max(proxyMath!.qty(bq), proxyStepU) : 0, a, aq > 0 ? Math.max(proxyMath!.qty(aq), proxyStepU) : 0)
    }

    for (;;) {
      const [sk, sts] = src.next()
      const [pk, pts] = proxyMath !== undefined ? prx.next() : [-1, Infinity]
      if (sk < 0 && pk < 0) break
      // at equal times the source tick goes first
      if (sk >= 0 && (pk < 0 || sts <= pts)) emit(src, sk, sts, false)
      else emit(prx, pk, pts, true)
    }
    fundingUntil(writer.lastTs)

    const fileSummaries = prepared.map((p) => p.summary)
    const perInstrument: Array<InstrumentSummary> = instruments.map((inst, idx) => ({ idx, venue: inst.venue, symbol: inst.symbol, ...counts[idx]! }))
    const tickCount = writer.tickCount
    const summary: ImportSummary = {
      out: options.out,
      instruments: instruments.map((inst, idx) => ({ idx, ...inst })),
      assumptions,
      files: fileSummaries,
      clockOffsetMs,
      gapSeconds,
      perInstrument,
      ...(px !== undefined
        ? {
            proxy: {
              venue: px.venue,
              symbol: px.symbol,
              from: options.venue,
              parameters: proxyParameters,
              quotesDerived: proxyQuotesDerived,
              quotesDropped: proxyQuotesDropped,
              tradesDerived: proxyTradesDerived,
              tradesDroppedZeroQty: proxyTradesDropped
            }
          }
        : {}),
      ...(options.funding !== undefined
        ? { funding: { intervalHours: options.funding.intervalHours, rate: fundingRate, events: fundingEvents, assumed: true as const } }
        : {}),
      tickCount,
      firstTs: firstWritten,
      lastTs: tickCount > 0 ? writer.lastTs : NaN
    }
    writer.setNote("import", summary)
    writer.setNote("assumptions", assumptions)
    if (options.funding !== undefined) writer.setNote("funding", `assumed: every ${options.funding.intervalHours} h (UTC multiples) at rate ${fundingRate}, mark = last mid`)
    writer.finish()
    return summary
  } catch (e) {
    writer.abort()
    throw e
  }
}
