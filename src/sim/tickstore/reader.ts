/**
 * Read-only access to a tick file. `blocks()` streams the columnar blocks one query per block (no
 * cursor stays open, memory stays constant) and hands out typed-array views over the fetched BLOBs:
 * no per-tick allocation.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import Database from "better-sqlite3"
import { FORMAT_VERSION, MetaKey } from "./schema"
import type { DataMeta, DepthLevels, Gap, StoredFunding, StoredInstrument, TickBlock } from "./types"
import type { Venue } from "../../core/domain/venue"

/** A tick file that cannot be opened or read; the message names the path and the problem. */
export class TickFileError extends Error {
  override readonly name = "TickFileError"
  constructor(
    readonly path: string,
    readonly problem: string
  ) {
    super(`${path}: ${problem}`)
  }
}

export interface TickFile {
  readonly path: string
  readonly meta: DataMeta
  readonly instruments: ReadonlyArray<StoredInstrument>
  /** ordered by time, then instrument */
  readonly funding: ReadonlyArray<StoredFunding>
  /** ordered by start time, then instrument */
  readonly gaps: ReadonlyArray<Gap>
  /** µs; NaN for a file without ticks */
  readonly firstTs: number
  readonly lastTs: number
  readonly tickCount: number
  readonly quoteCount: number
  readonly tradeCount: number
  readonly depthCount: number
  readonly blockCount: number
  /**
   * The tick blocks in time order, fetched one query per block. With `fromTs`, blocks ending before
   * it are skipped (the first block returned may start earlier). Each block's arrays are fresh views
   * over that block's BLOBs (never reused), so a consumer may keep them.
   */
  blocks(options?: { readonly fromTs?: number }): IterableIterator<TickBlock>
  /** Levels of one `depth_snapshots` row (the p1 of a Depth tick). */
  depth(snapshotId: number): DepthLevels
  close(): void
}

const VENUES: ReadonlyArray<Venue> = ["backpack", "aster-spot", "aster-futures"]

/**
 * SQLite's page cache, kept small: a replay reads each block once, in order, so a large cache
 * (better-sqlite3's default is 16 MB) holds nothing that is read again and only costs the first
 * touch of that much fresh memory: 50 ms of opening a 10M-tick file on a small VM.
 */
export const TICK_FILE_CACHE_KIB = 512

interface BlockRow {
  id: number
  n: number
  ts: Buffer
  kind: Buffer
  instrument: Buffer
  p1: Buffer
  q1: Buffer
  p2: Buffer
  q2: Buffer
}

const f64 = (b: Buffer, n: number): Float64Array => {
  if ((b.byteOffset & 7) === 0) return new Float64Array(b.buffer, b.byteOffset, n)
  const copy = new Float64Array(n)
  new Uint8Array(copy.buffer).set(b.subarray(0, n * 8))
  return copy
}

const u8 = (b: Buffer, n: number): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, n)

const unpackLevels = (b: Buffer): Array<readonly [number, number]> => {
  const a = f64(b, b.byteLength >> 3)
  const out: Array<readonly [number, number]> = []
  for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!])
  return out
}

