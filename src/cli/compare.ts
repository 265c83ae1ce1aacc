/**
 * `npm run compare -- A.json B.json [--json FILE]`: two run reports (backtest, paper or live)
 * side by side with their differences.
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Data, Effect, Option, ParseResult, Schema } from "effect"
import { ComparedReport, compareReports, formatComparison } from "../core/report/compare"
import { runCli } from "./run-cli"
import { checkJsonTarget, writeJsonFile } from "./json-file"

class ReportUnreadable extends Data.TaggedError("ReportUnreadable")<{ readonly file: string; readonly reason: string }> {
  override get message() {
    return `${this.file}: ${this.reason}`
  }
}

const readReport = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(Effect.mapError(() => new ReportUnreadable({ file, reason: "cannot read the file" })))
    const json = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => new ReportUnreadable({ file, reason: "not JSON" }) })
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return yield* new ReportUnreadable({ file, reason: `not a hedgeloop report: the JSON is ${json === null ? "null" : Array.isArray(json) ? "an array" : `a ${typeof json}`}, not a report object` })
    }
    return yield* Schema.decodeUnknown(ComparedReport)(json).pipe(
      Effect.mapError((error) => {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
        const where = issue ? `${issue.path.join(".")}: ${issue.message}` : error.message
        // a report's kind with fields that do not fit: a report, of a hedgeloop version before or after this one
        const kind = (json as { kind?: unknown }).kind
        return new ReportUnreadable({
          file,
          reason: kind === "backtest" || kind === "live" || kind === "paper"
            ? `a ${kind} report this version cannot read (${where}): made by another hedgeloop version (make it again), or edited`
            : `not a hedgeloop report: ${where}`
        })
      })
    )
  })

const a = Args.file({ name: "A", exists: "yes" }).pipe(Args.withDescription("first report (JSON from --report-json)"))
const b = Args.file({ name: "B", exists: "yes" }).pipe(Args.withDescription("second report"))
const json = Options.file("json").pipe(Options.withDescription("also write the comparison as JSON to this file"), Options.optional)

const command = Command.make("compare", { a, b, json }, (args) =>
  Effect.gen(function*() {
    if (Option.isSome(args.json)) yield* checkJsonTarget(args.json.value, [args.a, args.b])
    const comparison = compareReports(yield* readReport(args.a), yield* readReport(args.b))
    yield* Console.log(formatComparison(comparison))
    if (Option.isSome(args.json)) {
      yield* writeJsonFile(args.json.value, comparison, [args.a, args.b])
    }
  })
).pipe(Command.withDescription("Compare two hedgeloop reports side by side"))

runCli(command, "hedgeloop compare")
