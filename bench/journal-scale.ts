/**
 * What a journal of months costs the live runner: `tsx bench/journal-scale.ts [FILLS]` builds
 * (once, into .cache/bench) a journal of one run with FILLS fills (default 500,000: three months
 * of a cycle a minute) and 3/5 as many orders, a third of them filled, then times in this fresh
 * process what a start asks of it (a venue's net filled quantity, its latest fill, one order's
 * fills), what a stop asks (the run's orders short of fills), the daily digest (one day's report),
 * and, for contrast, reading every fill. With `--report`, it times instead the report of the whole
 * run (what a stop writes at the end of months, and `npm run report` of the journal) and writing
 * it as JSON, with the process's peak memory. Prints one JSON line.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { writeJsonFile } from "../src/cli/json-file"
import { openJournal } from "../src/live/journal"
import { dailyReportsFromJournal, reportFromJournal } from "../src/live/journal-report"

const args = process.argv.slice(2)
const reportMode = args.includes("--report")
const fills = Number(args.find((a) => !a.startsWith("--")) ?? 500_000)
const orders = Math.round((fills * 3) / 5)
const T0 = 1_750_000_000_000
/** four fills a cycle, a cycle a minute */
const FILL_EVERY_MS = 15_000
const DAY_MS = 86_400_000

// built anew whenever the journal's tables (journal-rows.ts), its writes or this builder change
const version = createHash("sha256")
  .update(fs.readFileSync("src/live/journal.ts"))
  .update(fs.readFileSync("src/live/journal-rows.ts"))
  .update(fs.readFileSync("bench/journal-scale.ts"))
  .digest("hex")
  .slice(0, 10)
const file = path.join(".cache/bench", `journal-${fills}-${version}.db`)

const build = () => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const partial = `${file}.partial`
  fs.rmSync(partial, { force: true })
  // the schema from the journal itself; the bulk as rows the way it writes them
  Effect.runSync(Effect.scoped(openJournal(partial, "write")))
  const db = new Database(partial)
  db.pragma("foreign_keys = OFF")
  db.prepare(
    `INSERT INTO runs (kind, started_at, config, maker_venue, maker_symbol, maker_quote_asset, hedge_venue, hedge_symbol, hedge_quote_asset, client_id_prefix, maker_base_asset, hedge_base_asset)
     VALUES ('live', ?, ?, 'backpack', 'ASTER_USDC_PERP', 'USDC', 'aster-futures', 'ASTERUSDT', 'USDT', 'hl0-', 'ASTER', 'ASTER')`
  ).run(T0, JSON.stringify({ points: { maker: { makerWeight: "1", takerWeight: "1" }, hedge: { makerWeight: "1", takerWeight: "2" } } }))
  const order = db.prepare("INSERT INTO orders (venue, order_id, client_id, run_id, status, state, updated_at) VALUES ('backpack', ?, ?, 1, ?, ?, ?)")
  const fill = db.prepare(
    "INSERT INTO fills (venue, trade_id, run_id, order_id, symbol, side, price, qty, fee, fee_asset, liquidity, ts) VALUES (?, ?, 1, ?, ?, ?, '2.01', '10', '0.004', ?, ?, ?)"
  )
  db.transaction(() => {
    for (let i = 0; i < orders; i++) {
      // a third of the maker orders filled (the others were reposted), each with its fill
      const filled = i % 3 === 0
      const ts = T0 + Math.floor((i * fills * FILL_EVERY_MS) / orders)
      const state = {
        venue: "backpack", symbol: "ASTER_USDC_PERP", id: `m${i}`, clientId: `hl0-m${i}`, side: i % 2 === 0 ? "sell" : "buy", type: "limit", price: "2.01", qty: "10",
        filledQty: filled ? "10" : "0", filledQuote: filled ? "20.1" : "0", status: filled ? "filled" : "cancelled", postOnly: true, timeInForce: "GTC", createdAt: ts, updatedAt: ts
      }
      order.run(`m${i}`, `hl0-m${i}`, state.status, JSON.stringify(state), ts)
    }
    for (let i = 0; i < fills; i++) {
      const maker = i % 2 === 0
      const side = (i >> 1) % 2 === 0 ? (maker ? "sell" : "buy") : (maker ? "buy" : "sell")
      fill.run(maker ? "backpack" : "aster-futures", `t${i}`, maker ? `m${3 * (i >> 1)}` : `h${i >> 1}`, maker ? "ASTER_USDC_PERP" : "ASTERUSDT", side, maker ? "USDC" : "USDT", maker ? "maker" : "taker", T0 + i * FILL_EVERY_MS)
    }
  })()
  db.close()
  // a write opening adds what this build's journal adds to older files (its indexes)
  Effect.runSync(Effect.scoped(openJournal(partial, "write")))
  fs.renameSync(partial, file)
}

