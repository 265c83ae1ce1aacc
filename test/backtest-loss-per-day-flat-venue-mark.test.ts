/**
 * What a backtest's kill switch judges against what the live runner's judges on the same events:
 * the last 24 hours' PnL with quantity left in the window on a venue now flat.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Ledger } from "../src/core/accounting/ledger"
import { decimal, fromUnits } from "../src/core/domain/decimal"
import { RiskGuard } from "../src/core/risk/risk-guard"
import type { SimKernel } from "../src/sim/kernel"
import { makeSimKillSwitch } from "../src/sim/kill-switch"
import { fillOf as fill } from "./support/fills"
import { ASTER_PAIR_MARKETS, farLimits } from "./support/risk-limits"

const DAY = 24 * 60 * 60 * 1000
const HOUR = 60 * 60 * 1000

describe("the backtest's kill switch against the live runner's: risk.max_loss_per_day", () => {
  // Was: the backtest marked a venue only while it held a position: a flat venue's quantity still
  // in the window (a round trip half out of it) was valued at the last fill price, where the live
  // runner's marks of both venues value it at today's mid; the same config stopped live and traded
  // on in the backtest rehearsing it.
  it.effect("a flat venue whose window still holds quantity is valued at today's mid, as live", () =>
    Effect.gen(function*() {
      const limits = farLimits({ maxLossPerDay: Option.some(decimal("6")) })
      const simGuard = yield* RiskGuard.make(limits, ASTER_PAIR_MARKETS)
      const liveGuard = yield* RiskGuard.make(limits, ASTER_PAIR_MARKETS)
      const ledger = new Ledger(["backpack", "aster-futures"])
      // Backpack quoted 2.2999 / 2.3001 now (price units of 4 decimals)
      const slot = { venue: "backpack", engine: { bid: 22_999, ask: 23_001 }, price: (units: number) => fromUnits(units, 4) }
      const kernel = { now: 0, ledger, slots: [slot] } as unknown as SimKernel
      const sim = makeSimKillSwitch(kernel, simGuard)
      const fills = [
        // sold 10 at 3, bought them back at 3 two hours later: flat, nothing lost
        fill("backpack", "sell", "10", "3", "0", 1_000),
        fill("backpack", "buy", "10", "3", "0", 2 * HOUR)
      ]
      for (const f of fills) {
        ledger.recordFill(f)
        yield* liveGuard.recordFill(f)
      }
      kernel.now = (2 * HOUR + 1_000) * 1000
      expect(sim.gate.judge()).toBeUndefined()
      // a day after the sale, flat since: the window holds the buy of 10 at 3, worth 23 at today's mid
      const now = DAY + 3_000
      kernel.now = now * 1000
      // live: the runner marks both venues every 5 s whatever they hold
      yield* liveGuard.recordMark("backpack", decimal("2.3"), now)
      const live = Option.getOrUndefined(liveGuard.check(now))
      expect(live?.key).toBe("max_loss_per_day")
      expect(live?.value).toBe("-7")
      // the backtest of the same events must judge the same
      const verdict = sim.gate.judge()
      expect(Option.getOrUndefined(simGuard.check(now))?.value).toBe("-7")
      expect(verdict).toBeDefined()
    }))
})
