/**
 * Writer of a tick file. Ticks are appended in non-decreasing time order (across all
 * instruments), buffered into one columnar block of BLOCK_SIZE rows, and each full block is written
 * as one row of `tick_blocks`. Plain synchronous code: it is the import/generate hot path.
 * A bulk write (import, gen-data) is one unjournalled pass; a recording commits as it goes.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import Database from "better-sqlite3"
import { BLOCK_SIZE, BLOCKS_PER_TRANSACTION, DDL, FORMAT_VERSION, MetaKey, PAGE_SIZE, RECORDING_NOTE } from "./schema"
import { openTickFile, type TickFile } from "./reader"
import { type DataMeta, type DepthLevels, type Gap, type StoredFunding, type StoredInstrument, TickKind } from "./types"
import { readFileHead, SQLITE_HEADER } from "./file-head"

export interface TickFileWriter {
  readonly path: string
  /** ticks appended so far */
  readonly tickCount: number
  /** timestamp of the last appended tick (µs), -Infinity before the first */
  readonly lastTs: number
  appendQuote(instrumentIdx: number, tsUs: number, bidU: number, bidQtyU: number, askU: number, askQtyU: number): void
  appendTrade(instrumentIdx: number, tsUs: number, priceU: number, qtyU: number, takerSide: "buy" | "sell"): void
  /** Stores the levels in `depth_snapshots` and appends a Depth tick; returns the snapshot id. */
  appendDepth(instrumentIdx: number, tsUs: number, levels: DepthLevels): number
  addFunding(funding: StoredFunding): void
  addGap(gap: Gap): void
  /** Sets (or replaces) one key of meta.notes. */
  setNote(key: string, value: unknown): void
  /** Flushes the last block, writes meta (time range, counts) and closes the file. */
  finish(): void
  /**
   * Closes and deletes the unfinished file (after a failed import); a recording keeps what it
   * committed. No-op once finished or aborted.
   */
  abort(): void
}

const assertLittleEndian = (): void => {
  if (os.endianness() !== "LE") throw new Error("tick files store little-endian typed arrays; this platform is big-endian")
}

const isScaled = (x: number): boolean => Number.isSafeInteger(x)

const blob = (a: Float64Array | Uint8Array, n: number): Buffer => Buffer.from(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT)

const packLevels = (levels: ReadonlyArray<readonly [number, number]>, what: string): Buffer => {
  const a = new Float64Array(levels.length * 2)
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    if (!isScaled(level[0]) || !isScaled(level[1])) throw new Error(`depth ${what} level ${i}: price and quantity units must be safe integers, got ${level[0]}, ${level[1]}`)
    a[2 * i] = level[0]
    a[2 * i + 1] = level[1]
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength)
}

/**
 * Creates a new tick file at `path` (an existing file there is deleted first). The returned writer
 * must be finished (or aborted); an unfinished file is refused by the reader.
 */
export const createTickFile = (
  path: string,
  meta: Omit<DataMeta, "formatVersion">,
  instruments: ReadonlyArray<Omit<StoredInstrument, "idx">>
): TickFileWriter => {
  const db = newFile(path, instruments, "bulk")
  return writerOver(db, path, meta, instruments.length, FRESH, "bulk")
}

/** A writer whose file is a complete tick file after every `commit()`: what a recording needs. */
export interface RecordingWriter extends TickFileWriter {
  /** Writes the ticks so far (a partial block too) and the meta that makes them readable, in one transaction. */
  commit(): void
}

/** What an existing recording held when it was reopened (its file handle is closed by then). */
export type ResumedRecording = Pick<TickFile, "meta" | "funding" | "firstTs" | "lastTs" | "tickCount" | "instruments">

/**
 * Opens a tick file for a recording made over time: created when missing; when it exists (an
 * earlier run recorded into it), appended to, after checking it holds the same instruments. The
 * file is in WAL mode and complete after each commit, so a crash loses only the uncommitted ticks.
 * `meta` applies to a new file (its notes must hold RECORDING_NOTE); an existing one keeps its own.
 */
