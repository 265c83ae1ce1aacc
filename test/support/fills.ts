/** Fills for tests of the books that count them (the kill switch, its 24 h window, alerts). */
import { decimal } from "../../src/core/domain/decimal"
import type { Fill, Side } from "../../src/core/domain/order"
import type { Venue } from "../../src/core/domain/venue"

export const SYMBOLS: ReadonlyMap<Venue, string> = new Map<Venue, string>([["backpack", "ASTER_USDC_PERP"], ["aster-futures", "ASTERUSDT"], ["aster-spot", "ASTERUSDT"]])

let tradeId = 0

/** A fill of `venue`'s usual symbol (Backpack's as maker in USDC, Aster's as taker in USDT), each with its own trade id. */
export const fillOf = (venue: Venue, side: Side, qty: string, price: string, fee: string, ts = 0, symbol = SYMBOLS.get(venue)!): Fill => ({
  venue,
  symbol,
  orderId: "o1",
  tradeId: String(++tradeId),
  side,
  price: decimal(price),
  qty: decimal(qty),
  fee: decimal(fee),
  feeAsset: venue === "backpack" ? "USDC" : "USDT",
  liquidity: venue === "backpack" ? "maker" : "taker",
  ts
})
