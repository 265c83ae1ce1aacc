/**
 * The matching models a config's `sim:` section chooses: queue position, market impact with its
 * slippage, and the top-of-book size assumed where a feed shows none. Built here for every place
 * that matches our orders (the backtest's kernel, the local exchange, paper trading), so one
 * config means the same realism in all three and their reports compare.
 */
import type { SimParams } from "../../core/config/config"
import type { Decimal } from "../../core/domain/decimal"
import { type ImpactModel, linearImpact } from "./impact"
import { conservativeQueue, probabilisticQueue, type QueueModel } from "./queue"

export interface BookModels {
  readonly queue: QueueModel
  readonly impact: ImpactModel
  readonly assumedTopQty: Decimal
}

export const bookModels = (sim: SimParams): BookModels => ({
  queue: sim.queueModel === "probabilistic" ? probabilisticQueue(sim.queuePower) : conservativeQueue,
  impact: linearImpact(sim.marketImpactBps, 0, sim.marketSlippageBps),
  assumedTopQty: sim.assumedTopQty
})
