/**
 * The commands as a user meets them: outputs that replace what they must not, secrets in error
 * messages, messages about the wrong kind of file, exit codes against the README, and a
 * `--duration` that never ends. Each test failed before its fix (its `Was:` comment says how).
 */
import Database from "better-sqlite3"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { writing } from "./support/journal-writing"
import { startCommand, startLocalExchange } from "./support/live-processes"
import { runCommand as run } from "./support/run-command"
import { tempDir, writeScript } from "./support/scripted-market"

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)

/** A journal as a live run leaves it (meta only is enough to tell it from anything else). */
const makeJournal = (dir: string): string => {
  const file = path.join(dir, "live-journal.db")
  writing(file, () => undefined)
  return file
}

/** `meta.format` of a journal, or what the file has become instead. */
const journalFormat = (file: string): string => {
  if (!fs.existsSync(file)) return "<deleted>"
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true })
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined
      return row?.value ?? "<no meta/format: replaced>"
    } finally {
      db.close()
    }
  } catch (error) {
    return `<unreadable: ${(error as Error).message}>`
  }
}

const aggTradesCsv = (dir: string): string => {
  const file = path.join(dir, "aggtrades.csv")
  fs.writeFileSync(file, "id,unix_timestamp_ms,side,price,quantity\n1,1758672000000,buy,2.0000,10\n2,1758672001000,sell,2.0010,5\n3,1758672002000,buy,2.0020,7\n")
  return file
}

describe("outputs that would replace a journal or a config", () => {
  // Was: gen-data's --out replaces whatever file it names (src/sim/tickstore/writer.ts newFile
  // rmSync's the path and its -wal/-shm unconditionally): a slip of the tab key replaces the live
  // journal (the only record of the account's positions) or the config holding the keys with a
  // tick file, silently and with exit 0. json-file.ts refuses exactly this for report outputs.
  it("gen-data --out refuses an existing journal or config instead of replacing it", async () => {
    const dir = tempDir()
    const journal = makeJournal(dir)
    const r = await run("src/cli/gen-data.ts", ["--out", journal, "--hours", "0.01"])
    expect(journalFormat(journal), r.all).toBe("hedgeloop-journal")
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/^error: .*live-journal\.db/m)
    noStackTrace(r.all)

    const config = path.join(dir, "hedge.yaml")
    const yaml = fs.readFileSync("config/hedge_futures.example.yaml", "utf8")
    fs.writeFileSync(config, yaml)
    const c = await run("src/cli/gen-data.ts", ["--out", config, "--hours", "0.01"])
    expect(fs.readFileSync(config, "utf8"), c.all).toBe(yaml)
    expect(c.code).not.toBe(0)
  })

  // Was: the same for import's --out (importAsterCsv → createTickFile → newFile): a journal named
  // as --out is deleted and replaced by the imported tick file.
  it("import aster-csv --out refuses an existing journal instead of replacing it", async () => {
    const dir = tempDir()
    const journal = makeJournal(dir)
    const r = await run("src/cli/import.ts", ["aster-csv", "--trades", aggTradesCsv(dir), "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--out", journal])
    expect(journalFormat(journal), r.all).toBe("hedgeloop-journal")
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/^error: .*live-journal\.db/m)
    noStackTrace(r.all)
  })

  // Was: exchange --write-config writes its YAML over whatever file it names (src/cli/exchange.ts
  // fs.writeFileString): the live journal, or the user's config/hedge.yaml with its real keys.
  it("exchange --write-config refuses an existing journal instead of writing a YAML config over it", async () => {
    const dir = tempDir()
    const journal = makeJournal(dir)
    const market = writeScript(Array.from({ length: 40 }, (_, i) => [
      { t: i * 250, venue: "bp" as const, quote: ["1.9990", "500", "2.0010", "500"] as const },
      { t: i * 250, venue: "as" as const, quote: ["1.9995", "5000", "2.0005", "5000"] as const }
    ]).flat())
    const exchange = startCommand("src/cli/exchange.ts", [market, "--port-backpack", "0", "--port-aster", "0", "--port-aster-spot", "0", "--write-config", journal])
    const deadline = Date.now() + 60_000
    while (exchange.process.exitCode === null && !/Ctrl\+C to stop/.test(exchange.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    if (exchange.process.exitCode === null) exchange.process.kill("SIGINT")
    await exchange.exited
    expect(journalFormat(journal), exchange.output()).toBe("hedgeloop-journal")
  })
})

