/**
 * What the live runner tells the trader through alerts, in-process on paper venues over scripted
 * markets: the start, failed hedge attempts (one alert a minute at most), and how the run ended,
 * with its figures and whether it is flat; a run that could not start says why.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal } from "../src/core/domain/decimal"
import { OrderRejected, VenueUnavailable } from "../src/core/errors"
import type { Fill } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { RiskGuard } from "../src/core/risk/risk-guard"
import { silentObserver } from "../src/core/strategy/observer"
import type { Alert, AlertsService } from "../src/live/alerts"
import { hedgeHeldAlerts, lossWarnings, postingHeldAlerts } from "../src/live/run-alerts"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { fillOf } from "./support/fills"
import { HEDGE, paperVenuesWithTaker } from "./support/paper-venues"

const TRADE = { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, hedge_retry_backoff_ms: 10 }

const collecting = (): AlertsService & { readonly sent: Array<Alert> } => {
  const sent: Array<Alert> = []
  return { sent, send: (alert) => Effect.sync(() => void sent.push(alert)) }
}

const journalIn = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-runner-alerts-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  return path.join(dir, "journal.db")
})

/** The hedge venue refuses the first `refusals` market orders; the run is asked to stop once a hedge executed. */
const tradingVenues = (config: ReturnType<typeof testConfig>, stop: Deferred.Deferred<void>, refusals: number) => {
  let refused = 0
  return Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
    maker,
    hedge: {
      ...hedge,
      placeMarket: (request) =>
        refused++ < refusals
          ? Effect.fail(new OrderRejected({ venue: HEDGE.venue, reason: "Margin is insufficient.", code: "-2019" }))
          : Effect.tap(hedge.placeMarket(request), () => Deferred.succeed(stop, undefined))
    } satisfies Exchange
  }))
}

describe("the live runner's alerts", () => {
  it.scopedLive("the start, the failed hedge attempts of a minute in one alert, and the end: stopped, with its figures, flat", () =>
    Effect.gen(function*() {
      const config = testConfig({ trade: TRADE, alerts: { webhook_url: "https://hooks.slack.com/services/T/B/x", format: "slack" } })
      const stop = yield* Deferred.make<void>()
      const alerts = collecting()
      const result = yield* runLive({ config, kind: "paper", journalPath: yield* journalIn, venues: tradingVenues(config, stop, 2), stop, markEveryMs: 1000, alerts })
      expect(result.outcome).toBe("stopped")
      expect(alerts.sent.map((a) => [a.event, a.severity, a.kind, a.runId])).toEqual([
        ["started", "info", "paper", 1],
        ["hedge-failed", "warning", "paper", 1],
        ["ended", "info", "paper", 1]
      ])
      const [started, failed, ended] = alerts.sent
      expect(started!.text).toMatch(/^hedgeloop paper run 1 started trading ASTER_USDC_PERP \(backpack\) against ASTERUSDT \(aster-futures\), 10 per leg; reconciled: 0 open orders/)
      // the second refusal came within the minute: counted, not sent
      expect(failed!.text).toBe(
        "hedgeloop paper run 1: hedge buy 10 (cycle 1, leg 1) failed: aster-futures refused the request (-2019): Margin is insufficient.; the strategy retries, and the kill switch stops the run after risk.max_consecutive_hedge_failures"
      )
      const volume = decimal(result.report.totals.volume)
      expect(volume.value > 0n).toBe(true)
      expect(ended!.text).toMatch(/^hedgeloop paper run 1 ended: stopped\. Volume [\d.]+, points ≈ [\d.]+, fees [\d.]+, funding 0, PnL -?[\d.]+; 1 cycle\(s\), 2 fill\(s\)\. Hedged: net 0 across venues \(backpack -10, aster-futures 10\)\. stopped on request\.$/)
    }))

  it.scopedLive("on_start and on_hedge_failure off: only the end is sent", () =>
    Effect.gen(function*() {
      const config = testConfig({ trade: TRADE, alerts: { webhook_url: "https://x.test/h", on_start: false, on_hedge_failure: false } })
      const stop = yield* Deferred.make<void>()
      const alerts = collecting()
      yield* runLive({ config, kind: "paper", journalPath: yield* journalIn, venues: tradingVenues(config, stop, 1), stop, markEveryMs: 1000, alerts })
      expect(alerts.sent.map((a) => a.event)).toEqual(["ended"])
    }))

  it.scopedLive("a venue that changed its filters during the run: the trader is told what changed, and what the bot does about it", () =>
    Effect.gen(function*() {
      const config = testConfig({ trade: TRADE, alerts: { webhook_url: "https://x.test/h", on_start: false } })
      const stop = yield* Deferred.make<void>()
      const alerts = collecting()
      let refused = 0
      const venues = Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
        maker: {
          ...maker,
          // the venue now lists a 0.0005 tick, and refused the first order, priced on the old one
          refreshInstrument: Effect.map(maker.instrument, (instrument) => ({ ...instrument, tickSize: decimal("0.0005") })),
          placeLimit: (request) =>
            refused++ === 0 ? Effect.fail(new OrderRejected({ venue: "backpack", code: "INVALID_ORDER", reason: "Price decimal too long" })) : maker.placeLimit(request)
        } satisfies Exchange,
        hedge: { ...hedge, placeMarket: (request) => Effect.tap(hedge.placeMarket(request), () => Deferred.succeed(stop, undefined)) } satisfies Exchange
      }))
      const result = yield* runLive({ config, kind: "paper", journalPath: yield* journalIn, venues, stop, markEveryMs: 1000, alerts })
      expect(result.outcome).toBe("stopped")
      expect(alerts.sent.map((a) => [a.event, a.severity])).toEqual([["filters-changed", "warning"], ["ended", "info"]])
      expect(alerts.sent[0]!.text).toBe(
        "hedgeloop paper run 1: backpack changed ASTER_USDC_PERP's filters (tick 0.0001 → 0.0005), read anew after an order was refused: Price decimal too long (cycle 1); " +
          "the bot trades on the new ones, and stops at a cycle's start if trade.quantity no longer fits them"
      )
      // the order sent again is on the new tick: last 1.5002, a sell rounded up to 1.5005 (the
      // buy printed at 1.5010 goes through it)
      expect(result.report.fills.find((f) => f.venue === "backpack")?.price).toBe("1.5005")
    }))

  it.scopedLive("a run whose venues cannot be reached says so, critical", () =>
    Effect.gen(function*() {
      const config = testConfig({ trade: TRADE, alerts: { webhook_url: "https://x.test/h" } })
      const alerts = collecting()
      const exit = yield* Effect.exit(runLive({
        config,
        kind: "live",
        journalPath: yield* journalIn,
        venues: Effect.fail(new VenueUnavailable({ venue: "backpack", reason: "GET /api/v1/markets answered HTTP 503" })),
        alerts
      }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(alerts.sent.map((a) => [a.event, a.severity, a.text])).toEqual([
        ["start-failed", "critical", "hedgeloop live run failed: backpack unavailable: GET /api/v1/markets answered HTTP 503. Exit 1: a supervisor restarts it after a pause, and the start reconciles first."]
      ])
    }))
})

