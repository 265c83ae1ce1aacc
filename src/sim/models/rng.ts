/** A small seeded PRNG (mulberry32): the same seed gives the same backtest, bit for bit. */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number
}

export const seededRng = (seed: number): Rng => {
  let state = seed >>> 0
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
}