export const openRecording = (
  path: string,
  meta: Omit<DataMeta, "formatVersion">,
  instruments: ReadonlyArray<Omit<StoredInstrument, "idx">>
): { readonly writer: RecordingWriter; readonly resumed: ResumedRecording | undefined } => {
  if (!fs.existsSync(path)) {
    const db = newFile(path, instruments, "recording")
    const writer = writerOver(db, path, meta, instruments.length, FRESH, "recording")
    // readable (empty) from the start: a crash before the first ticks leaves a file the next run resumes
    writer.commit()
    return { writer, resumed: undefined }
  }
  const existing = openTickFile(path)
  existing.close()
  if (existing.meta.notes[RECORDING_NOTE] === undefined) {
    throw new Error(`${path}: is a tick file but not a recording (${existing.meta.source}); a recording appends only to its own files: record into another file`)
  }
  const differs = instruments.length !== existing.instruments.length ||
    instruments.some((i, idx) => {
      const e = existing.instruments[idx]!
      // the minimums too: a backtest of the file sizes and refuses orders by the one set it keeps
      // the scales are the file's: one started with fewer price decimals is resumed with them
      return i.venue !== e.venue || i.symbol !== e.symbol || i.tickSize !== e.tickSize || i.stepSize !== e.stepSize ||
        i.minQty !== e.minQty || i.minNotional !== e.minNotional || i.qtyScale !== e.qtyScale
    })
  if (differs) {
    const names = (list: ReadonlyArray<Omit<StoredInstrument, "idx">>) =>
      list.map((i) => `${i.venue} ${i.symbol} (tick ${i.tickSize}, step ${i.stepSize}, min qty ${i.minQty}, min notional ${i.minNotional})`).join(" + ")
    throw new Error(`${path}: holds ${names(existing.instruments)}, not ${names(instruments)}; record into another file`)
  }
  let db: Database.Database
  try {
    db = new Database(path, { fileMustExist: true })
  } catch (e) {
    throw new Error(`${path}: cannot open the tick file for writing: ${(e as Error).message}`)
  }
  recordingPragmas(db)
  const resume: WriterState = {
    blockId: existing.blockCount,
    firstTs: existing.firstTs,
    // a file committed before its first tick says no last time: any tick may follow
    lastTs: Number.isFinite(existing.lastTs) ? existing.lastTs : -Infinity,
    quoteCount: existing.quoteCount,
    tradeCount: existing.tradeCount,
    depthCount: existing.depthCount
  }
  const kept = { source: existing.meta.source, synthetic: existing.meta.synthetic, proxy: existing.meta.proxy, createdAt: existing.meta.createdAt, notes: existing.meta.notes }
  db.exec("BEGIN")
  return { writer: writerOver(db, path, kept, instruments.length, resume, "recording"), resumed: existing }
}

/**
 * WAL, so each commit is atomic and a killed process loses only what it had not committed; no
 * fsync (synchronous OFF), so a commit or checkpoint never stalls the live process that records:
 * only a power loss could cost the recording's last commits.
 */
const recordingPragmas = (db: Database.Database): void => {
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = OFF")
}

interface WriterState {
  readonly blockId: number
  readonly firstTs: number
  readonly lastTs: number
  readonly quoteCount: number
  readonly tradeCount: number
  readonly depthCount: number
}

const FRESH: WriterState = { blockId: 0, firstTs: NaN, lastTs: -Infinity, quoteCount: 0, tradeCount: 0, depthCount: 0 }

/**
 * A file a new tick file may replace: none, an empty one, or a tick file that can be made again
 * (an import, a generated sample). Anything else (a live journal, a config holding keys, a
 * recording of the venues' data) is refused: one slip in an `--out` must not delete what only
 * exists once.
 */
