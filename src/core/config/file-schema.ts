/**
 * The YAML config file as written by users of the original bot (`bp.*`, `aster.*`, `trade.*`,
 * `debug`), plus hedgeloop's optional sections. Keys keep the file's snake_case spelling so the
 * error messages name exactly what the user typed.
 */
import { BigDecimal, Schema } from "effect"
import { decimal, DecimalInput, formatDecimal } from "../domain/decimal"

const NonNegativeNumber = (what: string) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n) && n >= 0, { message: (issue) => `expected ${what} (a number ≥ 0), got ${JSON.stringify(issue.actual)}` })
  )

const Probability = Schema.Number.pipe(
  Schema.filter((n) => n >= 0 && n <= 1, { message: () => "expected a probability between 0 and 1" })
)

const Url = Schema.String.pipe(
  Schema.filter((s) => /^(https?|wss?):\/\/[^\s/]+/.test(s), { message: (issue) => `expected an http(s) URL such as "https://api.backpack.exchange", got ${JSON.stringify(issue.actual)}` })
)

const Symbol = Schema.String.pipe(Schema.filter((s) => /^[A-Z0-9_]+$/.test(s), { message: (issue) => `expected an exchange symbol such as "ASTERUSDT", got ${JSON.stringify(issue.actual)}` }))

/** A literal choice whose error lists every accepted value on one line. */
const oneOf = <const L extends ReadonlyArray<string>>(...values: L) =>
  Schema.String.pipe(
    Schema.filter((s): s is L[number] => values.includes(s), {
      message: (issue) => `expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(issue.actual)}`
    })
  )

/** Secrets may be empty in example files; they are only required by the live runner. */
const Secret = Schema.Redacted(
  Schema.String.annotations({ message: () => "expected a string (put the value in quotes); the value is not shown because it is a secret" })
)

export const BackpackSection = Schema.Struct({
  api_public_key_b64: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  api_secret_key_b64: Schema.optionalWith(Secret, { exact: true, default: () => Schema.decodeSync(Secret)("") }),
  base_url: Schema.optionalWith(Url, { exact: true, default: () => "https://api.backpack.exchange" }),
  symbol: Schema.optionalWith(Symbol, { exact: true, default: () => "ASTER_USDC_PERP" }),
  debug: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false })
})

const EvmAddress = Schema.String.pipe(
  Schema.filter((s) => /^0x[0-9a-fA-F]{40}$/.test(s), { message: (issue) => `expected a 0x-prefixed 20-byte hex address, got ${JSON.stringify(issue.actual)}` })
)
const EvmPrivateKey = Schema.Redacted(
  Schema.String.pipe(
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
  chain_id: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true }),
  base_url: Schema.optionalWith(Url, { exact: true, default: () => "https://fapi.asterdex.com" }),
  symbol: Schema.optionalWith(Symbol, { exact: true, default: () => "ASTERUSDT" }),
  /** overrides the spot/futures choice otherwise read from base_url (sapi/fapi) */
  market: Schema.optionalWith(oneOf("spot", "futures"), { exact: true }),
  debug: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false })
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
  first_wait_seconds: NonNegativeNumber("seconds"),
  between_legs_sleep: NonNegativeNumber("seconds"),
  stop_before_funding_minutes: NonNegativeNumber("minutes"),
  cycle_sleep: NonNegativeNumber("seconds"),
  /** hedgeloop additions */
  hedge_retry_attempts: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 100)), { exact: true, default: () => 5 }),
  hedge_retry_backoff_ms: Schema.optionalWith(NonNegativeNumber("milliseconds"), { exact: true, default: () => 200 }),
  /** how long a stop (the kill switch's included) keeps trying to hedge the residual */
  wind_down_hedge_seconds: Schema.optionalWith(NonNegativeNumber("seconds"), { exact: true, default: () => 60 }),
  /** stop after this many cycles (0 = until stopped / data ends) */
  max_cycles: Schema.optionalWith(Schema.Int.pipe(Schema.nonNegative()), { exact: true, default: () => 0 }),
  /** unwind a hedged pair an interrupted run left (the maker venue's position) before the first cycle */
  unwind_at_start: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true })
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
  seed: Schema.optionalWith(Schema.Int, { exact: true, default: () => 1 }),
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
  max_consecutive_hedge_failures: Schema.optionalWith(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isInteger(n) && n >= 1, { message: (issue) => `expected a whole number ≥ 1, e.g. 3, got ${JSON.stringify(issue.actual)}` })
    ),
    { exact: true }
  ),
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
  on_start: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  on_hedge_failure: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  on_loss_warning: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  daily_digest: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true })
})

export const ConfigFile = Schema.Struct({
  bp: BackpackSection,
  aster: AsterSection,
  trade: TradeSection,
  debug: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }),
  sim: Schema.optionalWith(SimSection, { exact: true }),
  points: Schema.optionalWith(PointsSection, { exact: true }),
  risk: Schema.optionalWith(RiskSection, { exact: true }),
  alerts: Schema.optionalWith(AlertsSection, { exact: true })
})
export type ConfigFile = typeof ConfigFile.Type
