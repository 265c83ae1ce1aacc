/**
 * The Exchange service over the simulation kernel. Every call is synchronous inside the kernel:
 * a request travels to the engine with the venue's latency, is matched there, and its reply comes
 * back after the response latency, with the replay running meanwhile.
 */
import { BigDecimal, Clock, Duration, Effect, Option } from "effect"
import { ZERO } from "../core/domain/decimal"
import type { Exchange } from "../core/exchange"
import type { Order } from "../core/domain/order"
import { OrderRejected, UnknownOrder, VenueUnavailable } from "../core/errors"
import type { SimOrder } from "./engine"
import type { SimKernel, VenueSlot } from "./kernel"

const newSimOrder = (
  id: string,
  clientId: string,
  sign: 1 | -1,
  type: "limit" | "market",
  price: number,
  qty: number,
  postOnly: boolean,
  timeInForce: "GTC" | "IOC" | "FOK",
  now: number
): SimOrder => ({
  id,
  clientId,
  sign,
  type,
  price,
  qty,
  postOnly,
  timeInForce,
  createdAt: now,
  updatedAt: now,
  filled: 0,
  filledQuote: 0n,
  status: "new",
  queue: { ahead: 0 },
  levelQty: 0
})

/**
 * A backtest runs synchronously for as long as the strategy keeps waiting. From a command line,
 * its waits hand the thread back to Node every so often (wall clock) so Ctrl+C and the progress
 * bar get through; simulated time is untouched, so results do not depend on it. Library callers
 * (tests, benchmarks) keep the run fully synchronous.
 */
