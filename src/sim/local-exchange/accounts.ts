/**
 * Who may trade on the local exchange (`LocalAccounts`) and with what starting balances.
 *
 * - Aster: V1 API key + secret pairs (HMAC) and V3 user + signer addresses (EIP-712; the signature
 *   proves the signer), listed in `--accounts FILE`. A V1 pair and a V3 pair given in one entry are
 *   the same account (same orders, same balances), as on the real venue.
 * - Backpack: any ED25519 public key is an account (the key is its name), starting with the
 *   default balances unless the file lists it.
 *
 * The documented default test account, always there unless `default_account: false` (these are
 * test values, known to everyone, accepted only by the local exchange):
 *
 * | | value |
 * |---|---|
 * | account | `test` |
 * | Aster V1 API key / secret | `local-test-aster-api-key` / `local-test-aster-api-secret` |
 * | Aster V3 user | `0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A` (private key `0x1111…1111`, 32 bytes of 0x11) |
 * | Aster V3 signer | `0x1563915e194D8CfBA1943570603F7606A3115508` (private key `0x2222…2222`, 32 bytes of 0x22) |
 * | balances | 10000 USDC, 10000 USDT, 1000 ASTER (the defaults) |
 *
 * Accounts file (YAML or JSON):
 * ```yaml
 * default_balances: { USDC: 10000, USDT: 10000, ASTER: 1000 }   # every account's start
 * default_account: true                                         # keep the test account
 * aster:
 *   - account: alice                     # optional name (default: the V1 key, else the V3 user)
 *     api_key: "alice-key"               # V1 pair …
 *     api_secret: "alice-secret"
 *     user: "0x…"                        # … and/or V3 pair (40-hex addresses, any case)
 *     signer: "0x…"
 *     balances: { USDT: 500 }            # overrides the defaults asset by asset
 *     pay_fee_in_aster: true             # Aster's "Pay fee in ASTER": fees in ASTER, 5 % off, while it holds enough
 * backpack:
 *   - public_key: "base64 of 32 bytes"
 *     balances: { USDC: 250 }
 * ```
 * Each venue keeps its own wallet per account: Aster spot and Aster futures both start from the
 * account's balances.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Data, Effect, Either, Schema } from "effect"
import { type Decimal, decimal, DecimalInput } from "../../core/domain/decimal"
import { decodeYamlOrJson } from "./file-decode"
import type { LocalAccounts } from "./types"
import { SQLITE_HEADER } from "../tickstore/file-head"

export class AccountsFileError extends Data.TaggedError("AccountsFileError")<{
  readonly source: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `invalid accounts file ${this.source}:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

/** The default test account (see the module comment): obviously-test values, never real secrets. */
export const DEFAULT_TEST_ACCOUNT = {
  account: "test",
  asterApiKey: "local-test-aster-api-key",
  asterApiSecret: "local-test-aster-api-secret",
  asterUser: "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
  asterUserPrivateKey: `0x${"11".repeat(32)}`,
  asterSigner: "0x1563915e194D8CfBA1943570603F7606A3115508",
  asterSignerPrivateKey: `0x${"22".repeat(32)}`
} as const

export const DEFAULT_BALANCES: ReadonlyMap<string, Decimal> = new Map([
  ["USDC", decimal("10000")],
  ["USDT", decimal("10000")],
  ["ASTER", decimal("1000")]
])

// ---- the file's schema

