/**
 * Inputs the commands must refuse cleanly (src/cli/*.ts), run as a user runs them: child processes
 * under tsx, only loopback (or no network at all): a tick file without ticks, a hedge config given
 * as the accounts file, a binary file given as a CSV, and the exit codes of command-line mistakes.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { writing } from "./support/journal-writing"
import { type CommandResult, runCommand as run } from "./support/run-command"
import { tempDir, writeScript } from "./support/scripted-market"

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)

/** A command that should end by itself; killed after `ms` (then reported with code null) so a test never hangs. */
const runBounded = (script: string, args: ReadonlyArray<string>, ms = 30_000): Promise<CommandResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill("SIGINT")
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
    }, ms)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, all: stdout + stderr })
    })
  })

/** The example futures config with its venues on a closed loopback port: nothing can leave the machine. */
const loopbackConfig = (dir: string, edit: (text: string) => string = (t) => t): string => {
  const file = path.join(dir, "hedge futures.yaml")
  const text = fs.readFileSync("config/hedge_futures.example.yaml", "utf8")
    .replace("https://api.backpack.exchange", "http://127.0.0.1:9")
    .replace("https://fapi.asterdex.com", "http://127.0.0.1:9/fapi")
  fs.writeFileSync(file, edit(text), { mode: 0o600 })
  return file
}

const PORTS = ["--port-backpack", "0", "--port-aster", "0", "--port-aster-spot", "0"]

describe("backtest of a tick file without ticks", () => {
  // Was: "error: Invalid time value" (the progress bar of an empty replay), naming neither the
  // file nor the problem; `npm run record` leaves such a file when stopped before the first tick.
  it("says the file has no ticks (or reports an empty run), not 'Invalid time value'", async () => {
    const db = writeScript([])
    const r = await run("src/cli/backtest.ts", [db, "--quiet"])
    noStackTrace(r.all)
    expect(r.stderr, r.all).not.toMatch(/Invalid time value/)
    if (r.code !== 0) expect(r.stderr).toMatch(/^error: .*script\.db/m)
  })
})

describe("secrets in the local exchange's --accounts errors", () => {
  // Was: the accounts schema's error for the `aster:` mapping showed the value it got, the Aster
  // API secret and V3 signer private key in full. Now a mapping or list is named by its kind, and
  // no value under a secret's key is shown.
  it("never prints the secrets of a hedge config given as --accounts", async () => {
    const dir = tempDir()
    const apiSecret = "Zq7RealAsterApiSecretValue0123456789abcdef"
    const privateKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    const config = loopbackConfig(dir, (text) =>
      text.replace('  api_secret: ""', `  api_secret: "${apiSecret}"\n  signer_private_key: "${privateKey}"`).replace('  api_key: ""', '  api_key: "real-key"'))
    const r = await runBounded("src/cli/exchange.ts", ["data/sample.db", ...PORTS, "--accounts", config])
    expect(r.code, r.all).not.toBe(0)
    expect(r.stderr).toMatch(/accounts file/)
    expect(r.all).not.toContain(apiSecret)
    expect(r.all).not.toContain(privateKey.slice(2, 42))
  })
})

describe("import of a file that is no CSV", () => {
  // Was: "unrecognised columns" followed by the first 120 raw bytes (NULs, BEL, carriage
  // returns), never saying the file is binary. Now SQLite, zip, gzip and binary files are named.
  it("says a binary file is not a CSV, without writing its control bytes to the terminal", async () => {
    const dir = tempDir()
    const zip = path.join(dir, "ASTERUSDT-aggTrades-2025-09-24.zip")
    fs.writeFileSync(zip, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x08, 0x08, 0x07, 0x0d, 0x00]), Buffer.from("ASTERUSDT-aggTrades-2025-09-24.csv"), Buffer.alloc(40, 0)]))
    for (const file of ["data/sample.db", zip]) {
      const r = await run("src/cli/import.ts", ["aster-csv", "--trades", file, "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--out", path.join(dir, "out.db")])
      expect(r.code, r.all).toBe(1)
      expect(r.stderr).toMatch(/^error: /m)
      // eslint-disable-next-line no-control-regex
      expect(r.stderr, JSON.stringify(r.stderr.slice(0, 300))).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/)
      if (file.endsWith(".db")) expect(r.stderr).toMatch(/SQLite/)
    }
    expect(fs.existsSync(path.join(dir, "out.db"))).toBe(false)
  })
})

describe("exit codes as the README and `live --help` give them", () => {
  // Was: a refused --report-json (naming the journal or the config) exited 1, which `live --help`
  // tells a supervisor to restart on; now 2, a bad command line.
  it("live --report-json naming the journal or the config exits 2 (a bad command line), not 1 (restart me)", async () => {
    const dir = tempDir()
    const config = loopbackConfig(dir)
    const journal = path.join(dir, "live journal.db")
    writing(journal, () => undefined)
    for (const target of [journal, config]) {
      const r = await runBounded("src/cli/live.ts", [config, "--paper", "--journal", journal, "--report-json", target])
      expect(r.stderr, r.all).toMatch(/one of this command's inputs/)
      noStackTrace(r.all)
      expect(r.code, `${path.basename(target)}: ${r.all}`).toBe(2)
    }
  })

  // Was: these command-line mistakes exited 1 (a failed run), and gen-data and exchange did not
  // name the flag ("hours must be positive, got 0").
  it("out-of-range or incomplete options exit 2 and name the flag", async () => {
    const dir = tempDir()
    const trades = path.join(dir, "aggtrades.csv")
    fs.writeFileSync(trades, "id,unix_timestamp_ms,side,price,quantity\n1,1758672000000,buy,2.0000,10\n2,1758672001000,sell,2.0010,5\n")
    const importArgs = ["aster-csv", "--trades", trades, "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--out", path.join(dir, "x.db")]
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
      ["src/cli/import.ts", [], /aster-csv/],
      ["src/cli/import.ts", [...importArgs, "--funding-rate", "0.0001"], /--funding-interval-hours/],
      ["src/cli/import.ts", [...importArgs, "--proxy-basis-bps", "5"], /--proxy/],
      ["src/cli/gen-data.ts", ["--out", path.join(dir, "g.db"), "--hours", "0"], /--hours/],
      ["src/cli/exchange.ts", ["data/sample.db", ...PORTS, "--speed", "0"], /--speed/]
    ]
    const seen: Array<string> = []
    for (const [script, args, flag] of cases) {
      const r = await runBounded(script, args)
      const line = `${path.basename(script)} ${args.slice(-2).join(" ")}: exit ${r.code}, ${r.stderr.trim().split("\n")[0]}`
      if (r.code !== 2 || !flag.test(r.stderr)) seen.push(line)
    }
    expect(seen).toEqual([])
    expect(fs.existsSync(path.join(dir, "g.db"))).toBe(false)
  })
})
