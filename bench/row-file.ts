/**
 * A row-per-tick copy of a tick file, for the bench's comparison of layouts: table
 * `ticks(ts, kind, instrument, p1, q1, p2, q2)`, one row per tick in replay order. Only the bench
 * reads it; the backtest always reads the columnar blocks.
 */
import Database from "better-sqlite3"
import * as fs from "node:fs"
import { openTickFile } from "../src/sim/tickstore/reader"
import type { TickBlock } from "../src/sim/tickstore/types"

export const writeRowFile = (blockFile: string, out: string): void => {
  const partial = `${out}.partial`
  fs.rmSync(partial, { force: true })
  const source = openTickFile(blockFile)
  const db = new Database(partial)
  try {
    db.pragma("journal_mode = OFF")
    db.pragma("synchronous = OFF")
    db.exec("CREATE TABLE ticks (ts REAL NOT NULL, kind INTEGER NOT NULL, instrument INTEGER NOT NULL, p1 REAL NOT NULL, q1 REAL NOT NULL, p2 REAL NOT NULL, q2 REAL NOT NULL)")
    const insert = db.prepare("INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?)")
    const copyBlock = db.transaction((b: TickBlock) => {
      for (let i = 0; i < b.n; i++) insert.run(b.ts[i], b.kind[i], b.instrument[i], b.p1[i], b.q1[i], b.p2[i], b.q2[i])
    })
    for (const block of source.blocks()) copyBlock(block)
  } finally {
    db.close()
    source.close()
  }
  fs.renameSync(partial, out)
}
