/**
 * Edge cases of the tick importer (`import aster-csv`): aggregate ids reused with other values,
 * imports that keep no row, and files without a header row.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { importAsterCsv } from "../src/sim/data/import-aster-csv"
import { formatImportSummary } from "../src/sim/data/import/summary"
import { openTickFile } from "../src/sim/tickstore/reader"
import { TickKind } from "../src/sim/tickstore/types"
import { runCommand } from "./support/run-command"

let dir = ""
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-import-edge-"))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const write = (name: string, lines: ReadonlyArray<string>, eol = "\n"): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, lines.join(eol) + eol)
  return file
}

/** The trades of a tick file: [ts µs, kind, price units, qty units]. */
const tradesOf = (file: string): Array<[number, number, number, number]> => {
  const f = openTickFile(file)
  const out: Array<[number, number, number, number]> = []
  for (const b of f.blocks())
    for (let i = 0; i < b.n; i++) if (b.kind[i] === TickKind.TradeBuy || b.kind[i] === TickKind.TradeSell) out.push([b.ts[i]!, b.kind[i]!, b.p1[i]!, b.q1[i]!])
  f.close()
  return out
}

const S = 1_758_700_000 // a second of 2025-09-24, as in the real recording
const AGG_HEADER = "id,unix_timestamp_ms,side,price,quantity"
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

describe("trades reusing an aggregate id", () => {
  it("a row reusing an id with another time, side, price and size is reported as a conflict with its line, not as an exact duplicate", () => {
    // an aggregate id names one trade: line 3 is a different trade under the same id, so calling it
    // an "exact duplicate" would hide that the recording contradicts itself
    const trades = write("conflict.csv", [AGG_HEADER, `100,${S}150,buy,2.2890,10`, `100,${S}900,sell,2.3000,50`])
    const summary = importAsterCsv({ trades, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "conflict.db") })
    const f = summary.files[0]!
    expect([f.duplicates, f.idConflicts, f.idConflictLines, f.rowsKept]).toEqual([0, 1, [{ line: 3, firstLine: 2 }], 1])
    const text = formatImportSummary(summary)
    expect(text).not.toMatch(/exact duplicates removed/)
    expect(text).toContain("1 conflicting row(s) reusing an aggregate id with other values dropped (line 3: id of line 2): kept the first")
  })

  it("keeps the first row of a conflicting id in file order even when the later row is earlier in time", () => {
    // which row survives must not depend on the timestamp the conflict is about
    const trades = write("conflict-earlier.csv", [
      AGG_HEADER,
      `200,${S}500,buy,2.2890,10`, // 2  kept
      `200,${S}100,sell,2.2880,3`, // 3  same id, other values, earlier time: dropped
      `201,${S}600,sell,2.2885,1` //  4
    ])
    const out = path.join(dir, "conflict-earlier.db")
    const f = importAsterCsv({ trades, venue: "aster-futures", symbol: "ASTERUSDT", out, tickSize: "0.0001", stepSize: "1" }).files[0]!
    expect([f.idConflicts, f.duplicates, f.rowsKept]).toEqual([1, 0, 2])
    expect(tradesOf(out)).toEqual([
      [S * 1_000_000 + 500_000, TickKind.TradeBuy, 22890, 10],
      [S * 1_000_000 + 600_000, TickKind.TradeSell, 22885, 1]
    ])
  })

  it("a repeated id with the same time, side, price and size (decimals spelled differently) is still an exact duplicate", () => {
    const trades = write("exact-dup.csv", [AGG_HEADER, `300,${S}150,buy,2.2890,10`, `300,${S}150,buy,2.289000,10.00`, `300,${S}150,sell,2.2890,10`])
    const summary = importAsterCsv({ trades, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "exact-dup.db") })
    const f = summary.files[0]!
    // line 4 differs only in its side: a conflict too
    expect([f.duplicates, f.idConflicts, f.idConflictLines, f.rowsKept]).toEqual([1, 1, [{ line: 4, firstLine: 2 }], 1])
    expect(formatImportSummary(summary)).toContain("1 exact duplicates removed; 1 conflicting row(s)")
  })
})

