/**
 * Exact decimal money. Prices and quantities are decimal strings at the edges and `BigDecimal`
 * inside; no float ever decides a price or a size. Step rounding works on the scaled integers.
 */
import { BigDecimal, Either, Option, ParseResult, Schema } from "effect"

export type Decimal = BigDecimal.BigDecimal

export const ZERO: Decimal = BigDecimal.fromBigInt(0n)
export const ONE: Decimal = BigDecimal.fromBigInt(1n)

/** Parses "1.25", "-3", "0.0001"; refuses floats' exponents, NaN and garbage. */
export const parseDecimal = (text: string): Option.Option<Decimal> =>
  /^-?\d+(\.\d+)?$/.test(text.trim()) ? BigDecimal.fromString(text.trim()) : Option.none()

/** `decimal("0.01")` for literals known to be valid (tests, defaults). */
export const decimal = (text: string): Decimal =>
  Option.getOrThrowWith(parseDecimal(text), () => new Error(`not a decimal: ${text}`))

/**
 * Plain decimal string, never exponent notation, trailing zeros removed: "1.5", "-0.001", "100",
 * "0". Written from the normalized scaled integer, since `BigDecimal.format` switches to exponent
 * notation once the scale reaches ±16 ("1e+16"), which no venue parses as a decimal.
 */
export const formatDecimal = (d: Decimal): string => {
  const { scale, value } = BigDecimal.normalize(d)
  if (value === 0n) return "0"
  const sign = value < 0n ? "-" : ""
  const digits = (value < 0n ? -value : value).toString()
  if (scale <= 0) return `${sign}${digits}${"0".repeat(-scale)}`
  const padded = digits.padStart(scale + 1, "0")
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`
}

/**
 * Accepts a decimal string or a YAML/JSON number and yields a BigDecimal. A number is taken by
 * its shortest round-trip text (0.2 -> "0.2"), which is what the user wrote in the file.
 */
export const DecimalInput = Schema.transformOrFail(
  // anything else (a key left empty, true, a list) gets the same one message, not a union's two
  Schema.Unknown.annotations({ title: "decimal" }),
  Schema.BigDecimalFromSelf,
  {
    strict: true,
    decode: (input, _options, ast) => {
      const text = typeof input === "number" ? (Number.isFinite(input) ? numberText(input) : "") : typeof input === "string" ? input : ""
      return Option.match(parseDecimal(text), {
        onNone: () =>
          ParseResult.fail(new ParseResult.Type(ast, input, `expected a decimal number such as "10" or "0.25", got ${JSON.stringify(input)}`)),
        onSome: ParseResult.succeed
      })
    },
    encode: (d) => ParseResult.succeed(formatDecimal(d))
  }
).annotations({ identifier: "Decimal" })

/** Decimal string <-> BigDecimal for wire and report payloads. */
export const DecimalString = Schema.transformOrFail(Schema.String, Schema.BigDecimalFromSelf, {
  strict: true,
  decode: (text, _options, ast) =>
    Option.match(parseDecimal(text), {
      onNone: () => ParseResult.fail(new ParseResult.Type(ast, text, `expected a decimal string, got ${JSON.stringify(text)}`)),
      onSome: ParseResult.succeed
    }),
  encode: (d) => ParseResult.succeed(formatDecimal(d))
}).annotations({ identifier: "DecimalString" })

const numberText = (n: number): string => {
  const text = String(n)
  if (!/e/i.test(text)) return text
  // 1e-7 style: expand exactly from the shortest representation
  const [mantissa, exp] = text.toLowerCase().split("e") as [string, string]
  const d = BigDecimal.unsafeFromString(mantissa)
  return formatDecimal(BigDecimal.make(d.value, d.scale - Number(exp)))
}

/** Exact integer multiple count of `step` in `value`, rounded toward -infinity or +infinity. */
const stepCount = (value: Decimal, step: Decimal, mode: "floor" | "ceil"): bigint => {
  const scale = Math.max(value.scale, step.scale, 0)
  const v = BigDecimal.scale(value, scale).value
  const s = BigDecimal.scale(step, scale).value
  if (s <= 0n) throw new Error("step must be positive")
  const q = v / s
  const r = v % s
  if (r === 0n) return q
  // bigint division truncates toward zero
  if (mode === "floor") return v < 0n ? q - 1n : q
  return v > 0n ? q + 1n : q
}

/** Rounds to a multiple of `step` (a tick or a lot step) in the given direction. */
export const roundToStep = (value: Decimal, step: Decimal, mode: "floor" | "ceil"): Decimal =>
  BigDecimal.normalize(BigDecimal.multiply(BigDecimal.fromBigInt(stepCount(value, step, mode)), step))

/** Number of whole steps in value (value must be a multiple). */
export const toSteps = (value: Decimal, step: Decimal): bigint => stepCount(value, step, "floor")

export const isMultipleOf = (value: Decimal, step: Decimal): boolean =>
  BigDecimal.equals(roundToStep(value, step, "floor"), value)

/** Scaled integer in units of 10^-scale (exact if value has at most `scale` decimals). */
export const toUnits = (value: Decimal, scale: number): bigint => {
  const scaled = BigDecimal.scale(value, scale)
  if (!BigDecimal.equals(scaled, value)) throw new Error(`${formatDecimal(value)} has more than ${scale} decimals`)
  return scaled.value
}

export const fromUnits = (units: bigint | number, scale: number): Decimal =>
  BigDecimal.normalize(BigDecimal.make(typeof units === "bigint" ? units : BigInt(units), scale))

/** Number of decimals needed to write `d` exactly (0.0001 -> 4). */
export const decimalsOf = (d: Decimal): number => Math.max(BigDecimal.normalize(d).scale, 0)

export const sum = (values: Iterable<Decimal>): Decimal => {
  let acc = ZERO
  for (const v of values) acc = BigDecimal.sum(acc, v)
  return acc
}

export const isDecimalString = (text: string): boolean => Either.isRight(Schema.decodeEither(DecimalString)(text))

export const { abs, multiply, negate, subtract, sum: add, lessThan, greaterThan, lessThanOrEqualTo, greaterThanOrEqualTo, max, min, isZero, isPositive, isNegative, sign } = BigDecimal
export const eq = BigDecimal.equals
/** Division rounded to `scale` decimals (for display-only ratios such as average prices). */
export const divideToScale = (a: Decimal, b: Decimal, scale: number): Decimal =>
  BigDecimal.round(BigDecimal.unsafeDivide(a, b), { scale, mode: "half-even" })
