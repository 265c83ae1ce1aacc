/**
 * The commands as a demanding user runs them: option values that are flags, Ctrl+C, large JSON
 * outputs, time options, wrong file types, and error messages that name the right problem. Each
 * `// Was:` says what an earlier build got wrong.
 */
import Database from "better-sqlite3"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type LocalExchange, startCommand, startLocalExchange } from "./support/live-processes"
import { runCommand as run } from "./support/run-command"
import { tempDir } from "./support/scripted-market"

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)

/** A synthetic tick file of `hours` hours, written by gen-data. */
const genData = async (hours: number): Promise<string> => {
  const file = path.join(tempDir(), `gen-${hours}h.db`)
  const r = await run("src/cli/gen-data.ts", ["--out", file, "--hours", String(hours)])
  expect(r.code, r.all).toBe(0)
  return file
}

describe("against a local exchange", () => {
  let local: LocalExchange
  beforeAll(async () => {
    local = await startLocalExchange({ maxCycles: 1 })
  })
  afterAll(async () => {
    await local?.stop()
  })

  // Was: an option that takes a value swallows the next flag as its value: `live --journal --paper
  // CONFIG` (the journal's name forgotten) takes "--paper" for the journal's path and runs LIVE,
  // with real orders on the real account, journalled into a file named "--paper". src/cli/run-cli.ts
  // runCli/unknownFlag only checks flag names, never that an option's value is itself a flag of the
  // command; a value that is one should be refused (exit 2, naming the option that lacks a value).
  it("live --journal --paper CONFIG does not run live with '--paper' as the journal", async () => {
    const r = await run("src/cli/live.ts", ["--journal", "--paper", local.config, "--check"])
    // what happens now: a LIVE check of the real account ("check of … (nothing was sent)", no "paper:")
    expect(r.stdout, r.all).not.toMatch(/^check of .*\(nothing was sent\):/m)
    expect(r.code, r.all).toBe(2)
    expect(r.stderr).toMatch(/--journal/)
    noStackTrace(r.all)
  })

  // Was: `live --record F --journal F` (the same file for both) is refused with "in use by another
  // recorder (process <its own pid>, …) … Stop it first": there is no other process, the run's own
  // journal lock is taken for a recorder's. The user is sent hunting for a process that does not
  // exist. src/cli/live.ts (the command) → runner.ts startMarketRecording: --record naming the
  // journal should be refused up front, saying it is the --journal (as json-file.ts does for inputs).
  it("live --record naming the journal says so, not 'in use by another recorder'", async () => {
    const journal = path.join(local.dir, "same.db")
    const r = await run("src/cli/live.ts", [local.config, "--paper", "--journal", journal, "--record", journal])
    expect(r.code, r.all).not.toBe(0)
    expect(r.stderr, r.all).not.toMatch(/another recorder/)
    expect(r.stderr).toMatch(/^error: .*--journal/m)
  })
})

