/**
 * How the local Backpack answers: JSON bodies, the venue's `{"code","message"}` error bodies, and
 * the fault plan applied to each request before it is answered.
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
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

/**
 * A fault plan's `reject` as the venue's business refusal: 400 with its error body, by default
 * INSUFFICIENT_FUNDS (the reference documents the code and the `{code, message}` shape; the
 * wording is the local venue's own). An Aster (numeric) code is not Backpack's: the default then.
 */
export const rejected = (fault: { readonly code?: number | string; readonly message?: string }): Reply =>
  typeof fault.code === "string"
    ? { status: 400, body: { code: fault.code, message: fault.message ?? "Order rejected" } }
    : { status: 400, body: { code: "INSUFFICIENT_FUNDS", message: fault.message ?? "Insufficient funds" } }

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
 * - delay: carried out and answered late (carried out even if the sender hangs up meanwhile);
 * - status: a 5xx instead, the request not handled;
 * - rateLimit: 429 TOO_MANY_REQUESTS with Retry-After, not handled;
 * - timeout: handled (an order is placed), but the answer never comes: the caller's outcome is unknown;
 * - malformed: handled, and the answer cut short;
 * - reject: a business refusal, not handled (no authentication, nothing executed): 400
 *   `{"code": "INSUFFICIENT_FUNDS", "message": "Insufficient funds"}`, or the plan's `code` (a
 *   name) and `message`.
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
        // a request that has arrived is carried out even if its sender hangs up meanwhile, as at a real venue
        return toResponse(yield* Effect.uninterruptible(Effect.zipRight(Effect.sleep(fault.ms), handle)))
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
      case "reject":
        return toResponse(rejected(fault))
    }
  })
