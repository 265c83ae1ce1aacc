/**
 * The recorder resuming a file (one committed before its first tick; a silent instrument's gap
 * from its own last tick), and the report and compare commands never writing their JSON over
 * what they read, nor dumping a schema at a JSON file that is no report object. Each test failed
 * before its fix (its `Was:` comment says how).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope, TestClock } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { MarketEvent } from "../src/core/domain/market"
import { makeMarketTaps } from "../src/adapters/common/market-taps"
import { type JournalService } from "../src/live/journal"
import { reportFromJournal } from "../src/live/journal-report"
import { type RecordingOptions, startMarketRecording } from "../src/live/market-recorder"
import { runBacktest } from "../src/sim/backtest"
import { openTickFile } from "../src/sim/tickstore/reader"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { fillOf } from "./support/fills"
import { writing } from "./support/journal-writing"
import { runCommand } from "./support/run-command"
import { tempDir, writeSwingingScript } from "./support/scripted-market"
import { streamingVenue } from "./support/streaming-venue"

// ---------------------------------------------------------------------------------------------
// market recorder

const BACKPACK: Instrument = PERP
const ASTER: Instrument = { ...BACKPACK, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", tickSize: decimal("0.00001"), stepSize: decimal("1"), minQty: decimal("1"), minNotional: decimal("5") }
const T0 = 1_758_672_000_000_000


const quote = (venue: Instrument["venue"], bid: string, ask: string): MarketEvent => ({
  _tag: "Quote",
  quote: { venue, ts: 0, bid: decimal(bid), bidQty: decimal("1"), ask: decimal(ask), askQty: decimal("1") }
})

const recording = (options: Omit<RecordingOptions, "kind">) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const maker = makeMarketTaps()
    const hedge = makeMarketTaps()
    const started = yield* Effect.either(Scope.extend(
      startMarketRecording({ maker: streamingVenue(BACKPACK, maker), hedge: streamingVenue(ASTER, hedge) }, { kind: "live", ...options }),
      scope
    ))
    return { started, maker, hedge, end: Scope.close(scope, Exit.void) }
  })

const fileOf = (file: string) => {
  const f = openTickFile(file)
  try {
    return { tickCount: f.tickCount, gaps: f.gaps }
  } finally {
    f.close()
  }
}

describe("market recorder", () => {
  // Was: a recording file that holds no tick yet (created, committed empty at the start, as the
  // writer intends "a crash before the first ticks leaves a file the next run resumes") cannot be
  // resumed: its t_last is "" so the reader's lastTs is NaN, the resumed writer starts from
  // lastTs = NaN, and `Math.max(nowUs(), writer.lastTs)` in market-recorder.ts `append` is NaN for
  // every tick: the first tick fails with "timestamp is NaN" and the whole run records nothing.
  // A `live --record FILE` start that refused (preflight) after opening FILE leaves such a file.
  it.effect("a restart into a recording that holds no tick yet records its ticks", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "ticks.db")
      let now = T0
      const first = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now })
      Effect.runSync(Effect.orDie(first.started))
      // stopped before any market message arrived
      yield* first.end
      expect(fileOf(file).tickCount).toBe(0)

      now = T0 + 60_000_000
      const second = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now })
      const rec = Effect.runSync(Effect.orDie(second.started))
      second.maker.publish(() => quote("backpack", "1.999", "2.001"))
      second.hedge.publish(() => quote("aster-futures", "1.99995", "2.00005"))
      yield* TestClock.adjust("1 second")
      const summary = yield* rec.summary
      yield* second.end
      expect(summary.failure).toBeUndefined()
      expect(fileOf(file).tickCount).toBe(2)
    }))

  // Was: on resume every instrument's "last tick" is the file's global t_last
  // (market-recorder.ts: `lastTickUs = instruments.map(() => opened.resumed?.lastTs ...)`), not that
  // instrument's own last tick. A venue whose stream died long before the earlier run ended gets a
  // gap starting at the file's end, and its silence before that is never recorded, against
  // data/README.md ("no tick of that instrument strictly between them").
  it.effect("a restart records a silent instrument's gap from its own last tick", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "ticks.db")
      let now = T0
      const first = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now })
      Effect.runSync(Effect.orDie(first.started))
      first.maker.publish(() => quote("backpack", "1.999", "2.001"))
      first.hedge.publish(() => quote("aster-futures", "1.99995", "2.00005"))
      // backpack's stream dies; aster goes on for 10 s more, ticking every 5 s
      for (const s of [5, 10]) {
        now = T0 + s * 1_000_000
        first.hedge.publish(() => quote("aster-futures", "1.99995", "2.00005"))
      }
      yield* first.end

      // a restart 100 s after the start: both venues speak again
      now = T0 + 100_000_000
      const second = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now })
      Effect.runSync(Effect.orDie(second.started))
      second.maker.publish(() => quote("backpack", "1.999", "2.001"))
      second.hedge.publish(() => quote("aster-futures", "1.99995", "2.00005"))
      yield* second.end

      const backpackGaps = fileOf(file).gaps.filter((g) => g.instrumentIdx === 0)
      // backpack was silent from its last tick (T0) until the restart
      expect(backpackGaps).toEqual([{ instrumentIdx: 0, fromTs: T0, toTs: T0 + 100_000_000 }])
    }))
})

// ---------------------------------------------------------------------------------------------
// report and compare commands

const S = 1_758_675_600_000

const writeJournal = (file: string) =>
  writing(file, (j: JournalService) => {
    const runId = Effect.runSync(j.startRun({
      kind: "live",
      startedAt: S,
      config: testConfig(),
      maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
      hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
      clientIdPrefix: "r1-"
    }))
    Effect.runSync(j.recordFill(runId, { ...fillOf("backpack", "sell", "10", "2.012", "0.004024", S + 15_000), orderId: "o1", tradeId: "t1" }))
    Effect.runSync(j.recordFill(runId, { ...fillOf("aster-futures", "buy", "10", "2.0125", "0.00704375", S + 15_200), orderId: "o2", tradeId: "t2" }))
    Effect.runSync(j.endRun(runId, { endedAt: S + 70_000, outcome: "stopped", message: "Ctrl+C" }))
  })

describe("report and compare commands", () => {
  // Was: `npm run report -- JOURNAL --report-json JOURNAL` (a slip of the shell's completion)
  // replaces the live journal, the only record of positions, hedges in doubt and fills, with the
  // report's JSON, and exits 0. writeJsonFile (src/cli/json-file.ts) renames its output over any
  // file; report.ts never checks that the output is not its input.
  it("report refuses to write its JSON over the journal it reads", async () => {
    const journal = path.join(tempDir(), "journal.db")
    writeJournal(journal)
    const r = await runCommand("src/cli/report.ts", [journal, "--report-json", journal])
    // the journal is still a journal
    const after = Effect.runSyncExit(reportFromJournal(journal))
    expect(Exit.isSuccess(after)).toBe(true)
    expect(r.code).not.toBe(0)
  }, 60_000)

  // Was: same in compare: `--json A.json` overwrites report A with the comparison (compare.ts
  // never checks that --json is not one of its inputs); the next compare then calls A
  // "not a hedgeloop report".
  it("compare refuses to write its JSON over one of the reports it compares", async () => {
    const report = await Effect.runPromise(runBacktest({ dbPath: writeSwingingScript(120), config: testConfig() }))
    const a = path.join(tempDir(), "a.json")
    fs.writeFileSync(a, JSON.stringify(report, null, 2))
    const r = await runCommand("src/cli/compare.ts", [a, a, "--json", a])
    // report A is still a report, not the comparison
    expect((JSON.parse(fs.readFileSync(a, "utf8")) as { kind?: string }).kind).toBe("backtest")
    expect(r.code).not.toBe(0)
  }, 60_000)

  // Was: a JSON file that is not an object (a number, an array, null: garbage) is refused with the
  // whole report schema printed as a TypeScript type, ~2,000 characters on one line
  // ("not a hedgeloop report: : Expected { readonly kind: ... }, actual 42"): compare.ts readReport
  // formats the first ParseResult issue as it is, whose path is empty and whose message is the
  // schema's full type.
  it("compare refuses a JSON file that is not an object in a short message", async () => {
    const dir = tempDir()
    const garbage = path.join(dir, "garbage.json")
    fs.writeFileSync(garbage, "42\n")
    const r = await runCommand("src/cli/compare.ts", [garbage, garbage])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/garbage\.json/)
    expect(r.stderr).not.toMatch(/readonly/)
    expect(r.stderr.length).toBeLessThan(300)
  }, 60_000)
})
