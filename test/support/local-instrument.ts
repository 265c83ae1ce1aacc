/** The local venues' ASTER market as a venue book's tests build it: the symbol and assets of `venue`, ticks of 0.0001, steps of 0.01. */
import { decimal } from "../../src/core/domain/decimal"
import type { Instrument } from "../../src/core/domain/instrument"

export const localInstrument = (venue: Instrument["venue"], overrides: Partial<Record<"minQty" | "minNotional", string>> = {}): Instrument => ({
  venue,
  symbol: venue === "backpack" ? "ASTER_USDC_PERP" : "ASTERUSDT",
  base: "ASTER",
  quote: venue === "backpack" ? "USDC" : "USDT",
  kind: venue === "aster-spot" ? "spot" : "perp",
  tickSize: decimal("0.0001"),
  stepSize: decimal("0.01"),
  minQty: decimal(overrides.minQty ?? "0.01"),
  minNotional: decimal(overrides.minNotional ?? "0")
})
