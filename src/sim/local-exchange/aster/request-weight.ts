/**
 * The venue's request-weight count: per minute window of the venue clock, reported in
 * `X-MBX-USED-WEIGHT-1M` on every answer; a request that would pass the limit gets 429 with
 * `Retry-After` (seconds to the next window) and is not processed.
 */
export class RequestWeight {
  private windowStart = 0
  private used = 0

  constructor(readonly limitPerMinute: number) {}

  charge(weight: number, now: number): { readonly admitted: boolean; readonly used: number; readonly retryAfterSeconds: number } {
    const start = Math.floor(now / 60_000) * 60_000
    if (start !== this.windowStart) {
      this.windowStart = start
      this.used = 0
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((start + 60_000 - now) / 1000))
    if (this.used + weight > this.limitPerMinute) return { admitted: false, used: this.used, retryAfterSeconds }
    this.used += weight
    return { admitted: true, used: this.used, retryAfterSeconds }
  }

  get current(): number {
    return this.used
  }
}
