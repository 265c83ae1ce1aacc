/**
 * One HTTP round trip to a venue, with the failures every adapter must map the same way:
 * a timeout or a dropped connection or a 5xx is `VenueUnavailable` (the outcome is unknown:
 * reconcile, never resend blindly), 429/418 is `RateLimited` with the venue's Retry-After, and
 * everything else is handed back raw for the venue's own error mapping. Only requests marked
 * idempotent (reads) are retried, with a Schedule.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Duration, Effect, ParseResult, Schedule, Schema } from "effect"
import type { Venue } from "../../core/domain/venue"
import { type ExchangeError, InvalidResponse, RateLimited, VenueUnavailable } from "../../core/errors"
import { timeoutFailAtOnce } from "./timeout-at-once"

export interface RestCall {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  /** base URL + path, without the query string */
  readonly url: string
  /** query parameters in the order they are to be sent (and signed) */
  readonly query?: ReadonlyArray<readonly [string, string]>
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: { readonly text: string; readonly contentType: string }
  readonly timeoutMs: number
  /** safe to send again when the outcome is unknown (reads, cancels by id) */
  readonly idempotent: boolean
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
}

/** The exact query string sent (and so the one a venue's signature must cover). */
export const queryString = (query: ReadonlyArray<readonly [string, string]> = []): string =>
  query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")

/** Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). */
const retryAfterMs = (headers: Readonly<Record<string, string>>, now: number): number | undefined => {
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/**
 * A ban's end when no Retry-After says it: Binance-style venues name it in the body ("IP banned
 * until 1758672000000", ms since epoch), which their futures docs promise instead of the header.
 */
export const banEndsInMs = (body: string, now: number): number | undefined => {
  const until = /banned until (\d{13})/i.exec(body)?.[1]
  return until === undefined ? undefined : Math.max(0, Number(until) - now)
}

/** a 418 (IP banned) that names no end: bans start at 2 minutes, and every request during one lengthens it */
const UNNAMED_BAN_MS = 120_000

/**
 * The HttpClient for venue requests, without tracing: no span per request (nothing collects
 * them, and they cost the hedge's critical path) and no trace headers sent to the venues.
 */
export const venueHttpClient: Effect.Effect<HttpClient.HttpClient, never, HttpClient.HttpClient> = Effect.map(
  HttpClient.HttpClient,
  HttpClient.withTracerDisabledWhen(() => true)
)

const short = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text)

const once = (venue: Venue, build: RestCall | Effect.Effect<RestCall>) =>
  Effect.gen(function*() {
    const call = Effect.isEffect(build) ? yield* build : build
    const client = yield* HttpClient.HttpClient
    const qs = queryString(call.query)
    let request = HttpClientRequest.make(call.method)(qs.length > 0 ? `${call.url}?${qs}` : call.url).pipe(
      HttpClientRequest.setHeaders(call.headers ?? {})
    )
    if (call.body) request = HttpClientRequest.bodyText(request, call.body.text, call.body.contentType)
    const response = yield* client.execute(request).pipe(
      Effect.flatMap((res) => Effect.map(res.text, (text) => ({ status: res.status, headers: res.headers as Record<string, string>, text }))),
      Effect.scoped,
      // not Effect.timeoutFail: its fork would hold a hedge order back for a scheduler turn
      (exchange) =>
        timeoutFailAtOnce(exchange, {
          duration: Duration.millis(call.timeoutMs),
          onTimeout: () => new VenueUnavailable({ venue, reason: `${call.method} ${pathOf(call.url)} timed out after ${call.timeoutMs} ms` })
        }),
      Effect.catchTag("RequestError", (error) => Effect.fail(new VenueUnavailable({ venue, reason: `${call.method} ${pathOf(call.url)}: ${error.message}` }))),
      Effect.catchTag("ResponseError", (error) => Effect.fail(new VenueUnavailable({ venue, reason: `${call.method} ${pathOf(call.url)}: ${error.message}` })))
    )
    if (response.status === 429 || response.status === 418) {
      const now = yield* Clock.currentTimeMillis
      const after = retryAfterMs(response.headers, now) ?? banEndsInMs(response.text, now) ?? (response.status === 418 ? UNNAMED_BAN_MS : undefined)
      return yield* new RateLimited({ venue, ...(after !== undefined ? { retryAfterMs: after } : {}) })
    }
    if (response.status >= 500) {
      return yield* new VenueUnavailable({ venue, reason: `${call.method} ${pathOf(call.url)} answered HTTP ${response.status}: ${short(response.text)}` })
    }
    return response as RawResponse
  })

const pathOf = (url: string) => {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

/** Retries of idempotent calls: short exponential backoff, a few times, only when nothing is known. */
export const readRetry = Schedule.exponential(Duration.millis(100), 2).pipe(Schedule.intersect(Schedule.recurs(3)))

/** a read answered 429 waits this long at most before asking again (a longer ban fails the read) */
const MAX_READ_RATE_LIMIT_WAIT_MS = 30_000

/** The reads' backoff, stretched to a 429's Retry-After (else 1 s). */
const readAgain = Schedule.intersect(
  readRetry,
  Schedule.identity<ExchangeError>().pipe(
    Schedule.addDelay((error) => Duration.millis(error._tag === "RateLimited" ? Math.min(error.retryAfterMs ?? 1000, MAX_READ_RATE_LIMIT_WAIT_MS) : 0))
  )
)

/**
 * A read whose answer was garbage (a cut-off body, a proxy's page) is asked again, as one that got
 * nothing is (`execute`); one answered 429, once the venue's Retry-After has passed.
 */
export const readAgainWhenGarbled = <A, R>(read: Effect.Effect<A, ExchangeError, R>): Effect.Effect<A, ExchangeError, R> =>
  read.pipe(Effect.retry({ schedule: readAgain, while: (e) => e._tag === "InvalidResponse" || e._tag === "RateLimited" }))

/**
 * `call` may be an Effect that builds the request: it is then built again for every attempt, so
 * a signed request gets a fresh timestamp/nonce and signature when an idempotent read is retried.
 */
export const execute = (
  venue: Venue,
  call: RestCall | Effect.Effect<RestCall>,
  idempotent = Effect.isEffect(call) ? false : call.idempotent
): Effect.Effect<RawResponse, VenueUnavailable | RateLimited, HttpClient.HttpClient> =>
  idempotent
    ? once(venue, call).pipe(Effect.retry({ schedule: readRetry, while: (error) => error._tag === "VenueUnavailable" }))
    : once(venue, call)

/**
 * Parses and decodes a venue's JSON answer; garbage becomes `InvalidResponse` naming what was
 * being read and the first field that did not fit.
 */
export const decodeJson = <A, I>(venue: Venue, schema: Schema.Schema<A, I>, text: string, what: string): Effect.Effect<A, InvalidResponse> =>
  Effect.gen(function*() {
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new InvalidResponse({ venue, detail: `${what}: malformed JSON: ${short(text)}` })
    })
    return yield* Schema.decodeUnknown(schema)(json).pipe(
      Effect.mapError((error) => {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
        const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)"
        return new InvalidResponse({ venue, detail: `${what}: field ${field}: ${issue?.message ?? error.message}` })
      })
    )
  })
