/**
 * The REST round trip's timeout: like `Effect.timeoutFail` (the answer or the failure passes
 * through; at the deadline the work is interrupted, its finalizers run, and the caller gets the
 * timeout error; interrupting the caller interrupts the work) except that the work starts at once,
 * in the caller's turn, where `Effect.timeoutFail` first waits for a scheduler turn, and that the
 * deadline holds in an uninterruptible caller, where `Effect.timeoutFail` waits for the work.
 */
import { it } from "@effect/vitest"
import { Context, Data, Deferred, Effect, Exit, Fiber, TestClock } from "effect"
import { describe, expect } from "vitest"
import { timeoutFailAtOnce } from "../src/adapters/common/timeout-at-once"

class TimedOut extends Data.TaggedError("TimedOut")<{}> {}
class Refused extends Data.TaggedError("Refused")<{}> {}
class Greeting extends Context.Tag("Greeting")<Greeting, string>() {}

const within = (ms: number) => ({ duration: `${ms} millis` as const, onTimeout: () => new TimedOut() })

describe("timeoutFailAtOnce", () => {
  it.effect("passes the answer and the failure through, and keeps the caller's context", () =>
    Effect.gen(function*() {
      expect(yield* timeoutFailAtOnce(Effect.map(Greeting, (g) => `${g} back`), within(1000)).pipe(Effect.provideService(Greeting, "hello"))).toBe("hello back")
      const failed = yield* Effect.exit(timeoutFailAtOnce(Effect.fail(new Refused()), within(1000)))
      expect(failed).toStrictEqual(Exit.fail(new Refused()))
    }))

  it.effect("fails with the timeout error at the deadline, after the work's finalizers ran", () =>
    Effect.gen(function*() {
      let released = false
      const work = Effect.never.pipe(Effect.ensuring(Effect.sync(() => (released = true))))
      const fiber = yield* Effect.fork(timeoutFailAtOnce(work, within(500)))
      yield* TestClock.adjust("499 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.fail(new TimedOut()))
      expect(released).toBe(true)
    }))

  it.effect("the deadline holds in an uninterruptible caller (a wind-down's requests run as a finalizer)", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.uninterruptible(timeoutFailAtOnce(Effect.never, within(500))))
      yield* TestClock.adjust("500 millis")
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.fail(new TimedOut()))
      // Effect.timeoutFail waits there for the work, however long it takes
      const stuck = yield* Effect.fork(Effect.uninterruptible(Effect.timeoutFail(Effect.sleep("2 hours"), within(500))))
      yield* TestClock.adjust("1 hour")
      expect(stuck.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 hour")
      yield* Fiber.await(stuck)
    }))

  it.effect("work that ends before the deadline is not cut short by it later", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<string>()
      const fiber = yield* Effect.fork(timeoutFailAtOnce(Deferred.await(gate), within(500)))
      yield* TestClock.adjust("100 millis")
      yield* Deferred.succeed(gate, "answer")
      expect(yield* Fiber.join(fiber)).toBe("answer")
      yield* TestClock.adjust("1 second")
    }))

  it.effect("interrupting the caller interrupts the work and waits for it to end", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      let released = false
      const work = Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(Effect.ensuring(Effect.sync(() => (released = true))))
      const fiber = yield* Effect.fork(timeoutFailAtOnce(work, within(60_000)))
      yield* Deferred.await(started)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(released).toBe(true)
    }))

  it("starts the work in the caller's turn (Effect.timeoutFail waits for the scheduler)", () => {
    const firstStep = (timeout: <A, E>(work: Effect.Effect<A, E>) => Effect.Effect<A, E | TimedOut>) => {
      let started = false
      const fiber = Effect.runFork(timeout(Effect.zipRight(Effect.sync(() => (started = true)), Effect.never)))
      const startedAtOnce = started
      Effect.runFork(Fiber.interrupt(fiber))
      return startedAtOnce
    }
    expect(firstStep((work) => timeoutFailAtOnce(work, within(1000)))).toBe(true)
    // what this module exists to avoid: the same with Effect.timeoutFail has not begun yet
    expect(firstStep((work) => Effect.timeoutFail(work, within(1000)))).toBe(false)
  })
})
