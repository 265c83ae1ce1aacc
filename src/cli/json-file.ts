/**
 * Reports written as JSON files, piece by piece. A report of months lists half a million fills:
 * as one string (JSON.stringify, then its encoding) that is 130 MB twice over, on top of the
 * report itself. The pieces concatenate to exactly `JSON.stringify(value, null, 2) + "\n"`, so a
 * file reads the same whichever way it was written.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Effect } from "effect"

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

/**
 * Writes `value` as indented JSON to `file`, creating its folder. The text goes to a sibling
 * first and replaces `file` once complete: an interrupted write never leaves half a report.
 */
export const writeJsonFile = (file: string, value: unknown) =>
  Effect.gen(function*() {
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
          if (used + piece.length * 3 > WRITE_SIZE) {
            yield* out.writeAll(buffer.subarray(0, used))
            used = 0
          }
          if (piece.length * 3 > WRITE_SIZE) yield* out.writeAll(Buffer.from(piece, "utf8"))
          else used += buffer.write(piece, used, "utf8")
        }
        yield* out.writeAll(buffer.subarray(0, used))
      })
    ).pipe(
      Effect.zipRight(fs.rename(partial, file)),
      Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.ignore(fs.remove(partial))))
    )
  })
