/**
 * The backtest's kill switch and risk.max_loss_per_day: the last 24 hours' PnL moves with time
 * alone, so a replay judges it as the live watchdog does, at each round of marks.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Ledger } from "../src/core/accounting/ledger"
import { decimal } from "../src/core/domain/decimal"
import { RiskGuard } from "../src/core/risk/risk-guard"
import type { SimKernel } from "../src/sim/kernel"
import { makeSimKillSwitch } from "../src/sim/kill-switch"
import { fillOf as fill } from "./support/fills"
import { ASTER_PAIR_MARKETS, farLimits } from "./support/risk-limits"

const DAY = 24 * 60 * 60 * 1000
const HOUR = 60 * 60 * 1000


const limits = farLimits

describe("the backtest's kill switch: risk.max_loss_per_day as time passes", () => {
  // Was: the replay judged anew by time alone only the exposure limit. But the last 24 hours' PnL
  // changes with time alone: a gain leaving the window can bring it to −max_loss_per_day while
  // both venues are flat between cycles. Live, the 5 s marks wake the watchdog and the run stops
  // there; a backtest judged nothing, posted the next maker order and stopped only at its first
  // fill (or never, if nothing filled): it traded past the limit.
  it.effect("a gain leaving the 24 h window while flat brings the day's PnL to the limit: the next wait stops the replay", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLossPerDay: Option.some(decimal("6")) }), ASTER_PAIR_MARKETS)
      const ledger = new Ledger(["backpack", "aster-futures"])
      const kernel = { now: 0, ledger, slots: [] } as unknown as SimKernel
      const sim = makeSimKillSwitch(kernel, guard)
      const at = (ms: number) => {
        kernel.now = ms * 1000
      }
      // a cycle that earned 5 (sold 10 at 3, bought them back at 2.5), flat after it
      ledger.recordFill(fill("backpack", "sell", "10", "3", "0", 1_000))
      ledger.recordFill(fill("backpack", "buy", "10", "2.5", "0", 2_000))
      at(3_000)
      expect(sim.gate.judge()).toBeUndefined()
      // two hours later one that lost 7 (sold 10 at 2, bought them back at 2.7), flat again: −2 over the day
      ledger.recordFill(fill("backpack", "sell", "10", "2", "0", 2 * HOUR))
      ledger.recordFill(fill("backpack", "buy", "10", "2.7", "0", 2 * HOUR + 1_000))
      at(2 * HOUR + 2_000)
      expect(sim.gate.judge()).toBeUndefined()
      // a day after the gain, the strategy waits between cycles (flat): the day's PnL is now −7, beyond −6
      at(DAY + 3_000)
      const verdict = sim.gate.judge()
      const reached = Option.getOrUndefined(guard.check(DAY + 3_000))
      expect(reached?.key).toBe("max_loss_per_day")
      // the wait that saw the limit reached must stop the strategy, as the live watchdog would
      expect(verdict).toBeDefined()
    }))
})
