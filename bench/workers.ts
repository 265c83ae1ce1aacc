/**
 * Measurements run in a child process each, so every figure (and its peak RSS) starts from a
 * fresh heap: `tsx bench/workers.ts backtest FILE` or `tsx bench/workers.ts raw-scan FILE`.
 * `backtest-warm` runs the same backtest five times in one process and reports the fastest: the
 * replay once V8 has optimised its code (a 10M-tick run is over before it has). Prints one JSON line.
 */
import Database from "better-sqlite3"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import { parseConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import { runBacktest } from "../src/sim/backtest"
import { SimKernel } from "../src/sim/kernel"
import { flatFees } from "../src/sim/models/fees"
import { linearImpact } from "../src/sim/models/impact"
import { constantLatency } from "../src/sim/models/latency"
import { conservativeQueue } from "../src/sim/models/queue"
import { seededRng } from "../src/sim/models/rng"
import { openTickFile, TICK_FILE_CACHE_KIB } from "../src/sim/tickstore/reader"

const [mode, file, configPath] = process.argv.slice(2)
if (!file || (mode !== "backtest" && mode !== "backtest-warm" && mode !== "raw-scan" && mode !== "row-scan" && mode !== "replay")) {
  console.error("usage: workers.ts backtest|backtest-warm|replay|raw-scan|row-scan FILE [CONFIG]")
  process.exit(2)
}

const rssMb = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10

if (mode === "raw-scan") {
  // The floor for any consumer of the same rows: read every block with better-sqlite3 and touch
  // every tick's seven columns.
  const rssBefore = rssMb()
  const started = performance.now()
  const db = new Database(file, { readonly: true })
  // the page cache the backtest's reader uses: neither side pays for a larger one
  db.pragma(`cache_size = -${TICK_FILE_CACHE_KIB}`)
  const rows = db.prepare("SELECT n, ts, kind, instrument, p1, q1, p2, q2 FROM tick_blocks ORDER BY id").iterate() as Iterable<
    { n: number; ts: Buffer; kind: Buffer; instrument: Buffer; p1: Buffer; q1: Buffer; p2: Buffer; q2: Buffer }
  >
  const f64 = (b: Buffer, n: number) =>
    b.byteOffset % 8 === 0 ? new Float64Array(b.buffer, b.byteOffset, n) : new Float64Array(new Uint8Array(b).buffer, 0, n)
  let ticks = 0
  let checksum = 0
  for (const row of rows) {
    const n = row.n
    const ts = f64(row.ts, n)
    const p1 = f64(row.p1, n)
    const q1 = f64(row.q1, n)
    const p2 = f64(row.p2, n)
    const q2 = f64(row.q2, n)
    const kind = row.kind
    const instrument = row.instrument
    for (let i = 0; i < n; i++) {
      checksum += ts[i]! + kind[i]! + instrument[i]! + p1[i]! + q1[i]! + p2[i]! + q2[i]!
    }
    ticks += n
  }
  const seconds = (performance.now() - started) / 1000
  db.close()
  console.log(JSON.stringify({ ticks, seconds, rowsPerSec: ticks / seconds, checksum, peakRssMb: rssMb(), rssBeforeMb: rssBefore }))
} else if (mode === "row-scan") {
  // The same ticks stored one SQLite row per tick (bench/row-file.ts builds that file): what a
  // straightforward layout would give any reader, for comparison with the blocks above.
  const rssBefore = rssMb()
  const started = performance.now()
  const db = new Database(file, { readonly: true })
  db.pragma(`cache_size = -${TICK_FILE_CACHE_KIB}`)
  const rows = db.prepare("SELECT ts, kind, instrument, p1, q1, p2, q2 FROM ticks ORDER BY rowid").raw().iterate() as Iterable<
    [number, number, number, number, number, number, number]
  >
  let ticks = 0
  let checksum = 0
  for (const row of rows) {
    checksum += row[0] + row[1] + row[2] + row[3] + row[4] + row[5] + row[6]
    ticks += 1
  }
  const seconds = (performance.now() - started) / 1000
  db.close()
  console.log(JSON.stringify({ ticks, seconds, rowsPerSec: ticks / seconds, checksum, peakRssMb: rssMb(), rssBeforeMb: rssBefore }))
} else if (mode === "replay") {
  // The kernel and matching engines alone, no strategy: where the backtest's time goes
  const text = fs.readFileSync(configPath ?? "config/hedge_futures.example.yaml", "utf8")
  const config = Either.getOrThrowWith(parseConfig(text, "config"), (e) => new Error(e.message))
  const tickFile = openTickFile(file)
  const started = performance.now()
  const latency = constantLatency(config.sim.maker)
  const venue = (v: "backpack" | "aster-futures", symbol: string) => ({
    venue: v,
    symbol,
    latency,
    fees: flatFees(config.sim.maker.makerFee, config.sim.maker.takerFee),
    queue: conservativeQueue,
    impact: linearImpact(decimal("2"), 1),
    assumedTopQty: config.sim.assumedTopQty,
    marketRejectProbability: 0
  })
  const kernel = new SimKernel(tickFile, { rng: seededRng(1), venues: [venue("backpack", config.maker.symbol), venue("aster-futures", config.hedge.symbol)] })
  kernel.runUntil(Number.POSITIVE_INFINITY)
  const seconds = (performance.now() - started) / 1000
  console.log(JSON.stringify({ ticks: kernel.ticksReplayed, seconds, ticksPerSec: kernel.ticksReplayed / seconds, peakRssMb: rssMb(), rssBeforeMb: 0 }))
} else {
  const text = fs.readFileSync(configPath ?? "config/hedge_futures.example.yaml", "utf8")
  const config = Either.getOrThrowWith(parseConfig(text, configPath ?? "config/hedge_futures.example.yaml"), (e) => new Error(e.message))
  const rssBefore = rssMb()
  const timed = () => {
    const started = performance.now()
    const report = Effect.runSync(runBacktest({ dbPath: file, config }))
    return { report, seconds: (performance.now() - started) / 1000 }
  }
  const runs = Array.from({ length: mode === "backtest-warm" ? 5 : 1 }, timed)
  const { report, seconds } = runs.reduce((fastest, run) => (run.seconds < fastest.seconds ? run : fastest))
  console.log(JSON.stringify({
    ticks: report.data.ticks,
    seconds,
    ticksPerSec: report.data.ticks / seconds,
    outcome: report.run.outcome,
    cycles: report.cycles.count,
    makerOrders: report.cycles.makerOrders,
    fills: report.fills.length,
    peakRssMb: rssMb(),
    rssBeforeMb: rssBefore,
    ...(runs.length > 1 ? { runsSeconds: runs.map((run) => run.seconds) } : {})
  }))
}
