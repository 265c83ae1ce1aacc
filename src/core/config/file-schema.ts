/**
 * The YAML config file as written by users of the original bot (`bp.*`, `aster.*`, `trade.*`,
 * `debug`), plus hedgeloop's optional sections. Keys keep the file's snake_case spelling so the
 * error messages name exactly what the user typed.
 */
import { BigDecimal, ParseResult, Schema } from "effect"
import { decimal, DecimalInput, formatDecimal } from "../domain/decimal"

/** `text` when it is a plain number written in quotes ("10"), as the original bot's int() read its values. */
const quotedNumber = (input: unknown): number | undefined =>
  typeof input === "number" ? input : typeof input === "string" && /^\s*\d+(\.\d+)?\s*$/.test(input) ? Number(input) : undefined

/** A number bare or in quotes, kept when `accept` says so; else one message naming `expected`. */
const LooseNumber = (accept: (n: number) => boolean, expected: string) =>
  Schema.transformOrFail(Schema.Unknown, Schema.Number, {
    strict: true,
    decode: (input, _options, ast) => {
      const n = quotedNumber(input)
      return n !== undefined && Number.isFinite(n) && accept(n) ? ParseResult.succeed(n) : ParseResult.fail(new ParseResult.Type(ast, input, `expected ${expected}, got ${JSON.stringify(input)}`))
    },
    encode: ParseResult.succeed
  })

/** A number ≥ 0 (or > 0 with `positive`), bare or in quotes. */
const NonNegativeNumber = (what: string, { positive = false }: { readonly positive?: boolean } = {}) =>
  LooseNumber((n) => (positive ? n > 0 : n >= 0), `${what} (a number ${positive ? "> 0" : "≥ 0"})`)

