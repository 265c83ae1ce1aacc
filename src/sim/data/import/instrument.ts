/**
 * Builds an instrument's description from the options: base/quote/kind from the symbol, and filter or
 * parameter values checked as decimals with the option's name in the error.
 */
import { BigDecimal, Option, Schema } from "effect"
import { type Decimal, DecimalInput, parseDecimal } from "../../../core/domain/decimal"

const KNOWN_QUOTES = ["FDUSD", "USDT", "USDC", "USD1", "BUSD", "USD"]

export const splitSymbol = (symbol: string): { base: string; quote: string; perp: boolean } => {
  const parts = symbol.split("_")
  if (parts.length >= 2) return { base: parts[0]!, quote: parts[1]!, perp: parts.includes("PERP") }
  const upper = symbol.toUpperCase()
  for (const q of KNOWN_QUOTES) if (upper.endsWith(q) && upper.length > q.length) return { base: symbol.slice(0, -q.length), quote: symbol.slice(-q.length), perp: false }
  return { base: symbol, quote: "", perp: false }
}

export const decimalOption = (value: string, what: string, positive: boolean): Decimal => {
  const d = Option.getOrUndefined(parseDecimal(value))
  if (d === undefined) throw new Error(`${what} must be a decimal number, got "${value}"`)
  if (positive ? !BigDecimal.isPositive(d) : BigDecimal.isNegative(d)) throw new Error(`${what} must be ${positive ? "positive" : "non-negative"}, got "${value}"`)
  return d
}

const decodeDecimalInput = Schema.decodeUnknownSync(DecimalInput)
export const decimalParam = (value: number | string, what: string): Decimal => {
  try {
    return decodeDecimalInput(value)
  } catch {
    throw new Error(`${what} must be a decimal number, got ${JSON.stringify(value)}`)
  }
}
