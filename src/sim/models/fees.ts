/** Maker/taker fee rates of one venue (fractions of notional, exact decimals). */
import type { Decimal } from "../../core/domain/decimal"
import type { Liquidity } from "../../core/domain/order"

export interface FeeModel {
  rate(liquidity: Liquidity): Decimal
}

export const flatFees = (maker: Decimal, taker: Decimal): FeeModel => ({
  rate: (liquidity) => (liquidity === "maker" ? maker : taker)
})
