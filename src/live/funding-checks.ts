/**
 * Whether the live accounts can fund the orders a start is about to send, read from the venues.
 * A start refuses to trade when they cannot, and `--check` shows the same verdicts:
 * - `hedge funds` (spot) / `hedge margin` (perp): one hedge of trade.quantity on the hedge venue
 *   (src/core/strategy/hedge-funds.ts has the rules). Refused there, it would leave a filled maker
 *   leg unhedged;
 * - `maker funds`: the first maker order, as the maker venue says its balances and margin allow.
 *   Refused there, it would fail the run at its first order.
 * - `fees in ASTER` (spot): when the account's last hedge paid its fee in the base asset, the
 *   spare base the spot account holds for them (src/core/strategy/spot-sell-shortfall.ts says what
 *   happens without it). A warning only: the setting may have changed since.
 */
import { BigDecimal, Effect, Option } from "effect"
import { type Decimal, decimal, formatDecimal, ZERO } from "../core/domain/decimal"
import type { HedgeConfig } from "../core/config/config"
import type { Instrument } from "../core/domain/instrument"
import type { Ticker } from "../core/domain/market"
import { venueLabel } from "../core/domain/venue"
import type { ExchangeError } from "../core/errors"
import type { Exchange } from "../core/exchange"
import { freeQuote, hedgeBuyCost, hedgeBuyNeed, hedgeMarginNeed, paysHedgeBuy, paysHedgeMargin } from "../core/strategy/hedge-funds"
import { limitPrice } from "../core/strategy/hedge-loop"
import type { JournalError, JournalService } from "./journal"

export interface FundingVerdict {
  /** refuse: a start does not trade; warn: it trades, and says why a hedge may still be refused */
  readonly status: "ok" | "warn" | "refuse"
  readonly subject: "hedge funds" | "hedge margin" | "maker funds" | "fees in ASTER"
  /** as the check lists it */
  readonly detail: string
  /** what a start says as it refuses or warns */
  readonly startMessage: string
}

/**
 * The verdict for a hedge buy of `quantity` at `ask`; none when the venue tells no margin (the
 * simulated ones).
 */
export const hedgeFundingVerdict = (
  hedge: Exchange,
  instrument: Instrument,
  quantity: Decimal,
  ask: Decimal,
  /**
   * the maker position a start unwinds before its first cycle, and the hedge venue's bid: a spot
   * account gets back what the unwinding's hedges sell; a perp one frees margin (not judged then)
   */
  unwinding?: { readonly qty: Decimal; readonly bid: Decimal }
): Effect.Effect<FundingVerdict | undefined, ExchangeError> =>
  Effect.gen(function*() {
    const name = venueLabel(hedge.venue)
    if (instrument.kind === "spot") {
      const held = freeQuote(yield* hedge.balances, instrument)
      // a maker short is unwound by a maker buy, hedged by a spot sell that gives quote back; a
      // long's hedge is a buy, which spends it before the first cycle's hedge buy
      const back = unwinding !== undefined && BigDecimal.isNegative(unwinding.qty) ? BigDecimal.normalize(BigDecimal.multiply(BigDecimal.abs(unwinding.qty), unwinding.bid)) : ZERO
      const spent = unwinding !== undefined && BigDecimal.isPositive(unwinding.qty) ? hedgeBuyCost(unwinding.qty, ask) : ZERO
      const free = BigDecimal.max(BigDecimal.subtract(BigDecimal.sum(held, back), spent), ZERO)
      const need = hedgeBuyNeed(quantity, instrument, ask)
      const detail = `${name} spot: ${formatDecimal(held)} ${instrument.quote} free${
        BigDecimal.isPositive(back) ? ` and about ${formatDecimal(back)} back from the unwinding's sell of ${formatDecimal(BigDecimal.abs(unwinding!.qty))}` : ""
      }${BigDecimal.isPositive(spent) ? `, of which about ${formatDecimal(spent)} goes to the unwinding's buy of ${formatDecimal(unwinding!.qty)}` : ""}; ${need}`
      return paysHedgeBuy(quantity, ask, free)
        ? { status: "ok", subject: "hedge funds", detail, startMessage: detail }
        : {
          status: "refuse",
          subject: "hedge funds",
          detail: `${detail}: a start refuses to trade (deposit ${instrument.quote} there or lower trade.quantity)`,
          startMessage: `${name} spot holds ${formatDecimal(free)} ${instrument.quote} free; ${need}: deposit ${instrument.quote} there or lower trade.quantity; trading was not started`
        }
    }
    if (hedge.openingMargin === undefined || unwinding !== undefined) return undefined
    const margin = yield* hedge.openingMargin
    const detail = `${name} ${instrument.symbol}: ${hedgeMarginNeed(quantity, instrument, ask, margin)}`
    if (paysHedgeMargin(quantity, ask, margin)) return { status: "ok", subject: "hedge margin", detail, startMessage: detail }
    const remedy = `deposit ${margin.asset} there, raise the symbol's leverage or lower trade.quantity`
    // in Multi-Assets mode the other assets' margin counts too: this balance alone proves nothing
    return margin.sharedAcrossAssets
      ? {
        status: "warn",
        subject: "hedge margin",
        detail: `${detail}: the account is in Multi-Assets mode, where its other assets count as margin too; if they do not cover it, each hedge is refused once a maker leg filled`,
        startMessage: `${detail}; the account is in Multi-Assets mode, where its other assets count as margin too: trading starts, but if they do not cover it each hedge is refused once a maker leg filled (${remedy})`
      }
      : {
        status: "refuse",
        subject: "hedge margin",
        detail: `${detail}: a start refuses to trade (${remedy})`,
        startMessage: `${detail}: ${remedy}; trading was not started`
      }
  })

