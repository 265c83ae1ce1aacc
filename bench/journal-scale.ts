/**
 * What a journal of months costs the live runner: `tsx bench/journal-scale.ts [FILLS]` builds
 * (once, into .cache/bench) a journal of one run with FILLS fills (default 500,000: three months
 * of a cycle a minute) as the runner writes it (`build`: 625,000 orders with their intents, the
 * hedges, cycle events and 3M marks), then times in this fresh
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
/** a leg: one maker fill and its hedge's */
const legs = Math.floor(fills / 2)
/** every leg's maker order and hedge order, and every other leg's reposted one */
const orders = 2 * legs + Math.ceil(legs / 2)
const T0 = 1_750_000_000_000
/** four fills a cycle, a cycle a minute */
const FILL_EVERY_MS = 15_000
/** the runner records both venues' marks this often */
const MARK_EVERY_MS = 5000
const DAY_MS = 86_400_000

// built anew whenever the journal's tables (journal-rows.ts), its writes or this builder change
const version = createHash("sha256")
  .update(fs.readFileSync("src/live/journal.ts"))
  .update(fs.readFileSync("src/live/journal-rows.ts"))
  .update(fs.readFileSync("bench/journal-scale.ts"))
  .digest("hex")
  .slice(0, 10)
const file = path.join(".cache/bench", `journal-${fills}-${version}.db`)

/**
 * A run's journal as the runner writes it, a leg at a time (a maker fill, then its hedge's fill,
 * FILL_EVERY_MS apart): the maker order that filled and, every other leg, one reposted before it
 * (cancelled unfilled), each with its intent (and the cancel's); the hedge's market order, intent
 * and hedge row; the cycle's events; and both venues' marks every MARK_EVERY_MS.
 */
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
  const order = db.prepare("INSERT INTO orders (venue, order_id, client_id, run_id, status, state, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)")
  const intent = db.prepare("INSERT INTO intents (client_id, run_id, venue, kind, side, qty, price, order_id, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)")
  const hedgeRow = db.prepare(
    "INSERT INTO hedges (client_id, run_id, cycle, leg, side, qty, executed_qty, executed_quote, reference_price, ts, state) VALUES (?, 1, ?, ?, ?, '10', '10', '20.1', '2.0095', ?, 'done')"
  )
  const cycleEvent = db.prepare("INSERT INTO cycles (run_id, cycle, event, ts, detail) VALUES (1, ?, ?, ?, ?)")
  const mark = db.prepare("INSERT INTO marks (run_id, venue, price, ts) VALUES (1, ?, '2.0100', ?)")
  const fill = db.prepare(
    "INSERT INTO fills (venue, trade_id, run_id, order_id, symbol, side, price, qty, fee, fee_asset, liquidity, ts) VALUES (?, ?, 1, ?, ?, ?, '2.01', '10', '0.004', ?, ?, ?)"
  )
  const orderState = (venue: string, symbol: string, id: string, side: string, type: string, filled: boolean, ts: number) =>
    JSON.stringify({
      venue, symbol, id, clientId: `hl0-${id}`, side, type, ...(type === "limit" ? { price: "2.01" } : {}), qty: "10",
      filledQty: filled ? "10" : "0", filledQuote: filled ? "20.1" : "0", status: filled ? "filled" : "cancelled",
      ...(type === "limit" ? { postOnly: true, timeInForce: "GTC" } : {}), createdAt: ts, updatedAt: ts
    })
  db.transaction(() => {
    for (let k = 0; k < legs; k++) {
      const cycle = (k >> 1) + 1
      const leg = (k % 2) + 1
      const makerSide = leg === 1 ? "sell" : "buy"
      const hedgeSide = leg === 1 ? "buy" : "sell"
      const filledAt = T0 + 2 * k * FILL_EVERY_MS
      const hedgedAt = filledAt + FILL_EVERY_MS
      const postedAt = filledAt - FILL_EVERY_MS / 2
      if (leg === 1) cycleEvent.run(cycle, "started", postedAt - 1000, JSON.stringify({ event: "started" }))
      if (k % 2 === 0) {
        // reposted once: the first order cancelled unfilled
        const id = `m${k}r`
        const at = postedAt - FILL_EVERY_MS / 4
        intent.run(`hl0-${id}`, "backpack", "limit", makerSide, "10", "2.01", id, at)
        order.run("backpack", id, `hl0-${id}`, "cancelled", orderState("backpack", "ASTER_USDC_PERP", id, makerSide, "limit", false, at), at)
        intent.run(`cancel:1:backpack:${id}`, "backpack", "cancel", null, null, null, id, postedAt)
        cycleEvent.run(cycle, "maker-order", at, JSON.stringify({ event: "maker-order", leg, orderId: id, side: makerSide, price: "2.01", qty: "10", repost: false }))
      }
      const maker = `m${k}`
      intent.run(`hl0-${maker}`, "backpack", "limit", makerSide, "10", "2.01", maker, postedAt)
      order.run("backpack", maker, `hl0-${maker}`, "filled", orderState("backpack", "ASTER_USDC_PERP", maker, makerSide, "limit", true, filledAt), filledAt)
      cycleEvent.run(cycle, "maker-order", postedAt, JSON.stringify({ event: "maker-order", leg, orderId: maker, side: makerSide, price: "2.01", qty: "10", repost: k % 2 === 0 }))
      fill.run("backpack", `t${2 * k}`, maker, "ASTER_USDC_PERP", makerSide, "USDC", "maker", filledAt)
      const hedge = `h${k}`
      intent.run(`hl0-${hedge}`, "aster-futures", "market", hedgeSide, "10", null, hedge, hedgedAt)
      order.run("aster-futures", hedge, `hl0-${hedge}`, "filled", orderState("aster-futures", "ASTERUSDT", hedge, hedgeSide, "market", true, hedgedAt), hedgedAt)
      hedgeRow.run(`hl0-${hedge}`, cycle, leg, hedgeSide, hedgedAt)
      fill.run("aster-futures", `t${2 * k + 1}`, hedge, "ASTERUSDT", hedgeSide, "USDT", "taker", hedgedAt)
      cycleEvent.run(cycle, "leg-completed", hedgedAt, JSON.stringify({ event: "leg-completed", leg, side: makerSide, startedAt: postedAt, filledAt, orders: k % 2 === 0 ? 2 : 1 }))
    }
    for (let ts = T0; ts < T0 + fills * FILL_EVERY_MS; ts += MARK_EVERY_MS) {
      mark.run("backpack", ts)
      mark.run("aster-futures", ts)
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
  yield* journal.pendingIntents()
  yield* journal.hedgesInDoubt()
  yield* journal.openOrders()
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
