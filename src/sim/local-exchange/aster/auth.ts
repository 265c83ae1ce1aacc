/**
 * Request authentication as Aster does it, for the local exchange.
 * - V1 (`/fapi/v1`, `/api/v1`, …): `X-MBX-APIKEY` must name a known key (-2014 missing, -2015
 *   unknown); signed endpoints need `signature` last, HMAC-SHA256 of query + body (-1022), and a
 *   `timestamp` inside `recvWindow` (≤ 60000, default 5000) of the venue clock (-1021).
 * - V3 (`/fapi/v3`, `/api/v3`): `user`, `signer`, `nonce`, `signature`; the EIP-712 signature must
 *   recover to `signer` (-1022), the agent must be approved for the user (-2015), and the µs nonce
 *   must be within 10 s of the venue clock, unused, and not below the oldest of the user's last 100
 *   (-4225; the code is the one Aster's docs show for "Nonce Expired").
 */
import { Data, Effect, Option } from "effect"
import { receivedTotalParams, timestampAccepted, verifyV1 } from "../../../adapters/aster/signing-v1"
import { MAINNET_CHAIN_ID, NONCE_MEMORY, NONCE_WINDOW_MS, recoverV3Signer, sameAddress } from "../../../adapters/aster/signing-v3"
import type { LocalAccounts } from "../types"

/** An Aster error answer: HTTP status and the `{code, msg}` body. */
export class AsterApiError extends Data.TaggedError("AsterApiError")<{
  readonly status: number
  readonly code: number
  readonly msg: string
}> {}

export const apiError = (code: number, msg: string, status = 400) => new AsterApiError({ status, code, msg })

export const mandatory = (name: string) => apiError(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`)

export interface ReceivedRequest {
  readonly rawQuery: string
  readonly rawBody: string
  /** query parameters win over body parameters of the same name */
  readonly params: ReadonlyMap<string, string>
  readonly apiKey: string | undefined
}

export type Security = "NONE" | "USER_STREAM" | "SIGNED"

/** The most recent nonces per user, as the venue keeps them. */
export class NonceMemory {
  private readonly byUser = new Map<string, Array<bigint>>()

  /** none if accepted (and remembered), else why not */
  admit(user: string, nonce: bigint, nowMs: number): Option.Option<string> {
    const nonceMs = Number(nonce / 1000n)
    if (Math.abs(nonceMs - nowMs) > NONCE_WINDOW_MS) return Option.some("Nonce Expired")
    const seen = this.byUser.get(user.toLowerCase()) ?? []
    if (seen.includes(nonce)) return Option.some("Nonce already used")
    if (seen.length >= NONCE_MEMORY) {
      const min = seen.reduce((a, b) => (b < a ? b : a))
      if (nonce < min) return Option.some("Nonce Expired")
      seen.splice(seen.indexOf(min), 1)
    }
    seen.push(nonce)
    this.byUser.set(user.toLowerCase(), seen)
    return Option.none()
  }
}

export interface AuthContext {
  readonly accounts: LocalAccounts
  readonly nonces: NonceMemory
  readonly now: () => number
  readonly chainId?: number
}

/** The account a request acts for (undefined on public endpoints), or the venue's refusal. */
export const authenticate = (
  version: "v1" | "v3",
  security: Security,
  request: ReceivedRequest,
  context: AuthContext
): Effect.Effect<string | undefined, AsterApiError> =>
  security === "NONE" ? Effect.succeed(undefined) : version === "v1" ? authenticateV1(security, request, context) : authenticateV3(request, context)

const authenticateV1 = (security: Security, request: ReceivedRequest, context: AuthContext) =>
  Effect.gen(function*() {
    if (request.apiKey === undefined || request.apiKey.length === 0) return yield* apiError(-2014, "API-key format invalid.", 401)
    const key = context.accounts.asterV1(request.apiKey)
    if (key === undefined) return yield* apiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    if (security === "USER_STREAM") return key.account
    const { totalParams, signature } = receivedTotalParams(request.rawQuery, request.rawBody)
    if (signature === undefined || signature.length === 0) return yield* mandatory("signature")
    const timestamp = Number(request.params.get("timestamp"))
    if (!Number.isInteger(timestamp)) return yield* mandatory("timestamp")
    const recvWindowText = request.params.get("recvWindow")
    const recvWindow = recvWindowText === undefined ? 5000 : Number(recvWindowText)
    if (!Number.isInteger(recvWindow) || recvWindow <= 0 || recvWindow > 60_000) return yield* apiError(-1130, "Data sent for parameter 'recvWindow' is not valid.")
    if (!verifyV1(key.secret, totalParams, signature)) return yield* apiError(-1022, "Signature for this request is not valid.")
    const timing = timestampAccepted(timestamp, recvWindow, context.now())
    if (timing === "ahead") return yield* apiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if (timing === "stale") return yield* apiError(-1021, "Timestamp for this request is outside of the recvWindow.")
    return key.account
  })

const authenticateV3 = (request: ReceivedRequest, context: AuthContext) =>
  Effect.gen(function*() {
    const user = request.params.get("user")
    const signer = request.params.get("signer")
    const nonceText = request.params.get("nonce")
    if (!user) return yield* mandatory("user")
    if (!signer) return yield* mandatory("signer")
    if (!nonceText || !/^\d{1,20}$/.test(nonceText)) return yield* mandatory("nonce")
    const { totalParams, signature } = receivedTotalParams(request.rawQuery, request.rawBody)
    if (signature === undefined || signature.length === 0) return yield* mandatory("signature")
    const recovered = yield* recoverV3Signer(totalParams, signature, context.chainId ?? MAINNET_CHAIN_ID)
    if (Option.isNone(recovered) || !(yield* sameAddress(recovered.value, signer))) return yield* apiError(-1022, "Signature for this request is not valid.")
    const account = context.accounts.asterV3(user, signer)
    if (account === undefined) return yield* apiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    const refused = context.nonces.admit(user, BigInt(nonceText), context.now())
    if (Option.isSome(refused)) return yield* apiError(-4225, refused.value)
    return account.account
  })

