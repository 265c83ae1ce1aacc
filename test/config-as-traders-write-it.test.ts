/**
 * Config files as traders write them, against what the README and the loader's comments promise:
 * a V3 signing key kept in the environment, a venue's part of sim or points left empty, a decimal
 * or probability left empty or quoted, spot without a base_url, the secrets taken from the environment.
 */
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { parseConfig, parseConfigEffect } from "../src/core/config/config"
import { ORIGINAL_FUTURES_YAML } from "./support/config"
import { edit, load, loadLive, refusal, writeConfigFile } from "./support/config-files"

const FUTURES_EXAMPLE = fs.readFileSync("config/hedge_futures.example.yaml", "utf8")

/** A V3 config as the README advises it: addresses in the file, the signing key in HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY. */
const V3_WITH_KEY_IN_ENVIRONMENT = edit(
  ORIGINAL_FUTURES_YAML,
  `  symbol: "ASTERUSDT"\n`,
  `  symbol: "ASTERUSDT"\n  user: "0x${"1".repeat(40)}"\n  signer: "0x${"2".repeat(40)}"\n`
)

describe("config files as traders write them", () => {
  // Was: refused "aster.signer_private_key: missing" by backtest and stress (which read no
  // environment), though a backtest uses no keys; a V1 config with its keys in the environment loaded.
  it("a V3 config whose signing key is in the environment backtests, as a V1 one does", async () => {
    const result = await Effect.runPromise(Effect.either(parseConfigEffect(V3_WITH_KEY_IN_ENVIRONMENT, "v3.yaml")))
    expect(Either.isRight(result) ? "loaded" : result.left.message).toBe("loaded")
  })

  // Was: refused the same way by record, --paper and --test-alert when the variable was not set
  // in that shell, though none of them signs anything.
  it("a keyless run (paper, record) of a V3 config loads without its signing key", async () => {
    const result = await loadLive(writeConfigFile(V3_WITH_KEY_IN_ENVIRONMENT), {}, false)
    expect(Either.isRight(result) ? "loaded" : result.left.message).toBe("loaded")
  })

  // Was: refused with Effect's schema dump ("sim.aster: Expected { readonly maker_fee?: … },
  // actual null"), while an empty top-level section loaded with its defaults.
  it("an empty sub-section (sim.aster, points.aster) loads with the defaults, as an empty section does", () => {
    const simAsterEmpty = edit(
      FUTURES_EXAMPLE,
      "  aster:\n    maker_fee: 0.0001\n    taker_fee: 0.00035\n    submit_latency_ms: 40\n    cancel_latency_ms: 40\n    response_latency_ms: 40\n    feed_latency_ms: 20\n",
      "  aster:\n    # maker_fee: 0.0001\n    # taker_fee: 0.00035\n"
    )
    const simResult = parseConfig(simAsterEmpty, "hedge.yaml")
    expect(Either.isRight(simResult) ? "loaded" : simResult.left.message).toBe("loaded")
    const pointsResult = parseConfig(`${ORIGINAL_FUTURES_YAML}points:\n  aster:\n    # maker_weight: 1\n`, "hedge.yaml")
    expect(Either.isRight(pointsResult) ? "loaded" : pointsResult.left.message).toBe("loaded")
  })

  // Was: two lines of Effect's wording ("Expected string, actual null", "Expected number, actual null").
  it("a decimal key left empty is refused once, with the expected form", () => {
    const message = refusal(edit(ORIGINAL_FUTURES_YAML, `quantity: "10"`, "quantity:"))
    expect(message.split("\n").slice(1)).toEqual([`  - trade.quantity: expected a decimal number such as "10" or "0.25", got null`])
  })

  // Was: the one number of the file not read in quotes ("Expected number, actual "0.1"").
  it("a probability written in quotes loads as every other number does", () => {
    const config = load(`${ORIGINAL_FUTURES_YAML}sim:\n  aster:\n    market_reject_probability: "0.1"\n    submit_latency_ms: "40"\n`)
    expect(config.sim.hedge.marketRejectProbability).toBe(0.1)
  })

  // Was: base_url defaulted to https://fapi.asterdex.com whatever the market: every spot request
  // (/api/v1/…) went to the futures host and failed.
  it("aster.market: spot without a base_url does not send spot requests to the futures host", () => {
    const text = ORIGINAL_FUTURES_YAML.replace(`  base_url: "https://fapi.asterdex.com"\n`, "  market: spot\n")
    expect(text).not.toContain("fapi")
    const config = load(text)
    expect(config.hedge.venue).toBe("aster-spot")
    expect(new URL(config.hedge.baseUrl).hostname).not.toMatch(/^fapi\./)
  })

  // Was: listed in fromEnvironment (and logged as "secrets from the environment") though a V1
  // config does not use it, as its own note says.
  it("fromEnvironment lists only the variables whose values the config uses", async () => {
    const result = await loadLive(writeConfigFile(ORIGINAL_FUTURES_YAML), { HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY: `0x${"ab".repeat(32)}` }, false)
    const live = Either.getOrThrowWith(result, (e) => new Error(e.message))
    expect(live.warnings.join("\n")).toMatch(/HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY is set, but .* not used/)
    expect(live.fromEnvironment).not.toContain("HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY")
  })

  it("a live start of a V3 config without its signing key is refused, naming the key and its variable", async () => {
    const result = await loadLive(writeConfigFile(V3_WITH_KEY_IN_ENVIRONMENT), {}, true)
    expect(Either.isLeft(result) ? result.left.message : "loaded").toMatch(/aster\.signer_private_key is missing \(or set HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY\)/)
    const withKey = await loadLive(writeConfigFile(V3_WITH_KEY_IN_ENVIRONMENT), { HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY: `0x${"ab".repeat(32)}` }, false)
    expect(Either.isRight(withKey) ? withKey.right.fromEnvironment : []).toEqual(["HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY"])
  })
})

describe("a base_url carrying more than a host and a path", () => {
  // Was: taken as it was: a user and password in it were written in every report's config (no
  // venue takes them there), and a query put every request's path after it
  it("is refused without showing a user or password; a query or fragment too", () => {
    const withUser = refusal(ORIGINAL_FUTURES_YAML.replace('"https://fapi.asterdex.com"', '"https://bob:hunter2@fapi.asterdex.com"'))
    expect(withUser).toMatch(/aster\.base_url: expected an http\(s\) URL .* without a user or password/)
    expect(withUser).not.toContain("hunter2")
    expect(refusal(ORIGINAL_FUTURES_YAML.replace('"https://fapi.asterdex.com"', '"https://fapi.asterdex.com/?x=1"'))).toMatch(/aster\.base_url: .* without a query or fragment/)
    // a path prefix (a proxy's) is the venue's URL still
    expect(load(ORIGINAL_FUTURES_YAML.replace('"https://fapi.asterdex.com"', '"https://fapi.asterdex.com/prefix"')).hedge.baseUrl).toBe("https://fapi.asterdex.com/prefix")
  })
})
