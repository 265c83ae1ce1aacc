/**
 * How the local Backpack answers: JSON bodies, the venue's `{"code","message"}` error bodies, and
 * the fault plan applied to each request before it is answered.
 */
import { HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import type { Venue } from "../../../core/domain/venue"
import type { Faults } from "../types"

const JSON_CONTENT = "application/json; charset=utf-8"

/** An answer before it is written: status, JSON body, extra headers. */
export interface Reply {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export const ok = (body: unknown): Reply => ({ status: 200, body })

/** Error codes as the venue spells them. */
export type ErrorCode =
  | "INVALID_CLIENT_REQUEST"
  | "INVALID_ORDER"
  | "INVALID_SIGNATURE"
  | "UNAUTHORIZED"
  | "RESOURCE_NOT_FOUND"
  | "INSUFFICIENT_FUNDS"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_ERROR"

export const refuse = (status: number, code: ErrorCode, message: string): Reply => ({ status, body: { code, message } })

export const badRequest = (message: string): Reply => refuse(400, "INVALID_CLIENT_REQUEST", message)

export const toResponse = (reply: Reply): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(JSON.stringify(reply.body), {
    status: reply.status,
    contentType: JSON_CONTENT,
    ...(reply.headers ? { headers: reply.headers } : {})
  })

/** A body that is cut short: never valid JSON (a complete prefix followed by "," is not either). */
const malformed = (text: string) => `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))},`

/**
 * Answers a request under the fault plan decided for it (`route` = "METHOD /path"):
 * - delay: answered late;
 * - status: a 5xx instead, the request not handled;
 * - rateLimit: 429 TOO_MANY_REQUESTS with Retry-After, not handled;
 * - timeout: handled (an order is placed), but the answer never comes: the caller's outcome is unknown;
 * - malformed: handled, and the answer cut short.
 */
export const answerWithFaults = <R>(
  faults: Faults,
  venue: Venue,
  route: string,
  handle: Effect.Effect<Reply, never, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.gen(function*() {
    const fault = yield* faults.http(venue, route)
    switch (fault.kind) {
      case "none":
        return toResponse(yield* handle)
      case "delay":
        yield* Effect.sleep(fault.ms)
        return toResponse(yield* handle)
      case "status":
        return toResponse(
          fault.status === 500
            ? refuse(500, "INTERNAL_ERROR", "Internal server error")
            : refuse(fault.status, "SERVICE_UNAVAILABLE", "Service unavailable")
        )
      case "rateLimit":
        return toResponse({
          ...refuse(429, "TOO_MANY_REQUESTS", "Too many requests"),
          headers: { "retry-after": String(fault.retryAfterSeconds) }
        })
      case "timeout":
        yield* handle
        return yield* Effect.never
      case "malformed": {
        const reply = yield* handle
        return HttpServerResponse.text(malformed(JSON.stringify(reply.body)), { status: reply.status, contentType: JSON_CONTENT })
      }
    }
  })
