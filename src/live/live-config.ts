/**
 * The config of a live run: the original bot's YAML, with each secret optionally taken from an
 * environment variable instead of the file (so the file can be shared and committed without
 * keys), a warning when a file holding secrets is readable by other users, and a refusal, naming
 * the keys and variables, when the credentials a live run needs are missing.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Data, Effect, Either, Redacted } from "effect"
import { type ConfigError, type ConfigOverride, configSecrets, type HedgeConfig, parseConfig } from "../core/config/config"

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
    return `${this.source}: a live run needs credentials:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
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

/** What a live run cannot start without; paper runs need no keys (market data is public). */
const missingCredentials = (config: HedgeConfig): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (!filled(config.maker.publicKey)) problems.push(`bp.api_public_key_b64 is empty (or set ${SECRET_ENVIRONMENT["bp.api_public_key_b64"]})`)
  if (!filled(config.maker.secretKey)) problems.push(`bp.api_secret_key_b64 is empty (or set ${SECRET_ENVIRONMENT["bp.api_secret_key_b64"]})`)
  if (config.hedge.v3 === undefined) {
    if (!filled(config.hedge.apiKey)) problems.push(`aster.api_key is empty (or set ${SECRET_ENVIRONMENT["aster.api_key"]}; or give V3 credentials aster.user, aster.signer, aster.signer_private_key)`)
    if (!filled(config.hedge.apiSecret)) problems.push(`aster.api_secret is empty (or set ${SECRET_ENVIRONMENT["aster.api_secret"]})`)
  }
  return problems
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
    if (options.requireCredentials) {
      const problems = missingCredentials(config)
      if (problems.length > 0) return yield* new MissingCredentials({ source: path, problems })
    }
    const warnings: Array<string> = [...config.notes]
    const info = yield* fs.stat(path).pipe(Effect.option)
    // what the file itself holds, in whatever YAML style (block or `{ api_secret: … }`), not the environment's
    const fileAlone = fromEnvironment.length === 0 ? Either.right(config) : parseConfig(text, path, {})
    const secretsInFile = Either.isRight(fileAlone) ? configSecrets(fileAlone.right).length > 0 : true
    if (info._tag === "Some" && secretsInFile && (info.value.mode & 0o077) !== 0) {
      warnings.push(`${path} holds secrets and is readable by other users (mode ${(info.value.mode & 0o777).toString(8)}): chmod 600 ${path}, or move the keys to environment variables (${Object.values(SECRET_ENVIRONMENT).join(", ")})`)
    }
    return { config, warnings, fromEnvironment }
  })