/** Opens a tick file read-only; throws TickFileError when it is missing, not a tick file, or corrupt. */
export const openTickFile = (path: string): TickFile => {
  if (os.endianness() !== "LE") throw new TickFileError(path, "tick files store little-endian typed arrays; this platform is big-endian")
  let stat: fs.Stats
  try {
    stat = fs.statSync(path)
  } catch {
    throw new TickFileError(path, "no such file")
  }
  if (!stat.isFile()) throw new TickFileError(path, "not a regular file")

  let db: Database.Database
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
  } catch (e) {
    throw new TickFileError(path, `cannot open as SQLite: ${(e as Error).message}`)
  }
  const fail = (problem: string): never => {
    if (db.open) db.close()
    throw new TickFileError(path, problem)
  }

  let metaRows: Array<{ key: string; value: string }> = []
  try {
    db.pragma(`cache_size = -${TICK_FILE_CACHE_KIB}`)
    // what the file holds is read in one snapshot: a recording committed meanwhile (every few
    // seconds) cannot make its counts disagree. Only that long: held, its lock would keep a
    // recording from resuming into the file while a backtest reads it
    db.exec("BEGIN")
    const hasMeta = db.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get()
    if (hasMeta === undefined) fail("not a hedgeloop tick file (no meta table)")
    metaRows = db.prepare("SELECT key, value FROM meta").all() as Array<{ key: string; value: string }>
  } catch (e) {
    if (e instanceof TickFileError) throw e
    fail(/not a database|file is encrypted/i.test((e as Error).message) ? "not an SQLite database" : `cannot read: ${(e as Error).message}`)
  }
  const metaMap = new Map(metaRows.map((r) => [r.key, r.value]))
  // a live run's journal also keeps a format version in its meta: named for what it is
  if (metaMap.get("format") === "hedgeloop-journal") fail("a hedgeloop journal, not a tick file (its report: npm run report -- FILE)")
  const version = metaMap.get(MetaKey.formatVersion)
  if (version === undefined) fail("not a hedgeloop tick file (no meta/format_version)")
  if (version !== String(FORMAT_VERSION)) fail(`unsupported tick file format version ${version} (this build reads version ${FORMAT_VERSION})`)
  if (!metaMap.has(MetaKey.tickCount)) fail("unfinished tick file (the writer did not finish: no meta/tick_count)")

  const json = (key: string, fallback: unknown): unknown => {
    const text = metaMap.get(key)
    if (text === undefined) return fallback
    try {
      return JSON.parse(text)
    } catch {
      return fail(`meta/${key} is not valid JSON`)
    }
  }
  const int = (key: string): number => {
    const v = Number(metaMap.get(key) ?? "0")
    if (!Number.isSafeInteger(v) || v < 0) fail(`meta/${key} is not a count: ${metaMap.get(key)}`)
    return v
  }
  const tsOf = (key: string): number => {
    const text = metaMap.get(key) ?? ""
    return text === "" ? NaN : Number(text)
  }

  const proxy = json(MetaKey.proxy, [])
  const notes = json(MetaKey.notes, {})
  if (!Array.isArray(proxy)) fail("meta/proxy is not a JSON array")
  if (typeof notes !== "object" || notes === null || Array.isArray(notes)) fail("meta/notes is not a JSON object")
  const meta: DataMeta = {
    formatVersion: FORMAT_VERSION,
    source: metaMap.get(MetaKey.source) ?? "",
    synthetic: metaMap.get(MetaKey.synthetic) === "true",
    proxy: proxy as DataMeta["proxy"],
    createdAt: metaMap.get(MetaKey.createdAt) ?? "",
    notes: notes as Record<string, unknown>
  }

  let instruments: Array<StoredInstrument> = []
  let funding: Array<StoredFunding> = []
  let gaps: Array<Gap> = []
  /** the blocks as the snapshot saw them: the last one (a recording's open block) may grow after it */
  let blockStats = { blocks: 0, ticks: 0, lastId: -1, lastN: 0 }
  try {
    const rows = db
      .prepare("SELECT idx, venue, symbol, base, quote, kind, tick_size, step_size, min_qty, min_notional, price_scale, qty_scale FROM instruments ORDER BY idx")
      .all() as Array<Record<string, string | number>>
    instruments = rows.map((r, i) => {
      if (r.idx !== i) fail(`instruments table: expected idx ${i}, found ${r.idx}`)
      if (!VENUES.includes(r.venue as Venue)) fail(`instruments table: unknown venue ${String(r.venue)}`)
      if (r.kind !== "spot" && r.kind !== "perp") fail(`instruments table: unknown kind ${String(r.kind)}`)
      return {
        idx: i,
        venue: r.venue as Venue,
        symbol: String(r.symbol),
        base: String(r.base),
        quote: String(r.quote),
        kind: r.kind as "spot" | "perp",
        tickSize: String(r.tick_size),
        stepSize: String(r.step_size),
        minQty: String(r.min_qty),
        minNotional: String(r.min_notional),
        priceScale: Number(r.price_scale),
        qtyScale: Number(r.qty_scale)
      }
    })
    funding = (
      db.prepare("SELECT instrument_idx, ts, rate, mark_price FROM funding ORDER BY ts, instrument_idx, rowid").all() as Array<{
        instrument_idx: number
        ts: number
        rate: string
        mark_price: string
      }>
    ).map((r) => ({ instrumentIdx: r.instrument_idx, ts: r.ts, rate: r.rate, markPrice: r.mark_price }))
    gaps = (
      db.prepare("SELECT instrument_idx, from_ts, to_ts FROM gaps ORDER BY from_ts, instrument_idx, rowid").all() as Array<{
        instrument_idx: number
        from_ts: number
        to_ts: number
      }>
    ).map((r) => ({ instrumentIdx: r.instrument_idx, fromTs: r.from_ts, toTs: r.to_ts }))
    // one pass over the blocks (each row spans large pages): the counts and the first bad block
    const s = db
      .prepare(
        `SELECT count(*) AS blocks, coalesce(sum(n), 0) AS ticks, coalesce(max(id), -1) AS lastId,
           min(CASE WHEN n < 1 OR length(ts) != n * 8 OR length(kind) != n OR length(instrument) != n
             OR length(p1) != n * 8 OR length(q1) != n * 8 OR length(p2) != n * 8 OR length(q2) != n * 8 THEN id END) AS badId
         FROM tick_blocks`
      )
      .get() as { blocks: number; ticks: number; lastId: number; badId: number | null }
    if (s.badId !== null) {
      const bad = db.prepare("SELECT n FROM tick_blocks WHERE id = ?").get(s.badId) as { n: number }
      fail(`corrupt block ${s.badId}: column lengths do not match n = ${bad.n}`)
    }
    const last = s.lastId >= 0 ? (db.prepare("SELECT n FROM tick_blocks WHERE id = ?").get(s.lastId) as { n: number }).n : 0
    blockStats = { blocks: s.blocks, ticks: s.ticks, lastId: s.lastId, lastN: last }
    db.exec("COMMIT")
  } catch (e) {
    if (e instanceof TickFileError) throw e
    fail(`cannot read: ${(e as Error).message}`)
  }
  if (instruments.length === 0) fail("no instruments")

  const tickCount = int(MetaKey.tickCount)
  if (blockStats.ticks !== tickCount) fail(`corrupt: meta/tick_count is ${tickCount} but the blocks hold ${blockStats.ticks} ticks`)

  const nextBlock = db.prepare("SELECT id, n, ts, kind, instrument, p1, q1, p2, q2 FROM tick_blocks WHERE id > ? AND id <= ? AND t_last >= ? ORDER BY id LIMIT 1")
  const depthRow = db.prepare("SELECT bids, asks FROM depth_snapshots WHERE id = ?")

  const file: TickFile = {
    path,
    meta,
    instruments,
    funding,
    gaps,
    firstTs: tsOf(MetaKey.tFirst),
    lastTs: tsOf(MetaKey.tLast),
    tickCount,
    quoteCount: int(MetaKey.quoteCount),
    tradeCount: int(MetaKey.tradeCount),
    depthCount: int(MetaKey.depthCount),
    blockCount: blockStats.blocks,
    *blocks(options) {
      const fromTs = options?.fromTs ?? -Infinity
      let after = -1
      for (;;) {
        // the blocks the snapshot at open saw, as it saw them: a recording that commits meanwhile
        // adds blocks after them and ticks to the end of their last, which are not read
        const row = nextBlock.get(after, blockStats.lastId, fromTs) as BlockRow | undefined
        if (row === undefined) return
        after = row.id
        const stored = row.n
        if (row.ts.byteLength !== stored * 8 || row.kind.byteLength !== stored || row.instrument.byteLength !== stored || row.p1.byteLength !== stored * 8 ||
          row.q1.byteLength !== stored * 8 || row.p2.byteLength !== stored * 8 || row.q2.byteLength !== stored * 8)
          throw new TickFileError(path, `corrupt block ${row.id}: column lengths do not match n = ${stored}`)
        const n = row.id === blockStats.lastId ? Math.min(stored, blockStats.lastN) : stored
        const block: TickBlock = {
          n,
          ts: f64(row.ts, n),
          kind: u8(row.kind, n),
          instrument: u8(row.instrument, n),
          p1: f64(row.p1, n),
          q1: f64(row.q1, n),
          p2: f64(row.p2, n),
          q2: f64(row.q2, n)
        }
        yield block
      }
    },
    depth(snapshotId) {
      const row = depthRow.get(snapshotId) as { bids: Buffer; asks: Buffer } | undefined
      if (row === undefined) throw new TickFileError(path, `no depth snapshot with id ${snapshotId}`)
      if (row.bids.byteLength % 16 !== 0 || row.asks.byteLength % 16 !== 0) throw new TickFileError(path, `corrupt depth snapshot ${snapshotId}`)
      return { bids: unpackLevels(row.bids), asks: unpackLevels(row.asks) }
    },
    close() {
      if (db.open) db.close()
    }
  }
  return file
}