describe("an import that keeps no row", () => {
  // bbo timestamps in ms instead of float seconds: every row is unparseable
  const msBbo = ["unix_timestamp,bid,ask,mid", `${S}100,2.2880,2.2890,2.2885`, `${S}200,2.2881,2.2890,2.28855`]

  it("fails from the CLI with a non-zero exit and a clear error, leaving an existing --out file untouched", async () => {
    // an empty tick file would pass as a successful import (with a tick size "inferred" from no
    // prices) and would replace the user's previous output
    const quotes = write("bbo-ms.csv", msBbo, "\r\n")
    const out = path.join(dir, "keep-me.db")
    fs.writeFileSync(out, "previous output")
    const r = await runCommand("src/cli/import.ts", ["aster-csv", "--quotes", quotes, "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--out", out])
    expect(r.all).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)
    expect(r.code, r.all).not.toBe(0)
    expect(r.stderr).toContain(`error: nothing to import: every row of ${quotes} was dropped (2 unparseable, first at lines 2, 3)`)
    expect(r.all).not.toMatch(/inferred|wrote/)
    expect(fs.readFileSync(out, "utf8")).toBe("previous output")
  })

  it("throws before creating the output, naming each file and why its rows went", () => {
    const quotes = write("bbo-ms-2.csv", msBbo)
    const trades = write("trades-invalid.csv", [AGG_HEADER, `1,${S}100,buy,0,1`])
    const depth = write("depth-empty.csv", ["unix_timestamp,lastUpdateId,bid_price_0,bid_qty_0,ask_price_0,ask_qty_0"])
    const out = path.join(dir, "never.db")
    expect(() => importAsterCsv({ trades, quotes, depth, venue: "aster-futures", symbol: "ASTERUSDT", out })).toThrow(
      new RegExp(
        `^nothing to import: every row of ${escape(trades)} was dropped \\(1 invalid, first at line 2: non-positive price\\); ` +
          `every row of ${escape(quotes)} was dropped \\(2 unparseable, first at lines 2, 3\\); ${escape(depth)} has no rows$`
      )
    )
    expect(fs.existsSync(out)).toBe(false)
  })

  it("still imports when one file keeps rows and another keeps none", () => {
    const quotes = write("bbo-ms-3.csv", msBbo)
    const trades = write("trades-ok.csv", [AGG_HEADER, `1,${S}100,buy,2.2890,1`])
    const s = importAsterCsv({ trades, quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "partial.db") })
    expect([s.tickCount, s.files.map((f) => f.rowsKept)]).toEqual([1, [1, 0]])
  })
})

describe("files without a header row", () => {
  it("headerless Aster aggtrades and bbo files import, as the expected-format message says the header is optional", () => {
    const trades = write("aggtrades-noheader.csv", [`100,${S}150,buy,2.2890,10`, `101,${S}250,SELL,2.2880,5`])
    const quotes = write("bbo-noheader.csv", [`${S}.1,2.2880,2.2890,2.2885`, `${S}.3,2.2881,2.2890,2.28855`])
    const s = importAsterCsv({ trades, quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "noheader.db") })
    expect(s.files.map((f) => [f.format, f.header, f.rowsRead, f.rowsKept])).toEqual([
      ["aster-aggtrades", false, 2, 2],
      ["aster-bbo", false, 2, 2]
    ])
    expect(formatImportSummary(s)).toContain("(aster-bbo, no header)")
  })

  it("a headerless bbo file without the mid column imports, and a headerless row is refused when given in the wrong role", () => {
    const quotes = write("bbo3-noheader.csv", [`${S}.1,2.2880,2.2890`])
    const s = importAsterCsv({ quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "bbo3.db") })
    expect(s.files.map((f) => [f.format, f.header, f.rowsKept])).toEqual([["aster-bbo", false, 1]])
    expect(() => importAsterCsv({ trades: quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "x.db") })).toThrow(
      /line 1: found aster-bbo columns, but this was given as the trades file/
    )
  })

  it("headerless Binance aggTrades and bookTicker are still told apart from the Aster layouts", () => {
    const trades = write("binance-agg-noheader.csv", [`1,2.2890,10,1,1,${S}150,true,true`])
    const quotes = write("binance-book-noheader.csv", [`9,2.2880,100,2.2890,200,${S}100,${S}101`])
    const s = importAsterCsv({ trades, quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "binance-noheader.db") })
    expect(s.files.map((f) => [f.format, f.header, f.rowsKept])).toEqual([
      ["binance-aggtrades", false, 1],
      ["binance-bookticker", false, 1]
    ])
  })

  it("a headerless depth file is refused with a message saying its header is required (a row does not tell how many levels each side has)", () => {
    const depth = write("depth-noheader.csv", [`${S}.1,7,2.2880,1,2.2879,2,2.2890,3,2.2891,4`])
    expect(() => importAsterCsv({ depth, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "x.db") })).toThrow(
      /line 1: unrecognised columns .*; expected Aster depth columns .* \(header required\)$/
    )
  })
})
