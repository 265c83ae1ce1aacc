/**
 * The original bot's YAML files load unchanged; the examples load; secrets stay redacted; every bad
 * input is reported with the key and the expected form; YAML numbers become exact decimals.
 */
import * as fs from "node:fs"
import * as util from "node:util"
import { BigDecimal, Either, Option, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { type ConfigError, configSecrets, describeConfig, type HedgeConfig, parseConfig } from "../src/core/config/config"
import { type Decimal, decimal, formatDecimal } from "../src/core/domain/decimal"

/** config/hedge.yaml of the original bot (spot variant), as strategy.md shows it */
const SPOT_YAML = `bp:
  api_public_key_b64: ""        # Backpack API public key, base64 (ED25519)
  api_secret_key_b64: ""        # Backpack API secret, base64 (32-byte ED25519 seed)
  base_url: "https://api.backpack.exchange"
  symbol: "ASTER_USDC_PERP"
  debug: false                  # optional
aster:
  api_key: ""                   # Aster V1 API key (HMAC)
  api_secret: ""                # Aster V1 secret
  base_url: "https://sapi.asterdex.com"
  symbol: "ASTERUSDT"
  debug: false                  # optional
trade:
  quantity: "10"                # a string in the original config files
  offset_percent: 0.2
  first_wait_seconds: 10
  between_legs_sleep: 20
  stop_before_funding_minutes: 5
  cycle_sleep: 60
`

/** config/hedge_futures.yaml of the original bot (futures variant) */
const FUTURES_YAML = `bp:
  api_public_key_b64: ""        # Backpack API public key, base64 (ED25519)
  api_secret_key_b64: ""        # Backpack API secret, base64 (32-byte ED25519 seed)
  base_url: "https://api.backpack.exchange"
  symbol: "ASTER_USDC_PERP"
  debug: false                  # optional
aster:
  api_key: ""                   # Aster V1 API key (HMAC)
  api_secret: ""                # Aster V1 secret
  base_url: "https://fapi.asterdex.com"
  symbol: "ASTERUSDT"
  debug: false                  # optional
trade:
  quantity: "10"                # a string in the original config files
  offset_percent: 0.2
  first_wait_seconds: 10
  between_legs_sleep: 60
  stop_before_funding_minutes: 5
  cycle_sleep: 60
`

const load = (text: string, source = "test.yaml"): HedgeConfig =>
  Either.getOrThrowWith(parseConfig(text, source), (e) => new Error(`expected the config to load, got: ${e.message}`))

const fail = (text: string, source = "bad.yaml"): ConfigError => {
  const result = parseConfig(text, source)
  if (Either.isRight(result)) throw new Error("expected the config to be refused")
  return result.left
}

/** Replaces one exact line fragment (it must be there: a silent no-op would test nothing). */
const edit = (text: string, from: string, to: string): string => {
  expect(text.includes(from), `fixture contains ${JSON.stringify(from)}`).toBe(true)
  return text.replace(from, to)
}

const str = (d: Decimal) => formatDecimal(d)
const exactly = (d: Decimal, expected: string) => {
  expect(BigDecimal.equals(d, decimal(expected))).toBe(true)
  expect(formatDecimal(d)).toBe(expected)
}

const example = (name: string) => fs.readFileSync(new URL(`../config/${name}`, import.meta.url), "utf8")

describe("the original bot's config files", () => {
  it("the spot file (sapi) loads unchanged and hedges on Aster spot", () => {
    const config = load(SPOT_YAML, "config/hedge.yaml")
    expect(config.source).toBe("config/hedge.yaml")
    expect(config.maker).toMatchObject({ venue: "backpack", symbol: "ASTER_USDC_PERP", baseUrl: "https://api.backpack.exchange" })
    expect(config.hedge).toMatchObject({ venue: "aster-spot", symbol: "ASTERUSDT", baseUrl: "https://sapi.asterdex.com" })
    exactly(config.trade.quantity, "10")
    exactly(config.trade.offsetPercent, "0.2")
    expect(config.trade.firstWaitMs).toBe(10_000)
    expect(config.trade.betweenLegsSleepMs).toBe(20_000)
    expect(config.trade.stopBeforeFundingMs).toBe(5 * 60_000)
    expect(config.trade.cycleSleepMs).toBe(60_000)
    expect(config.debug).toBe(false)
    // empty secrets are allowed in a file (the live runner requires them)
    expect(Redacted.value(config.maker.publicKey)).toBe("")
    expect(Redacted.value(config.hedge.apiSecret)).toBe("")
    // hedge-venue defaults follow the venue: Aster spot fees and its 1/2 points weights
    expect(str(config.sim.hedge.makerFee)).toBe("0.00005")
    expect(str(config.sim.hedge.takerFee)).toBe("0.0004")
    expect(str(config.points.hedge.takerWeight)).toBe("2")
  })

  it("the futures file (fapi) loads unchanged and hedges on Aster futures", () => {
    const config = load(FUTURES_YAML, "config/hedge_futures.yaml")
    expect(config.hedge).toMatchObject({ venue: "aster-futures", symbol: "ASTERUSDT", baseUrl: "https://fapi.asterdex.com" })
    exactly(config.trade.quantity, "10")
    expect(config.trade.betweenLegsSleepMs).toBe(60_000)
    expect(str(config.sim.hedge.makerFee)).toBe("0.0001")
    expect(str(config.sim.hedge.takerFee)).toBe("0.00035")
  })

  it("aster.market overrides what base_url says", () => {
    const futuresFromSapi = load(edit(SPOT_YAML, `  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n  market: futures\n`))
    expect(futuresFromSapi.hedge.venue).toBe("aster-futures")
    const spotFromFapi = load(edit(FUTURES_YAML, `  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n  market: spot\n`))
    expect(spotFromFapi.hedge.venue).toBe("aster-spot")
    // with market given, a host that names neither is fine
    const proxied = load(
      edit(edit(FUTURES_YAML, `"https://fapi.asterdex.com"`, `"https://aster-proxy.example.com"`), `  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n  market: futures\n`)
    )
    expect(proxied.hedge.venue).toBe("aster-futures")
    expect(proxied.hedge.baseUrl).toBe("https://aster-proxy.example.com")
  })

  it("a misspelt aster.market value is refused, naming spot and futures", () => {
    const e = fail(edit(FUTURES_YAML, `  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n  market: perp\n`))
    expect(e.message).toContain("aster.market")
    expect(e.message).toContain("spot")
    expect(e.message).toContain("futures")
  })
})

describe("the example configs", () => {
  it("config/hedge.example.yaml loads (spot)", () => {
    const config = load(example("hedge.example.yaml"))
    expect(config.hedge.venue).toBe("aster-spot")
    expect(config.trade.betweenLegsSleepMs).toBe(20_000)
  })

  it("config/hedge_futures.example.yaml loads (futures) with its sim and points sections", () => {
    const config = load(example("hedge_futures.example.yaml"))
    expect(config.hedge.venue).toBe("aster-futures")
    expect(config.trade.betweenLegsSleepMs).toBe(60_000)
    expect(config.trade.hedgeRetryAttempts).toBe(5)
    expect(config.trade.hedgeRetryBackoffMs).toBe(200)
    expect(config.sim.seed).toBe(1)
    expect(config.sim.queueModel).toBe("conservative")
    expect(config.sim.queuePower).toBe(2)
    exactly(config.sim.marketImpactBps, "2")
    exactly(config.sim.marketSlippageBps, "0")
    exactly(config.sim.assumedTopQty, "1000")
    exactly(config.sim.maker.makerFee, "0.0002")
    exactly(config.sim.maker.takerFee, "0.0005")
    exactly(config.sim.hedge.makerFee, "0.0001")
    exactly(config.sim.hedge.takerFee, "0.00035")
    expect(config.sim.hedge).toMatchObject({ submitLatencyMs: 40, cancelLatencyMs: 40, responseLatencyMs: 40, feedLatencyMs: 20 })
    exactly(config.points.maker.takerWeight, "1")
    exactly(config.points.hedge.takerWeight, "2")
  })
})

describe("secrets", () => {
  const SECRETS = {
    bpPublic: "QlBQVUJMSUNLRVktdGVzdA==",
    bpSecret: "QlBTRUNSRVQtMzItYnl0ZS1zZWVk",
    asterKey: "asterkey0a1b2c3d4e5f",
    asterSecret: "astersecret9f8e7d6c5b"
  }
  const withSecrets = () => {
    let text = FUTURES_YAML
    text = edit(text, `api_public_key_b64: ""`, `api_public_key_b64: "${SECRETS.bpPublic}"`)
    text = edit(text, `api_secret_key_b64: ""`, `api_secret_key_b64: "${SECRETS.bpSecret}"`)
    text = edit(text, `api_key: ""`, `api_key: "${SECRETS.asterKey}"`)
    text = edit(text, `api_secret: ""`, `api_secret: "${SECRETS.asterSecret}"`)
    return text
  }

  it("are Redacted: readable on purpose, invisible in String, JSON, inspect and describeConfig", () => {
    const config = load(withSecrets())
    expect(Redacted.value(config.maker.publicKey)).toBe(SECRETS.bpPublic)
    expect(Redacted.value(config.maker.secretKey)).toBe(SECRETS.bpSecret)
    expect(Redacted.value(config.hedge.apiKey)).toBe(SECRETS.asterKey)
    expect(Redacted.value(config.hedge.apiSecret)).toBe(SECRETS.asterSecret)
    const described = describeConfig(config)
    expect(described.maker.secretKey).toBe("<set>")
    expect(described.hedge.apiSecret).toBe("<set>")
    const renderings = [
      String(config),
      String(config.hedge.apiSecret),
      `${config.maker.secretKey}`,
      JSON.stringify(config),
      util.inspect(config, { depth: 20 }),
      JSON.stringify(describeConfig(config)),
      util.inspect(describeConfig(config), { depth: 20 })
    ]
    for (const text of renderings) for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret)
  })

  it("empty secrets are described as <empty>", () => {
    const described = describeConfig(load(FUTURES_YAML))
    expect(described.maker.publicKey).toBe("<empty>")
    expect(described.hedge.apiKey).toBe("<empty>")
  })

  it("a secret the YAML reads as a number is refused without echoing its value", () => {
    // an all-digit key written without quotes is a YAML integer
    const e = fail(edit(FUTURES_YAML, `api_secret: ""`, `api_secret: 987654321987`))
    expect(e.message).toContain("aster.api_secret")
    expect(e.message).not.toContain("987654321987")
  })

  it("a config error elsewhere does not print the secrets", () => {
    const e = fail(edit(withSecrets(), `quantity: "10"`, `quantity: "abc"`))
    for (const secret of Object.values(SECRETS)) expect(e.message).not.toContain(secret)
  })
})

