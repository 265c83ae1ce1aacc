/**
 * A spot hedge account whose last hedge paid its fee in the base asset needs spare base for the
 * fees to come: the start and `--check` weigh what it holds against a cycle's two hedges' fees
 * (quantity × 2 × the account's taker rate, else the config's).
 */
import { Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import type { Balance, FeeRates } from "../src/core/domain/account"
import { decimal, type Decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Fill } from "../src/core/domain/order"
import type { Venue } from "../src/core/domain/venue"
import { VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { baseFeeFloatVerdict } from "../src/live/funding-checks"

const spot: Instrument = { venue: "aster-spot", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "spot", tickSize: decimal("0.0001"), stepSize: decimal("0.01"), minQty: decimal("0.01"), minNotional: decimal("5") }
const perp: Instrument = { ...spot, venue: "aster-futures", kind: "perp" }

const venue = (asterFree: string, rates?: Effect.Effect<FeeRates, VenueUnavailable>): Exchange => ({
  venue: "aster-spot",
  balances: Effect.succeed<ReadonlyArray<Balance>>([
    { venue: "aster-spot", asset: "ASTER", free: decimal(asterFree), locked: decimal("0") },
    { venue: "aster-spot", asset: "USDT", free: decimal("1000"), locked: decimal("0") }
  ]),
  ...(rates !== undefined ? { feeRates: rates } : {})
} as unknown as Exchange)

const fill = (venue: Venue, feeAsset: string): Fill => ({
  venue, symbol: "ASTERUSDT", orderId: "1", tradeId: "1", side: "buy", price: decimal("2"), qty: decimal("10"), fee: decimal("0.0038"), feeAsset, liquidity: "taker", ts: 0
})
const journal = (fills: ReadonlyArray<Fill>) => ({ lastFill: (venue: Venue) => Effect.succeed(Option.fromNullable(fills.filter((f) => f.venue === venue).at(-1))) })
const rates = (taker: string) => Effect.succeed<FeeRates>({ venue: "aster-spot", symbol: "ASTERUSDT", maker: decimal("0.00005"), taker: decimal(taker) })
const verdict = (exchange: Exchange, fills: ReadonlyArray<Fill>, instrument = spot, assumed: Decimal = decimal("0.00035")) =>
  Effect.runSync(baseFeeFloatVerdict(exchange, instrument, decimal("10"), assumed, journal(fills)))

describe("spare base for fees paid in it, on a spot hedge venue", () => {
  it("warns when the account holds less than a cycle's fees (10 × 2 × 0.04 % = 0.008 ASTER)", () => {
    const v = verdict(venue("0.0079", rates("0.0004")), [fill("backpack", "USDC"), fill("aster-spot", "ASTER")])
    expect(v?.status).toBe("warn")
    expect(v?.detail).toBe(
      `ASTER spot holds 0.0079 ASTER free, and its last hedge paid its fee in ASTER ("Pay fee in ASTER"): a cycle's two hedges take about 0.008 ASTER out of the ASTER they trade: ` +
        "less than one cycle's, so a sell hedge finds less than its leg and is refused (the run then sells what the account holds and stops); keep some spare ASTER there"
    )
  })

  it("says how many cycles what it holds pays for, from exactly one cycle's worth", () => {
    expect(verdict(venue("0.008", rates("0.0004")), [fill("aster-spot", "ASTER")])?.detail).toMatch(/; what it holds pays about 1 cycles of them$/)
    const plenty = verdict(venue("1000", rates("0.0004")), [fill("aster-spot", "ASTER")])
    expect([plenty?.status, plenty?.detail.match(/about (\d+) cycles/)?.[1]]).toEqual(["ok", "125000"])
  })

  it("takes the config's taker rate when the venue does not tell the account's", () => {
    // 10 × 2 × 0.035 % = 0.007
    expect(verdict(venue("0.0069"), [fill("aster-spot", "ASTER")])?.detail).toMatch(/take about 0\.007 ASTER/)
    expect(verdict(venue("0.0069", Effect.fail(new VenueUnavailable({ venue: "aster-spot", reason: "down" }))), [fill("aster-spot", "ASTER")])?.status).toBe("warn")
  })

  it("says nothing when the last hedge paid in the quote, no hedge has filled yet, or the venue is a perp", () => {
    expect(verdict(venue("0", rates("0.0004")), [fill("aster-spot", "ASTER"), fill("aster-spot", "USDT")])).toBeUndefined()
    expect(verdict(venue("0", rates("0.0004")), [fill("backpack", "ASTER")])).toBeUndefined()
    expect(verdict(venue("0", rates("0.0004")), [fill("aster-futures", "ASTER")], perp)).toBeUndefined()
  })
})