const HOST_YIELD_MS = 50
const hostYielder = (cooperative: boolean): (<A, E, R>(wait: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) => {
  // synchronous runs skip the wrapper altogether: every Effect step counts over thousands of waits
  if (!cooperative) return (wait) => wait
  let last = performance.now()
  const yieldNow = Effect.suspend(() => {
    const now = performance.now()
    if (now - last < HOST_YIELD_MS) return Effect.void
    last = now
    return Effect.async<void>((resume) => {
      const handle = setImmediate(() => resume(Effect.void))
      return Effect.sync(() => clearImmediate(handle))
    })
  })
  return (wait) => Effect.zipRight(yieldNow, wait)
}

/**
 * Ends the strategy when the recording is over. Its finalizers still run (cancel, final hedge):
 * from then on time passes on the last known market. A wait inside them (uninterruptible: the
 * pause before a wind-down's next hedge attempt) is not cut short by the end: `goOn` finishes it
 * on that market.
 */
const endOfData = <A>(kernel: SimKernel, goOn: () => Effect.Effect<A>): Effect.Effect<A> =>
  Effect.checkInterruptible((interruptible) => {
    kernel.stopping = true
    return interruptible ? Effect.interrupt : Effect.suspend(goOn)
  })

/**
 * Bounds and judges the strategy's waits (the backtest's kill switch, src/sim/kill-switch.ts): a
 * wait runs in steps that end by `bound`, and `judge` is asked before it and after each step.
 * What it returns (stopping the strategy) runs before the wait goes on. Plain functions, not
 * Effects: they are asked at every wait of a long replay.
 */
export interface WaitGate {
  /** how far (µs) a wait heading for `deadline` may run before it is judged again */
  readonly bound: (deadline: number) => number
  readonly judge: () => Effect.Effect<void> | undefined
}

export interface SimWaitOptions {
  /** hand the thread back to Node now and then (command line: Ctrl+C, progress) */
  readonly cooperative?: boolean
  readonly gate?: WaitGate
}

/** The gate's verdict now (none without a gate), then `next`. */
const judgedThen = <A>(gate: WaitGate | undefined, next: () => Effect.Effect<A>): Effect.Effect<A> => {
  const verdict = gate?.judge()
  return verdict === undefined ? next() : Effect.zipRight(verdict, Effect.suspend(next))
}

/**
 * Replays until `deadline` (µs), or until `woken` says the awaited message came, then `done`;
 * the recording's end stops the strategy instead. A gate splits and judges the wait.
 */
const replayUntil = <A>(kernel: SimKernel, deadline: number, woken: (() => boolean) | undefined, gate: WaitGate | undefined, done: () => Effect.Effect<A>): Effect.Effect<A> => {
  const step = (): Effect.Effect<A> => {
    while (true) {
      const bound = gate === undefined ? deadline : gate.bound(deadline)
      const outcome = kernel.runUntil(bound, woken)
      if (outcome === "end") return endOfData(kernel, step)
      const finished = outcome === "woke" || bound >= deadline
      const verdict = gate?.judge()
      if (verdict !== undefined) return Effect.zipRight(verdict, Effect.suspend(finished ? done : step))
      if (finished) return done()
    }
  }
  return judgedThen(gate, step)
}

export const makeSimExchange = (kernel: SimKernel, slot: VenueSlot, options: SimWaitOptions = {}): Exchange => {
  const venue = slot.venue
  const { gate } = options
  const yieldToHost = hostYielder(options.cooperative ?? false)
  const byClientId = new Map<string, string>()

  /** Sends a request to the engine and waits for the reply, replaying the market meanwhile. */
  const roundTrip = <A>(requestLatency: number, atVenue: (arrival: number) => A): A => {
    let reply: { value: A } | undefined
    const arrival = kernel.now + requestLatency
    kernel.schedule(arrival, () => {
      const value = atVenue(arrival)
      kernel.schedule(arrival + slot.config.latency.response(), () => {
        reply = { value }
      })
    })
    kernel.runUntil(Number.POSITIVE_INFINITY, () => reply !== undefined)
    if (reply === undefined) throw new Error("simulated venue never answered")
    return reply.value
  }

  const acknowledge = (order: SimOrder, arrival: number): Order => {
    const snapshot = slot.toOrder(order)
    kernel.deliver(slot, arrival, { order: snapshot })
    return snapshot
  }

  const rejection = (order: Order, code: string | undefined) =>
    new OrderRejected({
      venue,
      reason: order.rejectReason ?? "rejected",
      ...(code !== undefined ? { code } : {}),
      ...(code === "postOnly" ? { wouldTake: true } : {})
    })

  const exchange: Exchange = {
    venue,
    instrument: Effect.succeed(slot.instrument),
    ticker: Effect.suspend(() => {
      const view = kernel.view(slot, kernel.now - slot.config.latency.feed())
      return view === undefined ? Effect.fail(new VenueUnavailable({ venue, reason: "no market data yet" })) : Effect.succeed(view)
    }),
    placeLimit: (request) =>
      Effect.suspend(() => {
        const id = slot.nextOrderId()
        byClientId.set(request.clientId, id)
        const sim = newSimOrder(id, request.clientId, request.side === "buy" ? 1 : -1, "limit", slot.priceUnits(request.price), slot.qtyUnits(request.qty), request.postOnly, request.timeInForce, kernel.now)
        const result = roundTrip(slot.config.latency.submit(), (arrival) => acknowledge(slot.engine.submitLimit(arrival, sim), arrival))
        return result.status === "rejected" ? Effect.fail(rejection(result, sim.rejectCode)) : Effect.succeed(result)
      }),
    placeMarket: (request) =>
      Effect.suspend(() => {
        const id = slot.nextOrderId()
        byClientId.set(request.clientId, id)
        const sim = newSimOrder(id, request.clientId, request.side === "buy" ? 1 : -1, "market", 0, slot.qtyUnits(request.qty), false, "IOC", kernel.now)
        const result = roundTrip(slot.config.latency.submit(), (arrival) => acknowledge(slot.engine.submitMarket(arrival, sim), arrival))
        return result.status === "rejected" && result.filledQty.value === 0n ? Effect.fail(rejection(result, sim.rejectCode)) : Effect.succeed(result)
      }),
    cancel: (orderId) =>
      Effect.suspend(() => {
        const result = roundTrip(slot.config.latency.cancel(), (arrival) => {
          const order = slot.engine.cancel(arrival, orderId)
          return order === undefined ? undefined : acknowledge(order, arrival)
        })
        return result === undefined ? Effect.fail(new UnknownOrder({ venue, orderId })) : Effect.succeed(result)
      }),
    queryOrder: (ref) =>
      Effect.suspend(() => {
        const orderId = "orderId" in ref ? ref.orderId : byClientId.get(ref.clientId)
        if (orderId === undefined) return Effect.fail(new UnknownOrder({ venue, orderId: "clientId" in ref ? ref.clientId : "" }))
        const result = roundTrip(slot.config.latency.submit(), () => {
          const order = slot.engine.order(orderId)
          return order === undefined ? undefined : slot.toOrder(order)
        })
        return result === undefined ? Effect.fail(new UnknownOrder({ venue, orderId })) : Effect.succeed(result)
      }),
    openOrders: Effect.suspend(() =>
      Effect.succeed(roundTrip(slot.config.latency.submit(), () => slot.engine.openOrders().map((order) => slot.toOrder(order))))
    ),
    nextUpdate: (within) =>
      yieldToHost(Effect.suspend(() => {
        const next = () => Effect.succeed(Option.fromNullable(slot.inbox.shift()))
        if (slot.inbox.length > 0) return judgedThen(gate, next)
        return replayUntil(kernel, kernel.now + Duration.toMillis(within) * 1000, () => slot.inbox.length > 0, gate, next)
      })),
    position: Effect.sync(() => ({ venue, symbol: slot.instrument.symbol, qty: kernel.ledger.book(venue).position })),
    balances: Effect.sync(() => {
      // changes since the start of the run: the simulator does not model margin or starting funds
      const book = kernel.ledger.book(venue)
      const quoteChange = BigDecimal.subtract(BigDecimal.sum(book.cashFlow, book.funding), book.fees)
      return [
        { venue, asset: slot.instrument.base, free: book.position, locked: ZERO },
        { venue, asset: slot.instrument.quote, free: quoteChange, locked: ZERO }
      ]
    }),
    nextFundingTime: Effect.sync(() => {
      const next = slot.fundingTimes.find((t) => t > kernel.now)
      return next === undefined ? Option.none() : Option.some(Math.floor(next / 1000))
    })
  }
  return exchange
}

/** The strategy's clock is the replay: sleeping advances it, and the recording's end stops the run. */
export const simClock = (kernel: SimKernel, options: SimWaitOptions = {}): Clock.Clock => {
  const yieldToHost = hostYielder(options.cooperative ?? false)
  return {
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => Math.floor(kernel.now / 1000),
  currentTimeMillis: Effect.sync(() => Math.floor(kernel.now / 1000)),
  unsafeCurrentTimeNanos: () => BigInt(Math.floor(kernel.now)) * 1000n,
  currentTimeNanos: Effect.sync(() => BigInt(Math.floor(kernel.now)) * 1000n),
  sleep: (duration) =>
    yieldToHost(Effect.suspend(() => replayUntil(kernel, kernel.now + Duration.toMillis(duration) * 1000, undefined, options.gate, () => Effect.void)))
  }
}
