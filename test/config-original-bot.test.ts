/**
 * Config files of the original bot as they exist in the wild load unchanged, meaning what they
 * meant to it: its own example files (bp.window, aster.recv_window; the spot one without
 * stop_before_funding_minutes and cycle_sleep, which it defaulted to 5 and 60), values written in
 * quotes (it read them with int()), and the keys of its later versions (max_order_wait_seconds
 * re-posts the maker order; max_monitor_seconds is read and said to be unused). Bad values are
 * refused naming the key, and never echo a secret.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Either, Redacted } from "effect"
import * as YAML from "yaml"
import { describe, expect, it } from "vitest"
import { asterOptionsFromConfig } from "../src/adapters/aster/exchange"
import { makeAsterClient } from "../src/adapters/aster/client"
import { makeBackpackClient } from "../src/adapters/backpack/client"
import { type HedgeConfig, parseConfig } from "../src/core/config/config"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { runCommand } from "./support/run-command"
import { tempDir } from "./support/scripted-market"
import * as fs from "node:fs"
import * as path from "node:path"
import { ORIGINAL_FUTURES_YAML as FUTURES } from "./support/config"

/** The original bot's config/hedge.example.yaml (spot variant), key for key. */
const ORIGINAL_SPOT_EXAMPLE = `bp:
  api_public_key_b64: ""
  api_secret_key_b64: ""
  base_url: "https://api.backpack.exchange"
  symbol: "ASTER_USDC_PERP"
  window: 5000
  debug: true

aster:
  api_key: ""
  api_secret: ""
  base_url: "https://sapi.asterdex.com"
  symbol: "ASTERUSDT"
  recv_window: 5000
  debug: false

trade:
  quantity: "10"
  offset_percent: 0.2
  first_wait_seconds: 10
  between_legs_sleep: 20
`


const edit = (text: string, from: string, to: string): string => {
  expect(text.includes(from), `fixture contains ${JSON.stringify(from)}`).toBe(true)
  return text.replace(from, to)
}
const load = (text: string): HedgeConfig => {
  const r = parseConfig(text, "original.yaml")
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}
const refusal = (text: string): string => {
  const r = parseConfig(text, "original.yaml")
  if (Either.isRight(r)) throw new Error("expected the config to be refused")
  return r.left.message
}

describe("the original bot's config files", () => {
  it("its own spot example loads: window and recv_window as signing windows, the funding guard and cycle sleep at its defaults", () => {
    const config = load(ORIGINAL_SPOT_EXAMPLE)
    expect(config.hedge.venue).toBe("aster-spot")
    expect([config.maker.windowMs, config.hedge.recvWindowMs]).toEqual([5000, 5000])
    expect([config.trade.stopBeforeFundingMs, config.trade.cycleSleepMs]).toEqual([5 * 60_000, 60_000])
    expect(config.notes).toEqual([])
  })

  it("whole seconds and windows written in quotes load as the numbers they say", () => {
    let text = edit(FUTURES, "first_wait_seconds: 10", `first_wait_seconds: "10"`)
    text = edit(text, "between_legs_sleep: 60", `between_legs_sleep: "60"`)
    text = edit(text, "cycle_sleep: 60", `cycle_sleep: "45"`)
    text = edit(text, `  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n  recv_window: "7000"\n`)
    const config = load(text)
    expect([config.trade.firstWaitMs, config.trade.betweenLegsSleepMs, config.trade.cycleSleepMs, config.hedge.recvWindowMs]).toEqual([10_000, 60_000, 45_000, 7000])
    expect(refusal(edit(FUTURES, "cycle_sleep: 60", `cycle_sleep: "a minute"`))).toMatch(/trade\.cycle_sleep: expected seconds \(a number ≥ 0\), got "a minute"/)
  })

  it("a signing window beyond what the venues take is refused naming the key", () => {
    expect(refusal(edit(FUTURES, `  symbol: "ASTER_USDC_PERP"\n`, `  symbol: "ASTER_USDC_PERP"\n  window: 90000\n`))).toMatch(/bp\.window: expected whole milliseconds between 1 and 60000/)
  })

  it("max_order_wait_seconds of its later versions re-posts the maker order, and says so; max_monitor_seconds is said to be unused", () => {
    const text = edit(FUTURES, "  cycle_sleep: 60\n", "  cycle_sleep: 60\n  max_order_wait_seconds: 15\n  max_monitor_seconds: 300\n")
    const config = load(text)
    expect(config.trade.firstWaitMs).toBe(15_000)
    expect(config.notes).toHaveLength(2)
    expect(config.notes[0]).toMatch(/trade\.max_order_wait_seconds 15: a maker order not filled within 15 s is re-posted .* not after first_wait_seconds 10/)
    expect(config.notes[1]).toMatch(/trade\.max_monitor_seconds 300 is not used/)
  })

  it("first_wait_seconds 0 is refused: every maker order would be cancelled as it is posted", () => {
    expect(refusal(edit(FUTURES, "first_wait_seconds: 10", "first_wait_seconds: 0"))).toMatch(/trade\.first_wait_seconds: expected seconds \(a number > 0\), got 0/)
  })
})