describe("loss warnings", () => {
  const fill = (side: Fill["side"], qty: string, price: string, fee: string, ts: number) => fillOf("backpack", side, qty, price, fee, ts)

  it.effect("once 80 % of risk.max_loss is used, at a cycle's start; again only after the loss fell below 60 %", () =>
    Effect.gen(function*() {
      const config = testConfig({ risk: { max_loss: "50" } })
      const guard = yield* RiskGuard.make(config.risk, [{ venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC" }])
      const alerts = collecting()
      const observer = lossWarnings(alerts, guard, "live", 4, silentObserver)
      const texts = () => alerts.sent.map((a) => `${a.event} ${a.severity}: ${a.text}`)
      // sold 10 at 2 paying a fee of 39.99: cash 20 - 39.99, the -10 held worth -20 at 2: PnL -39.99 (79.98 %)
      yield* guard.recordFill(fill("sell", "10", "2", "39.99", 1))
      yield* observer.cycleStarted(1, 1)
      expect(texts()).toEqual([])
      // marked at 2.001: PnL -40.00 (80 %)
      yield* guard.recordMark("backpack", decimal("2.001"), 2)
      yield* observer.cycleStarted(2, 2)
      expect(texts()).toEqual(["loss-warning warning: hedgeloop live run 4: this run's PnL is -40, 80% of risk.max_loss (50): the kill switch stops the run at -50"])
      // worse, not said again
      yield* guard.recordMark("backpack", decimal("2.3"), 3)
      yield* observer.cycleStarted(3, 3)
      expect(texts().length).toBe(1)
      // back to -30.99 (61.98 %): still not re-armed; -28.99 (57.98 %): re-armed, silently
      yield* guard.recordMark("backpack", decimal("1.1"), 4)
      yield* observer.cycleStarted(4, 4)
      yield* guard.recordMark("backpack", decimal("0.9"), 5)
      yield* observer.cycleStarted(5, 5)
      expect(texts().length).toBe(1)
      // -42.49 (84.98 %): said again, the percentage rounded down
      yield* guard.recordMark("backpack", decimal("2.25"), 6)
      yield* observer.cycleStarted(6, 6)
      expect(texts()[1]).toBe("loss-warning warning: hedgeloop live run 4: this run's PnL is -42.49, 84% of risk.max_loss (50): the kill switch stops the run at -50")
    }))

  it.effect("risk.max_loss_per_day counts the earlier runs of the last 24 hours", () =>
    Effect.gen(function*() {
      const config = testConfig({ risk: { max_loss: "50", max_loss_per_day: "100" } })
      const guard = yield* RiskGuard.make(config.risk, [{ venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC" }])
      const alerts = collecting()
      const observer = lossWarnings(alerts, guard, "paper", 2, silentObserver)
      // earlier runs: a round trip that lost 75 in fees; this run: 10 in fees (20 %, no warning of its own)
      yield* guard.recordEarlierRuns([fill("sell", "10", "2", "40", 1_000), fill("buy", "10", "2", "35", 2_000)], [], 10_000)
      yield* guard.recordFill(fill("sell", "10", "2", "10", 11_000))
      yield* observer.cycleStarted(1, 11_000)
      expect(alerts.sent.map((a) => a.text)).toEqual([
        "hedgeloop paper run 2: the last 24 hours' PnL (earlier runs included) is -85, 85% of risk.max_loss_per_day (100): the kill switch stops the run at -100"
      ])
    }))
})

describe("maker orders held back", () => {
  it.effect("a leg holding its order back for a minute is told, with why, and so is its posting again; what the observer inside hears is passed on", () =>
    Effect.gen(function*() {
      const alerts = collecting()
      const heard: Array<string> = []
      const inner = { ...silentObserver, postingHeld: (event: { readonly phase: string }) => Effect.sync(() => void heard.push(event.phase)) }
      const observer = postingHeldAlerts(alerts, "live", 7, inner)
      const reason = "ASTER cannot take a hedge now (ASTERUSDT takes no market orders now (SETTLING))"
      yield* observer.postingHeld!({ phase: "held", cycle: 3, leg: 1, reason, heldForMs: 60_400, ts: 1 })
      yield* observer.postingHeld!({ phase: "resumed", cycle: 3, leg: 1, reason, heldForMs: 14 * 60_000 + 20_000, ts: 2 })
      expect(heard).toEqual(["held", "resumed"])
      expect(alerts.sent.map((a) => [a.event, a.severity, a.kind, a.runId])).toEqual([["posting-held", "warning", "live", 7], ["posting-resumed", "info", "live", 7]])
      expect(alerts.sent.map((a) => a.text)).toEqual([
        `hedgeloop live run 7: no maker order posted for 60 s (cycle 3, leg 1): ${reason}; the bot checks every 5 s and posts as soon as it can`,
        `hedgeloop live run 7: posting again after 14 min held back (cycle 3, leg 1; it was: ${reason})`
      ])
    }))
})

describe("hedges waiting for a closed market", () => {
  it.effect("a hedge waiting for its market is told at once, with what is unhedged, and so is its going; what the observer inside hears is passed on", () =>
    Effect.gen(function*() {
      const alerts = collecting()
      const heard: Array<string> = []
      const inner = { ...silentObserver, hedgeHeld: (event: { readonly phase: string }) => Effect.sync(() => void heard.push(event.phase)) }
      const observer = hedgeHeldAlerts(alerts, "paper", 4, inner)
      const reason = "ASTERUSDT takes no market orders now (SETTLING)"
      const event = { cycle: 2, leg: 2 as const, side: "sell" as const, qty: decimal("10"), unhedged: decimal("10"), asset: "ASTER", reason }
      yield* observer.hedgeHeld!({ ...event, phase: "held", heldForMs: 0, ts: 1 })
      yield* observer.hedgeHeld!({ ...event, phase: "resumed", heldForMs: 40_200, ts: 2 })
      expect(heard).toEqual(["held", "resumed"])
      expect(alerts.sent.map((a) => [a.event, a.severity, a.kind, a.runId])).toEqual([["hedge-held", "warning", "paper", 4], ["hedge-resumed", "info", "paper", 4]])
      expect(alerts.sent.map((a) => a.text)).toEqual([
        `hedgeloop paper run 4: hedge sell 10 (cycle 2, leg 2) waits: ${reason}; 10 ASTER unhedged meanwhile. The bot reads the market every 10 s and hedges as soon as it trades; the kill switch stops the run after risk.max_unhedged_qty_seconds`,
        `hedgeloop paper run 4: hedging sell 10 (cycle 2, leg 2) after waiting 40 s for the market (it was: ${reason})`
      ])
    }))
})
