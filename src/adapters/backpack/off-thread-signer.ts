/**
 * Backpack's ED25519 signatures, made on a worker thread. tweetnacl takes 4–18 ms per signature
 * on a small VM, and every placement, cancel and lookup is signed: inline, that time blocks the
 * thread that reads fills and sends hedges, so a fill racing a repost would wait for it. Off
 * thread, the wall time of a request is unchanged but the bot's thread stays free.
 *
 * Same library, same key, same signatures. If the worker cannot start or dies, signing falls back
 * to the calling thread (with one warning): slower, never wrong.
 */
import { Effect, Redacted, type Scope } from "effect"
import { Worker } from "node:worker_threads"
import type { BackpackSigner } from "./signing"

export interface AsyncSigner {
  readonly apiKey: string
  /** base64 of the 64-byte detached signature of `message` */
  readonly sign: (message: string) => Effect.Effect<string>
}

const WORKER_URL = new URL("./sign-worker.mjs", import.meta.url)

/** `inline` signs with the same key on this thread: the fallback. `workerUrl`: tests only. */
export const offThreadSigner = (
  secretKey: Redacted.Redacted<string>,
  inline: BackpackSigner,
  options: { readonly workerUrl?: URL } = {}
): Effect.Effect<AsyncSigner, never, Scope.Scope> =>
  Effect.gen(function*() {
    const pending = new Map<number, { readonly message: string; readonly done: (signature: string) => void }>()
    let nextId = 0
    let worker: Worker | undefined
    let failed: string | undefined

    /** From now on this thread signs; what the worker still owed is signed here. */
    const fallBack = (reason: string) => {
      if (worker === undefined) return
      worker = undefined
      failed = reason
      for (const [id, request] of pending) {
        pending.delete(id)
        request.done(inline.sign(request.message))
      }
    }

    worker = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const started = new Worker(options.workerUrl ?? WORKER_URL, { workerData: { seed: Redacted.value(secretKey).trim() } })
        // an idle signer must not keep the process alive
        started.unref()
        started.on("message", ({ id, signature }: { id: number; signature: string }) => {
          const request = pending.get(id)
          pending.delete(id)
          request?.done(signature)
        })
        started.on("error", (error) => fallBack(error.message))
        started.on("exit", (code) => fallBack(`exited with code ${code}`))
        return started
      }),
      (started) =>
        Effect.promise(() => {
          worker = undefined
          return started.terminate()
        })
    )

    let warned = false
    const warnOnce = Effect.suspend(() => {
      if (warned || failed === undefined) return Effect.void
      warned = true
      return Effect.logWarning(`backpack signing worker stopped (${failed}): signing on the main thread from now on`)
    })

    return {
      apiKey: inline.apiKey,
      sign: (message) =>
        Effect.zipRight(
          warnOnce,
          Effect.async<string>((resume) => {
            const current = worker
            if (current === undefined) return resume(Effect.succeed(inline.sign(message)))
            const id = nextId++
            pending.set(id, { message, done: (signature) => resume(Effect.succeed(signature)) })
            current.postMessage({ id, message })
            return Effect.sync(() => void pending.delete(id))
          })
        )
    }
  })
