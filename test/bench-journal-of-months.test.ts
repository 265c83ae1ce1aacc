/**
 * The journal of months that bench/journal-scale.ts builds must look like the journal a live run
 * of three months writes: its figures (a start's reads, a stop's order check, the daily digest,
 * the whole run's report and its peak RSS) are only as good as that file. The builder runs when
 * loaded, so it is run as `tsx bench/journal-scale.ts FILLS` in a temp directory (its cache goes
 * there), on a small journal of the same shape. Each `// Was:` says what an earlier build got wrong.
 */
import Database from "better-sqlite3"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const ROOT = path.resolve(__dirname, "..")
const FILLS = 2000
let dir = ""
let db: Database.Database

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-bench-journal-"))
  // the builder reads src/ and bench/ relative to its working directory and writes .cache/bench there
  for (const link of ["src", "bench", "node_modules"]) fs.symlinkSync(path.join(ROOT, link), path.join(dir, link))
  const out = execFileSync(process.execPath, ["--import", "tsx", "bench/journal-scale.ts", String(FILLS)], { cwd: dir, encoding: "utf8" })
  expect(JSON.parse(out.trim().split("\n").pop()!).fills).toBe(FILLS)
  const file = fs.readdirSync(path.join(dir, ".cache/bench")).find((f) => f.startsWith(`journal-${FILLS}-`) && f.endsWith(".db"))!
  db = new Database(path.join(dir, ".cache/bench", file), { readonly: true })
})
afterAll(() => {
  db?.close()
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true })
})

const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n

describe("bench/journal-scale.ts: the journal of months", () => {
  // Was: every fill belongs to an order the run journalled (maker orders and hedge orders alike),
  // but the builder writes orders only for 3/5 of the fill count: hedge fills point at `h<k>` orders
  // that do not exist, and maker fill k points at `m<3k>`, past the last order for k >= orders/3, so
  // 80% of the fills have no order (bench/journal-scale.ts build(), lines 52-71). The stop's order
  // check ("the run's 300,000 orders in 1-1.5 s") runs on ~half the orders a 500k-fill run has.
  it("every fill's order is in the journal", () => {
    const orphans = count("SELECT count(*) AS n FROM fills f WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.venue = f.venue AND o.order_id = f.order_id)")
    expect(orphans).toBe(0)
  })

  // Was: a live run journals each hedge (hedges table), each order's intent before it is sent
  // (intents) and both venues' mid every 5 s (marks), but the builder leaves those tables empty.
  // The report, the digest and a start read them: on a copy with 250k hedges, 550k intents/orders
  // and 3M marks the digest took 5.1 s instead of 0.59 s (latestMarks alone 4.4 s, a full scan of
  // marks), the stop check 3.2 s instead of 1.2 s, the whole report 18 s / +621 MB instead of
  // 8.7 s / +396 MB. bench/journal-scale.ts build() understates every journalOfMonths figure.
  it("holds a hedge for each hedge fill, an intent for each order, and the marks a run records", () => {
    const hedgeFills = count("SELECT count(*) AS n FROM fills WHERE venue = 'aster-futures'")
    const span = count("SELECT max(ts) - min(ts) AS n FROM fills")
    expect({
      hedges: count("SELECT count(*) AS n FROM hedges"),
      intentsAtLeastOrders: count("SELECT count(*) AS n FROM intents") >= count("SELECT count(*) AS n FROM orders"),
      marksAtLeastOnePerVenuePer5s: count("SELECT count(*) AS n FROM marks") >= Math.floor(span / 5000) * 2
    }).toEqual({ hedges: hedgeFills, intentsAtLeastOrders: true, marksAtLeastOnePerVenuePer5s: true })
  })
})
