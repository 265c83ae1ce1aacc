/**
 * Backpack's book for the market's watchers (a recording), kept from the `depth.<symbol>` stream
 * over a REST snapshot (see order-book.ts). The best DEPTH_LEVELS levels a side go out when the
 * book changes: at once after a quiet spell, then at most once per `everyMs` while it keeps
 * changing. While the book is unknown (before the first snapshot, after a lost message or a
 * dropped connection) nothing goes out: a recording never holds a book that was not the venue's.
 */
import { Duration, Effect, Either, Queue, type Scope } from "effect"
import type { MarketTaps } from "../common/market-taps"
import type { BackpackClient } from "./client"
import { type BookDelta, SequencedBook } from "./order-book"
import type { WsDepth } from "./schemas"

/** levels a side handed to the watchers (what a queue at our price needs, and Aster's partial book has) */
export const DEPTH_LEVELS = 10

/** A snapshot older than the stream is read again after this, doubling up to the cap. */
const SNAPSHOT_RETRY_FIRST_MS = 100
const SNAPSHOT_RETRY_MAX_MS = 2000

export interface DepthStream {
  /** the stream each connection subscribes to */
  readonly stream: string
  /** a decoded `depth.<symbol>` message, as it arrives */
  readonly onMessage: (message: WsDepth) => Effect.Effect<void> | undefined
  /** subscribed on a new connection: the book is read (a quiet market may send nothing for long) */
  readonly onSubscribed: () => void
  /** the connection dropped: the book is unknown until the next snapshot */
  readonly onDisconnect: () => void
}

export const startDepthStream = (deps: {
  readonly client: BackpackClient
  readonly taps: MarketTaps
  readonly everyMs: number
}): Effect.Effect<DepthStream, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { client, taps, everyMs } = deps
    const book = new SequencedBook()
    /** the snapshot reader's wake-up call (one pending at most) */
    const wanted = yield* Queue.sliding<void>(1)
    let reading = false
    let lastTs = 0
    let publishedVersion = -1
    /** something went out less than everyMs ago: later changes wait for the next tick */
    let throttled = false

    /** Hands the book on if it changed since it last went out (a watcher who comes later gets it too). */
    const publish = () => {
      if (!book.live || book.version === publishedVersion || !taps.listening()) return
      publishedVersion = book.version
      throttled = true
      const ts = lastTs
      taps.publish(() => ({ _tag: "Depth", depth: { venue: "backpack", ts, ...book.best(DEPTH_LEVELS) } }))
    }

    const wantSnapshot = () => {
      if (!reading) Queue.unsafeOffer(wanted, undefined)
    }

    /** Reads snapshots until one lines up with the stream. */
    const readBook = Effect.gen(function*() {
      reading = true
      let retryMs = SNAPSHOT_RETRY_FIRST_MS
      let failing = false
      while (!book.live) {
        const read = yield* Effect.either(client.depthBook)
        if (Either.isLeft(read)) {
          if (!failing) yield* Effect.logWarning(`backpack depth: ${read.left.message}; no book for the recording until it answers`)
          failing = true
          yield* Effect.sleep(Duration.seconds(1))
          continue
        }
        if (failing) yield* Effect.log("backpack depth answers again")
        failing = false
        const snapshot = read.right
        if (book.onSnapshot(snapshot) === "live") {
          lastTs = Math.max(lastTs, snapshot.ts)
          break
        }
        // the venue's REST book can lag its stream: give it a moment
        yield* Effect.sleep(Duration.millis(retryMs))
        retryMs = Math.min(retryMs * 2, SNAPSHOT_RETRY_MAX_MS)
      }
      reading = false
      if (!throttled) publish()
    })

    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(wanted), readBook)))
    // the tick that lets throttled changes out
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(everyMs)), Effect.sync(() => {
      if (book.live && book.version !== publishedVersion) publish()
      else throttled = false
    }))))

    const onMessage = (message: WsDepth): Effect.Effect<void> | undefined => {
      const delta: BookDelta = { U: message.U, u: message.u, bids: message.b, asks: message.a }
      lastTs = Math.max(lastTs, message.T ?? message.E)
      switch (book.onDelta(delta)) {
        case "applied":
          if (!throttled) publish()
          return undefined
        case "held":
          wantSnapshot()
          return undefined
        case "gap":
          wantSnapshot()
          return Effect.logInfo(`backpack depth stream skipped to update ${message.U}; reading the book again`)
        case "stale":
          return undefined
      }
    }

    return {
      stream: `depth.${client.symbol}`,
      onMessage,
      onSubscribed: wantSnapshot,
      onDisconnect: () => book.reset()
    }
  })
