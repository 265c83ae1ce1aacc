/** Writes with a journal open for the duration of `f`, closed afterwards as a runner would; and the runs, fills and marks tests write. */
import { Effect, Exit, Scope } from "effect"
import { decimal } from "../../src/core/domain/decimal"
import type { Fill } from "../../src/core/domain/order"
import type { Venue } from "../../src/core/domain/venue"
import { type JournalService, openJournal, type RunKind } from "../../src/live/journal"
import { testConfig } from "./config"
import { fillOf } from "./fills"

export const writing = <A>(file: string, f: (journal: JournalService) => A): A => {
  const scope = Effect.runSync(Scope.make())
  try {
    return f(Effect.runSync(Scope.extend(openJournal(file, "write"), scope)))
  } finally {
    Effect.runSync(Scope.close(scope, Exit.void))
  }
}

/** A live (or paper) run of the ASTER pair at `startedAt`, its client ids `r<startedAt>-`; its id. */
export const startRun = (journal: JournalService, startedAt: number, kind: RunKind = "live"): number =>
  Effect.runSync(journal.startRun({
    kind,
    startedAt,
    config: testConfig(),
    maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
    hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
    clientIdPrefix: `r${startedAt}-`
  }))

let trade = 0
/** A fill without fee on an order and trade of its own (ids never repeat in this process). */
export const journalFill = (journal: JournalService, runId: number, venue: Venue, side: Fill["side"], qty: string, price: string, ts: number): boolean =>
  Effect.runSync(journal.recordFill(runId, { ...fillOf(venue, side, qty, price, "0", ts), orderId: `o${++trade}`, tradeId: `t${trade}` }))

/** Both venues' marks at 2. */
export const journalMarks = (journal: JournalService, runId: number, ts: number): void => {
  Effect.runSync(journal.recordMark(runId, "backpack", decimal("2"), ts))
  Effect.runSync(journal.recordMark(runId, "aster-futures", decimal("2"), ts))
}
