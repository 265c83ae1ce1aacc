/**
 * `sim.assumed_top_qty` finer than a venue's quantity grid: refused naming the key, by the
 * backtest and by a paper venue alike.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { decimal } from "../src/core/domain/decimal"
import { makePaperExchange } from "../src/live/paper-exchange"
import { runBacktest } from "../src/sim/backtest"
import { bookModels } from "../src/sim/models/book-models"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { scriptedPublicVenue } from "./support/public-venue"
import { quotes, FIRST_TRADE } from "./support/scripted-backtest"
import { writeScript } from "./support/scripted-market"

const TICKER = { ts: 0, bid: decimal("1.5"), ask: decimal("1.5001"), last: decimal("1.5") }

describe("sim.assumed_top_qty finer than a venue's step", () => {
  // Was: `live --paper` (and the local exchange) died with "error: 0.001 has more than 2
  // decimals", naming no key, where the backtest of the same config names it.
  it.scoped("a paper venue refuses a sim.assumed_top_qty finer than its step by naming the key, as the backtest does", () =>
    Effect.gen(function*() {
      const config = testConfig({ sim: { assumed_top_qty: "0.001" } })
      // the backtest of the same config says which key and why
      const backtest = yield* Effect.exit(runBacktest({ dbPath: writeScript([...quotes(0, 5), FIRST_TRADE]), config }))
      expect(Exit.isFailure(backtest) ? Cause.pretty(backtest.cause) : "ran").toMatch(/sim\.assumed_top_qty 0\.001 is finer than the quantities/)
      // the paper venue over the same instrument (step 0.01)
      const paper = yield* Effect.exit(
        makePaperExchange(scriptedPublicVenue(PERP, TICKER).venue, { fees: config.sim.maker, models: bookModels(config.sim), quotePollMs: 3_600_000 })
      )
      const said = Exit.isFailure(paper) ? Cause.squash(paper.cause) : undefined
      expect(said instanceof Error ? said.message : String(said)).toMatch(/sim\.assumed_top_qty/)
    }))
})