const assertReplaceable = (path: string): void => {
  const head = readFileHead(path, SQLITE_HEADER.length)
  // nothing there, an empty file, or a folder (the creation says so)
  if (head === undefined || head === "") return
  if (head !== SQLITE_HEADER) throw new Error(`${path}: exists and is not a tick file; not replaced (remove it, or choose another file)`)
  // its kind, read from its meta in one look: a journal, another SQLite file, a recording, or a tick file made again
  let format: { readonly format?: string; readonly version?: string; readonly recording: boolean }
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true })
    try {
      const rows = db.prepare("SELECT key, value FROM meta WHERE key IN ('format', ?, ?)").all(MetaKey.formatVersion, MetaKey.notes) as Array<{ key: string; value: string }>
      const meta = new Map(rows.map((r) => [r.key, r.value]))
      format = {
        ...(meta.has("format") ? { format: meta.get("format")! } : {}),
        ...(meta.has(MetaKey.formatVersion) ? { version: meta.get(MetaKey.formatVersion)! } : {}),
        recording: isRecordingNotes(meta.get(MetaKey.notes))
      }
    } finally {
      db.close()
    }
  } catch {
    format = { recording: false }
  }
  if (format.format === "hedgeloop-journal") throw new Error(`${path}: is a hedgeloop journal; not replaced (choose another file)`)
  if (format.format !== undefined || format.version === undefined) throw new Error(`${path}: is an SQLite file that is not a tick file; not replaced (remove it, or choose another file)`)
  // a recording of the venues' own data cannot be made again, unlike an import or a generated sample
  if (format.recording) throw new Error(`${path}: is a market data recording, which cannot be made again; not replaced (choose another file)`)
}

/** Whether a tick file's `meta.notes` (JSON text) mark it as a recording; unreadable notes do not. */
const isRecordingNotes = (text: string | undefined): boolean => {
  if (text === undefined) return false
  try {
    const notes: unknown = JSON.parse(text)
    return typeof notes === "object" && notes !== null && !Array.isArray(notes) && RECORDING_NOTE in notes
  } catch {
    return false
  }
}

