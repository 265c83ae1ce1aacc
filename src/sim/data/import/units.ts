/**
 * Exact conversions to integers: a decimal mantissa rescaled to units by a power of ten, and
 * timestamps to µs cut on the text (the text helpers are exported for tests too), so no float ever
 * holds a fractional price or time.
 */

export const POW10: ReadonlyArray<number> = Array.from({ length: 16 }, (_, i) => 10 ** i)

/** mantissa × 10^(scale − decimals) as an exact integer, NaN if not representable at `scale`. */
export const rescale = (m: number, d: number, scale: number): number => {
  if (d > scale) return NaN
  const k = scale - d
  if (k >= POW10.length) return NaN
  const u = m * POW10[k]!
  return Number.isSafeInteger(u) ? u : NaN
}

/** Float seconds as text ("1758699465.1337595") → integer µs, sub-µs digits truncated; NaN if invalid. */
export const secondsTextToUs = (text: string): number => {
  const dot = text.indexOf(".")
  const intPart = dot < 0 ? text : text.slice(0, dot)
  const frac = dot < 0 ? "" : text.slice(dot + 1)
  if (!/^\d+$/.test(intPart) || (dot >= 0 && !/^\d+$/.test(frac))) return NaN
  const us = Number(intPart) * 1_000_000 + Number((frac + "000000").slice(0, 6))
  return Number.isSafeInteger(us) ? us : NaN
}

/** Integer epoch time text in ms (or µs when > 10¹⁴) → µs; NaN if invalid. */
export const epochIntTextToUs = (text: string): number => {
  if (!/^\d{1,16}$/.test(text)) return NaN
  const v = Number(text)
  const us = v > 1e14 ? v : v * 1000
  return Number.isSafeInteger(us) ? us : NaN
}

/** Whether `ms` (a JS number written in decimal) holds a whole number of µs: at most 3 decimals. */
export const isWholeMicroseconds = (ms: number): boolean => Number.isFinite(ms) && Math.abs(Math.round(ms * 1000) - ms * 1000) <= 1e-6 * Math.max(1, Math.abs(ms))

/** ms (a JS number written in decimal, at most µs precision) → integer µs. */
export const msToUs = (ms: number, what: string): number => {
  if (!isWholeMicroseconds(ms)) throw new Error(`${what} must be a number of ms with at most 3 decimals, got ${ms}`)
  return Math.round(ms * 1000)
}
