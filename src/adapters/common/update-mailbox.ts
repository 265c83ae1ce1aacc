/**
 * Own-order updates handed from a socket's message handler to the reader waiting for them
 * (`Exchange.nextUpdate`). A waiting reader is resumed by the message itself: one fiber wake-up
 * on a fill's way to its hedge, where a Queue.take raced against a timer costs several. Nothing
 * is lost: an update handed to a reader interrupted in that same instant goes back to the front.
 * The deadline runs on the wall clock, as everything in a live adapter does.
 */
import { Duration, Effect, Option } from "effect"

export interface UpdateMailbox<A> {
  /** from the message handler, synchronously */
  readonly offer: (item: A) => void
  /** the next item, or none once `within` has passed */
  readonly take: (within: Duration.DurationInput) => Effect.Effect<Option.Option<A>>
}

/** Items beyond `capacity` that nobody reads drop the oldest. */
export const makeUpdateMailbox = <A>(capacity = Number.POSITIVE_INFINITY): UpdateMailbox<A> => {
  const items: Array<A> = []
  const waiting: Array<(item: A) => void> = []
  const stopWaiting = (waiter: (item: A) => void) => {
    const at = waiting.indexOf(waiter)
    if (at >= 0) waiting.splice(at, 1)
  }
  return {
    offer: (item) => {
      const waiter = waiting.shift()
      if (waiter !== undefined) return waiter(item)
      items.push(item)
      if (items.length > capacity) items.shift()
    },
    take: (within) =>
      Effect.suspend(() => {
        if (items.length > 0) return Effect.succeed(Option.some(items.shift()!))
        const ms = Duration.toMillis(within)
        if (!(ms > 0)) return Effect.succeed(Option.none())
        return Effect.async<Option.Option<A>>((resume) => {
          let handed: { readonly item: A } | undefined
          const waiter = (item: A) => {
            handed = { item }
            clearTimeout(timer)
            resume(Effect.succeed(Option.some(item)))
          }
          const timer = setTimeout(() => {
            stopWaiting(waiter)
            resume(Effect.succeed(Option.none()))
          }, Math.min(ms, 2 ** 31 - 1))
          waiting.push(waiter)
          return Effect.sync(() => {
            clearTimeout(timer)
            stopWaiting(waiter)
            // interrupted after an item was handed over but before the reader had it: keep it
            if (handed !== undefined) items.unshift(handed.item)
          })
        })
      })
  }
}