if (!fs.existsSync(file)) {
  const started = performance.now()
  process.stderr.write(`building ${file} (${fills} fills, ${orders} orders)...`)
  build()
  process.stderr.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
}

const ms = (started: number) => Math.round((performance.now() - started) * 10) / 10
const last = T0 + (fills - 1) * FILL_EVERY_MS
// the digest's day: the last whole UTC day of the run, or its first day when it is shorter
const lastDay = Math.max(Math.floor(T0 / DAY_MS) * DAY_MS, Math.floor(last / DAY_MS) * DAY_MS - DAY_MS)

const mb = (bytes: number) => Math.round(bytes / 1e6)

/** The whole run's report and its JSON file, from a fresh process: time, and peak RSS over the RSS before. */
const wholeReport = Effect.gen(function*() {
  const rssBefore = process.memoryUsage().rss
  let started = performance.now()
  const report = yield* reportFromJournal(file, { runId: 1 })
  const reportMs = ms(started)
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-bench-")), "report.json")
  started = performance.now()
  yield* writeJsonFile(out, report)
  const writeJsonMs = ms(started)
  const jsonMb = mb(fs.statSync(out).size)
  fs.rmSync(path.dirname(out), { recursive: true, force: true })
  return {
    fills: report.fills.length,
    wholeRunReportMs: reportMs,
    writeReportJsonMs: writeJsonMs,
    reportJsonMb: jsonMb,
    wholeRunReportPeakRssMb: mb(process.resourceUsage().maxRSS * 1024 - rssBefore),
    rssBeforeMb: mb(rssBefore)
  }
}).pipe(Effect.provide(NodeContext.layer))

const figures = reportMode ? await Effect.runPromise(wholeReport) : Effect.runSync(Effect.scoped(Effect.gen(function*() {
  const journal = yield* openJournal(file, "read")
  let started = performance.now()
  yield* journal.netFilledQty("aster-futures")
  yield* journal.lastFill("aster-futures")
  yield* journal.filledQty("backpack", "m3000")
  const startMs = ms(started)
  started = performance.now()
  const short = yield* journal.ordersShortOfFills(1)
  const stopMs = ms(started)
  started = performance.now()
  const days = yield* dailyReportsFromJournal(file, { kind: "live", since: lastDay, until: lastDay + DAY_MS })
  const digestMs = ms(started)
  const rssBefore = process.memoryUsage().rss
  started = performance.now()
  const all = yield* journal.fills()
  const readAllFillsMs = ms(started)
  return {
    fills: all.length,
    orders,
    startQueriesMs: startMs,
    stopOrdersShortOfFillsMs: stopMs,
    ordersShort: short.length,
    digestOneDayMs: digestMs,
    digestDayFills: days[0]?.report.fills.length ?? 0,
    readAllFillsMs,
    readAllFillsRssMb: mb(process.memoryUsage().rss - rssBefore)
  }
})))
console.log(JSON.stringify(figures))
