/**
 * `--check`'s funding line just after a funding time, while a venue still announces the time
 * that passed (venues roll their next funding time a few seconds late).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { preflight } from "../src/live/preflight"
import { testConfig } from "./support/config"
import { paperVenuesWithTaker } from "./support/paper-venues"

const journalFile = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-check-funding-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  return path.join(dir, "journal.db")
})

describe("--check's funding line when a venue still announces a funding time that has passed", () => {
  // Was: "next at 16:00, in -1 min: inside stop_before_funding, the first cycle waits until it
  // has passed", where the funding guard a start runs skips a passed time and judges the next one.
  it.scopedLive("says no negative minutes and no pause for a time that has passed", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalFile
      const config = testConfig({ trade: { quantity: "10", stop_before_funding_minutes: 5, max_cycles: 1 } })
      const { maker, hedge } = yield* paperVenuesWithTaker(config).venues
      const now = Date.now()
      // Backpack still announces the funding time that passed 3 s ago; Aster's next is in 2 hours
      const venues = {
        maker: { ...maker, nextFundingTime: Effect.succeed(Option.some(now - 3000)) },
        hedge: { ...hedge, nextFundingTime: Effect.succeed(Option.some(now + 2 * 3_600_000)) }
      }
      const lines = yield* preflight(config, venues, journalPath, "paper")
      const funding = lines.find((l) => l.subject === "funding")
      expect(funding?.detail).not.toMatch(/in -\d+ min/)
      expect(funding?.detail).not.toContain("inside stop_before_funding")
    }), 30_000)
})
