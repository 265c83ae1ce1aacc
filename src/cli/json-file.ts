/**
 * Reports written as JSON files, piece by piece. A report of months lists half a million fills:
 * as one string (JSON.stringify, then its encoding) that is 130 MB twice over, on top of the
 * report itself. The pieces concatenate to exactly `JSON.stringify(value, null, 2) + "\n"`, so a
 * file reads the same whichever way it was written.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Data, Effect } from "effect"
import * as nodeFs from "node:fs"
import { readFileHead, SQLITE_HEADER } from "../sim/tickstore/file-head"

const INDENT = "  "

/** `JSON.stringify(value, null, 2)` of a value nested `depth` levels down, as it is written there. */
const nested = (value: unknown, depth: number): string | undefined =>
  JSON.stringify(value, null, 2)?.replaceAll("\n", `\n${INDENT.repeat(depth)}`)

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== "function"

/** One array, an element at a time (the elements of a top-level key sit two levels down). */
function* arrayPieces(items: ReadonlyArray<unknown>): Generator<string> {
  if (items.length === 0) {
    yield "[]"
    return
  }
  yield "["
  for (let i = 0; i < items.length; i++) {
    // as JSON.stringify writes them: a hole, undefined or a function is null inside an array
    yield `${i === 0 ? "" : ","}\n${INDENT.repeat(2)}${nested(items[i], 2) ?? "null"}`
  }
  yield `\n${INDENT}]`
}

/**
 * The text of `JSON.stringify(value, null, 2) + "\n"` in pieces: a top-level object key by key,
 * its arrays element by element. Anything else is one piece.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  if (!isPlainObject(value)) {
    yield `${JSON.stringify(value, null, 2)}\n`
    return
  }
  let first = true
  for (const [key, field] of Object.entries(value)) {
    const opening = `${first ? "{" : ","}\n${INDENT}${JSON.stringify(key)}: `
    if (Array.isArray(field)) {
      first = false
      yield opening
      yield* arrayPieces(field)
      continue
    }
    const text = nested(field, 1)
    // a key JSON.stringify leaves out: undefined, a function, a symbol (or what toJSON made one)
    if (text === undefined) continue
    first = false
    yield opening + text
  }
  yield first ? "{}\n" : "\n}\n"
}

/** Pieces are encoded into a buffer of this size, written each time it fills. */
const WRITE_SIZE = 1 << 20

/** A JSON output that would replace what must not be replaced. */
export class JsonFileRefused extends Data.TaggedError("JsonFileRefused")<{ readonly file: string; readonly reason: string }> {
  /** an output named on the command line: a bad command line, which a restart cannot cure */
  readonly exitCode = 2
  override get message() {
    return `${this.file}: ${this.reason}; not overwritten (choose another file)`
  }
}

const realPath = (file: string): string | undefined => {
  try {
    return nodeFs.realpathSync(file)
  } catch {
    return undefined
  }
}

/**
 * Refuses a JSON output that is one of the command's `inputs` (a journal, a tick file, a report
 * being compared) or an existing file that is not JSON: one slip of the tab key must not replace
 * the journal, the only record of a live account's positions, with a report. Checked before the
 * work, and again as the file is written.
 */
export const checkJsonTarget = (file: string, inputs: ReadonlyArray<string> = []): Effect.Effect<void, JsonFileRefused> =>
  Effect.suspend(() => {
    const target = realPath(file)
    if (target === undefined) return Effect.void
    const input = inputs.find((i) => realPath(i) === target)
    if (input !== undefined) return Effect.fail(new JsonFileRefused({ file, reason: `is ${input === file ? "" : `${input}, `}one of this command's inputs` }))
    const head = readFileHead(target, 64)
    // a folder, or unreadable: the write says why
    if (head === undefined) return Effect.void
    const start = head.trimStart()
    if (start === "" || start.startsWith("{") || start.startsWith("[")) return Effect.void
    return Effect.fail(new JsonFileRefused({ file, reason: head.startsWith(SQLITE_HEADER) ? "is an SQLite file (a journal or a tick file?)" : "exists and is not a JSON file" }))
  })

/**
 * Writes `value` as indented JSON to `file`, creating its folder. The text goes to a sibling
 * first and replaces `file` once complete: an interrupted write never leaves half a report.
 */
export const writeJsonFile = (file: string, value: unknown, inputs: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    yield* checkJsonTarget(file, inputs)
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    yield* fs.makeDirectory(path.dirname(file), { recursive: true })
    const partial = `${file}.partial`
    yield* Effect.scoped(
      Effect.gen(function*() {
        const out = yield* fs.open(partial, { flag: "w" })
        // encoded straight into one reused buffer: joining the pieces into strings first costs twice as much
        const buffer = Buffer.allocUnsafe(WRITE_SIZE)
        let used = 0
        for (const piece of jsonPieces(value)) {
          // a UTF-16 unit takes at most 3 bytes in UTF-8
          // (an empty write fails: the file system takes it for a disk that wrote nothing)
          if (used > 0 && used + piece.length * 3 > WRITE_SIZE) {
            yield* out.writeAll(buffer.subarray(0, used))
            used = 0
          }
          if (piece.length * 3 > WRITE_SIZE) yield* out.writeAll(Buffer.from(piece, "utf8"))
          else used += buffer.write(piece, used, "utf8")
        }
        if (used > 0) yield* out.writeAll(buffer.subarray(0, used))
      })
    ).pipe(
      Effect.zipRight(fs.rename(partial, file)),
      Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.ignore(fs.remove(partial))))
    )
  })
