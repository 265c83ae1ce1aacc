/**
 * Report files written in pieces: the same bytes as `JSON.stringify(value, null, 2) + "\n"`,
 * whatever the value, and never half a file under the report's name.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { jsonPieces, writeJsonFile } from "../src/cli/json-file"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { writeSwingingScript } from "./support/scripted-market"

const stringified = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`
const pieced = (value: unknown) => [...jsonPieces(value)].join("")

const write = (file: string, value: unknown) => Effect.runPromiseExit(writeJsonFile(file, value).pipe(Effect.provide(NodeContext.layer)))

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-json-"))

describe("jsonPieces", () => {
  it("writes any JSON value as JSON.stringify does", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(pieced(value)).toBe(stringified(value))
    }), { numRuns: 300 })
  })

  it("writes objects of arrays, nested values and skipped fields as JSON.stringify does", () => {
    const field = fc.oneof(
      fc.array(fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.date({ noInvalidDate: true })), { maxLength: 5 }),
      fc.jsonValue(),
      fc.constant(undefined),
      fc.constant(() => 1),
      fc.date({ noInvalidDate: true }),
      fc.constant({ toJSON: () => undefined })
    )
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }), field, { maxKeys: 6 }), (value) => {
      expect(pieced(value)).toBe(stringified(value))
    }), { numRuns: 300 })
  })

  it("writes a backtest's report as JSON.stringify does, its fills one piece each", async () => {
    const file = writeSwingingScript(300)
    const report = await Effect.runPromise(runBacktest({ dbPath: file, config: testConfig({ trade: { offset_percent: 0.05 } }) }))
    expect(report.fills.length).toBeGreaterThan(3)
    const pieces = [...jsonPieces(report)]
    expect(pieces.join("")).toBe(stringified(report))
    // no piece holds two fills: the list is never built as one string
    expect(pieces.filter((piece) => piece.includes('"tradeId"') || piece.includes('"orderId"')).length).toBe(report.fills.length)
  })
})

describe("writeJsonFile", () => {
  it("writes the text in its folder, made if missing, and leaves nothing beside it", async () => {
    const dir = tempDir()
    const file = path.join(dir, "out", "deeper", "report.json")
    // several buffers' worth, text of 1 to 4 bytes a character, and one piece larger than a buffer
    const value = {
      kind: "live",
      note: "é → 😀 ".repeat(200_000),
      fills: Array.from({ length: 20_000 }, (_, i) => ({ venue: "backpack", price: `2.${i}`, qty: "10", memo: i % 7 === 0 ? "😀é" : "", ts: i }))
    }
    expect(Exit.isSuccess(await write(file, value))).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe(stringified(value))
    expect(fs.readdirSync(path.dirname(file))).toEqual(["report.json"])
    // a second write replaces the first whole
    expect(Exit.isSuccess(await write(file, { kind: "paper" }))).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe(stringified({ kind: "paper" }))
  })

  it("fails with the file's error and leaves no partial file, nor touches the one already there", async () => {
    const dir = tempDir()
    // the report's name taken by a folder: the text is written, then cannot replace it
    const taken = path.join(dir, "report.json")
    fs.mkdirSync(taken)
    fs.writeFileSync(path.join(taken, "keep"), "x")
    const exit = await write(taken, { kind: "live" })
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("report.json")
    expect(fs.readdirSync(dir)).toEqual(["report.json"])
    expect(fs.readdirSync(taken)).toEqual(["keep"])
    // a folder that cannot be made (its parent is a file)
    const blocked = path.join(dir, "file")
    fs.writeFileSync(blocked, "x")
    expect(Exit.isFailure(await write(path.join(blocked, "report.json"), { kind: "live" }))).toBe(true)
  })
})

describe("what a JSON output may replace", () => {
  it("an earlier report, or nothing; never a tick file or journal (SQLite), another non-JSON file, or one of the command's inputs", async () => {
    const dir = tempDir()
    const earlier = path.join(dir, "earlier.json")
    fs.writeFileSync(earlier, '  {"kind": "backtest"}\n')
    expect(Exit.isSuccess(await write(earlier, { kind: "live" }))).toBe(true)
    expect(JSON.parse(fs.readFileSync(earlier, "utf8"))).toEqual({ kind: "live" })

    const db = path.join(dir, "sample.db")
    fs.writeFileSync(db, Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(100)]))
    const overDb = await write(db, { kind: "backtest" })
    expect(Exit.isFailure(overDb) && String(overDb.cause)).toMatch(/sample\.db: is an SQLite file \(a journal or a tick file\?\); not overwritten/)
    expect(fs.readFileSync(db).subarray(0, 15).toString()).toBe("SQLite format 3")

    const notes = path.join(dir, "notes.txt")
    fs.writeFileSync(notes, "my notes\n")
    expect(Exit.isFailure(await write(notes, {}))).toBe(true)
    expect(fs.readFileSync(notes, "utf8")).toBe("my notes\n")

    // a report being compared, reached through another spelling of its path
    const refused = await Effect.runPromiseExit(writeJsonFile(path.join(dir, ".", "earlier.json"), {}, [earlier]).pipe(Effect.provide(NodeContext.layer)))
    expect(Exit.isFailure(refused) && String(refused.cause)).toMatch(/one of this command's inputs/)
    expect(JSON.parse(fs.readFileSync(earlier, "utf8"))).toEqual({ kind: "live" })
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