describe("bad inputs name the key and the expected form", () => {
  /** The lines about `key` (they start with it) together contain every part. */
  const problem = (text: string, key: string, ...parts: ReadonlyArray<string>) => {
    const e = fail(text)
    expect(e._tag).toBe("ConfigError")
    expect(e.message).toContain("bad.yaml")
    const lines = e.problems.filter((p) => p.startsWith(`${key}:`))
    expect(lines.length, `a problem line for ${key} in:\n${e.message}`).toBeGreaterThan(0)
    for (const line of lines) expect(e.message).toContain(line)
    const about = lines.join("\n")
    for (const part of parts) expect(about, `the lines for ${key} mention ${JSON.stringify(part)}`).toContain(part)
    return e
  }

  it("non-decimal quantity", () => {
    problem(edit(SPOT_YAML, `quantity: "10"`, `quantity: "abc"`), "trade.quantity", "expected a decimal number", `"abc"`)
  })

  it("negative or zero quantity", () => {
    problem(edit(SPOT_YAML, `quantity: "10"`, `quantity: "-5"`), "trade.quantity", "expected a positive decimal")
    problem(edit(SPOT_YAML, `quantity: "10"`, `quantity: -5`), "trade.quantity", "expected a positive decimal")
    problem(edit(SPOT_YAML, `quantity: "10"`, `quantity: "0"`), "trade.quantity", "expected a positive decimal")
  })

  it("offset_percent that is not a number", () => {
    problem(edit(SPOT_YAML, `offset_percent: 0.2`, `offset_percent: "x"`), "trade.offset_percent", "expected a decimal number", `"x"`)
  })

  it("offset_percent out of range", () => {
    problem(edit(SPOT_YAML, `offset_percent: 0.2`, `offset_percent: 50`), "trade.offset_percent", "< 50")
  })

  it("first_wait_seconds that is not above 0 (every maker order would be cancelled as it is posted)", () => {
    problem(edit(SPOT_YAML, `first_wait_seconds: 10`, `first_wait_seconds: -1`), "trade.first_wait_seconds", "seconds", "> 0")
    problem(edit(SPOT_YAML, `first_wait_seconds: 10`, `first_wait_seconds: 0`), "trade.first_wait_seconds", "seconds", "> 0", "got 0")
  })

  it("a misspelt key under trade", () => {
    const text = edit(SPOT_YAML, `cycle_sleep: 60`, `cycle_slep: 60`)
    problem(text, "trade.cycle_slep", "unknown key")
  })

  it("an unknown top-level section", () => {
    problem(`${SPOT_YAML}hedge:\n  quantity: 5\n`, "hedge", "unknown key")
  })

  it("a missing trade section", () => {
    problem(SPOT_YAML.slice(0, SPOT_YAML.indexOf("trade:")), "trade", "missing")
  })

  it("a base_url that is neither sapi nor fapi", () => {
    problem(edit(SPOT_YAML, `"https://sapi.asterdex.com"`, `"https://api.asterdex.com"`), "aster.base_url", "sapi or fapi", "aster.market")
  })

  it("a base_url that is not a URL", () => {
    problem(edit(SPOT_YAML, `"https://sapi.asterdex.com"`, `"sapi.asterdex.com"`), "aster.base_url", "expected an http(s) URL", `"sapi.asterdex.com"`)
    problem(edit(SPOT_YAML, `"https://api.backpack.exchange"`, `"api.backpack.exchange"`), "bp.base_url", "expected an http(s) URL")
  })

  it("an unknown sim.queue_model", () => {
    problem(`${FUTURES_YAML}sim:\n  queue_model: fifo\n`, "sim.queue_model", "conservative", "probabilistic", `"fifo"`)
  })

  it("a bad value under an optional key does not claim the key or its section must be absent", () => {
    // Schema.optional's `undefined` member leaks into the report as "Expected undefined, actual …",
    // which reads as "remove this": the problems should only state the accepted forms
    for (const text of [
      `${FUTURES_YAML}sim:\n  queue_model: fifo\n`,
      `${FUTURES_YAML}sim:\n  aster:\n    taker_fee: 0.5\n`,
      edit(FUTURES_YAML, `api_secret: ""`, `api_secret: 12345`)
    ]) {
      const e = fail(text)
      expect(e.problems.filter((p) => p.includes("Expected undefined"))).toEqual([])
    }
  })

  it("a sim fee out of range", () => {
    problem(`${FUTURES_YAML}sim:\n  aster:\n    taker_fee: 0.5\n`, "sim.aster.taker_fee", "fee rate", "between -0.01 and 0.1")
    problem(`${FUTURES_YAML}sim:\n  backpack:\n    maker_fee: -0.02\n`, "sim.backpack.maker_fee", "fee rate")
    problem(`${FUTURES_YAML}sim:\n  backpack:\n    maker_fee: "2bps"\n`, "sim.backpack.maker_fee", "expected a decimal number")
  })

  it("a market slippage: exact basis points below 10000", () => {
    exactly(load(`${FUTURES_YAML}sim:\n  market_slippage_bps: 1.1\n`).sim.marketSlippageBps, "1.1")
    problem(`${FUTURES_YAML}sim:\n  market_slippage_bps: -1\n`, "sim.market_slippage_bps", "basis points ≥ 0 and below 10000")
    problem(`${FUTURES_YAML}sim:\n  market_slippage_bps: 10000\n`, "sim.market_slippage_bps", "below 10000")
    problem(`${FUTURES_YAML}sim:\n  market_slippage_bps: "5bps"\n`, "sim.market_slippage_bps", "expected a decimal number")
  })

  it("a sim probability out of range", () => {
    problem(`${FUTURES_YAML}sim:\n  aster:\n    market_reject_probability: 1.5\n`, "sim.aster.market_reject_probability", "between 0 and 1")
  })

  it("a YAML syntax error", () => {
    const e = fail(`${SPOT_YAML}  cycle_sleep: [60\n`)
    expect(e.problems.length).toBeGreaterThan(0)
    expect(e.problems.every((p) => p.startsWith("YAML syntax"))).toBe(true)
    expect(e.message).toContain("bad.yaml")
  })

  it("a YAML list instead of a mapping", () => {
    const e = fail("- bp\n- aster\n- trade\n")
    expect(e.message).toContain("expected a YAML mapping")
    expect(e.message).toContain("bp, aster and trade")
  })

  it("an empty file", () => {
    expect(fail("").message).toContain("expected a YAML mapping")
  })

  it("several problems are all reported at once", () => {
    let text = edit(SPOT_YAML, `quantity: "10"`, `quantity: "abc"`)
    text = edit(text, `first_wait_seconds: 10`, `first_wait_seconds: -1`)
    const e = fail(text)
    expect(e.problems.some((p) => p.startsWith("trade.quantity"))).toBe(true)
    expect(e.problems.some((p) => p.startsWith("trade.first_wait_seconds"))).toBe(true)
  })
})

