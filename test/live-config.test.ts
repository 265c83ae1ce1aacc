/** A live run's config: secrets from the file or the environment, a warning for readable files. */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Either, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { loadLiveConfig } from "../src/live/live-config"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { tempDir } from "./support/scripted-market"

const example = fs.readFileSync("config/hedge_futures.example.yaml", "utf8")
const write = (text: string, mode: number) => {
  const file = path.join(tempDir(), "hedge.yaml")
  fs.writeFileSync(file, text, { mode })
  fs.chmodSync(file, mode)
  return file
}
const load = (file: string, environment: Record<string, string>, requireCredentials = true) =>
  Effect.runPromise(Effect.either(loadLiveConfig(file, { environment, requireCredentials })).pipe(Effect.provide(NodeContext.layer)))

// Backpack's keys are checked as a pair: real ones, from the file or the environment
const fileKey = generateBackpackTestKey()
const envKey = generateBackpackTestKey()
const withKeys = example
  .replace('api_public_key_b64: ""', `api_public_key_b64: "${fileKey.publicKeyB64}"`)
  .replace('api_secret_key_b64: ""', `api_secret_key_b64: "${fileKey.secretKeyB64}"`)
  .replace('api_key: ""', 'api_key: "file-aster-key"')
  .replace('api_secret: ""', 'api_secret: "file-aster-secret"')

describe("live config", () => {
  it("takes the secrets from environment variables over the file", async () => {
    const file = write(example, 0o644)
    const result = await load(file, {
      HEDGELOOP_BP_API_PUBLIC_KEY_B64: envKey.publicKeyB64,
      HEDGELOOP_BP_API_SECRET_KEY_B64: envKey.secretKeyB64,
      HEDGELOOP_ASTER_API_KEY: "env-aster-key",
      HEDGELOOP_ASTER_API_SECRET: "env-aster-secret"
    })
    const live = Either.getOrThrow(result)
    expect(Redacted.value(live.config.maker.secretKey)).toBe(envKey.secretKeyB64)
    expect(Redacted.value(live.config.hedge.apiSecret)).toBe("env-aster-secret")
    expect(live.fromEnvironment).toHaveLength(4)
    // no secret in the file: a readable file is fine
    expect(live.warnings).toEqual([])
  })

  it("refuses to start without credentials, naming the keys and the variables", async () => {
    const result = await load(write(example, 0o600), {})
    expect(Either.isLeft(result) && result.left.message).toMatch(/bp\.api_public_key_b64 is empty \(or set HEDGELOOP_BP_API_PUBLIC_KEY_B64\)/)
    expect(Either.isLeft(result) && result.left.message).toMatch(/aster\.api_secret is empty \(or set HEDGELOOP_ASTER_API_SECRET\)/)
    // a paper run needs none
    expect(Either.isRight(await load(write(example, 0o600), {}, false))).toBe(true)
  })

  it("warns when a file holding secrets is readable by others, without printing them", async () => {
    const open = Either.getOrThrow(await load(write(withKeys, 0o644), {}))
    expect(open.warnings.join()).toMatch(/holds secrets and is readable by other users \(mode 644\): chmod 600/)
    expect(open.warnings.join()).not.toContain(fileKey.secretKeyB64)
    expect(open.warnings.join()).not.toContain("file-aster-secret")
    expect(Either.getOrThrow(await load(write(withKeys, 0o600), {})).warnings).toEqual([])
  })

  it("takes the alerts webhook from the environment (alerts on, with their defaults); a file holding one is a file holding a secret", async () => {
    const url = "https://discord.com/api/webhooks/1/env-token"
    const live = Either.getOrThrow(await load(write(withKeys, 0o600), { HEDGELOOP_ALERTS_WEBHOOK_URL: url }))
    const alerts = Option.getOrThrow(live.config.alerts)
    expect([Redacted.value(alerts.webhookUrl), alerts.format]).toEqual([url, "json"])
    expect(live.fromEnvironment).toEqual(["HEDGELOOP_ALERTS_WEBHOOK_URL"])
    const inFile = `${example}alerts:\n  webhook_url: "https://hooks.slack.com/services/file-token"\n  format: slack\n`
    const readable = Either.getOrThrow(await load(write(inFile, 0o644), {}, false))
    expect(readable.warnings.join()).toMatch(/holds secrets and is readable by other users/)
    expect(readable.warnings.join()).not.toContain("file-token")
    expect(Either.getOrThrow(await load(write(example, 0o644), {}, false)).warnings).toEqual([])
  })

  it("checks environment values like file values, naming the variable a bad one came from", async () => {
    const signer = "0x1563915e194D8CfBA1943570603F7606A3115508"
    const v3 = example.replace(/^aster:\n/m, `aster:\n  user: "${signer}"\n  signer: "${signer}"\n`)
    const result = await load(write(v3, 0o600), { HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY: "0xnot-a-key" })
    expect(Either.isLeft(result) && result.left.message).toMatch(/aster\.signer_private_key \(from HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY\): expected a 0x-prefixed 32-byte hex private key/)
    expect(Either.isLeft(result) && result.left.message).not.toContain("0xnot-a-key")
    const badUrl = await load(write(withKeys, 0o600), { HEDGELOOP_ALERTS_WEBHOOK_URL: "hooks.example/env-token" })
    expect(Either.isLeft(badUrl) && badUrl.left.message).toMatch(/alerts\.webhook_url \(from HEDGELOOP_ALERTS_WEBHOOK_URL\): expected an http\(s\) URL/)
    expect(Either.isLeft(badUrl) && badUrl.left.message).not.toContain("env-token")
  })

  it("the environment's V3 signing key is left out of a V1 config (no aster.user, aster.signer), with a note, not refused", async () => {
    const result = await load(write(withKeys, 0o600), { HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY: `0x${"ab".repeat(32)}` })
    const loaded = Either.getOrThrow(result)
    expect(loaded.config.hedge.v3).toBeUndefined()
    expect(loaded.warnings.join("\n")).toMatch(/HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY is set, but .* gives no V3 credentials \(aster\.user, aster\.signer\): not used/)
  })
})