const Amount = DecimalInput.pipe(Schema.filter((d) => d.value >= 0n, { message: () => "expected a balance ≥ 0" }))
/** asset → amount; asset names are checked here so a bad one is named as such, not as an unknown key */
const Balances = Schema.Record({ key: Schema.String, value: Amount }).pipe(
  Schema.filter((record) => {
    const bad = Object.keys(record).find((asset) => !/^[A-Z0-9]{1,20}$/.test(asset))
    return bad === undefined ? true : { path: [bad], message: `expected an asset name in capitals such as "USDT", got ${JSON.stringify(bad)}` }
  })
)
const Address = Schema.String.pipe(
  Schema.filter((s) => /^0x[0-9a-fA-F]{40}$/.test(s), { message: (issue) => `expected an address 0x followed by 40 hex digits, got ${JSON.stringify(issue.actual)}` })
)
const NonEmpty = (what: string) => Schema.String.pipe(Schema.filter((s) => s.length > 0, { message: () => `expected ${what} (a non-empty string)` }))
const Ed25519PublicKey = Schema.String.pipe(
  Schema.filter((s) => /^[A-Za-z0-9+/]{43}=$/.test(s) && Buffer.from(s, "base64").length === 32, {
    message: (issue) => `expected an ED25519 public key: base64 of 32 bytes (44 characters), got ${JSON.stringify(issue.actual)}`
  })
)

const pairs = (entry: { readonly api_key?: string; readonly api_secret?: string; readonly user?: string; readonly signer?: string }) => {
  if ((entry.api_key === undefined) !== (entry.api_secret === undefined))
    return { path: [entry.api_key === undefined ? "api_key" : "api_secret"], message: "missing: a V1 account needs both api_key and api_secret" }
  if ((entry.user === undefined) !== (entry.signer === undefined))
    return { path: [entry.user === undefined ? "user" : "signer"], message: "missing: a V3 account needs both user and signer" }
  if (entry.api_key === undefined && entry.user === undefined)
    return { path: ["api_key"], message: "missing: give api_key + api_secret (V1) and/or user + signer (V3)" }
  return true
}

const AsterEntry = Schema.Struct({
  account: Schema.optionalWith(NonEmpty("an account name"), { exact: true }),
  api_key: Schema.optionalWith(NonEmpty("an API key"), { exact: true }),
  api_secret: Schema.optionalWith(NonEmpty("an API secret"), { exact: true }),
  user: Schema.optionalWith(Address, { exact: true }),
  signer: Schema.optionalWith(Address, { exact: true }),
  balances: Schema.optionalWith(Balances, { exact: true }),
  pay_fee_in_aster: Schema.optionalWith(Schema.Boolean, { exact: true })
}).pipe(Schema.filter(pairs))

const BackpackEntry = Schema.Struct({
  public_key: Ed25519PublicKey,
  balances: Schema.optionalWith(Balances, { exact: true })
})

export const AccountsFile = Schema.Struct({
  default_balances: Schema.optionalWith(Balances, { exact: true }),
  default_account: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  aster: Schema.optionalWith(Schema.Array(AsterEntry), { exact: true, default: () => [] }),
  backpack: Schema.optionalWith(Schema.Array(BackpackEntry), { exact: true, default: () => [] })
})
export type AccountsFile = typeof AccountsFile.Type

// ---- the accounts

export interface AsterAccountInfo {
  readonly account: string
  readonly apiKey?: string
  readonly user?: string
  readonly signer?: string
}

export interface LocalAccountBook extends LocalAccounts {
  /** an account's starting balances (the defaults overridden by its entry) */
  readonly startingBalances: (account: string) => ReadonlyMap<string, Decimal>
  /** whether an Aster account has "Pay fee in ASTER" on */
  readonly paysFeeInAster: (account: string) => boolean
  /** the Aster accounts, without their secrets (for printing) */
  readonly aster: ReadonlyArray<AsterAccountInfo>
}

const toMap = (record: Readonly<Record<string, Decimal>> | undefined) => new Map(Object.entries(record ?? {}))

