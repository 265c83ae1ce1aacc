/**
 * Aster V3 ("Pro API", agent wallet) request signing. The request's URL-encoded parameter string —
 * business parameters, then `nonce`, `user` and `signer`, without `signature` — is the `msg` of an
 * EIP-712 `Message { string msg }` in the domain `AsterSignTransaction` v1, chain id 1666 (testnet
 * 714), zero verifying contract, signed by the agent key; `signature` (0x, 65 bytes) goes last.
 * The string signed is exactly the string sent. The server side recovers the signer.
 */
import { Data, Effect, Option, Redacted, Ref } from "effect"
import type { Address, Hex } from "viem"
import { queryString } from "../common/rest"

/**
 * viem, loaded on first use: only V3 credentials need it, and its 450 modules would otherwise
 * add most of a second to the start of every command that reaches this adapter.
 */
interface Viem {
  readonly core: typeof import("viem")
  readonly accounts: typeof import("viem/accounts")
}
let loaded: Promise<Viem> | undefined
const viem: Effect.Effect<Viem> = Effect.promise(() =>
  (loaded ??= Promise.all([import("viem"), import("viem/accounts")]).then(([core, accounts]) => ({ core, accounts })))
)

export const MAINNET_CHAIN_ID = 1666
export const TESTNET_CHAIN_ID = 714

/** A nonce further than this from the venue's clock is refused. */
export const NONCE_WINDOW_MS = 10_000
/** The venue remembers this many recent nonces per user. */
export const NONCE_MEMORY = 100

export interface V3Credentials {
  /** main account (login) wallet address */
  readonly user: Address
  /** agent (API wallet) address */
  readonly signer: Address
  /** the agent's private key, 0x-prefixed hex */
  readonly signerPrivateKey: Redacted.Redacted<string>
  /** EIP-712 domain chain id; 1666 on mainnet */
  readonly chainId?: number
}

export class V3CredentialsError extends Data.TaggedError("V3CredentialsError")<{ readonly reason: string }> {
  override get message() {
    return `Aster V3 credentials: ${this.reason}`
  }
}

const types = { Message: [{ name: "msg", type: "string" }] } as const

/** the zero address: the domain has no verifying contract */
const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000"

export const domainOf = (chainId: number) => ({ name: "AsterSignTransaction", version: "1", chainId, verifyingContract: ZERO_ADDRESS }) as const

/** The EIP-712 digest the agent signs (for checks against published vectors). */
export const v3Digest = (msg: string, chainId: number = MAINNET_CHAIN_ID): Effect.Effect<Hex> =>
  Effect.map(viem, ({ core }) => core.hashTypedData({ domain: domainOf(chainId), types, primaryType: "Message", message: { msg } }))

/** Whether two texts are the same address (any letter case); false when either is not an address. */
export const sameAddress = (a: string, b: string): Effect.Effect<boolean> =>
  Effect.map(viem, ({ core }) => core.isAddress(a, { strict: false }) && core.isAddress(b, { strict: false }) && core.isAddressEqual(a, b))

/**
 * Checks the credentials once: the key must be a secp256k1 private key whose address is `signer`.
 * A wrong key would otherwise only show as -1022 on the first order.
 */
export const validateV3Credentials = (credentials: V3Credentials): Effect.Effect<V3Credentials, V3CredentialsError> =>
  Effect.flatMap(viem, ({ accounts: { privateKeyToAccount }, core: { isAddress, isAddressEqual } }) =>
    Effect.try({
      try: () => {
        if (!isAddress(credentials.user)) throw new Error("user is not an address")
        if (!isAddress(credentials.signer)) throw new Error("signer is not an address")
        const key = Redacted.value(credentials.signerPrivateKey)
        if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error("signerPrivateKey is not 32 bytes of 0x-prefixed hex")
        const derived = privateKeyToAccount(key as Hex).address
        if (!isAddressEqual(derived, credentials.signer)) throw new Error(`signerPrivateKey belongs to ${derived}, not to signer ${credentials.signer}`)
        return credentials
      },
      // the message never contains the key itself
      catch: (error) => new V3CredentialsError({ reason: error instanceof Error ? error.message : String(error) })
    }))

/** EIP-712 signature of one `msg` with the agent key (call validateV3Credentials first). */
export const signV3Message = (privateKey: Redacted.Redacted<string>, msg: string, chainId: number = MAINNET_CHAIN_ID): Effect.Effect<Hex> =>
  Effect.flatMap(viem, ({ accounts }) =>
    Effect.promise(() =>
      accounts.signTypedData({ privateKey: Redacted.value(privateKey) as Hex, domain: domainOf(chainId), types, primaryType: "Message", message: { msg } })
    ))

/**
 * The signed parameter string of a request: business parameters, then `nonce`, `user`, `signer`
 * (the order of the official order example plus `user`), with `signature` appended last.
 */
export const signV3 = (
  credentials: V3Credentials,
  params: ReadonlyArray<readonly [string, string]>,
  nonce: string
): Effect.Effect<{ readonly signed: string; readonly signature: Hex; readonly pairs: ReadonlyArray<readonly [string, string]> }> => {
  const pairs: Array<readonly [string, string]> = [...params, ["nonce", nonce], ["user", credentials.user], ["signer", credentials.signer]]
  const msg = queryString(pairs)
  return Effect.map(signV3Message(credentials.signerPrivateKey, msg, credentials.chainId ?? MAINNET_CHAIN_ID), (signature) => ({
    signed: `${msg}&signature=${signature}`,
    signature,
    pairs
  }))
}

/** The address that signed `msg`, or none when the signature is malformed. */
export const recoverV3Signer = (msg: string, signature: string, chainId: number = MAINNET_CHAIN_ID): Effect.Effect<Option.Option<Address>> =>
  /^0x[0-9a-fA-F]{130}$/.test(signature)
    ? Effect.flatMap(viem, ({ core }) =>
      Effect.tryPromise(() =>
        core.recoverTypedDataAddress({ domain: domainOf(chainId), types, primaryType: "Message", message: { msg }, signature: signature as Hex })
      ).pipe(Effect.option))
    : Effect.succeed(Option.none())

/** A backwards step of the clock smaller than this keeps nonces increasing; a larger one is followed. */
const NONCE_FOLLOW_BACK_US = 5_000_000n

/**
 * Microsecond nonces from the venue's clock, unique and increasing, so two requests in the same
 * microsecond never share one. When the clock is corrected backwards by more than 5 s (after a
 * resync), the nonces follow it: staying ahead would put them outside the venue's 10 s window.
 */
export const makeNonceSource = (venueNowMs: Effect.Effect<number>): Effect.Effect<Effect.Effect<string>> =>
  Effect.map(Ref.make(0n), (last) =>
    Effect.flatMap(venueNowMs, (ms) =>
      Ref.modify(last, (previous) => {
        const candidate = BigInt(Math.floor(ms)) * 1000n
        const next = candidate > previous || previous - candidate > NONCE_FOLLOW_BACK_US ? candidate : previous + 1n
        return [next.toString(), next]
      })
    ))
