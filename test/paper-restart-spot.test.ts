/**
 * A paper run's books live in its process: each `npm run live -- --paper` start builds fresh, flat
 * paper venues. So a paper restart counts nothing earlier paper runs traded as held on them (the
 * spot variant's baseline: a stop between the legs left Backpack -10 and Aster spot +10 in the
 * journal, and the next start took the fresh spot book for an imbalance of +10 and tried to sell
 * 10 ASTER the paper account never had), and it closes a killed paper run without looking its
 * orders up on venues that never knew them. A paper book's refusal for want of funds is
 * InsufficientBalance, as the live adapters map the venues' own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { HedgeConfig } from "../src/core/config/config"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import { openJournal } from "../src/live/journal"
import { makePaperExchange } from "../src/live/paper-exchange"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { inspectJournal } from "./support/live-processes"
import { paperVenuesWithTaker, SPOT, TICKER } from "./support/paper-venues"
import { scriptedPublicVenue } from "./support/public-venue"


/**
 * Fresh paper venues, as each paper start builds them: Backpack perp (a taker trades through each
 * maker order a moment after it rests) and Aster spot. `onHedge` runs after each hedge executed;
 * `looked` counts lookups by client id on the fresh books.
 */
const paperSpotVenues = (config: HedgeConfig, onHedge: Effect.Effect<void>, looked: { count: number } = { count: 0 }) =>
  Effect.map(paperVenuesWithTaker(config, { hedgeInstrument: SPOT, onHedge }).venues, ({ maker, hedge }) => {
    const counted = (venue: Exchange): Exchange["queryOrder"] => (ref) => Effect.zipRight(Effect.sync(() => void ("clientId" in ref && looked.count++)), venue.queryOrder(ref))
    return { maker: { ...maker, queryOrder: counted(maker) }, hedge: { ...hedge, queryOrder: counted(hedge) } }
  })

const spotConfig = () =>
  testConfig({
    aster: { base_url: "https://sapi.asterdex.com" },
    trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 }
  })

const journalFile = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-paper-restart-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  return path.join(dir, "journal.db")
})

const outcomeOf = (result: Either.Either<{ readonly outcome: string; readonly message?: string }, unknown>) =>
  Either.match(result, { onLeft: (e) => `error: ${e instanceof Error ? e.message : String(e)}`, onRight: (r) => `${r.outcome}${r.message !== undefined ? `: ${r.message}` : ""}` })

describe("a paper restart with a spot hedge venue", () => {
  it.scopedLive("after a paper run stopped between its legs, finds both fresh paper books flat and trades its cycle", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalFile
      const config = spotConfig()
      expect(config.hedge.venue).toBe("aster-spot")

      // run 1: Ctrl+C right after leg 1's hedge: the pair stays (Backpack -10, Aster spot +10)
      const stop = yield* Deferred.make<void>()
      const first = yield* runLive({ config, kind: "paper", journalPath, venues: paperSpotVenues(config, Deferred.succeed(stop, undefined)), stop, markEveryMs: 1000 }).pipe(Effect.scoped)
      expect(first.outcome).toBe("stopped")
      const state = yield* Effect.promise(() => inspectJournal(journalPath))
      expect([state.makerQty, state.hedgeQty("aster-spot")]).toEqual(["-10", "10"])

      // run 2: new paper venues, flat on both sides; nothing to reconcile, one cycle
      const sent: Array<string> = []
      const counted = Effect.map(paperSpotVenues(config, Effect.void), ({ maker, hedge }) => ({
        maker,
        hedge: { ...hedge, placeMarket: (request) => Effect.zipRight(Effect.sync(() => void sent.push(`${request.side} ${formatDecimal(request.qty)}`)), hedge.placeMarket(request)) } satisfies Exchange
      }))
      const second = yield* Effect.either(runLive({ config, kind: "paper", journalPath, venues: counted, markEveryMs: 1000 }).pipe(Effect.scoped))
      expect(outcomeOf(second)).toBe("completed")
      // and tried no start-up hedge: only its cycle's two hedges went to the hedge venue, and the
      // journal's totals are still run 1's
      expect(sent).toEqual(["buy 10", "sell 10"])
      const after = yield* Effect.promise(() => inspectJournal(journalPath))
      expect([after.makerQty, after.hedgeQty("aster-spot")]).toEqual(["-10", "10"])
    }))

  it.scopedLive("closes a killed paper run as killed without looking its orders up on the fresh books", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalFile
      const config = spotConfig()
      // a paper run killed with a hedge intent in doubt (no end, no reply)
      const killedAt = Date.now() - 60_000
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(journalPath, "write")
        const runId = yield* journal.startRun({
          kind: "paper",
          startedAt: killedAt - 5000,
          config,
          maker: { venue: "backpack", symbol: PERP.symbol, quoteAsset: "USDC", baseAsset: "ASTER" },
          hedge: { venue: "aster-spot", symbol: SPOT.symbol, quoteAsset: "USDT", baseAsset: "ASTER" },
          clientIdPrefix: "hlpk-"
        })
        yield* journal.recordIntent({ kind: "market", runId, venue: "aster-spot", clientId: "hlpk-h2", side: "buy", qty: decimal("10"), createdAt: killedAt })
      }))
      const looked = { count: 0 }
      const second = yield* Effect.either(runLive({ config, kind: "paper", journalPath, venues: paperSpotVenues(config, Effect.void, looked), markEveryMs: 1000 }).pipe(Effect.scoped))
      expect(outcomeOf(second)).toBe("completed")
      // nothing of the killed run was asked for by client id (the strategy's own lookups aside: none here)
      expect(looked.count).toBe(0)
      const runs = yield* Effect.scoped(Effect.flatMap(openJournal(journalPath, "read"), (journal) => journal.runs()))
      expect(Option.getOrNull(runs[0]!.outcome)).toBe("killed")
    }))
})

describe("a paper book's refusal for want of funds", () => {
  it.live("is InsufficientBalance, naming what was short", () =>
    Effect.gen(function*() {
      const config = spotConfig()
      const market = scriptedPublicVenue(SPOT, TICKER)
      const hedge = yield* makePaperExchange(market.venue, { fees: config.sim.hedge, quotePollMs: 50 })
      // a fresh paper spot account holds no ASTER: a sell of 10 is refused for want of it
      const refused = yield* Effect.flip(hedge.placeMarket({ side: "sell", qty: decimal("10"), clientId: "hl-s1" }))
      expect(refused._tag).toBe("InsufficientBalance")
      expect(refused.message).toMatch(/^aster-spot: insufficient balance: ASTER/)
    }).pipe(Effect.scoped))
})