/** A whole number in [min, max], bare or in quotes, as every other number of the file is read. */
const WholeNumber = (min: number, max: number, example: string) =>
  LooseNumber(
    (n) => Number.isInteger(n) && n >= min && n <= max,
    `a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`}, e.g. ${example}`
  )

/** A signing window in ms, as the original bot's bp.window / aster.recv_window (the venues take at most 60000). */
const WindowMs = LooseNumber((n) => Number.isInteger(n) && n >= 1 && n <= 60_000, "whole milliseconds between 1 and 60000, e.g. 5000")

const Probability = LooseNumber((n) => n >= 0 && n <= 1, "a probability between 0 and 1")

/** A REST base URL: a WebSocket URL (the venue's stream host pasted here) would send every request astray. */
/** The whole value one http(s) URL; spaces a paste leaves around it are trimmed (inside, they are refused). */
const isHttpUrl = (s: string): boolean => {
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(s)) return false
  try {
    return new URL(s).hostname !== ""
  } catch {
    return false
  }
}

/**
 * What a base URL must not carry: a user and password (they would be written in every report's
 * config, and no venue takes them), or a query or fragment (every request's path goes after it).
 */
const urlExtras = (s: string): string | undefined => {
  let url: URL
  try {
    url = new URL(s)
  } catch {
    // not a URL at all: the check before says so
    return undefined
  }
  if (url.username !== "" || url.password !== "") return "a user or password in it (not shown: no venue takes them there)"
  if (url.search !== "" || url.hash !== "") return "a query or fragment (?…, #…): the request paths go after the URL"
  return undefined
}

const Url = Schema.transform(Schema.String, Schema.String, { strict: true, decode: (s) => s.trim(), encode: (s) => s }).pipe(
  Schema.filter(isHttpUrl, { message: (issue) => `expected an http(s) URL such as "https://api.backpack.exchange", got ${JSON.stringify(issue.actual)}` }),
  Schema.filter((s) => urlExtras(s) === undefined, { message: (issue) => `expected an http(s) URL such as "https://api.backpack.exchange" without ${urlExtras(String(issue.actual))}` })
)

const Symbol = Schema.String.pipe(Schema.filter((s) => /^[A-Z0-9_]+$/.test(s), { message: (issue) => `expected an exchange symbol such as "ASTERUSDT", got ${JSON.stringify(issue.actual)}` }))

/** A literal choice whose error lists every accepted value on one line. */
const oneOf = <const L extends ReadonlyArray<string>>(...values: L) =>
  Schema.String.pipe(
    Schema.filter((s): s is L[number] => values.includes(s), {
      message: (issue) => `expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(issue.actual)}`
    })
  )

/**
 * Secrets may be empty in example files; they are only required by the live runner. Trimmed as
 * the environment's are: no key has whitespace of its own, and one pasted with a space would sign
 * every request wrongly.
 */
const Secret = Schema.Redacted(
  Schema.transform(
    Schema.String.annotations({ message: () => "expected a string (put the value in quotes); the value is not shown because it is a secret" }),
    Schema.String,
    { strict: true, decode: (s) => s.trim(), encode: (s) => s }
  )
)

/**
 * A boolean as the original bot's YAML reader (PyYAML, YAML 1.1) took it: `yes`/`no`/`on`/`off`
 * too, in any of its spellings, so its files load unchanged.
 */
const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = {
  yes: true, Yes: true, YES: true, on: true, On: true, ON: true,
  no: false, No: false, NO: false, off: false, Off: false, OFF: false
}
const Flag = Schema.transformOrFail(Schema.Unknown, Schema.Boolean, {
  strict: true,
  decode: (value, _, ast) =>
    typeof value === "boolean"
      ? ParseResult.succeed(value)
      : typeof value === "string" && Object.hasOwn(YAML11_BOOLEANS, value)
      ? ParseResult.succeed(YAML11_BOOLEANS[value]!)
      : ParseResult.fail(new ParseResult.Type(ast, value, `expected true or false (or yes/no, on/off), got ${JSON.stringify(value)}`)),
  encode: ParseResult.succeed
})

export const BackpackSection = Schema.Struct({
  api_public_key_b64: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  api_secret_key_b64: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  base_url: Schema.optionalWith(Url, { exact: true, default: () => "https://api.backpack.exchange" }),
  symbol: Schema.optionalWith(Symbol, { exact: true, default: () => "ASTER_USDC_PERP" }),
  /** X-Window of signed requests, as the original bot read it */
  window: Schema.optionalWith(WindowMs, { exact: true, default: () => 5000 }),
  debug: Schema.optionalWith(Flag, { exact: true, default: () => false })
})

// the value is described, never shown: a private key written on the neighbouring line by mistake
// (signer and signer_private_key) would be printed in full
const EvmAddress = Schema.String.annotations({ message: () => "expected a 0x-prefixed 20-byte hex address in quotes (the value is not shown)" }).pipe(
  Schema.filter((s) => /^0x[0-9a-fA-F]{40}$/.test(s), {
    message: (issue) =>
      `expected a 0x-prefixed 20-byte hex address; got ${String(issue.actual).length} characters${/^0x[0-9a-fA-F]{64}$/.test(String(issue.actual)) ? " (a private key?)" : ""} (the value is not shown)`
  })
)
const EvmPrivateKey = Schema.Redacted(
  // unquoted, YAML reads the hex as a number: its type error must not show it either
  Schema.String.annotations({ message: () => "expected a 0x-prefixed 32-byte hex private key in quotes (the value is not shown: it is a secret)" }).pipe(
    Schema.filter((s) => /^0x[0-9a-fA-F]{64}$/.test(s), { message: () => "expected a 0x-prefixed 32-byte hex private key (the value is not shown: it is a secret)" })
  )
)

export const AsterSection = Schema.Struct({
  /** V1 (HMAC) credentials, as in the original bot */
  api_key: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  api_secret: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  /** V3 (API wallet) credentials: the main wallet, the agent wallet and the agent's key */
  user: Schema.optionalWith(EvmAddress, { exact: true }),
  signer: Schema.optionalWith(EvmAddress, { exact: true }),
  signer_private_key: Schema.optionalWith(EvmPrivateKey, { exact: true }),
  /** EIP-712 chain id of V3 signatures (1666 on Aster mainnet) */
  chain_id: Schema.optionalWith(WholeNumber(1, Number.MAX_SAFE_INTEGER, "1666"), { exact: true }),
  /** default: Aster's host for the market (fapi; sapi with market: spot), see config.ts */
  base_url: Schema.optionalWith(Url, { exact: true }),
  symbol: Schema.optionalWith(Symbol, { exact: true, default: () => "ASTERUSDT" }),
  /** overrides the spot/futures choice otherwise read from base_url (sapi/fapi) */
  market: Schema.optionalWith(oneOf("spot", "futures"), { exact: true }),
  /** V1 recvWindow, as the original bot read it */
  recv_window: Schema.optionalWith(WindowMs, { exact: true, default: () => 5000 }),
  debug: Schema.optionalWith(Flag, { exact: true, default: () => false })
})

const PositiveDecimal = DecimalInput.pipe(
  Schema.filter((d) => d.value > 0n, { message: () => "expected a positive decimal" })
)
const NonNegativeDecimal = DecimalInput.pipe(
  Schema.filter((d) => d.value >= 0n, { message: () => "expected a decimal ≥ 0" })
)
/** basis points of a price: below 10000, so a sell still gets something */
const Bps = DecimalInput.pipe(
  Schema.filter((d) => d.value >= 0n && BigDecimal.lessThan(d, decimal("10000")), { message: () => "expected basis points ≥ 0 and below 10000, e.g. 1.5" })
)
const FeeRate = DecimalInput.pipe(
  Schema.filter((d) => BigDecimal.between(d, { minimum: decimal("-0.01"), maximum: decimal("0.1") }), {
    message: () => "expected a fee rate as a fraction, e.g. 0.0002 for 2 bps (between -0.01 and 0.1)"
  })
)

export const TradeSection = Schema.Struct({
  quantity: PositiveDecimal,
  offset_percent: DecimalInput.pipe(
    Schema.filter((d) => d.value >= 0n && BigDecimal.lessThan(d, decimal("50")), { message: () => "expected a percentage ≥ 0 and < 50, e.g. 0.2" })
  ),
  // 0 would cancel every maker order the moment it is posted: none could ever fill
  first_wait_seconds: NonNegativeNumber("seconds", { positive: true }),
  between_legs_sleep: NonNegativeNumber("seconds"),
  // the original bot's defaults: its spot example file has neither key
  stop_before_funding_minutes: Schema.optionalWith(NonNegativeNumber("minutes"), { exact: true, default: () => 5 }),
  cycle_sleep: Schema.optionalWith(NonNegativeNumber("seconds"), { exact: true, default: () => 60 }),
  /** the original bot's later versions: re-post after this many seconds (instead of first_wait_seconds) */
  max_order_wait_seconds: Schema.optionalWith(NonNegativeNumber("seconds", { positive: true }), { exact: true }),
  /** the original bot's later versions: give a leg up after this long; read, not used (see config.ts) */
  max_monitor_seconds: Schema.optionalWith(NonNegativeNumber("seconds", { positive: true }), { exact: true }),
  /** hedgeloop additions */
  hedge_retry_attempts: Schema.optionalWith(WholeNumber(0, 100, "5"), { exact: true, default: () => 5 }),
  hedge_retry_backoff_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true, default: () => 200 }),
  /** how long a stop (the kill switch's included) keeps trying to hedge the residual */
  wind_down_hedge_seconds: Schema.optionalWith(NonNegativeNumber("seconds"), { exact: true, default: () => 60 }),
  /** stop after this many cycles (0 = until stopped / data ends) */
  max_cycles: Schema.optionalWith(WholeNumber(0, Number.MAX_SAFE_INTEGER, "100 (0: no limit)"), { exact: true, default: () => 0 }),
  /** unwind a hedged pair an interrupted run left (the maker venue's position) before the first cycle */
  unwind_at_start: Schema.optionalWith(Flag, { exact: true, default: () => true })
})

export const SimVenueSection = Schema.Struct({
  maker_fee: Schema.optionalWith(FeeRate, { exact: true }),
  taker_fee: Schema.optionalWith(FeeRate, { exact: true }),
  submit_latency_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true }),
  cancel_latency_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true }),
  response_latency_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true }),
  feed_latency_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true }),
  /** uniform extra 0..jitter added to each latency (seeded) */
  latency_jitter_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true }),
  /** probability that a market order is refused (for robustness runs) */
  market_reject_probability: Schema.optionalWith(Probability, { exact: true })
})

export const SimSection = Schema.Struct({
  seed: Schema.optionalWith(WholeNumber(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "1"), { exact: true, default: () => 1 }),
  queue_model: Schema.optionalWith(oneOf("conservative", "probabilistic"), { exact: true, default: () => "conservative" as const }),
  /** exponent n of the probabilistic queue model's f(x) = x^n */
  queue_power: Schema.optionalWith(NonNegativeNumber("an exponent"), { exact: true, default: () => 2 }),
  /** price impact per top-of-book size consumed beyond the top, in basis points */
  market_impact_bps: Schema.optionalWith(NonNegativeDecimal, { exact: true, default: () => decimal("2") }),
  /** every market order fill this many basis points worse than the level it takes */
  market_slippage_bps: Schema.optionalWith(Bps, { exact: true, default: () => decimal("0") }),
  /** top-of-book size assumed when the feed carries no sizes */
  assumed_top_qty: Schema.optionalWith(PositiveDecimal, { exact: true, default: () => decimal("1000") }),
  backpack: Schema.optionalWith(SimVenueSection, { exact: true }),
  aster: Schema.optionalWith(SimVenueSection, { exact: true })
})

const PointsVenue = Schema.Struct({
  maker_weight: Schema.optionalWith(NonNegativeDecimal, { exact: true }),
  taker_weight: Schema.optionalWith(NonNegativeDecimal, { exact: true })
})

export const PointsSection = Schema.Struct({
  backpack: Schema.optionalWith(PointsVenue, { exact: true }),
  aster: Schema.optionalWith(PointsVenue, { exact: true })
})

/** A refused decoded decimal as the user wrote it. */
const shown = (actual: unknown) => (BigDecimal.isBigDecimal(actual) ? formatDecimal(actual) : JSON.stringify(actual))

/** A decimal above zero, with the key's own example in the message. */
const PositiveDecimalOf = (what: string) =>
  DecimalInput.pipe(Schema.filter((d) => d.value > 0n, { message: (issue) => `expected ${what}, got ${shown(issue.actual)}` }))

/** The kill switch (live runs and backtests) and start-up reconciliation (defaults in config.ts, meaning in src/core/risk/risk-guard.ts). */
export const RiskSection = Schema.Struct({
  max_unhedged_qty_seconds: Schema.optionalWith(PositiveDecimalOf("a positive number of base-quantity seconds, e.g. 600 (10 unhedged for a minute)"), { exact: true }),
  max_consecutive_hedge_failures: Schema.optionalWith(WholeNumber(1, Number.MAX_SAFE_INTEGER, "3"), { exact: true }),
  max_position: Schema.optionalWith(PositiveDecimalOf("a positive base quantity per venue, e.g. 50"), { exact: true }),
  max_loss: Schema.optionalWith(PositiveDecimalOf("a positive quote amount, e.g. 50 (trading stops once the PnL reaches -50)"), { exact: true }),
  max_loss_per_day: Schema.optionalWith(PositiveDecimalOf("a positive quote amount, e.g. 100 (trading stops once the last 24 hours' PnL reaches -100)"), { exact: true }),
  max_auto_hedge: Schema.optionalWith(
    DecimalInput.pipe(
      Schema.filter((d) => d.value >= 0n, { message: (issue) => `expected a base quantity ≥ 0, e.g. 20 (0: never hedge at start-up), got ${shown(issue.actual)}` })
    ),
    { exact: true }
  )
})

/** A Telegram chat: its numeric id (groups and channels are negative) or a public "@channel". */
const TelegramChatId = Schema.Union(
  Schema.Int,
  Schema.String.pipe(Schema.filter((s) => /^(-?\d+|@\w{4,})$/.test(s), { message: (issue) => `expected a chat id such as -1001234567890 or "@mychannel", got ${JSON.stringify(issue.actual)}` }))
).annotations({ message: () => "expected a chat id such as -1001234567890 or \"@mychannel\"" })

/** Messages to the trader (src/live/alerts.ts); off while webhook_url is empty. */
export const AlertsSection = Schema.Struct({
  webhook_url: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  format: Schema.optionalWith(oneOf("json", "slack", "discord", "telegram"), { exact: true, default: () => "json" as const }),
  telegram_chat_id: Schema.optionalWith(TelegramChatId, { exact: true }),
  on_start: Schema.optionalWith(Flag, { exact: true, default: () => true }),
  on_hedge_failure: Schema.optionalWith(Flag, { exact: true, default: () => true }),
  on_loss_warning: Schema.optionalWith(Flag, { exact: true, default: () => true }),
  daily_digest: Schema.optionalWith(Flag, { exact: true, default: () => true })
})

export const ConfigFile = Schema.Struct({
  bp: BackpackSection,
  aster: AsterSection,
  trade: TradeSection,
  debug: Schema.optionalWith(Flag, { exact: true, default: () => false }),
  sim: Schema.optionalWith(SimSection, { exact: true }),
  points: Schema.optionalWith(PointsSection, { exact: true }),
  risk: Schema.optionalWith(RiskSection, { exact: true }),
  alerts: Schema.optionalWith(AlertsSection, { exact: true })
})
export type ConfigFile = typeof ConfigFile.Type