/** Builds the accounts; fails (with the entry's index) on a key, address pair or name used twice. */
export const makeAccounts = (file: AccountsFile, source = "accounts"): Either.Either<LocalAccountBook, AccountsFileError> => {
  const defaults = file.default_balances !== undefined ? toMap(file.default_balances) : new Map(DEFAULT_BALANCES)
  const byKey = new Map<string, { account: string; secret: string }>()
  const byV3 = new Map<string, string>()
  const balances = new Map<string, ReadonlyMap<string, Decimal>>()
  const info: Array<AsterAccountInfo> = []
  const names = new Set<string>()
  const feesInAster = new Set<string>()
  const problems: Array<string> = []
  const v3Key = (user: string, signer: string) => `${user.toLowerCase()}/${signer.toLowerCase()}`

  const entries: ReadonlyArray<{ readonly where: string; readonly entry: (typeof file.aster)[number] }> = [
    ...(file.default_account
      ? [{
        where: "the default test account",
        entry: {
          account: DEFAULT_TEST_ACCOUNT.account,
          api_key: DEFAULT_TEST_ACCOUNT.asterApiKey,
          api_secret: DEFAULT_TEST_ACCOUNT.asterApiSecret,
          user: DEFAULT_TEST_ACCOUNT.asterUser,
          signer: DEFAULT_TEST_ACCOUNT.asterSigner
        }
      }]
      : []),
    ...file.aster.map((entry, i) => ({ where: `aster.${i}`, entry }))
  ]
  for (const { where, entry } of entries) {
    const account = entry.account ?? entry.api_key ?? entry.user!
    if (names.has(account)) problems.push(`${where}: account name ${JSON.stringify(account)} is already used`)
    names.add(account)
    if (entry.api_key !== undefined && entry.api_secret !== undefined) {
      if (byKey.has(entry.api_key)) problems.push(`${where}.api_key: this API key is already used by another entry`)
      byKey.set(entry.api_key, { account, secret: entry.api_secret })
    }
    if (entry.user !== undefined && entry.signer !== undefined) {
      const key = v3Key(entry.user, entry.signer)
      if (byV3.has(key)) problems.push(`${where}.signer: this user + signer pair is already used by another entry`)
      byV3.set(key, account)
    }
    balances.set(account, new Map([...defaults, ...toMap(entry.balances)]))
    if (entry.pay_fee_in_aster === true) feesInAster.add(account)
    info.push({
      account,
      ...(entry.api_key !== undefined ? { apiKey: entry.api_key } : {}),
      ...(entry.user !== undefined ? { user: entry.user } : {}),
      ...(entry.signer !== undefined ? { signer: entry.signer } : {})
    })
  }
  file.backpack.forEach((entry, i) => {
    if (balances.has(entry.public_key)) problems.push(`backpack.${i}.public_key: listed twice (or the name of an Aster account)`)
    balances.set(entry.public_key, new Map([...defaults, ...toMap(entry.balances)]))
  })
  if (problems.length > 0) return Either.left(new AccountsFileError({ source, problems }))

  return Either.right({
    asterV1: (apiKey) => byKey.get(apiKey),
    asterV3: (user, signer) => {
      const account = byV3.get(v3Key(user, signer))
      return account === undefined ? undefined : { account }
    },
    backpack: (apiKey) => ({ account: apiKey }),
    startingBalances: (account) => balances.get(account) ?? defaults,
    paysFeeInAster: (account) => feesInAster.has(account),
    aster: info
  })
}

/** The accounts without a file: the default test account, any Backpack key, default balances. */
export const defaultAccounts = (): LocalAccountBook => Either.getOrThrow(makeAccounts({ default_account: true, aster: [], backpack: [] }))

/** Decodes an accounts file from YAML or JSON text; `source` names it in errors. */
export const parseAccounts = (text: string, source: string): Either.Either<LocalAccountBook, AccountsFileError> =>
  Either.flatMap(
    Either.mapLeft(decodeYamlOrJson(AccountsFile, text, "with optional keys default_balances, default_account, aster and backpack"), (problems) => new AccountsFileError({ source, problems })),
    (file) => makeAccounts(file, source)
  )

/** Reads and decodes `--accounts FILE`. */
export const loadAccounts = (path: string): Effect.Effect<LocalAccountBook, AccountsFileError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* Effect.mapError(fs.readFileString(path), (e) => new AccountsFileError({ source: path, problems: [`cannot read the file: ${e.message}`] }))
    // a tick file or a journal given by mistake: said so, not as a screen of YAML errors about binary data
    if (text.startsWith(SQLITE_HEADER)) return yield* new AccountsFileError({ source: path, problems: ["is an SQLite file (a tick file or a journal?), not a YAML accounts file"] })
    return yield* parseAccounts(text, path)
  })
