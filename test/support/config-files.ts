/** Config texts as a trader edits them, loaded or refused the ways the commands do. */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { expect } from "vitest"
import { type HedgeConfig, parseConfig } from "../../src/core/config/config"
import { loadLiveConfig } from "../../src/live/live-config"
import { tempDir } from "./scripted-market"

/** `text` with `from` replaced by `to`; `from` must be there (a fixture that changed fails here, not later). */
export const edit = (text: string, from: string, to: string): string => {
  expect(text.includes(from), `fixture contains ${JSON.stringify(from)}`).toBe(true)
  return text.replace(from, to)
}

/** The config `text` holds (a refusal fails the test with its message). */
export const load = (text: string): HedgeConfig => Either.getOrThrowWith(parseConfig(text, "hedge.yaml"), (e) => new Error(e.message))

/** The message `text` is refused with (loading it fails the test). */
export const refusal = (text: string): string => {
  const r = parseConfig(text, "hedge.yaml")
  if (Either.isRight(r)) throw new Error("expected the config to be refused")
  return r.left.message
}

/** `text` written as a config file only its owner reads. */
export const writeConfigFile = (text: string): string => {
  const file = path.join(tempDir(), "hedge.yaml")
  fs.writeFileSync(file, text, { mode: 0o600 })
  return file
}

/** What `npm run live` makes of the file with this environment (its secrets' variables). */
export const loadLive = (file: string, environment: Record<string, string>, requireCredentials: boolean) =>
  Effect.runPromise(Effect.either(loadLiveConfig(file, { environment, requireCredentials })).pipe(Effect.provide(NodeContext.layer)))
