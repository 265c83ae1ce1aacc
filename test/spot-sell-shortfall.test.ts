/**
 * A spot sell refused for want of the base asset: what the account holds is read, the refusal says
 * why, and the sell is cut to what is held on the venue's step, or given up below its minimum.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { Balance } from "../src/core/domain/account"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { InsufficientBalance, VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { afterSale, heldToSell, withinSellable } from "../src/core/strategy/spot-sell-shortfall"

const spot: Instrument = { venue: "aster-spot", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "spot", tickSize: decimal("0.0001"), stepSize: decimal("0.01"), minQty: decimal("0.01"), minNotional: decimal("5") }
const refusal = new InsufficientBalance({ venue: "aster-spot", reason: "Balance is insufficient. (-2018)" })
const account = (balances: Effect.Effect<ReadonlyArray<Balance>, VenueUnavailable>) => ({ venue: "aster-spot", balances } as unknown as Exchange)
const aster = (free: string, locked = "0"): Effect.Effect<ReadonlyArray<Balance>, VenueUnavailable> =>
  Effect.succeed([{ venue: "aster-spot", asset: "ASTER", free: decimal(free), locked: decimal(locked) }])
const held = (balances: Effect.Effect<ReadonlyArray<Balance>, VenueUnavailable>, wanted = "10") =>
  Effect.runSync(heldToSell(account(balances), spot, refusal, decimal(wanted)))

describe("what a spot account holds to sell after a refusal", () => {
  it("names the balance, the fees and the remedy when it holds less than the sell", () => {
    const result = held(aster("9.9962"))
    expect(formatDecimal(result.qty)).toBe("9.9962")
    expect(result.refusal.message).toBe(
      "aster-spot: insufficient balance: Balance is insufficient. (-2018); the account holds 9.9962 ASTER free of the 10 this sell needs: fees taken in ASTER come out of the ASTER the buy hedges bought, so keep some spare ASTER there (or have the venue charge its fees in USDT)"
    )
  })

  it("says how much its open orders lock, which is not the fees", () => {
    expect(held(aster("4", "6")).refusal.reason).toContain("the account holds 4 ASTER free (6 more locked in open orders) of the 10 this sell needs")
  })

  it("keeps the venue's refusal as it was when the account holds enough (the refusal was for something else)", () => {
    const result = held(aster("10"))
    expect([formatDecimal(result.qty), result.refusal]).toEqual(["10", refusal])
  })

  it("counts nothing to sell when the balance cannot be read, or the asset is not listed", () => {
    expect(formatDecimal(held(Effect.fail(new VenueUnavailable({ venue: "aster-spot", reason: "down" }))).qty)).toBe("0")
    expect(formatDecimal(held(Effect.succeed([])).qty)).toBe("0")
  })
})

describe("a sell within what is held", () => {
  const price = decimal("2")
  const sellable = (qty: string) => ({ qty: decimal(qty), refusal })

  it("cuts a sell to what is held, floored to the step", () => {
    const order = withinSellable({ side: "sell", qty: decimal("10") }, sellable("9.9962"), spot, price)
    expect(order instanceof InsufficientBalance ? order : formatDecimal(order.qty)).toBe("9.99")
  })

  it("hands back the refusal when what is held is below the smallest order (here 5 USDT at 2: 2.5)", () => {
    expect(withinSellable({ side: "sell", qty: decimal("10") }, sellable("2.49"), spot, price)).toBe(refusal)
    const atMinimum = withinSellable({ side: "sell", qty: decimal("10") }, sellable("2.5"), spot, price)
    expect(atMinimum instanceof InsufficientBalance ? atMinimum : formatDecimal(atMinimum.qty)).toBe("2.5")
  })

  it("leaves buys, sells it can fund and sells before any refusal as they are", () => {
    const buy = { side: "buy", qty: decimal("10") } as const
    const sell = { side: "sell", qty: decimal("10") } as const
    expect(withinSellable(buy, sellable("0"), spot, price)).toBe(buy)
    expect(withinSellable(sell, sellable("10"), spot, price)).toBe(sell)
    expect(withinSellable(sell, undefined, spot, price)).toBe(sell)
  })

  it("counts down what is left to sell after each sale", () => {
    expect(formatDecimal(afterSale(sellable("9.9962"), decimal("9.99"))!.qty)).toBe("0.0062")
    expect(afterSale(undefined, decimal("1"))).toBeUndefined()
  })
})
