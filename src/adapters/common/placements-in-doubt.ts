/**
 * Placements whose answer was lost (timeout, 5xx, dropped connection). The venue may still book
 * such a request until its acceptance window ends (signed timestamp + window), so until then a
 * look-up of its client id that finds nothing proves nothing, and sending it again could place
 * the order twice. Each is kept by client id with that deadline, on the venue's clock as the
 * client knows it, until a look-up settles it.
 */
import { Effect, Either, Option } from "effect"
import { setNewest } from "../../core/newest-entries"
import type { ServerClock } from "./server-clock"

/** How long past the acceptance window a missing order is taken as never booked (clock error, transit). */
export const IN_DOUBT_MARGIN_MS = 1000
/** far more than are ever in doubt at once: a look-up that never comes must not grow the memory */
const CAPACITY = 1000
/**
 * How often a placement in doubt is looked for until its window ends: one the venue books late
 * is found within this, not at the end of a window of up to 60 s (a maker fill unhedged meanwhile)
 */
export const IN_DOUBT_RECHECK_MS = 1000

export class PlacementsInDoubt {
  private readonly deadlines = new Map<string, number>()

  constructor(private readonly clock: ServerClock, private readonly marginMs = IN_DOUBT_MARGIN_MS, private readonly recheckMs = IN_DOUBT_RECHECK_MS) {}

  /** `clientId`'s placement had an unknown outcome; the venue may book it until `acceptUntil` (venue ms). */
  remember(clientId: string, acceptUntil: number): void {
    setNewest(this.deadlines, clientId, acceptUntil, CAPACITY)
  }

  has(clientId: string): boolean {
    return this.deadlines.has(clientId)
  }

  /**
   * `look` (the venue asked about `clientId`) answered so that "none" is final: for a client id in
   * doubt, nothing found before the deadline (plus the margin) is asked again every second, and
   * once more after it. A final answer settles the doubt; a look-up that fails leaves it.
   */
  lookUp<A, E, R>(clientId: string, look: Effect.Effect<Option.Option<A>, E, R>): Effect.Effect<Option.Option<A>, E, R> {
    return Effect.gen(this, function*() {
      const deadline = this.deadlines.get(clientId)
      if (deadline === undefined) return yield* look
      const until = deadline + this.marginMs
      while ((yield* this.clock.now) < until) {
        // a failure here is not final either: the look after the deadline decides
        const early = yield* Effect.either(look)
        if (Either.isRight(early) && Option.isSome(early.right)) {
          this.deadlines.delete(clientId)
          return early.right
        }
        const left = until - (yield* this.clock.now)
        if (left <= 0) break
        yield* Effect.sleep(Math.min(left, this.recheckMs))
      }
      const final = yield* look
      this.deadlines.delete(clientId)
      return final
    })
  }
}
