/**
 * The decimal domain (src/core/domain/decimal.ts). Prices and quantities go out to the venues
 * through formatDecimal (aster `onGrid`, backpack's client), so its text must always be a plain
 * decimal a venue parses.
 */
import { BigDecimal, Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { onGrid } from "../src/adapters/aster/schemas"
import { decimal, formatDecimal } from "../src/core/domain/decimal"

describe("formatDecimal", () => {
  it("writes ordinary values as before: trailing zeros removed, zero as 0", () => {
    expect(formatDecimal(decimal("1.5"))).toBe("1.5")
    expect(formatDecimal(decimal("1.2500"))).toBe("1.25")
    expect(formatDecimal(decimal("-0.001"))).toBe("-0.001")
    expect(formatDecimal(decimal("100"))).toBe("100")
    expect(formatDecimal(decimal("-100"))).toBe("-100")
    expect(formatDecimal(decimal("0"))).toBe("0")
    expect(formatDecimal(decimal("-0.000"))).toBe("0")
    expect(formatDecimal(BigDecimal.make(15n, -2))).toBe("1500")
  })

  it("never uses exponent notation, however large or small (effect's format does from scale ±16)", () => {
    // a large on-grid quantity, as the Aster adapter sends it
    const qty = Either.getOrThrow(onGrid(decimal("10000000000000000"), decimal("1"), "quantity"))
    expect(formatDecimal(qty)).toBe("10000000000000000")
    // a price with 16 decimals
    expect(formatDecimal(decimal("0.0000000000000001"))).toBe("0.0000000000000001")
    expect(formatDecimal(decimal("-10000000000000000"))).toBe("-10000000000000000")
    expect(formatDecimal(BigDecimal.make(-7n, 20))).toBe("-0.00000000000000000007")
    expect(formatDecimal(BigDecimal.make(5n, -20))).toBe("500000000000000000000")
  })

  it("any value is written as a plain decimal that parses back to the same value", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: -40, max: 40 }),
        (value, scale) => {
          const d = BigDecimal.make(value, scale)
          const text = formatDecimal(d)
          expect(text).not.toMatch(/e/i)
          expect(text).toMatch(/^(0|-?[1-9]\d*(\.\d*[1-9])?|-?0\.\d*[1-9])$/)
          expect(BigDecimal.equals(decimal(text), d)).toBe(true)
          // where effect's own format is plain, the text is the same as it always was
          const effects = BigDecimal.format(BigDecimal.normalize(d))
          if (!/e/i.test(effects)) expect(text).toBe(effects)
        }
      ),
      { numRuns: 1000 }
    )
  })
})
