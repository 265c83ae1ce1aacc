/**
 * The config loader (src/core/config/*, src/live/live-config.ts) on what a review found: the original bot's
 * files, secrets in error messages, environment variables, the variant and the URL checks.
 */
import { Either, Redacted } from "effect"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { parseConfig } from "../src/core/config/config"
import { ORIGINAL_FUTURES_YAML } from "./support/config"
import { edit, load, loadLive, refusal, writeConfigFile } from "./support/config-files"

/** config/hedge_futures.yaml of the original bot, as strategy.md shows it, with its optional `debug` keys */
const FUTURES = ORIGINAL_FUTURES_YAML.replace(`  symbol: "ASTER_USDC_PERP"\n`, `  symbol: "ASTER_USDC_PERP"\n  debug: false\n`).replace(`  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n  debug: false\n`)

describe("config: secrets in refusals", () => {
  // Was: a section written as a YAML list (or a scalar) instead of a mapping is refused with
  // Schema's raw message, which prints the whole value: every secret under it, in full
  // (config.ts:329 describeIssues passes issue.message through; file-schema.ts:222 the section
  // Structs carry no message). It should say "expected a mapping of keys" without the value.
  it("aster written as a list is refused without printing the keys under it", () => {
    const text = edit(
      FUTURES,
      `aster:\n  api_key: ""\n  api_secret: ""\n  base_url: "https://fapi.asterdex.com"\n  symbol: "ASTERUSDT"\n  debug: false\n`,
      `aster:\n  - api_key: "ASTERKEY0123456789abcdef"\n  - api_secret: "ASTERSECRET0123456789abcdef"\n  - base_url: "https://fapi.asterdex.com"\n  - symbol: "ASTERUSDT"\n`
    )
    const message = refusal(text)
    expect(message).toMatch(/aster:/)
    expect(message).not.toContain("ASTERSECRET0123456789abcdef")
    expect(message).not.toContain("ASTERKEY0123456789abcdef")
  })

  // Was: same cause (config.ts:329): `alerts: https://hooks.slack.com/...` (the URL given to the
  // section instead of alerts.webhook_url, an easy slip) prints the webhook's token, a secret per
  // README ("secrets never appear in logs"); `risk:` left empty is "Expected Struct (Encoded side)",
  // Effect's internals, not the expected form the README promises.
  it("a section given a scalar does not print it; an empty section loads as one without keys", () => {
    const message = refusal(`${FUTURES}alerts: "https://hooks.slack.com/services/T000/B000/WEBHOOKTOKENxyz"\n`)
    expect(message).toMatch(/alerts:/)
    expect(message).not.toContain("WEBHOOKTOKENxyz")
    // an empty section (its keys commented out, or moved to the environment) holds no keys: the defaults
    expect(load(`${FUTURES}risk:\n`).risk.maxConsecutiveHedgeFailures).toBe(3)
  })
})

describe("config: secrets from the environment", () => {
  const V3_KEY = `0x${"ab".repeat(32)}`

  // Was: HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY exported for a V3 live config (README: keep secrets in
  // the environment) makes every other config unusable, even where no key is needed: live-config.ts:63-71
  // merges it into the file, config.ts:178-180 then refuses "aster.user, aster.signer: missing".
  // README's own `npm run record -- config/hedge_futures.example.yaml` (no keys needed) fails this way;
  // a secret variable that the file has no V3 credentials for should be ignored (with a note), not fatal.
  it("a V3 private key in the environment does not stop a keyless record/paper run of a V1 config", async () => {
    const example = fs.readFileSync("config/hedge_futures.example.yaml", "utf8")
    const result = await loadLive(writeConfigFile(example), { HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY: V3_KEY }, false)
    expect(Either.isLeft(result) ? result.left.message : "loaded").toBe("loaded")
  })

  // Was: a malformed value taken from an environment variable is reported as a problem of the config
  // file ("invalid config <file>: alerts.webhook_url: ...", live-config.ts:71 passes the override to
  // parseConfig under the file's name): the file the trader opens has no such key. The message
  // should name the variable the value came from (HEDGELOOP_ALERTS_WEBHOOK_URL).
  it("a bad value from an environment variable is refused naming that variable", async () => {
    const file = writeConfigFile(FUTURES)
    const result = await loadLive(file, { HEDGELOOP_ALERTS_WEBHOOK_URL: "hooks.slack.com/services/T/B/ENVTOKEN" }, false)
    expect(Either.isLeft(result)).toBe(true)
    const message = Either.isLeft(result) ? result.left.message : ""
    expect(message).not.toContain("ENVTOKEN")
    expect(message).toContain("HEDGELOOP_ALERTS_WEBHOOK_URL")
  })

  // Was: a secret pasted with surrounding whitespace is trimmed when it comes from the environment
  // (live-config.ts:64-65: "no key has whitespace of its own") and treated as empty when blank
  // (live-config.ts:40), but kept as is from the file (file-schema.ts:50): Aster V1 then signs with
  // "secret " (signing-v1.ts:37) and every signed call is refused with an invalid signature. The
  // file's value should be trimmed like the environment's (or refused naming the key).
  it("a secret in the file is read as the environment would read it", async () => {
    const text = edit(edit(FUTURES, `api_key: ""`, `api_key: "asterkey123 "`), `api_secret: ""`, `api_secret: " astersecret456 "`)
    const fromEnv = Either.getOrThrow(
      await loadLive(writeConfigFile(FUTURES), { HEDGELOOP_ASTER_API_KEY: "asterkey123 ", HEDGELOOP_ASTER_API_SECRET: " astersecret456 " }, false)
    )
    expect(Redacted.value(fromEnv.config.hedge.apiSecret)).toBe("astersecret456")
    const fromFile = parseConfig(text, "hedge.yaml")
    if (Either.isRight(fromFile)) {
      expect(Redacted.value(fromFile.right.hedge.apiSecret)).toBe("astersecret456")
      expect(Redacted.value(fromFile.right.hedge.apiKey)).toBe("asterkey123")
    } else {
      expect(fromFile.left.message).toMatch(/aster\.api_(key|secret)/)
    }
  })
})

