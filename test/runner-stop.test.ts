/**
 * The live runner in-process, on paper venues over scripted public markets: a stop (Ctrl+C) that
 * lands while a hedge's reply is still outstanding. The hedge executed at the venue; the run must
 * find it by its client id, count it, and leave nothing in doubt in the journal. A stop whose
 * wind-down cannot do its part does not end the run as cleanly stopped.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { inspectJournal } from "./support/live-processes"
import { HEDGE, paperVenuesWithTaker } from "./support/paper-venues"

describe("the live runner, stopped while a hedge's reply is outstanding", () => {
  // the strategy's wind-down finds the hedge; or, when the venue does not answer it then, the
  // runner does before it closes the run
  it.scopedLive.each([
    ["the strategy's wind-down", false],
    ["the runner, the venue not answering the wind-down's look-up", true]
  ] as const)("finds the hedge by its client id (%s): counted, journalled as done, nothing in doubt", ([, lookUpFailsOnce]) =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-runner-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const journalPath = path.join(dir, "journal.db")
      // the wind-down's look-up is tried for a second (its window), not the default minute
      const config = testConfig({ trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, wind_down_hedge_seconds: 1 } })
      const stop = yield* Deferred.make<void>()
      let hedgesSent = 0
      let lookUps = 0

      const venues = Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
        maker,
        // the first hedge executes, then Ctrl+C comes while its reply is on the way
        hedge: {
          ...hedge,
          placeMarket: (request) =>
            Effect.gen(function*() {
              const order = yield* hedge.placeMarket(request)
              hedgesSent += 1
              yield* Deferred.succeed(stop, undefined)
              yield* Effect.sleep(Duration.millis(300))
              return order
            }),
          // the wind-down's look-up (the first asked for) fails; the runner's, asked for afresh at
          // the end, is answered
          queryOrder: (ref) =>
            lookUpFailsOnce && ++lookUps === 1 ? Effect.fail(new VenueUnavailable({ venue: HEDGE.venue, reason: "503" })) : hedge.queryOrder(ref)
        } satisfies Exchange
      }))

      const result = yield* runLive({ config, kind: "paper", journalPath, venues, stop, markEveryMs: 1000 })
      expect(result.outcome).toBe("stopped")
      expect(hedgesSent).toBe(1)
      // the failing look-up was met (where it is asked for): the hedge was found all the same
      expect(lookUps > 0).toBe(lookUpFailsOnce)

      const state = yield* Effect.promise(() => inspectJournal(journalPath))
      expect(state.inDoubt).toEqual([])
      expect(state.pending).toEqual([])
      // both legs of the position the maker fill opened and the hedge closed are journalled
      expect([state.makerQty, state.hedgeQty("aster-futures")]).toEqual(["-10", "10"])
      // the report counts the hedge the stop cut short
      expect(result.report.fills.filter((f) => f.venue === "aster-futures").map((f) => [f.side, f.qty])).toEqual([["buy", "10"]])
    }))
})

describe("the live runner, a stop whose wind-down fails", () => {
  it.scopedLive("a stop whose cancel of the resting maker order the venue never takes ends the run failed (exit 1, the next start cancels it), not stopped", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-runner-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const journalPath = path.join(dir, "journal.db")
      // an order far from the market: it rests until the stop
      const config = testConfig({ trade: { quantity: "10", offset_percent: 20, first_wait_seconds: 600, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, hedge_retry_backoff_ms: 1 } })
      const stop = yield* Deferred.make<void>()
      let cancels = 0
      const venues = Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
        maker: {
          ...maker,
          placeLimit: (request) => Effect.tap(maker.placeLimit(request), () => Deferred.succeed(stop, undefined)),
          cancel: () => Effect.sync(() => void ++cancels).pipe(Effect.zipRight(Effect.fail(new VenueUnavailable({ venue: "backpack", reason: "503" }))))
        } satisfies Exchange,
        hedge
      }))

      const result = yield* runLive({ config, kind: "paper", journalPath, venues, stop, markEveryMs: 1000 })
      expect(cancels).toBeGreaterThan(1)
      expect(result.outcome).toBe("failed")
      expect(result.message).toMatch(/^the wind-down could not cancel the BP order: .*503.*; 0 unhedged across the venues$/)
    }))
})
