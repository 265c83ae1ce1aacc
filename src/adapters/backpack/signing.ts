/**
 * Backpack request signing (ED25519, tweetnacl). The signed text is
 *
 *   instruction=<instruction>&<query params, alphabetical>&<body fields, alphabetical>&timestamp=<ms>&window=<ms>
 *
 * with values written as plain text (strings unquoted and un-encoded, booleans `true`/`false`,
 * numbers as sent). A JSON-array body (batch orders) signs each element as its own
 * `instruction=…` group; the timestamp/window pair is appended once at the end. The local venue
 * verifies with the same functions, so client and server can never disagree on the format.
 */
import { Data, Either, Redacted } from "effect"
import nacl from "tweetnacl"

/** The venue's default and maximum validity window of a signed request. */
export const DEFAULT_WINDOW_MS = 5000
export const MAX_WINDOW_MS = 60_000

export type SignedValue = string | number | boolean
/** A body (or batch element): fields that are null or undefined are not sent and not signed. */
export type SignedFields = Readonly<Record<string, SignedValue | null | undefined>>

export interface SigningInput {
  readonly instruction: string
  readonly query?: ReadonlyArray<readonly [string, string]>
  readonly body?: SignedFields | ReadonlyArray<SignedFields>
  readonly timestamp: number
  readonly window: number
}

/** A value as the venue signs it: strings as they are, booleans `true`/`false`, numbers as sent. */
export const signedValueText = (value: SignedValue): string => (typeof value === "string" ? value : String(value))

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const fieldPairs = (fields: SignedFields): Array<string> =>
  Object.keys(fields)
    .filter((key) => fields[key] !== undefined && fields[key] !== null)
    .sort(byKey)
    .map((key) => `${key}=${signedValueText(fields[key] as SignedValue)}`)

const queryPairs = (query: ReadonlyArray<readonly [string, string]>): Array<string> =>
  [...query].sort(([a], [b]) => byKey(a, b)).map(([key, value]) => `${key}=${value}`)

const isBatch = (body: SigningInput["body"]): body is ReadonlyArray<SignedFields> => Array.isArray(body)

/** The exact text that is signed for a request. */
export const signingString = (input: SigningInput): string => {
  const head = `instruction=${input.instruction}`
  const groups = isBatch(input.body)
    ? input.body.map((element) => [head, ...fieldPairs(element)].join("&"))
    : [[head, ...queryPairs(input.query ?? []), ...fieldPairs(input.body ?? {})].join("&")]
  return [...groups, `timestamp=${input.timestamp}`, `window=${input.window}`].join("&")
}

/** The key pair is unusable: bad base64, wrong length, or a public key that is not the secret's. */
export class InvalidBackpackKey extends Data.TaggedError("InvalidBackpackKey")<{ readonly reason: string }> {
  override get message() {
    return `backpack key: ${this.reason}`
  }
}

/** Strict base64 of exactly `length` bytes (Buffer alone accepts garbage silently). */
export const decodeBase64 = (text: string, length: number): Uint8Array | undefined => {
  const trimmed = text.trim()
  if (trimmed.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) return undefined
  const bytes = Buffer.from(trimmed, "base64")
  return bytes.length === length ? new Uint8Array(bytes) : undefined
}

const encodeBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")

export interface BackpackSigner {
  /** the X-API-Key header: the base64 public key */
  readonly apiKey: string
  /** base64 of the 64-byte detached signature of `message` */
  readonly sign: (message: string) => string
}

/**
 * A signer over the base64 32-byte ED25519 seed. The seed lives only inside the closure; the
 * public key is derived from it, and a configured public key must match (a mismatch would get
 * every request refused with INVALID_SIGNATURE, so it is refused here, naming no key).
 */
export const makeSigner = (
  secretKey: Redacted.Redacted<string>,
  publicKey?: Redacted.Redacted<string>
): Either.Either<BackpackSigner, InvalidBackpackKey> => {
  const seed = decodeBase64(Redacted.value(secretKey), 32)
  if (seed === undefined) return Either.left(new InvalidBackpackKey({ reason: "the secret key is not the base64 of a 32-byte ED25519 seed" }))
  const pair = nacl.sign.keyPair.fromSeed(seed)
  const derived = encodeBase64(pair.publicKey)
  if (publicKey !== undefined && Redacted.value(publicKey).trim() !== derived)
    return Either.left(new InvalidBackpackKey({ reason: "the public key does not belong to the secret key" }))
  const encoder = new TextEncoder()
  return Either.right({
    apiKey: derived,
    sign: (message) => encodeBase64(nacl.sign.detached(encoder.encode(message), pair.secretKey))
  })
}

export const API_KEY_HEADER = "X-API-Key"
export const SIGNATURE_HEADER = "X-Signature"
export const TIMESTAMP_HEADER = "X-Timestamp"
export const WINDOW_HEADER = "X-Window"

/** The four authentication headers of a request, given the signature of its `signingString`. */
export const authHeaders = (apiKey: string, signature: string, input: SigningInput): Record<string, string> => ({
  [API_KEY_HEADER]: apiKey,
  [SIGNATURE_HEADER]: signature,
  [TIMESTAMP_HEADER]: String(input.timestamp),
  [WINDOW_HEADER]: String(input.window)
})

/** The four authentication headers of a signed REST request. */
export const signedHeaders = (signer: BackpackSigner, input: SigningInput): Record<string, string> =>
  authHeaders(signer.apiKey, signer.sign(signingString(input)), input)

/** The text a private WebSocket subscription signs. */
export const subscribeSigningString = (timestamp: number, window: number): string =>
  signingString({ instruction: "subscribe", timestamp, window })

/** `"signature": [api key, signature, "timestamp", "window"]`, given the signature of `subscribeSigningString`. */
export const subscriptionFields = (apiKey: string, signature: string, timestamp: number, window: number): readonly [string, string, string, string] =>
  [apiKey, signature, String(timestamp), String(window)]

/** The `"signature"` field of a private SUBSCRIBE message. */
export const subscriptionSignature = (
  signer: BackpackSigner,
  timestamp: number,
  window: number
): readonly [string, string, string, string] => subscriptionFields(signer.apiKey, signer.sign(subscribeSigningString(timestamp, window)), timestamp, window)
