/**
 * A matching engine on its own, for tests of its queues: integer units as in test/engine.test.ts
 * (tick 10, step 5, min qty 20, min notional 50 000 price×qty units), its fills recorded.
 */
import { decimal } from "../../src/core/domain/decimal"
import { type EngineInstrument, type SimOrder, VenueEngine } from "../../src/sim/engine"
import { linearImpact } from "../../src/sim/models/impact"
import { conservativeQueue, type QueueModel } from "../../src/sim/models/queue"
import type { DepthLevels } from "../../src/sim/tickstore/types"

export const UNIT_INSTRUMENT: EngineInstrument = { tickUnits: 10, stepUnits: 5, minQtyUnits: 20, minNotionalUnits: 50_000n }

export type RecordedFill = readonly [orderId: string, price: number, qty: number]

/** A Backpack engine with `queue`, the depth snapshots `depth` by id, and the assumed top size 200. */
export const testEngine = (queue: QueueModel = conservativeQueue, depth: Record<number, DepthLevels> = {}) => {
  const fills: Array<RecordedFill> = []
  const engine = new VenueEngine(
    "backpack",
    UNIT_INSTRUMENT,
    queue,
    linearImpact(decimal("50"), 0),
    (id) => {
      const levels = depth[id]
      if (!levels) throw new Error(`no depth snapshot ${id}`)
      return levels
    },
    { onFill: (_venue, order, _ts, price, qty) => void fills.push([order.id, price, qty]) },
    { assumedTopQtyUnits: 200, depthMaxAgeUs: 5_000_000, rejectMarket: () => false }
  )
  return { engine, fills }
}

let seq = 0
/** A new order as the engine takes it: a GTC limit unless told otherwise. */
export const simOrder = (o: {
  readonly sign: 1 | -1
  readonly qty: number
  readonly price?: number
  readonly type?: "limit" | "market"
  readonly postOnly?: boolean
  readonly tif?: "GTC" | "IOC" | "FOK"
}): SimOrder => {
  const id = `o-${++seq}`
  return {
    id,
    clientId: `c-${id}`,
    sign: o.sign,
    type: o.type ?? "limit",
    price: o.price ?? 0,
    qty: o.qty,
    postOnly: o.postOnly ?? false,
    timeInForce: o.tif ?? "GTC",
    createdAt: 0,
    updatedAt: 0,
    filled: 0,
    filledQuote: 0n,
    status: "new",
    queue: { ahead: 0 },
    levelQty: 0
  }
}

/** A new post-only GTC limit order of `qty` at `price` (units), buy (1) or sell (-1). */
export const postOnlyOrder = (sign: 1 | -1, price: number, qty: number): SimOrder => simOrder({ sign, price, qty, postOnly: true })

/** What the recorded fills of order `id` add up to. */
export const filledOf = (fills: ReadonlyArray<RecordedFill>, id: string) => fills.filter(([o]) => o === id).reduce((sum, [, , qty]) => sum + qty, 0)
