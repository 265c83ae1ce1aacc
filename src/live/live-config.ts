/**
 * The config of a live run: the original bot's YAML, with each secret optionally taken from an
 * environment variable instead of the file (so the file can be shared and committed without
 * keys), a warning when a file holding secrets is readable by other users, and a refusal, naming
 * the keys and variables, when the credentials a live run needs are missing.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Data, Effect, Either, Redacted } from "effect"
import { makeSigner } from "../adapters/backpack/signing"
import * as YAML from "yaml"
import { type ConfigError, type ConfigOverride, type HedgeConfig, parseConfig } from "../core/config/config"

/** config key → environment variable that overrides it */
export const SECRET_ENVIRONMENT = {
  "bp.api_public_key_b64": "HEDGELOOP_BP_API_PUBLIC_KEY_B64",
  "bp.api_secret_key_b64": "HEDGELOOP_BP_API_SECRET_KEY_B64",
  "aster.api_key": "HEDGELOOP_ASTER_API_KEY",
  "aster.api_secret": "HEDGELOOP_ASTER_API_SECRET",
  "aster.signer_private_key": "HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY",
  "alerts.webhook_url": "HEDGELOOP_ALERTS_WEBHOOK_URL"
} as const

export class MissingCredentials extends Data.TaggedError("MissingCredentials")<{ readonly source: string; readonly problems: ReadonlyArray<string> }> {
  override get message() {
    return `${this.source}: a live run needs credentials it can use:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

export class ConfigFileUnreadable extends Data.TaggedError("ConfigFileUnreadable")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

export interface LiveConfig {
  readonly config: HedgeConfig
  readonly warnings: ReadonlyArray<string>
  /** which secrets came from the environment (names only) */
  readonly fromEnvironment: ReadonlyArray<string>
}

const filled = (value: Redacted.Redacted<string>) => Redacted.value(value).trim().length > 0

/** Where a secret came from, for a message: the environment variable that set it, else the file's key. */
const sourceOf = (key: keyof typeof SECRET_ENVIRONMENT, fromEnvironment: ReadonlyArray<string>): string =>
  fromEnvironment.includes(SECRET_ENVIRONMENT[key]) ? `${key} (from ${SECRET_ENVIRONMENT[key]})` : key

/**
 * What a live run cannot start without, or cannot sign with (a Backpack key pair is checked here,
 * naming its keys, rather than when the client is built); paper runs need no keys (market data is public).
 */
const missingCredentials = (config: HedgeConfig, fromEnvironment: ReadonlyArray<string>): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (!filled(config.maker.publicKey)) problems.push(`bp.api_public_key_b64 is empty (or set ${SECRET_ENVIRONMENT["bp.api_public_key_b64"]})`)
  if (!filled(config.maker.secretKey)) problems.push(`bp.api_secret_key_b64 is empty (or set ${SECRET_ENVIRONMENT["bp.api_secret_key_b64"]})`)
  else {
    const secret = sourceOf("bp.api_secret_key_b64", fromEnvironment)
    if (Either.isLeft(makeSigner(config.maker.secretKey))) problems.push(`${secret} is not the base64 of a 32-byte ED25519 seed (Backpack's API secret key)`)
    else if (filled(config.maker.publicKey) && Either.isLeft(makeSigner(config.maker.secretKey, config.maker.publicKey))) {
      problems.push(`${sourceOf("bp.api_public_key_b64", fromEnvironment)} is not the public key of ${secret} (a key pair's two halves must come together)`)
    }
  }
  if (config.hedge.v3 !== undefined && !filled(config.hedge.v3.signerPrivateKey)) {
    problems.push(`aster.signer_private_key is missing (or set ${SECRET_ENVIRONMENT["aster.signer_private_key"]}): V3 credentials need aster.user, aster.signer and aster.signer_private_key together`)
  }
  if (config.hedge.v3 === undefined) {
    if (!filled(config.hedge.apiKey)) problems.push(`aster.api_key is empty (or set ${SECRET_ENVIRONMENT["aster.api_key"]}; or give V3 credentials aster.user, aster.signer, aster.signer_private_key)`)
    if (!filled(config.hedge.apiSecret)) problems.push(`aster.api_secret is empty (or set ${SECRET_ENVIRONMENT["aster.api_secret"]})`)
  }
  return problems
}

/**
 * Whether the file itself (not the environment) sets a secret, in whatever YAML style (block or
 * `{ api_secret: … }`): read from its keys, as a file whose secrets all come from the environment
 * may not load alone (V3 credentials need their private key).
 */
const holdsSecrets = (text: string): boolean => {
  let doc: unknown
  try {
    doc = YAML.parse(text)
  } catch {
    // the config loaded, so the YAML parses; if it somehow did not, err on the warning's side
    return true
  }
  return Object.keys(SECRET_ENVIRONMENT).some((key) => {
    const [section, name] = key.split(".") as [string, string]
    const holder = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>)[section] : undefined
    const value = typeof holder === "object" && holder !== null ? (holder as Record<string, unknown>)[name] : undefined
    return value !== undefined && value !== null && String(value).trim().length > 0
  })
}

export const loadLiveConfig = (
  path: string,
  options: { readonly environment: Readonly<Record<string, string | undefined>>; readonly requireCredentials: boolean }
): Effect.Effect<LiveConfig, ConfigError | MissingCredentials | ConfigFileUnreadable, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(Effect.mapError(() => new ConfigFileUnreadable({ path, reason: "cannot read the config file" })))
    const overrides: Record<string, ConfigOverride> = {}
    const fromEnvironment: Array<string> = []
    for (const [key, variable] of Object.entries(SECRET_ENVIRONMENT)) {
      // a CRLF .env file leaves a "\r" on each value: no key has whitespace of its own
      const value = options.environment[variable]?.trim()
      if (value !== undefined && value.length > 0) {
        overrides[key] = { value, from: variable }
        fromEnvironment.push(variable)
      }
    }
    const config = yield* Either.match(parseConfig(text, path, overrides), { onLeft: Effect.fail, onRight: Effect.succeed })
    // the V3 signing key serves a V3 config only (a V1 one says so in a note): not one of its secrets then
    if (config.hedge.v3 === undefined) {
      const unused = fromEnvironment.indexOf(SECRET_ENVIRONMENT["aster.signer_private_key"])
      if (unused >= 0) fromEnvironment.splice(unused, 1)
    }
    if (options.requireCredentials) {
      const problems = missingCredentials(config, fromEnvironment)
      if (problems.length > 0) return yield* new MissingCredentials({ source: path, problems })
    }
    const warnings: Array<string> = [...config.notes]
    const info = yield* fs.stat(path).pipe(Effect.option)
    if (info._tag === "Some" && holdsSecrets(text) && (info.value.mode & 0o077) !== 0) {
      warnings.push(`${path} holds secrets and is readable by other users (mode ${(info.value.mode & 0o777).toString(8)}): chmod 600 ${path}, or move the keys to environment variables (${Object.values(SECRET_ENVIRONMENT).join(", ")})`)
    }
    return { config, warnings, fromEnvironment }
  })