describe("numbers become exact decimals", () => {
  it("0.2 is exactly the decimal 0.2", () => {
    const config = load(SPOT_YAML)
    const d = config.trade.offsetPercent
    expect(BigDecimal.equals(d, decimal("0.2"))).toBe(true)
    expect(BigDecimal.normalize(d)).toMatchObject({ value: 2n, scale: 1 })
    expect(formatDecimal(d)).toBe("0.2")
  })

  it("a quantity written as a number or a string gives the same decimal", () => {
    exactly(load(edit(SPOT_YAML, `quantity: "10"`, `quantity: 10`)).trade.quantity, "10")
    exactly(load(edit(SPOT_YAML, `quantity: "10"`, `quantity: 12.5`)).trade.quantity, "12.5")
    exactly(load(edit(SPOT_YAML, `quantity: "10"`, `quantity: "12.50"`)).trade.quantity, "12.5")
  })

  it("the shortest round-trip text of a float is kept, not its binary expansion", () => {
    exactly(load(edit(SPOT_YAML, `offset_percent: 0.2`, `offset_percent: 0.1`)).trade.offsetPercent, "0.1")
    exactly(load(edit(SPOT_YAML, `offset_percent: 0.2`, `offset_percent: 0.3`)).trade.offsetPercent, "0.3")
  })

  it("1e-7 style values are expanded exactly", () => {
    const config = load(`${FUTURES_YAML}sim:\n  backpack:\n    maker_fee: 1e-7\n    taker_fee: 2.5e-7\n  aster:\n    maker_fee: -1.5e-7\n  market_impact_bps: 1.25e-3\n`)
    exactly(config.sim.maker.makerFee, "0.0000001")
    exactly(config.sim.maker.takerFee, "0.00000025")
    exactly(config.sim.hedge.makerFee, "-0.00000015")
    exactly(config.sim.marketImpactBps, "0.00125")
    expect(config.sim.maker.makerFee).toMatchObject({ value: 1n, scale: 7 })
  })

  it("a tiny quantity in exponent form is the exact decimal", () => {
    exactly(load(edit(SPOT_YAML, `quantity: "10"`, `quantity: 1e-7`)).trade.quantity, "0.0000001")
    exactly(load(edit(SPOT_YAML, `quantity: "10"`, `quantity: 1.2e+3`)).trade.quantity, "1200")
  })

  it("takes Aster V3 credentials together, refusing a partial set and bad values without echoing the key", () => {
    const base = `bp: {}\ntrade: { quantity: "10", offset_percent: 0.2, first_wait_seconds: 10, between_legs_sleep: 20, stop_before_funding_minutes: 5, cycle_sleep: 60 }\n`
    const key = `0x${"ab".repeat(32)}`
    const full = Either.getOrThrow(parseConfig(`${base}aster: { base_url: "https://fapi.asterdex.com", user: "0x${"1".repeat(40)}", signer: "0x${"2".repeat(40)}", signer_private_key: "${key}", chain_id: 1666 }\n`, "v3.yaml"))
    expect(full.hedge.v3?.user).toBe(`0x${"1".repeat(40)}`)
    expect(full.hedge.v3?.chainId).toBe(1666)
    expect(JSON.stringify(describeConfig(full))).not.toContain(key.slice(2))
    const partial = parseConfig(`${base}aster: { base_url: "https://fapi.asterdex.com", user: "0x${"1".repeat(40)}" }\n`, "partial.yaml")
    expect(Either.isLeft(partial) && partial.left.message).toMatch(/aster\.signer, aster\.signer_private_key: missing/)
    const badKey = parseConfig(`${base}aster: { base_url: "https://fapi.asterdex.com", user: "0x${"1".repeat(40)}", signer: "0x${"2".repeat(40)}", signer_private_key: "0xnothex-${"9".repeat(20)}" }\n`, "bad.yaml")
    expect(Either.isLeft(badKey) && badKey.left.message).toMatch(/aster\.signer_private_key: expected a 0x-prefixed 32-byte hex private key/)
    expect(Either.isLeft(badKey) && badKey.left.message).not.toContain("9".repeat(20))
    const badAddress = parseConfig(`${base}aster: { base_url: "https://fapi.asterdex.com", user: "alice" }\n`, "bad.yaml")
    expect(Either.isLeft(badAddress) && badAddress.left.message).toMatch(/aster\.user: expected a 0x-prefixed 20-byte hex address; got 5 characters \(the value is not shown\)/)
  })
})