describe("config: values", () => {
  // Was: bp.base_url / aster.base_url accept ws:// and wss:// (file-schema.ts:36 regex
  // `(https?|wss?)`) although the message says "expected an http(s) URL": Backpack's stream URL
  // pasted as base_url loads, and every REST call of the run goes to a WebSocket URL. Refuse it.
  it("a WebSocket URL as a REST base_url is refused", () => {
    expect(refusal(edit(FUTURES, `"https://api.backpack.exchange"`, `"wss://ws.backpack.exchange"`))).toMatch(/bp\.base_url: expected an http\(s\) URL/)
    expect(refusal(edit(FUTURES, `"https://fapi.asterdex.com"`, `"wss://fstream.asterdex.com"`))).toMatch(/aster\.base_url: expected an http\(s\) URL/)
  })

  // Was: the original bot read its YAML with PyYAML (YAML 1.1), where `debug: yes` / `on` is true;
  // hedgeloop parses YAML 1.2 (config.ts:340) and refuses "Expected boolean, actual "yes"", so a
  // config the original bot ran does not "load unchanged" (README, Config). Booleans written the
  // YAML 1.1 way should read as they did.
  it("the original bot's YAML 1.1 booleans load as it read them", () => {
    const text = edit(edit(FUTURES, "  debug: false\naster:", "  debug: yes\naster:"), "  debug: false\ntrade:", "  debug: off\ntrade:")
    expect(load(text).debug).toBe(true)
  })

  // Was: "Map keys must be unique at line N, column M:" (the key not named; the snippet after the
  // colon, cut off, would have shown the line and its value)
  it("a key given twice is named, its values not shown", () => {
    const message = refusal(edit(edit(FUTURES, `  api_secret: ""\n  base_url: "https://fapi`, `  api_secret: ""\n  api_secret: "SECRETSECRET123"\n  base_url: "https://fapi`), `  quantity: "10"\n`, `  quantity: "10"\n  quantity: 5\n`))
    expect(message.split("\n").slice(1)).toEqual(["  - aster.api_secret: given more than once (keep one)", "  - trade.quantity: given more than once (keep one)"])
    expect(message).not.toContain("SECRETSECRET123")
  })

  // Was: the whole-number keys hedgeloop added refused a quoted number ("5"), which every other
  // number of the file (and the original bot's int()) takes
  it("whole numbers in quotes load as the other numbers do; a fraction is refused naming the key", () => {
    const text = edit(FUTURES, "  cycle_sleep: 60\n", `  cycle_sleep: 60\n  max_cycles: "4"\n  hedge_retry_attempts: "7"\n`) + `risk:\n  max_consecutive_hedge_failures: "2"\nsim:\n  seed: "9"\n`
    const config = load(text)
    expect([config.trade.maxCycles, config.trade.hedgeRetryAttempts, config.risk.maxConsecutiveHedgeFailures, config.sim.seed]).toEqual([4, 7, 2, 9])
    expect(refusal(edit(FUTURES, "  cycle_sleep: 60\n", "  cycle_sleep: 60\n  max_cycles: 2.5\n"))).toMatch(/trade\.max_cycles: expected a whole number ≥ 0, e\.g\. 100 \(0: no limit\), got 2\.5/)
  })
})