describe("secrets in a config that is refused", () => {
  it("an unquoted aster.signer_private_key is refused without echoing (part of) the key", () => {
    const key = `0x${"9f3c".repeat(16)}`
    const v3 = `  user: "0x${"a".repeat(40)}"\n  signer: "0x${"b".repeat(40)}"\n  signer_private_key: ${key}\n`
    // unquoted, YAML reads the hex as a float carrying the key's top digits
    const asNumber = String((YAML.parse(`k: ${key}`) as { k: number }).k)
    const message = refusal(edit(FUTURES, `  symbol: "ASTERUSDT"\n`, `  symbol: "ASTERUSDT"\n${v3}`))
    expect(message).toMatch(/aster\.signer_private_key: expected a 0x-prefixed 32-byte hex private key in quotes/)
    expect(message).not.toContain(asNumber)
    expect(message).not.toContain("9f3c")
  })

  it("an unresolved YAML alias is refused naming the key, without its name (a secret written unquoted)", () => {
    const secret = "Zk9TOPSECRETvalue1234567890abcdef"
    const message = refusal(edit(FUTURES, `  api_secret: ""`, `  api_secret: *${secret}`))
    expect(message).toMatch(/aster\.api_secret: a YAML alias \(\*…\) that refers to no anchor/)
    expect(message).not.toContain(secret)
    // an alias whose anchor exists is fine
    expect(load(edit(edit(FUTURES, `  api_key: ""`, `  api_key: &k "key"`), `  api_secret: ""`, `  api_secret: *k`)).hedge.apiSecret).toSatisfy((s: Redacted.Redacted<string>) => Redacted.value(s) === "key")
  })

  it("the CLI prints the refusal, not the secret, and exits non-zero", async () => {
    const secret = "Zk9TOPSECRETvalue1234567890abcdef"
    const dir = tempDir()
    const file = path.join(dir, "alias.yaml")
    fs.writeFileSync(file, edit(FUTURES, `  api_secret: ""`, `  api_secret: *${secret}`))
    const r = await runCommand("src/cli/backtest.ts", ["--config", file, "--quiet"])
    expect(r.code).toBe(1)
    expect(r.all).toContain("aster.api_secret: a YAML alias")
    expect(r.all).not.toContain(secret)
  })
})

describe("the signing windows reach the venues", () => {
  /** An HttpClient that records each request and answers `answer(url)` with 200. */
  const recording = (answer: (url: string) => unknown) => {
    const requests: Array<{ readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly body: string }> = []
    const client = HttpClient.make((request) =>
      Effect.sync(() => {
        const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
        requests.push({ url: request.url, headers: request.headers, body })
        return HttpClientResponse.fromWeb(request, new Response(JSON.stringify(answer(request.url)), { status: 200 }))
      }))
    return { requests, client }
  }

  it("bp.window is the X-Window of Backpack's signed requests, aster.recv_window Aster's recvWindow", async () => {
    const key = generateBackpackTestKey()
    const text = edit(
      edit(ORIGINAL_SPOT_EXAMPLE, "  window: 5000", "  window: 7000"),
      "  recv_window: 5000",
      "  recv_window: 9000"
    ).replace(`api_public_key_b64: ""`, `api_public_key_b64: "${key.publicKeyB64}"`).replace(`api_secret_key_b64: ""`, `api_secret_key_b64: "${key.secretKeyB64}"`)
      .replace(`api_key: ""`, `api_key: "k"`).replace(`api_secret: ""`, `api_secret: "s"`)
    const config = load(text)

    const backpack = recording(() => [])
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const client = yield* makeBackpackClient(config.maker)
      yield* client.openOrders
    })).pipe(Effect.provideService(HttpClient.HttpClient, backpack.client)))
    const signed = backpack.requests.filter((r) => r.headers["x-signature"] !== undefined)
    expect(signed.length).toBeGreaterThan(0)
    for (const r of signed) expect(r.headers["x-window"]).toBe("7000")

    const aster = recording((url) => (url.endsWith("/time") ? { serverTime: Date.now() } : []))
    await Effect.runPromise(Effect.gen(function*() {
      const client = yield* makeAsterClient(asterOptionsFromConfig(config.hedge))
      yield* client.openOrders("ASTERUSDT")
    }).pipe(Effect.provideService(HttpClient.HttpClient, aster.client)))
    const orders = aster.requests.filter((r) => r.url.includes("/openOrders"))
    expect(orders.length).toBe(1)
    expect(orders[0]!.url).toContain("recvWindow=9000")
  })
})
