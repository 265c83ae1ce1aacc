/**
 * A ready-to-run hedge config for the local exchange, in the original bot's YAML format (`bp.*`,
 * `aster.*`, `trade.*`), pointing at the local servers with credentials they accept: a freshly
 * generated Backpack ED25519 key pair (a test key: any key is an account there) and the default
 * Aster test account. The base URLs are plain loopback addresses, so `aster.market` says which
 * Aster market to trade (the config loader otherwise reads it from a sapi/fapi host name).
 */
import nacl from "tweetnacl"

export interface BackpackTestKey {
  /** base64 of the 32-byte ED25519 public key (`bp.api_public_key_b64`, the account) */
  readonly publicKeyB64: string
  /** base64 of the 32-byte seed (`bp.api_secret_key_b64`) */
  readonly secretKeyB64: string
}

export const generateBackpackTestKey = (): BackpackTestKey => {
  const pair = nacl.sign.keyPair()
  return {
    publicKeyB64: Buffer.from(pair.publicKey).toString("base64"),
    secretKeyB64: Buffer.from(pair.secretKey.subarray(0, 32)).toString("base64")
  }
}

export interface LocalBotConfigOptions {
  readonly variant: "futures" | "spot"
  readonly backpackUrl: string
  readonly asterUrl: string
  readonly backpackSymbol: string
  readonly asterSymbol: string
  readonly backpackKey: BackpackTestKey
  readonly asterApiKey: string
  readonly asterApiSecret: string
  /** named in the header comment */
  readonly dataFile: string
  readonly createdAt: string
}

const q = (text: string) => JSON.stringify(text)

/** what a config written for the local exchange says in its first line (and only such a one) */
export const LOCAL_CONFIG_MARK = "for the LOCAL exchange (npm run exchange)"

export const renderLocalBotConfig = (o: LocalBotConfigOptions): string =>
  [
    `# ${o.variant === "futures" ? "Futures" : "Spot"} variant ${LOCAL_CONFIG_MARK}, written ${o.createdAt}`,
    `# from ${o.dataFile}. TEST credentials only: a Backpack key pair generated for this file and the`,
    `# local exchange's default Aster test account. They are accepted by the local exchange alone.`,
    `bp:`,
    `  api_public_key_b64: ${q(o.backpackKey.publicKeyB64)}`,
    `  api_secret_key_b64: ${q(o.backpackKey.secretKeyB64)}   # generated test key`,
    `  base_url: ${q(o.backpackUrl)}`,
    `  symbol: ${q(o.backpackSymbol)}`,
    `  debug: false`,
    `aster:`,
    `  api_key: ${q(o.asterApiKey)}`,
    `  api_secret: ${q(o.asterApiSecret)}`,
    `  base_url: ${q(o.asterUrl)}`,
    `  market: ${o.variant}                # the URL has no sapi/fapi host to tell`,
    `  symbol: ${q(o.asterSymbol)}`,
    `  debug: false`,
    `trade:`,
    `  quantity: "10"`,
    `  offset_percent: 0.2`,
    `  first_wait_seconds: 10`,
    `  between_legs_sleep: ${o.variant === "futures" ? 60 : 20}`,
    `  stop_before_funding_minutes: 5`,
    `  cycle_sleep: 60`,
    `debug: false`,
    ``
  ].join("\n")
