/**
 * What a start checks before trading and the config a live run loads, where they went wrong: the
 * maker funds of a start left with a crumb it cannot unwind, a Backpack key pair the config cannot
 * sign with, a base URL with what a paste leaves around it, and the readable-file warning of a file
 * whose secrets are all in the environment.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import { loadLiveConfig } from "../src/live/live-config"
import { preflight } from "../src/live/preflight"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { ORIGINAL_FUTURES_YAML, testConfig } from "./support/config"
import { HEDGE, paperVenuesWithTaker } from "./support/paper-venues"
import { runCommand } from "./support/run-command"

const tempFile = (name: string) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-start-checks-")), name)

describe("maker funds at a start that has a crumb it cannot unwind", () => {
  // Was: the maker-funds check was skipped whenever unwind_at_start was on and the maker position
  // not zero, as if the start unwound first. A position too small to unwind on both venues is not
  // unwound: the first order is cycle 1's sell of trade.quantity all the same, unjudged. `--check`
  // said a start would trade; Backpack refused the sell, and the run failed (exit 1, which a
  // supervisor restarts) instead of refusing (exit 4).
  it.scopedLive("a BP -2 / ASTER +2 pair below ASTER's smallest hedge (4) is not unwound, so the first sell's funds are judged", () =>
    Effect.gen(function*() {
      const journalPath = tempFile("journal.db")
      const config = testConfig({
        trade: { quantity: "10", offset_percent: 0.2, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 }
      })
      expect(config.trade.unwindAtStart).toBe(true)
      // ASTER's minimum order value 5 at 1.5: its smallest hedge is 4 ASTER, so a pair of 2 cannot be unwound
      const hedgeInstrument = { ...HEDGE, minNotional: decimal("5") }
      const paper = yield* paperVenuesWithTaker(config, { hedgeInstrument }).venues
      const venues = {
        maker: {
          ...paper.maker,
          position: Effect.succeed({ venue: "backpack" as const, symbol: "ASTER_USDC_PERP", qty: decimal("-2") }),
          // Backpack's maxOrderQuantity: the collateral allows a sell of 5, not 10
          maxOrderQty: () => Effect.succeed(decimal("5"))
        } satisfies Exchange,
        hedge: {
          ...paper.hedge,
          position: Effect.succeed({ venue: "aster-futures" as const, symbol: "ASTERUSDT", qty: decimal("2") })
        } satisfies Exchange
      }
      const lines = yield* preflight(config, venues, journalPath, "live")
      // the check itself says the first order is cycle 1's sell of 10, not an unwinding leg
      expect(lines.find((l) => l.subject === "first order")?.detail).toMatch(/limit sell 10 at/)
      // and that sell exceeds what Backpack allows: a start must refuse (exit 4)
      const makerFunds = lines.find((l) => l.subject === "maker funds")
      expect(makerFunds?.status).toBe("refuse")
    }))
})

describe("a Backpack key the config cannot use", () => {
  const config = (secret: string, publicKey: string) =>
    ORIGINAL_FUTURES_YAML.replace('api_public_key_b64: ""', `api_public_key_b64: "${publicKey}"`)
      .replace('api_secret_key_b64: ""', `api_secret_key_b64: "${secret}"`)
      .replace('api_key: ""', 'api_key: "asterkey0123456789"')
      .replace('api_secret: ""', 'api_secret: "astersecret0123456789"')
      .replace('base_url: "https://api.backpack.exchange"', 'base_url: "http://127.0.0.1:9"')
      .replace('base_url: "https://fapi.asterdex.com"', 'base_url: "http://127.0.0.1:9"\n  market: futures')
  // Was: a bp.api_secret_key_b64 that is no base64 of a 32-byte ED25519 seed (or a public key that
  // does not belong to it) loaded, and was refused only when the Backpack client was built: `backpack
  // key: the secret key is not the base64 of a 32-byte ED25519 seed`, naming neither the key nor
  // HEDGELOOP_BP_API_SECRET_KEY_B64.
  it("is refused naming bp.api_secret_key_b64 / bp.api_public_key_b64", async () => {
    const file = tempFile("bad-key.yaml")
    fs.writeFileSync(file, config("not-a-seed-0123456789", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), { mode: 0o600 })
    const badSecret = await runCommand("src/cli/live.ts", [file, "--check", "--journal", tempFile("j.db")])
    expect(badSecret.code).not.toBe(0)
    expect(badSecret.all).not.toContain("not-a-seed-0123456789")
    expect(badSecret.all).toContain("bp.api_secret_key_b64")

    // a valid seed whose public key is another one's
    const seed = Buffer.alloc(32, 7).toString("base64")
    fs.writeFileSync(file, config(seed, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), { mode: 0o600 })
    const mismatch = await runCommand("src/cli/live.ts", [file, "--check", "--journal", tempFile("j.db")])
    expect(mismatch.code).not.toBe(0)
    expect(mismatch.all).toContain("bp.api_public_key_b64")
  }, 60_000)
})

describe("a base_url with what a paste leaves around it", () => {
  const FUTURES = ORIGINAL_FUTURES_YAML
  // Was: the URL check anchored only the start, so "https://api.backpack.exchange " (a trailing
  // space from a paste) or "https://fapi.asterdex.com futures" loaded as is; every request then went
  // to "https://api.backpack.exchange /api/v1/time" and the run died with `InvalidUrl`, naming no key.
  it("is trimmed, or refused naming the key, never kept with a space inside", () => {
    for (const [from, to, key] of [
      [`"https://api.backpack.exchange"`, `"https://api.backpack.exchange "`, "bp.base_url"],
      [`"https://fapi.asterdex.com"`, `"https://fapi.asterdex.com futures"`, "aster.base_url"]
    ] as const) {
      expect(FUTURES.includes(from)).toBe(true)
      const result = parseConfig(FUTURES.replace(from, to), "review.yaml")
      if (Either.isLeft(result)) expect(result.left.message).toContain(`${key}:`)
      else expect([result.right.maker.baseUrl, result.right.hedge.baseUrl].filter((url) => /\s/.test(url))).toEqual([])
    }
  })
})

describe("the readable-by-others warning of a file whose secrets are all in the environment", () => {
  // Was: whether the file itself holds secrets was told by parsing it again without the
  // environment's values; a V3 file (aster.user and aster.signer, public addresses) whose signing key
  // comes from HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY, as the README advises, fails that parse, and a
  // failed parse counted as "holds secrets": a shared 0644 file holding none was told to move its
  // keys to the environment they were in already.
  it("a V3 config with its key from the environment and no secret in the file gets no warning", async () => {
    const file = tempFile("v3.yaml")
    fs.writeFileSync(file, `bp:
  api_public_key_b64: ""
  api_secret_key_b64: ""
aster:
  user: "0x${"1".repeat(40)}"
  signer: "0x${"2".repeat(40)}"
  base_url: "https://fapi.asterdex.com"
trade:
  quantity: "10"
  offset_percent: 0.2
  first_wait_seconds: 10
  between_legs_sleep: 60
`)
    fs.chmodSync(file, 0o644)
    const bpKey = generateBackpackTestKey()
    const environment = {
      HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY: `0x${"ab".repeat(32)}`,
      HEDGELOOP_BP_API_PUBLIC_KEY_B64: bpKey.publicKeyB64,
      HEDGELOOP_BP_API_SECRET_KEY_B64: bpKey.secretKeyB64
    }
    const loaded = await Effect.runPromise(loadLiveConfig(file, { environment, requireCredentials: true }).pipe(Effect.provide(NodeContext.layer)))
    expect(loaded.fromEnvironment).toContain("HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY")
    expect(loaded.warnings.filter((w) => w.includes("holds secrets"))).toEqual([])
  })
})