/** A new file with its tables and instruments, in an open transaction. */
const newFile = (path: string, instruments: ReadonlyArray<Omit<StoredInstrument, "idx">>, mode: "bulk" | "recording"): Database.Database => {
  assertLittleEndian()
  if (instruments.length === 0) throw new Error(`${path}: a tick file needs at least one instrument`)
  if (instruments.length > 255) throw new Error(`${path}: at most 255 instruments per tick file (instrument index is one byte)`)
  if (fs.statSync(path, { throwIfNoEntry: false })?.isDirectory() === true) throw new Error(`${path}: is a folder; give the tick file's own path (e.g. ${nodePath.join(path, "ticks.db")})`)
  assertReplaceable(path)
  for (const suffix of ["", "-journal", "-wal", "-shm"]) fs.rmSync(path + suffix, { force: true })

  let db: Database.Database
  try {
    db = new Database(path)
  } catch (e) {
    throw new Error(`${path}: cannot create the tick file: ${(e as Error).message}`)
  }
  db.pragma(`page_size = ${PAGE_SIZE}`)
  if (mode === "bulk") {
    // better-sqlite3 opens connections in SQLite's defensive mode, which keeps the rollback
    // journal whatever this asks: a killed write would leave a hot -journal that makes the file
    // unreadable ("readonly database") and not replaceable, instead of an unfinished tick file
    db.unsafeMode(true)
    const journal = db.pragma("journal_mode = OFF", { simple: true })
    db.unsafeMode(false)
    if (journal !== "off") {
      db.close()
      throw new Error(`${path}: cannot write the tick file without a rollback journal (journal mode stays ${String(journal)})`)
    }
    db.pragma("synchronous = OFF")
    db.pragma("locking_mode = EXCLUSIVE")
  } else {
    recordingPragmas(db)
  }
  db.exec("BEGIN")
  db.exec(DDL)
  const insertInstrument = db.prepare(
    `INSERT INTO instruments (idx, venue, symbol, base, quote, kind, tick_size, step_size, min_qty, min_notional, price_scale, qty_scale)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  instruments.forEach((i, idx) =>
    insertInstrument.run(idx, i.venue, i.symbol, i.base, i.quote, i.kind, i.tickSize, i.stepSize, i.minQty, i.minNotional, i.priceScale, i.qtyScale)
  )
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(MetaKey.formatVersion, String(FORMAT_VERSION))
  if (mode === "bulk") {
    // a tick file from the start (tables, instruments, format, no tick count yet): one killed
    // before its first blocks are committed is still an unfinished tick file the same command replaces
    db.exec("COMMIT")
    db.exec("BEGIN")
  }
  return db
}

const writerOver = (
  db: Database.Database,
  path: string,
  meta: Omit<DataMeta, "formatVersion">,
  nInstruments: number,
  start: WriterState,
  mode: "bulk" | "recording"
): RecordingWriter => {
  const insertMeta = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
  const insertBlock = db.prepare(
    "INSERT OR REPLACE INTO tick_blocks (id, t_first, t_last, n, ts, kind, instrument, p1, q1, p2, q2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
  )
  const insertFunding = db.prepare("INSERT INTO funding (instrument_idx, ts, rate, mark_price) VALUES (?, ?, ?, ?)")
  const insertDepth = db.prepare("INSERT INTO depth_snapshots (id, instrument_idx, ts, bids, asks) VALUES (?, ?, ?, ?, ?)")
  const insertGap = db.prepare("INSERT INTO gaps (instrument_idx, from_ts, to_ts) VALUES (?, ?, ?)")

  const notes: Record<string, unknown> = { ...meta.notes }

  const ts = new Float64Array(BLOCK_SIZE)
  const kind = new Uint8Array(BLOCK_SIZE)
  const instrument = new Uint8Array(BLOCK_SIZE)
  const p1 = new Float64Array(BLOCK_SIZE)
  const q1 = new Float64Array(BLOCK_SIZE)
  const p2 = new Float64Array(BLOCK_SIZE)
  const q2 = new Float64Array(BLOCK_SIZE)

  let n = 0
  let blockId = start.blockId
  let blocksInTx = 0
  let lastTs = start.lastTs
  let firstTs = start.firstTs
  let quoteCount = start.quoteCount
  let tradeCount = start.tradeCount
  let depthCount = start.depthCount
  let state: "open" | "finished" | "aborted" = "open"

  const fail = (message: string): never => {
    throw new Error(`${path}: ${message}`)
  }

  /** The block being filled, as it is now: a commit stores it, and replaces it with more later. */
  const writeOpenBlock = (): void => {
    insertBlock.run(blockId + 1, ts[0]!, ts[n - 1]!, n, blob(ts, n), blob(kind, n), blob(instrument, n), blob(p1, n), blob(q1, n), blob(p2, n), blob(q2, n))
  }

  const flush = (): void => {
    if (n === 0) return
    writeOpenBlock()
    blockId++
    n = 0
    // a recording commits only with its meta (commit()), so a reader never sees blocks beyond tick_count
    if (mode === "bulk" && ++blocksInTx >= BLOCKS_PER_TRANSACTION) {
      db.exec("COMMIT")
      db.exec("BEGIN")
      blocksInTx = 0
    }
  }

  const check = (instrumentIdx: number, tsUs: number): void => {
    if (state !== "open") fail(`the writer is ${state}`)
    if (!(tsUs >= lastTs)) {
      if (Number.isNaN(tsUs)) fail("timestamp is NaN")
      fail(`ticks must be appended in non-decreasing time order: ${tsUs} µs after ${lastTs} µs (instrument ${instrumentIdx})`)
    }
    if (!Number.isSafeInteger(tsUs)) fail(`timestamp must be an integer number of µs, got ${tsUs}`)
    if (!(instrumentIdx >= 0 && instrumentIdx < nInstruments && Number.isInteger(instrumentIdx)))
      fail(`instrument index ${instrumentIdx} is not one of the file's ${nInstruments} instruments`)
  }

  const push = (k: number, instrumentIdx: number, tsUs: number, a: number, b: number, c: number, d: number): void => {
    if (Number.isNaN(firstTs)) firstTs = tsUs
    ts[n] = tsUs
    kind[n] = k
    instrument[n] = instrumentIdx
    p1[n] = a
    q1[n] = b
    p2[n] = c
    q2[n] = d
    lastTs = tsUs
    if (++n === BLOCK_SIZE) flush()
  }

  /** The meta that describes the ticks written so far; `tick_count` last (it marks a finished file). */
  const writeMeta = (): void => {
    const count = quoteCount + tradeCount + depthCount
    const entries: Array<[string, string]> = [
      [MetaKey.source, meta.source],
      [MetaKey.synthetic, meta.synthetic ? "true" : "false"],
      [MetaKey.proxy, JSON.stringify(meta.proxy)],
      [MetaKey.createdAt, meta.createdAt],
      [MetaKey.notes, JSON.stringify(notes)],
      [MetaKey.tFirst, count === 0 ? "" : String(firstTs)],
      [MetaKey.tLast, count === 0 ? "" : String(lastTs)],
      [MetaKey.quoteCount, String(quoteCount)],
      [MetaKey.tradeCount, String(tradeCount)],
      [MetaKey.depthCount, String(depthCount)],
      [MetaKey.tickCount, String(count)]
    ]
    for (const [k, v] of entries) insertMeta.run(k, v)
  }

  const writer: RecordingWriter = {
    path,
    get tickCount() {
      return quoteCount + tradeCount + depthCount
    },
    get lastTs() {
      return lastTs
    },
    appendQuote(instrumentIdx, tsUs, bidU, bidQtyU, askU, askQtyU) {
      check(instrumentIdx, tsUs)
      if (!(isScaled(bidU) && isScaled(bidQtyU) && isScaled(askU) && isScaled(askQtyU)))
        fail(`quote at ${tsUs} µs: prices and quantities must be integer units, got ${bidU} ${bidQtyU} ${askU} ${askQtyU}`)
      quoteCount++
      push(TickKind.Quote, instrumentIdx, tsUs, bidU, bidQtyU, askU, askQtyU)
    },
    appendTrade(instrumentIdx, tsUs, priceU, qtyU, takerSide) {
      check(instrumentIdx, tsUs)
      if (!(isScaled(priceU) && isScaled(qtyU))) fail(`trade at ${tsUs} µs: price and quantity must be integer units, got ${priceU} ${qtyU}`)
      if (takerSide !== "buy" && takerSide !== "sell") fail(`trade at ${tsUs} µs: taker side must be "buy" or "sell", got ${String(takerSide)}`)
      tradeCount++
      push(takerSide === "buy" ? TickKind.TradeBuy : TickKind.TradeSell, instrumentIdx, tsUs, priceU, qtyU, 0, 0)
    },
    appendDepth(instrumentIdx, tsUs, levels) {
      check(instrumentIdx, tsUs)
      const id = ++depthCount
      insertDepth.run(id, instrumentIdx, tsUs, packLevels(levels.bids, "bid"), packLevels(levels.asks, "ask"))
      push(TickKind.Depth, instrumentIdx, tsUs, id, 0, 0, 0)
      return id
    },
    addFunding(f) {
      if (state !== "open") fail(`the writer is ${state}`)
      if (!(f.instrumentIdx >= 0 && f.instrumentIdx < nInstruments)) fail(`funding: instrument index ${f.instrumentIdx} is out of range`)
      if (!Number.isSafeInteger(f.ts)) fail(`funding: timestamp must be integer µs, got ${f.ts}`)
      insertFunding.run(f.instrumentIdx, f.ts, f.rate, f.markPrice)
    },
    addGap(g) {
      if (state !== "open") fail(`the writer is ${state}`)
      if (!(g.instrumentIdx >= 0 && g.instrumentIdx < nInstruments)) fail(`gap: instrument index ${g.instrumentIdx} is out of range`)
      insertGap.run(g.instrumentIdx, g.fromTs, g.toTs)
    },
    setNote(key, value) {
      if (state !== "open") fail(`the writer is ${state}`)
      notes[key] = value
    },
    commit() {
      if (state !== "open") fail(`the writer is ${state}`)
      // the open block is stored as it is, not closed: blocks stay full-sized however often this runs
      if (n > 0) writeOpenBlock()
      writeMeta()
      db.exec("COMMIT")
      db.exec("BEGIN")
      blocksInTx = 0
    },
    finish() {
      if (state !== "open") fail(`the writer is ${state}`)
      try {
        flush()
        writeMeta()
        db.exec("COMMIT")
        // a recording folds its write-ahead log back: the finished file is one file again; a
        // reader holding it open (a backtest of the minutes so far) keeps it in WAL, complete all the same
        if (mode === "recording") {
          try {
            db.pragma("journal_mode = DELETE")
          } catch {
            // stays in WAL mode: every tick is committed
          }
        }
        db.close()
        state = "finished"
      } catch (e) {
        writer.abort()
        throw e
      }
    },
    abort() {
      if (state !== "open") return
      state = "aborted"
      try {
        if (db.open) {
          if (db.inTransaction) db.exec("ROLLBACK")
          db.close()
        }
      } finally {
        // a recording keeps what it committed; a bulk write leaves nothing half-written
        if (mode === "bulk") for (const suffix of ["", "-journal", "-wal", "-shm"]) fs.rmSync(path + suffix, { force: true })
      }
    }
  }
  return writer
}