describe("alerts", () => {
  const URL_ = "https://hooks.slack.com/services/T000/B000/xyzSECRETtoken"
  const withAlerts = (section: string) => `${FUTURES_YAML}alerts:\n${section}`

  it("are off in the original bot's files and while webhook_url is empty", () => {
    expect(Option.isNone(load(SPOT_YAML).alerts)).toBe(true)
    expect(Option.isNone(load(withAlerts(`  webhook_url: ""\n  format: slack\n`)).alerts)).toBe(true)
    expect(describeConfig(load(FUTURES_YAML)).alerts).toBeNull()
  })

  it("load with their defaults; the URL is a secret, shown as <set> only", () => {
    const config = load(withAlerts(`  webhook_url: "${URL_}"\n`))
    const alerts = Option.getOrThrow(config.alerts)
    expect([Redacted.value(alerts.webhookUrl), alerts.format, alerts.onStart, alerts.onHedgeFailure, alerts.telegramChatId]).toEqual([URL_, "json", true, true, undefined])
    expect(describeConfig(config).alerts).toEqual({ webhookUrl: "<set>", format: "json", onStart: true, onHedgeFailure: true, onLossWarning: true, dailyDigest: true })
    expect(JSON.stringify(describeConfig(config))).not.toContain("xyzSECRETtoken")
    expect(util.inspect(config, { depth: 10 })).not.toContain("xyzSECRETtoken")
    expect(configSecrets(config)).toContain(URL_)
  })

  it("telegram takes a chat id, a number or an @channel", () => {
    const telegram = (id: string) => Option.getOrThrow(load(withAlerts(`  webhook_url: "https://api.telegram.org/bot123:ABC/sendMessage"\n  format: telegram\n  telegram_chat_id: ${id}\n  on_start: false\n  daily_digest: false\n`)).alerts)
    expect([telegram("-1001234567890").telegramChatId, telegram(`"@hedge_alerts"`).telegramChatId, telegram("-1001234567890").onStart, telegram("-100123").dailyDigest]).toEqual(["-1001234567890", "@hedge_alerts", false, false])
  })

  it("refuse a bad format, a URL that is not http(s) (without echoing it), and a chat id that does not fit the format", () => {
    const message = (section: string) => fail(withAlerts(section)).message
    expect(message(`  webhook_url: "${URL_}"\n  format: teams\n`)).toMatch(/alerts\.format: expected one of "json", "slack", "discord", "telegram", got "teams"/)
    const notUrl = message(`  webhook_url: "hooks.slack.com/xyzSECRETtoken"\n`)
    expect(notUrl).toMatch(/alerts\.webhook_url: expected an http\(s\) URL/)
    expect(notUrl).not.toContain("xyzSECRETtoken")
    expect(message(`  webhook_url: "${URL_}"\n  format: telegram\n`)).toMatch(/alerts\.telegram_chat_id: missing \(format telegram writes to a chat/)
    expect(message(`  webhook_url: "${URL_}"\n  telegram_chat_id: 42\n`)).toMatch(/alerts\.telegram_chat_id: only used with format: telegram \(format is json\)/)
    expect(message(`  webhook_url: "${URL_}"\n  format: telegram\n  telegram_chat_id: "my chat"\n`)).toMatch(/alerts\.telegram_chat_id: .*expected a chat id such as -1001234567890/)
    expect(message(`  webhook_url: "${URL_}"\n  on_start: maybe\n`)).toMatch(/alerts\.on_start: /)
  })
})