/**
 * The verdict for the first cycle's maker order, a limit sell of trade.quantity at the price the
 * strategy would post now; none when the venue does not tell (the simulated ones), or when a
 * maker position is about to be unwound first (unwinding frees margin before that sell).
 */
export const firstSellFundingVerdict = (
  maker: Exchange,
  instrument: Instrument,
  trade: HedgeConfig["trade"],
  ticker: Ticker,
  /** the start unwinds a leg first (`unwindLeg` gives one): its first order is not cycle 1's sell */
  unwindsFirst: boolean
): Effect.Effect<FundingVerdict | undefined, ExchangeError> =>
  Effect.gen(function*() {
    if (maker.maxOrderQty === undefined || unwindsFirst) return undefined
    const { quantity } = trade
    const price = limitPrice(instrument, "sell", ticker.last, ticker.bid, ticker.ask, trade.offsetPercent)
    const most = yield* maker.maxOrderQty("sell", price)
    const detail = `${venueLabel(maker.venue)} allows a limit sell of at most ${formatDecimal(most)} ${instrument.base} at ${formatDecimal(price)} now; trade.quantity is ${
      formatDecimal(quantity)
    }`
    if (BigDecimal.greaterThanOrEqualTo(most, quantity)) return { status: "ok", subject: "maker funds", detail, startMessage: detail }
    const remedy = `deposit ${instrument.quote} there or lower trade.quantity`
    return { status: "refuse", subject: "maker funds", detail: `${detail}: a start refuses to trade (${remedy})`, startMessage: `${detail}: ${remedy}; trading was not started` }
  })

const TWO = decimal("2")

/**
 * A spot hedge venue that takes its fees in the base asset (known from the journal's last fill
 * there) takes them out of what the buy hedges bought: without spare base, the sell hedge after
 * such a buy finds less than its leg and is refused. The verdict weighs the free base against a
 * cycle's fees, a buy and a sell hedge of `quantity` at the account's taker rate (else
 * `assumedTakerRate`); none when the fees are charged in another asset, or nothing tells yet.
 */
export const baseFeeFloatVerdict = (
  hedge: Exchange,
  instrument: Instrument,
  quantity: Decimal,
  assumedTakerRate: Decimal,
  journal: Pick<JournalService, "lastFill">,
  /** what the journal's trading moved on the spot venue: a hedge held there is not spare */
  moved: Decimal = ZERO
): Effect.Effect<FundingVerdict | undefined, ExchangeError | JournalError> =>
  Effect.gen(function*() {
    const { base } = instrument
    if (instrument.kind !== "spot") return undefined
    // a live account's fees: a paper run sharing the journal paid simulated ones, in the quote
    const lastFill = yield* journal.lastFill(hedge.venue, "live")
    if (Option.isNone(lastFill) || lastFill.value.feeAsset !== base) return undefined
    const takerRate = hedge.feeRates === undefined
      ? assumedTakerRate
      : yield* Effect.match(hedge.feeRates, { onFailure: () => assumedTakerRate, onSuccess: (rates) => rates.taker })
    const holds = (yield* hedge.balances).find((b) => b.asset === base)?.free ?? ZERO
    // the ASTER a held hedge bought is sold back by the next leg (or the unwind): only what lies beyond it is spare
    const hedgeHeld = BigDecimal.max(moved, ZERO)
    const free = BigDecimal.max(BigDecimal.subtract(holds, hedgeHeld), ZERO)
    const perCycle = BigDecimal.normalize(BigDecimal.multiply(BigDecimal.multiply(quantity, TWO), takerRate))
    const held = `${venueLabel(hedge.venue)} spot holds ${formatDecimal(holds)} ${base} free${
      BigDecimal.isPositive(hedgeHeld) ? ` (${formatDecimal(free)} beyond the ${formatDecimal(hedgeHeld)} its held hedge bought)` : ""
    }, and its last hedge paid its fee in ${base} ("Pay fee in ASTER"): a cycle's two hedges take about ${
      formatDecimal(perCycle)
    } ${base} out of the ${base} they trade`
    if (BigDecimal.isPositive(perCycle) && BigDecimal.greaterThanOrEqualTo(free, perCycle)) {
      const detail = `${held}; what it holds pays about ${Math.floor(BigDecimal.unsafeToNumber(BigDecimal.unsafeDivide(free, perCycle)))} cycles of them`
      return { status: "ok", subject: "fees in ASTER", detail, startMessage: detail }
    }
    const detail = `${held}: less than one cycle's, so a sell hedge finds less than its leg and is refused (the run then sells what the account holds and stops); keep some spare ${base} there`
    return { status: "warn", subject: "fees in ASTER", detail, startMessage: detail }
  })
