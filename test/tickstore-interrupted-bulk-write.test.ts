/**
 * A tick file written in bulk (import, gen-data) is written with `journal_mode = OFF`
 * (data/README.md), so that "an interrupted write leaves a file without `tick_count`, which
 * readers refuse", and which the same import, run again, replaces.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { importAsterCsv } from "../src/sim/data/import-aster-csv"
import { openTickFile } from "../src/sim/tickstore/reader"
import { runCommand } from "./support/run-command"
import { tempDir } from "./support/scripted-market"

const WRITER = path.resolve(__dirname, "../src/sim/tickstore/writer.ts")
const GENERATE = path.resolve(__dirname, "../src/sim/data/generate.ts")

/**
 * A bulk tick file write killed mid-way, as `kill -9` (or the OOM killer, or SIGHUP of a closed
 * terminal) leaves it: 20 blocks appended (16 committed, 4 in the open transaction), then SIGKILL.
 */
const interruptedBulkWrite = async (file: string): Promise<void> => {
  const script = path.join(path.dirname(file), "interrupted-writer.ts")
  fs.writeFileSync(
    script,
    [
      `import { createTickFile } from ${JSON.stringify(WRITER)}`,
      `import { SAMPLE_INSTRUMENTS } from ${JSON.stringify(GENERATE)}`,
      `const w = createTickFile(${JSON.stringify(file)}, { source: "gen-data seed 1", synthetic: true, proxy: [], createdAt: "2025-09-24T00:00:00.000Z", notes: {} }, SAMPLE_INSTRUMENTS)`,
      `for (let i = 0; i < 16384 * 20; i++) w.appendQuote(i % 2, 1_758_672_000_000_000 + i, 20000, 100, 20001, 100)`,
      `process.kill(process.pid, "SIGKILL")`
    ].join("\n")
  )
  const result = await runCommand(script, [])
  expect(result.signal).toBe("SIGKILL")
  expect(fs.existsSync(file)).toBe(true)
}

describe("an interrupted bulk write (import, gen-data)", () => {
  // Was: better-sqlite3's defensive mode silently ignored the bulk writer's `journal_mode = OFF`
  // (the pragma answered "delete"), so a killed import/gen-data left a hot -journal, and opening
  // the file failed with "cannot read: attempt to write a readonly database" (a permissions
  // problem, to a user) instead of "unfinished tick file".
  it("a tick file whose write was killed is refused as unfinished, not as a read-only database", async () => {
    const file = path.join(tempDir(), "killed.db")
    await interruptedBulkWrite(file)
    expect(() => openTickFile(file)).toThrow(/unfinished tick file/)
  })

  // Was: re-running the same import after it was killed was refused: the meta could not be read
  // past the hot journal, so the file was "an SQLite file that is not a tick file; not replaced",
  // and the user had to delete the file and its -journal by hand.
  it("re-running an import over the file a killed import left replaces it", async () => {
    const dir = tempDir()
    const out = path.join(dir, "reimport.db")
    await interruptedBulkWrite(out)
    const quotes = path.join(dir, "bbo.csv")
    fs.writeFileSync(quotes, ["unix_timestamp,bid,ask,mid", "1758700000.1,2.2884,2.2891,2.28875", "1758700000.2,2.2881,2.2884,2.28825", ""].join("\n"))
    const summary = importAsterCsv({ quotes, venue: "aster-futures", symbol: "ASTERUSDT", out })
    expect(summary.tickCount).toBe(2)
    const f = openTickFile(out)
    expect(f.tickCount).toBe(2)
    f.close()
  })
})
