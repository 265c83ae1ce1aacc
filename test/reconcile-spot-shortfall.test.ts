/**
 * Start-up reconciliation on a spot hedge venue whose sell is refused for want of the base asset
 * (fees taken in it): the sell cut to what the account holds is another order, under a client id
 * of its own. The journal refuses a client id reused for another order, and a journal that stops
 * taking writes would let the cut sell go out unrecorded.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect, Schedule } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { MarketOrderRequest, Order } from "../src/core/domain/order"
import { InsufficientBalance } from "../src/core/errors"
import { type Exchange, HedgeVenue, MakerVenue } from "../src/core/exchange"
import { openJournal } from "../src/live/journal"
import { guardJournal } from "../src/live/journal-guard"
import { journaled } from "../src/live/journaled-exchange"
import { reconcile } from "../src/live/reconcile"
import { testConfig } from "./support/config"

const SPOT: Instrument = {
  venue: "aster-spot",
  symbol: "ASTERUSDT",
  base: "ASTER",
  quote: "USDT",
  kind: "spot",
  tickSize: decimal("0.0001"),
  stepSize: decimal("0.01"),
  minQty: decimal("0.01"),
  minNotional: decimal("5")
}
const PERP: Instrument = { ...SPOT, venue: "backpack", symbol: "ASTER_USDC_PERP", quote: "USDC", kind: "perp" }
const ticker = Effect.succeed({ ts: 0, bid: decimal("2"), ask: decimal("2.001"), last: decimal("2") })

describe("reconcile: a spot sell refused for want of the base asset", () => {
  it.scoped("sends the cut sell under a client id of its own, and the journal keeps taking writes", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-spot-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const opened = yield* openJournal(path.join(dir, "j.db"), "write")
      const guarded = yield* guardJournal(opened)
      const runId = yield* guarded.journal.startRun({
        kind: "live",
        startedAt: Date.now(),
        config: testConfig(),
        maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: "aster-spot", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
        clientIdPrefix: "hlx-"
      })

      // maker sold 10 and its hedge bought 10 on spot; the unwind's maker buy of 10 filled and the
      // process was killed before its hedge sell: maker flat, the journal's spot fills +10. The account holds
      // 9.99 ASTER: the fees of the buy hedges were taken in ASTER
      let free = decimal("9.99")
      const sent: Array<MarketOrderRequest> = []
      const maker = {
        venue: "backpack",
        instrument: Effect.succeed(PERP),
        ticker,
        openOrders: Effect.succeed([]),
        position: Effect.succeed({ venue: "backpack", symbol: PERP.symbol, qty: decimal("0") })
      } as unknown as Exchange
      const spot = {
        venue: "aster-spot",
        instrument: Effect.succeed(SPOT),
        ticker,
        openOrders: Effect.succeed([]),
        position: Effect.sync(() => ({ venue: "aster-spot", symbol: SPOT.symbol, qty: free })),
        balances: Effect.sync(() => [{ venue: "aster-spot", asset: "ASTER", free, locked: decimal("0") }]),
        placeMarket: (request: MarketOrderRequest) =>
          Effect.suspend(() => {
            sent.push(request)
            if (request.side === "sell" && BigDecimal.greaterThan(request.qty, free)) {
              return Effect.fail(new InsufficientBalance({ venue: "aster-spot", reason: "Balance is insufficient. (-2018)" }))
            }
            free = BigDecimal.subtract(free, request.qty)
            const order: Order = {
              venue: "aster-spot",
              symbol: SPOT.symbol,
              id: `o${sent.length}`,
              clientId: request.clientId,
              side: request.side,
              type: "market",
              qty: request.qty,
              filledQty: request.qty,
              filledQuote: BigDecimal.multiply(request.qty, decimal("2")),
              status: "filled",
              postOnly: false,
              timeInForce: "IOC",
              createdAt: 0,
              updatedAt: 0
            }
            return Effect.succeed(order)
          })
      } as unknown as Exchange

      // the journal's fills say the bot bought 10 on spot: the baseline is what the account held before
      const summary = yield* reconcile({
        clientIdPrefix: "hl",
        maxAutoHedge: decimal("20"),
        hedgeBaseline: decimal("-0.01"),
        retry: Schedule.recurs(0)
      }).pipe(
        Effect.provideService(MakerVenue, journaled(maker, guarded.journal, runId)),
        Effect.provideService(HedgeVenue, journaled(spot, guarded.journal, runId))
      )

      expect(sent.map((r) => [r.side, formatDecimal(r.qty)])).toEqual([["sell", "10"], ["sell", "9.99"]])
      expect(summary.hedges.map((o) => formatDecimal(o.filledQty))).toEqual(["9.99"])
      // the journal must still take writes (it failed: "client id … was already used … for another order")
      expect(guarded.failure()?.message).toBeUndefined()
      // a refused attempt and the cut sell are two different orders: two client ids
      expect(sent[1]!.clientId).not.toBe(sent[0]!.clientId)
    }))
})
