import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Logger, Redacted } from "effect"
import { offThreadSigner } from "../src/adapters/backpack/off-thread-signer"
import { makeSigner } from "../src/adapters/backpack/signing"

// the published Backpack reference (RFC 8032 test 1 key)
const SECRET = Redacted.make("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
const REFERENCE_STRING = "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000"
const REFERENCE_SIGNATURE = "wLQaGPszkXrEWaIm6RsnVLJv70Uuw62SXxmdso6cadUmR0NWzFhfhvuCWMl+jbBNJ5gZRfCPjvXI29H7JeW6Ag=="

const inline = Either.getOrThrow(makeSigner(SECRET))
const messages = [REFERENCE_STRING, "instruction=subscribe&timestamp=1&window=5000", "x=é€😀", ""]

describe("Backpack signing off the thread that hedges", () => {
  it.scoped("signs as the inline signer does: the reference signature, and any message", () =>
    Effect.gen(function*() {
      const signer = yield* offThreadSigner(SECRET, inline)
      expect(signer.apiKey).toBe(inline.apiKey)
      expect(yield* signer.sign(REFERENCE_STRING)).toBe(REFERENCE_SIGNATURE)
      // concurrent requests each get their own answer
      const signatures = yield* Effect.forEach(messages, signer.sign, { concurrency: "unbounded" })
      expect(signatures).toEqual(messages.map(inline.sign))
    }))

  it.scoped("the calling thread stays free while it signs", () =>
    Effect.gen(function*() {
      const signer = yield* offThreadSigner(SECRET, inline)
      yield* signer.sign("warm-up: the worker has started")
      let turns = 0
      const timer = setInterval(() => turns++, 0)
      // inline, these would run back to back without one turn of the event loop in between
      yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => `message ${i}`), signer.sign, { concurrency: "unbounded" })
      clearInterval(timer)
      expect(turns).toBeGreaterThan(0)
    }))

  it.scoped("a worker that cannot start: the same signatures, made on this thread, and one warning", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void warnings.push(String(message))))
      const signer = yield* offThreadSigner(SECRET, inline, { workerUrl: new URL("./no-such-worker.mjs", import.meta.url) })
      const signatures = yield* Effect.forEach(messages, signer.sign).pipe(Effect.provide(logger))
      expect(signatures).toEqual(messages.map(inline.sign))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/^backpack signing worker stopped \(.*\): signing on the main thread from now on$/)
    }))
})
