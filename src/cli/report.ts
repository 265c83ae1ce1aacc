/**
 * `npm run report -- JOURNAL [--run N] [--kind live|paper] [--since TIME] [--until TIME] [--by-day] [--report-json FILE]`
 * The report of a live or paper run rebuilt from its journal: the same summary and JSON as a backtest.
 * `--since`/`--until` cut a window across runs: a day's farming, whatever restarts it had;
 * `--by-day` adds one line per UTC day.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { dailyReportsFromJournal, reportFromJournal } from "../live/journal-report"
import { formatDailySummary, formatSummary } from "./summary"
import { runCli } from "./run-cli"
import { parseInstant } from "./time-options"
import { checkJsonTarget, writeJsonFile } from "./json-file"

// existence is checked by the journal itself, for a one-line message naming the file
const journal = Args.text({ name: "JOURNAL" }).pipe(Args.withDescription("journal (SQLite) written by a live or paper run"))
const run = Options.integer("run").pipe(Options.withDescription("report on this run only (default: every run of the journal)"), Options.optional)
const kind = Options.choice("kind", ["live", "paper"]).pipe(Options.withDescription("only runs of this kind (a journal holding both needs it)"), Options.optional)
const since = Options.text("since").pipe(
  Options.withDescription("only what happened from this time on: a UTC date or time (2026-12-01, 2026-12-01T08:00, or with its zone), or a duration ago (24h, 7d); a position carried in is not revalued"),
  Options.mapEffect(parseInstant("since")),
  Options.optional
)
const until = Options.text("until").pipe(
  Options.withDescription("only what happened before this time (same forms as --since); open quantity is valued at the last mark before it"),
  Options.mapEffect(parseInstant("until")),
  Options.optional
)
const byDay = Options.boolean("by-day").pipe(
  Options.withDescription("also one line per UTC day (runs, volume, points, fees, funding, PnL, cost per 1000 points, fills), each day's own window")
)
const reportJson = Options.file("report-json").pipe(Options.withDescription("write the full report as JSON to this file"), Options.optional)

const command = Command.make("report", { journal, run, kind, since, until, byDay, reportJson }, (args) =>
  Effect.gen(function*() {
    const options = {
      ...Option.match(args.run, { onNone: () => ({}), onSome: (runId) => ({ runId }) }),
      ...Option.match(args.kind, { onNone: () => ({}), onSome: (k) => ({ kind: k }) }),
      ...Option.match(args.since, { onNone: () => ({}), onSome: (ms) => ({ since: ms }) }),
      ...Option.match(args.until, { onNone: () => ({}), onSome: (ms) => ({ until: ms }) })
    }
    if (Option.isSome(args.reportJson)) yield* checkJsonTarget(args.reportJson.value, [args.journal])
    const report = yield* reportFromJournal(args.journal, options)
    yield* Console.log(formatSummary(report))
    if (args.byDay) yield* Console.log(formatDailySummary(yield* dailyReportsFromJournal(args.journal, options), report))
    if (Option.isSome(args.reportJson)) {
      yield* writeJsonFile(args.reportJson.value, report, [args.journal])
      yield* Console.log(`report written to ${args.reportJson.value}`)
    }
  })
).pipe(Command.withDescription("Rebuild the report of a live or paper run from its journal"))

runCli(command, "hedgeloop report")
