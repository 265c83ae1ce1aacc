/**
 * Aster V1 ("legacy") request signing: HMAC-SHA256, keyed by the API secret, over `totalParams` =
 * the exact query string concatenated with the exact request body (no `&` between them), sent as
 * the last parameter `signature`, with the API key in the `X-MBX-APIKEY` header.
 * The same functions verify on the server side (the local exchange).
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"
import { queryString } from "../common/rest"

export const API_KEY_HEADER = "X-MBX-APIKEY"

/** The venue's default and largest accepted `recvWindow` (ms). */
export const DEFAULT_RECV_WINDOW_MS = 5000
export const MAX_RECV_WINDOW_MS = 60_000

export interface V1Credentials {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiSecret: Redacted.Redacted<string>
}

/** Lower-case hex HMAC-SHA256 of `totalParams`. */
export const hmacSha256Hex = (secret: string, totalParams: string): string =>
  createHmac("sha256", secret).update(totalParams, "utf8").digest("hex")

/**
 * The encoded parameter string of a signed request — business parameters, then `recvWindow` and
 * `timestamp` — and the same string with `signature` appended last (what goes on the wire).
 */
export const signV1 = (
  secret: Redacted.Redacted<string>,
  params: ReadonlyArray<readonly [string, string]>,
  timing: { readonly timestamp: number; readonly recvWindow: number }
): { readonly signed: string; readonly signature: string; readonly pairs: ReadonlyArray<readonly [string, string]> } => {
  const pairs: Array<readonly [string, string]> = [...params, ["recvWindow", String(timing.recvWindow)], ["timestamp", String(timing.timestamp)]]
  const unsigned = queryString(pairs)
  const signature = hmacSha256Hex(Redacted.value(secret), unsigned)
  return { signed: `${unsigned}&signature=${signature}`, signature, pairs }
}

/** Constant-time check of a hex signature (the venue treats it case-insensitively). */
export const verifyV1 = (secret: string, totalParams: string, signature: string): boolean => {
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false
  const expected = Buffer.from(hmacSha256Hex(secret, totalParams), "hex")
  return timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), "hex"))
}

/**
 * Splits `signature=…` off the end of a raw query string or body. The venue requires it to be the
 * last parameter; one anywhere else is left in place (and so fails verification).
 */
export const splitSignature = (raw: string): { readonly unsigned: string; readonly signature: string | undefined } => {
  const match = /(^|&)signature=([^&]*)$/.exec(raw)
  if (!match) return { unsigned: raw, signature: undefined }
  return { unsigned: raw.slice(0, match.index), signature: decodeURIComponent(match[2] ?? "") }
}

/**
 * `totalParams` of a received request as the venue rebuilds it: the query string without its
 * trailing signature, directly followed by the body without its trailing signature.
 */
export const receivedTotalParams = (rawQuery: string, rawBody: string): { readonly totalParams: string; readonly signature: string | undefined } => {
  const query = splitSignature(rawQuery)
  const body = splitSignature(rawBody)
  return { totalParams: query.unsigned + body.unsigned, signature: query.signature ?? body.signature }
}

/**
 * The venue's timing rule (both docs): accept iff `timestamp < serverTime + 1000` and
 * `serverTime − timestamp ≤ recvWindow`.
 */
export const timestampAccepted = (timestamp: number, recvWindow: number, serverTime: number): "ok" | "ahead" | "stale" =>
  timestamp >= serverTime + 1000 ? "ahead" : serverTime - timestamp > recvWindow ? "stale" : "ok"