describe("secrets in a config's error messages", () => {
  // Was: a V3 private key pasted into aster.signer (the agent wallet's address, one line above
  // aster.signer_private_key) is printed in full: the address check (src/core/config/file-schema.ts
  // EvmAddress) shows the value it got, while the key's own field carefully never does.
  it("never prints a private key written into aster.signer by mistake", async () => {
    const dir = tempDir()
    const key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    const config = path.join(dir, "v3.yaml")
    fs.writeFileSync(
      config,
      fs.readFileSync("config/hedge_futures.example.yaml", "utf8").replace(
        '  symbol: "ASTERUSDT"',
        `  symbol: "ASTERUSDT"\n  user: "0x1563915e194D8CfBA1943570603F7606A3115508"\n  signer: "${key}"\n  signer_private_key: "0x1563915e194D8CfBA1943570603F7606A3115508"`
      ),
      { mode: 0o600 }
    )
    const r = await run("src/cli/backtest.ts", ["--config", config, "--quiet"])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/aster\.signer/)
    expect(r.all).not.toContain(key.slice(2, 40))
  })
})

describe("the wrong kind of file", () => {
  // Was: a tick file (or any binary) given as --config gets one "YAML syntax" line per error the
  // YAML parser met: 236 lines for data/sample.db (src/core/config/config.ts parseConfig maps
  // every doc.errors entry), where one line saying it is not a YAML config would do.
  it("a tick file given as --config gets one clear message, not hundreds of YAML errors", async () => {
    const r = await run("src/cli/backtest.ts", ["--config", "data/sample.db", "--quiet"])
    expect(r.code).toBe(1)
    noStackTrace(r.all)
    expect(r.stderr).toMatch(/data\/sample\.db/)
    expect(r.stderr.trimEnd().split("\n").length, r.stderr.slice(0, 600)).toBeLessThanOrEqual(3)
  })

  // Was: a journal given where a tick file is expected (`npm run backtest -- out/paper-journal.db`)
  // is called "unfinished tick file (the writer did not finish)": the journal's meta has a
  // format_version of 1 too, so src/sim/tickstore/reader.ts takes it for a tick file whose writer
  // crashed, sending the user after a crash that never happened.
  it("a journal given as the tick file is named a journal, not an unfinished tick file", async () => {
    const journal = makeJournal(tempDir())
    const r = await run("src/cli/backtest.ts", [journal, "--quiet"])
    expect(r.code).toBe(1)
    noStackTrace(r.all)
    expect(r.stderr).not.toMatch(/unfinished tick file|writer did not finish/)
    expect(r.stderr).toMatch(/journal/)
  })
})

describe("exit codes as documented", () => {
  // Was: README and `live --help`: "2 a bad command line … Under a supervisor, restart on 1 only".
  // --depth without --record is a bad command line, but FlagWithoutRecord (src/cli/live.ts) carries
  // no exit code, so it exits 1 and a supervisor restarts it over and over.
  it("live --depth without --record exits 2 (a bad command line), not 1 (restart me)", async () => {
    const r = await run("src/cli/live.ts", ["config/hedge_futures.example.yaml", "--paper", "--depth", "--journal", path.join(tempDir(), "j.db")])
    expect(r.stderr).toMatch(/--depth/)
    expect(r.code).toBe(2)
  })

  // Was: `stress --help`: "1 one broke (…) or a bad file or config; 2 a bad command line".
  // --runs 0 is refused with a plain Error (src/cli/stress.ts), so it exits 1, which reads as
  // "an invariant broke".
  it("stress --runs 0 exits 2 (a bad command line), not 1 (an invariant broke)", async () => {
    const r = await run("src/cli/stress.ts", ["--runs", "0"])
    expect(r.stderr).toMatch(/--runs/)
    expect(r.code).toBe(2)
  })
})

describe("record --duration", () => {
  // Was: Effect's clock treats a sleep longer than 2^31-1 ms (24.8 days) as infinite
  // (node_modules/effect/dist/esm/internal/clock.js MAX_TIMER_MILLIS), so `record --duration 30d`
  // (src/cli/record.ts: Effect.sleep(d)) never stops: it records until someone notices. Here timers
  // of an hour or more fire after 200 ms, so a duration that works ends within seconds; a fix may
  // also refuse such a duration (exit 2) with a message.
  it("a duration of 30 days ends the recording (or is refused), rather than never firing", async () => {
    const local = await startLocalExchange({ maxCycles: 0 })
    try {
      const preload = path.join(local.dir, "fast-long-timers.mjs")
      fs.writeFileSync(
        preload,
        "const original = globalThis.setTimeout\n" +
          "globalThis.setTimeout = function (fn, ms, ...rest) { return original.call(this, fn, typeof ms === 'number' && ms >= 3600000 ? 200 : ms, ...rest) }\n"
      )
      const child = spawn(process.execPath, ["--import", preload, "--import", "tsx", "src/cli/record.ts", local.config, "--out", path.join(local.dir, "rec.db"), "--duration", "30d"], {
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.on("data", (d: Buffer) => (output += d.toString()))
      child.stderr.on("data", (d: Buffer) => (output += d.toString()))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      const code = await Promise.race([exited, new Promise<"still recording">((resolve) => setTimeout(() => resolve("still recording"), 40_000))])
      if (code === "still recording") {
        child.kill("SIGINT")
        await exited
      }
      expect([0, 2], output).toContain(code)
    } finally {
      await local.stop()
    }
  })
})
