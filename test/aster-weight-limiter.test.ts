/** Request-weight pacing: waits for the next window before the venue's limit, follows its headers, honours Retry-After. */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, TestClock } from "effect"
import { makeWeightLimiter } from "../src/adapters/aster/weight-limiter"

const perMinute = (limit: number) => [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit }]
const now = Clock.currentTimeMillis

describe("WeightLimiter", () => {
  it.effect("lets requests through up to the safety share of the limit, then waits for the next window", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(10_000)
      const limiter = yield* makeWeightLimiter(now, { safety: 0.8, initialLimits: perMinute(10) })
      for (let i = 0; i < 4; i++) yield* limiter.acquire(2)
      // 8 of 10 used: 2 more would pass 80%
      const waiting = yield* Effect.fork(limiter.acquire(2))
      yield* TestClock.adjust(Duration.millis(49_000))
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1_100))
      yield* Fiber.join(waiting)
      expect(yield* now).toBeGreaterThanOrEqual(60_000)
    }))

  it.effect("a request heavier than the whole share waits for a window of its own, and then goes", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(10_000)
      const limiter = yield* makeWeightLimiter(now, { safety: 0.8, initialLimits: perMinute(20) })
      yield* limiter.acquire(1)
      // 30 (the position mode read) against a share of 16: not in this window, alone in the next
      const heavy = yield* Effect.fork(limiter.acquire(30))
      yield* TestClock.adjust(Duration.millis(49_000))
      expect(heavy.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1_100))
      yield* Fiber.join(heavy)
      // that window is spent: the next read waits for the one after
      const next = yield* Effect.fork(limiter.acquire(1))
      yield* TestClock.adjust(Duration.millis(10))
      expect(next.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Fiber.join(next)
    }))

  it.effect("urgent requests (orders, cancels) may use up to 95%", () =>
    Effect.gen(function*() {
      const limiter = yield* makeWeightLimiter(now, { safety: 0.8, initialLimits: perMinute(20) })
      yield* limiter.acquire(16)
      const normal = yield* Effect.fork(limiter.acquire(1))
      yield* TestClock.adjust(Duration.millis(10))
      expect(normal.unsafePoll()).toBeNull()
      // the read waiting for the next window does not hold the order up
      yield* limiter.acquire(3, "urgent")
      expect(normal.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Fiber.join(normal)
    }))

  it.effect("takes the venue's count from X-MBX-USED-WEIGHT-1M (other clients on the IP count too)", () =>
    Effect.gen(function*() {
      const limiter = yield* makeWeightLimiter(now, { safety: 0.8, initialLimits: perMinute(100) })
      yield* limiter.acquire(1)
      yield* limiter.observe({ "x-mbx-used-weight-1m": "79", "content-type": "application/json" }, yield* now)
      const waiting = yield* Effect.fork(limiter.acquire(2))
      yield* TestClock.adjust(Duration.millis(10))
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Fiber.join(waiting)
    }))

  // Was: the count of an answer that came after the minute rolled over was written into the new
  // window: a busy minute's 90 of 100 (other clients on the IP) held every read of the next minute
  // back until it ended, a hedge's REST price read among them.
  it.effect("a count answered after the window rolled over is not taken for the new window's", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(59_990)
      const limiter = yield* makeWeightLimiter(now, { safety: 0.8, initialLimits: perMinute(100) })
      yield* limiter.acquire(1)
      const sentAt = yield* now
      yield* TestClock.adjust(Duration.millis(30))
      yield* limiter.observe({ "x-mbx-used-weight-1m": "90" }, sentAt)
      const read = yield* Effect.fork(limiter.acquire(1))
      yield* TestClock.adjust(Duration.millis(1))
      expect(read.unsafePoll()).not.toBeNull()
      // a count of the current window still counts
      yield* limiter.observe({ "x-mbx-used-weight-1m": "90" }, yield* now)
      const next = yield* Effect.fork(limiter.acquire(1))
      yield* TestClock.adjust(Duration.millis(1))
      expect(next.unsafePoll()).toBeNull()
    }))

  it.effect("sends nothing during a Retry-After pause", () =>
    Effect.gen(function*() {
      const limiter = yield* makeWeightLimiter(now)
      yield* limiter.pause(2000)
      const waiting = yield* Effect.fork(limiter.acquire(1))
      yield* TestClock.adjust(Duration.millis(1999))
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(2))
      yield* Fiber.join(waiting)
    }))

  it.effect("new limits from exchangeInfo keep what the window already spent", () =>
    Effect.gen(function*() {
      const limiter = yield* makeWeightLimiter(now, { safety: 1, initialLimits: perMinute(1200) })
      yield* limiter.acquire(9)
      yield* limiter.setLimits(perMinute(10))
      const waiting = yield* Effect.fork(limiter.acquire(2))
      yield* TestClock.adjust(Duration.millis(10))
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Fiber.join(waiting)
    }))
})