describe("stress", () => {
  // Was: `stress --json FILE` on a day of data fails after every run has finished with
  // "error: WriteZero: FileSystem.writeAll (27): write returned 0 bytes written" (exit 1, the JSON
  // lost). src/cli/json-file.ts writeJsonFile: a piece larger than a third of WRITE_SIZE (a run's
  // whole report, ~380 KB for 24 h) first flushes the buffer even when it is empty, and
  // @effect/platform's writeAll fails on an empty write. Skip the flush when `used === 0`.
  it("stress --json writes the runs of a day-long tick file", async () => {
    const db = await genData(24)
    const json = path.join(tempDir(), "stress.json")
    const r = await run("src/cli/stress.ts", [db, "--runs", "2", "--json", json])
    expect(r.stderr, r.all).not.toMatch(/WriteZero/)
    expect(r.code, r.all).toBe(0)
    expect(JSON.parse(fs.readFileSync(json, "utf8")).runs).toHaveLength(2)
  })

  // Was: Ctrl+C during `stress` is not heard: every remaining run still goes, the summary is
  // printed, then the --json file is NOT written and the process exits 0 with no message: a silent
  // success with a lost output. src/sim/stress.ts runStress runs each backtest without
  // `cooperative: true` (so the signal waits for the loop), and src/cli/run-cli.ts keepingExitCode
  // lets an interrupted exit through as 0. An interrupted command should exit 130 (or finish and write).
  it("Ctrl+C during stress either finishes the --json file or exits non-zero", async () => {
    const db = await genData(0.5)
    const json = path.join(tempDir(), "stress-interrupted.json")
    const stress = startCommand("src/cli/stress.ts", [db, "--runs", "150", "--json", json])
    const deadline = Date.now() + 60_000
    // the first run's line: the runs are under way
    while (stress.process.exitCode === null && !/^0\s+\+0/m.test(stress.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    stress.process.kill("SIGINT")
    const code = await stress.exited
    const output = stress.output()
    const written = fs.existsSync(json)
    expect({ code, written }, output.slice(-800)).not.toEqual({ code: 0, written: false })
  })
})

describe("gen-data --start", () => {
  // Was: `--start` is documented "start time, ISO 8601 UTC", but src/cli/gen-data.ts parses it with
  // Date.parse: a date-time without a zone is read in the machine's local zone (TZ=America/New_York:
  // the "deterministic" sample starts at 04:00Z), 2025-02-30 rolls over to 2025-03-02, and "12"
  // becomes 2001-12-01. time-options.ts already parses UTC times with field checks; use it.
  it("reads a zone-less --start as UTC and refuses impossible dates", async () => {
    const out = path.join(tempDir(), "start.db")
    const r = await run("src/cli/gen-data.ts", ["--out", out, "--hours", "0.01", "--start", "2025-09-24T00:00:00"], { TZ: "America/New_York" })
    expect(r.code, r.all).toBe(0)
    expect(r.stdout).toMatch(/2025-09-24T00:00:00\.\d+Z –/)

    const rolled = await run("src/cli/gen-data.ts", ["--out", path.join(tempDir(), "feb30.db"), "--hours", "0.01", "--start", "2025-02-30"])
    expect(rolled.code, rolled.all).not.toBe(0)
    expect(rolled.stderr).toMatch(/--start/)
  })
})

describe("wrong file types for the local exchange's plans", () => {
  // Was: a tick file (SQLite) given as `exchange --faults` or `--accounts` prints a dozen lines of
  // YAML syntax errors ("Implicit keys need to be on a single line at line 1 …") about binary junk,
  // never saying it is an SQLite file. The same slip as --config, which config.ts answers in one
  // line ("not a YAML config: an SQLite file"); src/sim/local-exchange/faults.ts loadFaultPlan and
  // accounts.ts loadAccounts parse the bytes as YAML without looking at the file's head.
  it("a tick file given as --faults or --accounts gets one line saying it is SQLite", async () => {
    const db = await genData(0.01)
    for (const flag of ["--faults", "--accounts"]) {
      const r = await run("src/cli/exchange.ts", [db, "--port-backpack", "0", "--port-aster", "0", "--port-aster-spot", "0", flag, db])
      expect(r.code, r.all).not.toBe(0)
      expect(r.stderr, `${flag}: ${r.stderr.slice(0, 600)}`).toMatch(/SQLite/)
      expect(r.stderr.trimEnd().split("\n").length, `${flag}: ${r.stderr.slice(0, 600)}`).toBeLessThanOrEqual(3)
    }
  })

  // Was: `exchange --port-backpack 70000` (or -5) fails with Node's "error: options.port should be
  // >= 0 and < 65536. Received type number (70000)." and exit 1: the message names none of the three
  // port flags, and exit 1 is "a failure", not the documented 2 of a bad command line.
  // src/cli/exchange.ts: the port options are Options.integer with no range check.
  it("exchange with a port out of range names the flag and exits 2", async () => {
    const db = await genData(0.01)
    const r = await run("src/cli/exchange.ts", [db, "--port-backpack", "0", "--port-aster", "70000", "--port-aster-spot", "0"])
    expect(r.stderr, r.all).toMatch(/--port-aster\b/)
    expect(r.code, r.all).toBe(2)
  })
})

describe("import --proxy", () => {
  // Was: `import aster-csv --venue aster-futures --symbol ASTERUSDT --proxy aster-futures:ASTERUSDT`
  // (the proxy is the recorded instrument itself: a slip for backpack:ASTER_USDC_PERP) exits 0 and
  // writes a tick file holding aster-futures ASTERUSDT twice, which the backtest then refuses ("it
  // has aster-futures:ASTERUSDT, aster-futures:ASTERUSDT"). src/cli/import.ts toOptions (or
  // importAsterCsv) should refuse a proxy equal to the source.
  it("refuses a proxy that is the recorded instrument itself", async () => {
    const dir = tempDir()
    const trades = path.join(dir, "aggtrades.csv")
    fs.writeFileSync(trades, "id,unix_timestamp_ms,side,price,quantity\n1,1758672000000,buy,2.0000,10\n2,1758672001000,sell,2.0010,5\n")
    const out = path.join(dir, "proxy-self.db")
    const r = await run("src/cli/import.ts", ["aster-csv", "--trades", trades, "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--proxy", "aster-futures:ASTERUSDT", "--out", out])
    const instruments = fs.existsSync(out)
      ? (() => {
        const db = new Database(out, { readonly: true })
        try {
          return (db.prepare("SELECT venue || ':' || symbol AS id FROM instruments").all() as Array<{ id: string }>).map((row) => row.id)
        } finally {
          db.close()
        }
      })()
      : []
    expect(r.code, `${r.all}\ninstruments: ${instruments.join(", ")}`).not.toBe(0)
    expect(r.stderr).toMatch(/--proxy/)
  })
})
