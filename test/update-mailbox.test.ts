/**
 * The mailbox between a socket's message handler and `nextUpdate`: items come out in order, a
 * waiting reader gets an item the moment it is offered, the deadline gives none, and an item
 * handed to a reader that is interrupted in that instant is not lost.
 */
import { Effect, Exit, Fiber, FiberId, Option } from "effect"
import { describe, expect, it } from "vitest"
import { makeUpdateMailbox } from "../src/adapters/common/update-mailbox"

const run = <A>(effect: Effect.Effect<A>) => Effect.runPromise(effect)

describe("update mailbox", () => {
  it("hands items out in order, at once when they are already there", async () => {
    const box = makeUpdateMailbox<number>()
    box.offer(1)
    box.offer(2)
    expect(await run(box.take("1 second"))).toEqual(Option.some(1))
    expect(await run(box.take("1 second"))).toEqual(Option.some(2))
    expect(await run(box.take(0))).toEqual(Option.none())
  })

  it("resumes a waiting reader with the item offered, and gives none after the deadline", async () => {
    const box = makeUpdateMailbox<string>()
    const waiting = Effect.runFork(box.take("5 seconds"))
    await new Promise((resolve) => setTimeout(resolve, 20))
    box.offer("fill")
    expect(await Effect.runPromise(Fiber.join(waiting))).toEqual(Option.some("fill"))
    const started = performance.now()
    expect(await run(box.take("50 millis"))).toEqual(Option.none())
    expect(performance.now() - started).toBeGreaterThanOrEqual(45)
    // the expired reader took nothing: the next item goes to the next reader
    box.offer("late")
    expect(await run(box.take("1 second"))).toEqual(Option.some("late"))
  })

  it("two readers waiting get one item each, first come first served", async () => {
    const box = makeUpdateMailbox<number>()
    const first = Effect.runFork(box.take("5 seconds"))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const second = Effect.runFork(box.take("5 seconds"))
    await new Promise((resolve) => setTimeout(resolve, 5))
    box.offer(1)
    box.offer(2)
    expect([await Effect.runPromise(Fiber.join(first)), await Effect.runPromise(Fiber.join(second))]).toEqual([Option.some(1), Option.some(2)])
  })

  it("an item handed to a reader interrupted in the same instant stays for the next reader", async () => {
    const box = makeUpdateMailbox<string>()
    const reader = Effect.runFork(box.take("5 seconds"))
    await new Promise((resolve) => setTimeout(resolve, 5))
    // the interruption is signalled, then the item arrives before the reader has handled either
    reader.unsafeInterruptAsFork(FiberId.none)
    box.offer("fill")
    const exit = await Effect.runPromise(Fiber.await(reader))
    expect(Exit.isInterrupted(exit)).toBe(true)
    expect(await run(box.take(0))).toEqual(Option.some("fill"))
  })

  it("a reader interrupted while waiting leaves no trace: the next item goes to the next reader", async () => {
    const box = makeUpdateMailbox<number>()
    const reader = Effect.runFork(box.take("5 seconds"))
    await new Promise((resolve) => setTimeout(resolve, 5))
    await Effect.runPromise(Fiber.interrupt(reader))
    box.offer(7)
    expect(await run(box.take(0))).toEqual(Option.some(7))
  })

  it("beyond its capacity the oldest unread item is dropped", async () => {
    const box = makeUpdateMailbox<number>(2)
    box.offer(1)
    box.offer(2)
    box.offer(3)
    expect([await run(box.take(0)), await run(box.take(0)), await run(box.take(0))]).toEqual([Option.some(2), Option.some(3), Option.none()])
  })
})
