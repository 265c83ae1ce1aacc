/**
 * Loads and resolves the hedge config: the original bot's YAML unchanged, plus optional `sim` and
 * `points` sections. Every problem is reported with the key path and the expected form.
 */
import { BigDecimal, Data, Effect, Either, Option, ParseResult, Redacted, Schema } from "effect"
import * as YAML from "yaml"
import { type Decimal, decimal, formatDecimal, ZERO } from "../domain/decimal"
import type { Venue } from "../domain/venue"
import { ConfigFile } from "./file-schema"

export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `invalid config ${this.source}:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

export interface SimVenueParams {
  readonly makerFee: Decimal
  readonly takerFee: Decimal
  readonly submitLatencyMs: number
  readonly cancelLatencyMs: number
  readonly responseLatencyMs: number
  readonly feedLatencyMs: number
  readonly latencyJitterMs: number
  readonly marketRejectProbability: number
}

export interface SimParams {
  readonly seed: number
  readonly queueModel: "conservative" | "probabilistic"
  readonly queuePower: number
  readonly marketImpactBps: Decimal
  /** every market order fills this many bps worse than the book it meets (stress tests raise it) */
  readonly marketSlippageBps: Decimal
  readonly assumedTopQty: Decimal
  readonly maker: SimVenueParams
  readonly hedge: SimVenueParams
}

export interface PointsWeights {
  readonly makerWeight: Decimal
  readonly takerWeight: Decimal
}

/** The kill switch's limits (src/core/risk/risk-guard.ts; live runs and backtests) and start-up reconciliation. */
export interface RiskParams {
  /** ∫ |unhedged| dt over one unhedged stretch, base quantity × seconds */
  readonly maxUnhedgedQtySeconds: Decimal
  readonly maxConsecutiveHedgeFailures: number
  /** absolute base quantity per venue */
  readonly maxPosition: Decimal
  /** quote currency, positive: trading stops once the run's PnL is at or below −maxLoss */
  readonly maxLoss: Decimal
  /**
   * quote currency, positive, none by default: trading stops (and a start is refused) once the
   * PnL of the last 24 hours, over this run and the journal's earlier runs of its kind, is at or below −it
   */
  readonly maxLossPerDay: Option.Option<Decimal>
  /** largest cross-venue imbalance hedged automatically before the first order */
  readonly maxAutoHedge: Decimal
}

/** Where the live runner sends alerts (src/live/alerts.ts). */
export interface AlertParams {
  /** holds a token (Slack, Discord, Telegram): a secret */
  readonly webhookUrl: Redacted.Redacted<string>
  readonly format: "json" | "slack" | "discord" | "telegram"
  /** with format telegram: the chat the bot writes to */
  readonly telegramChatId?: string
  readonly onStart: boolean
  readonly onHedgeFailure: boolean
  /** when 80 % of risk.max_loss or risk.max_loss_per_day is used */
  readonly onLossWarning: boolean
  /** a digest of each UTC day, sent after its midnight */
  readonly dailyDigest: boolean
}

export interface HedgeConfig {
  readonly source: string
  readonly maker: {
    readonly venue: "backpack"
    readonly symbol: string
    readonly baseUrl: string
    readonly publicKey: Redacted.Redacted<string>
    readonly secretKey: Redacted.Redacted<string>
    /** X-Window of signed requests (bp.window) */
    readonly windowMs?: number
  }
  readonly hedge: {
    readonly venue: Extract<Venue, "aster-spot" | "aster-futures">
    readonly symbol: string
    readonly baseUrl: string
    readonly apiKey: Redacted.Redacted<string>
    readonly apiSecret: Redacted.Redacted<string>
    /** V1 recvWindow (aster.recv_window) */
    readonly recvWindowMs?: number
    /** V3 API-wallet credentials; when present they are used instead of the V1 key */
    readonly v3?: {
      readonly user: `0x${string}`
      readonly signer: `0x${string}`
      readonly signerPrivateKey: Redacted.Redacted<string>
      readonly chainId?: number
    }
  }
  readonly trade: {
    readonly quantity: Decimal
    readonly offsetPercent: Decimal
    readonly firstWaitMs: number
    readonly betweenLegsSleepMs: number
    readonly stopBeforeFundingMs: number
    readonly cycleSleepMs: number
    readonly hedgeRetryAttempts: number
    readonly hedgeRetryBackoffMs: number
    /** a stop's last hedge (the residual) is tried for this long, not hedgeRetryAttempts times */
    readonly windDownHedgeMs: number
    readonly maxCycles: number
    /** trade a maker position found at the start back to zero, hedged, before the first cycle */
    readonly unwindAtStart: boolean
  }
  readonly debug: boolean
  /** what a command should tell its user about how keys of the original bot's later versions were read */
  readonly notes: ReadonlyArray<string>
  readonly sim: SimParams
  readonly points: { readonly maker: PointsWeights; readonly hedge: PointsWeights }
  readonly risk: RiskParams
  /** none while alerts.webhook_url is empty */
  readonly alerts: Option.Option<AlertParams>
}

/** Defaults: base-tier fees from the venues' published schedules; latencies typical of a VPS. */
const defaultFees: Record<Venue, { maker: string; taker: string }> = {
  backpack: { maker: "0.0002", taker: "0.0005" },
  "aster-futures": { maker: "0.0001", taker: "0.00035" },
  "aster-spot": { maker: "0.00005", taker: "0.0004" }
}

/** Aster Stage 2 counted taker volume twice maker volume; Backpack publishes no formula. */
const defaultPoints: Record<Venue, { maker: string; taker: string }> = {
  backpack: { maker: "1", taker: "1" },
  "aster-futures": { maker: "1", taker: "2" },
  "aster-spot": { maker: "1", taker: "2" }
}

type RawSimVenue = NonNullable<NonNullable<ConfigFile["sim"]>["backpack"]>

const resolveSimVenue = (venue: Venue, raw: RawSimVenue | undefined): SimVenueParams => ({
  makerFee: raw?.maker_fee ?? decimal(defaultFees[venue].maker),
  takerFee: raw?.taker_fee ?? decimal(defaultFees[venue].taker),
  submitLatencyMs: raw?.submit_latency_ms ?? 40,
  cancelLatencyMs: raw?.cancel_latency_ms ?? 40,
  responseLatencyMs: raw?.response_latency_ms ?? 40,
  feedLatencyMs: raw?.feed_latency_ms ?? 20,
  latencyJitterMs: raw?.latency_jitter_ms ?? 0,
  marketRejectProbability: raw?.market_reject_probability ?? 0
})

/** Aster's own hosts, the default base_url of each market (the original bot's files name fapi or sapi) */
const ASTER_HOSTS = { "aster-futures": "https://fapi.asterdex.com", "aster-spot": "https://sapi.asterdex.com" } as const

const hedgeVenueOf = (file: ConfigFile): Either.Either<"aster-spot" | "aster-futures", string> => {
  if (file.aster.market === "spot") return Either.right("aster-spot")
  if (file.aster.market === "futures") return Either.right("aster-futures")
  if (file.aster.base_url === undefined) return Either.right("aster-futures")
  const host = file.aster.base_url.toLowerCase()
  if (host.includes("sapi")) return Either.right("aster-spot")
  if (host.includes("fapi")) return Either.right("aster-futures")
  return Either.left(
    `aster.base_url: cannot tell spot from futures in ${JSON.stringify(file.aster.base_url)} (expected a sapi or fapi host); set aster.market: spot or futures`
  )
}

/** V3 needs all of user, signer and signer_private_key, or none of them. */
const v3Of = (file: ConfigFile): Either.Either<HedgeConfig["hedge"]["v3"], string> => {
  const { user, signer, signer_private_key: key, chain_id: chainId } = file.aster
  const given = [user, signer, key].filter((v) => v !== undefined).length
  if (given === 0) {
    return chainId === undefined ? Either.right(undefined) : Either.left("aster.chain_id: only used with V3 credentials (aster.user, aster.signer, aster.signer_private_key)")
  }
  // the signing key alone may be missing: kept in the environment (HEDGELOOP_ASTER_SIGNER_PRIVATE_KEY),
  // it is asked for only by what signs (a live start); a backtest, paper run or recording needs none
  if (user === undefined || signer === undefined) {
    const missing = [user === undefined ? "aster.user" : "", signer === undefined ? "aster.signer" : "", key === undefined ? "aster.signer_private_key" : ""].filter(Boolean)
    return Either.left(`${missing.join(", ")}: missing (V3 credentials need aster.user, aster.signer and aster.signer_private_key together)`)
  }
  return Either.right({
    user: user as `0x${string}`,
    signer: signer as `0x${string}`,
    signerPrivateKey: key ?? Redacted.make(""),
    ...(chainId !== undefined ? { chainId } : {})
  })
}

/** Defaults scale with trade.quantity where a size is meant (reasons in src/core/risk/risk-guard.ts). */
const riskOf = (file: ConfigFile): Either.Either<RiskParams, string> => {
  const quantity = file.trade.quantity
  const times = (n: string) => BigDecimal.normalize(BigDecimal.multiply(quantity, decimal(n)))
  const risk: RiskParams = {
    maxUnhedgedQtySeconds: file.risk?.max_unhedged_qty_seconds ?? times("60"),
    maxConsecutiveHedgeFailures: file.risk?.max_consecutive_hedge_failures ?? 3,
    maxPosition: file.risk?.max_position ?? times("5"),
    maxLoss: file.risk?.max_loss ?? decimal("50"),
    maxLossPerDay: Option.fromNullable(file.risk?.max_loss_per_day),
    maxAutoHedge: file.risk?.max_auto_hedge ?? times("2")
  }
  // a limit reached by one ordinary leg would stop every run at its first fill
  return BigDecimal.greaterThan(risk.maxPosition, quantity)
    ? Either.right(risk)
    : Either.left(`risk.max_position: ${formatDecimal(risk.maxPosition)} must be above trade.quantity (${formatDecimal(quantity)}): one leg's fill reaches it`)
}

/** Off without a URL; a Telegram chat id goes with format telegram and only with it. */
const alertsOf = (file: ConfigFile): Either.Either<Option.Option<AlertParams>, string> => {
  const raw = file.alerts
  if (raw === undefined || Redacted.value(raw.webhook_url).trim() === "") return Either.right(Option.none())
  const url = Redacted.value(raw.webhook_url).trim()
  if (!/^https?:\/\/[^\s/]+/.test(url)) return Either.left("alerts.webhook_url: expected an http(s) URL such as \"https://hooks.slack.com/services/…\" (the value is not shown: it is a secret)")
  const chatId = raw.telegram_chat_id === undefined ? undefined : String(raw.telegram_chat_id)
  if (raw.format === "telegram" && chatId === undefined) {
    return Either.left("alerts.telegram_chat_id: missing (format telegram writes to a chat: its id, such as -1001234567890, or \"@mychannel\")")
  }
  if (raw.format !== "telegram" && chatId !== undefined) return Either.left(`alerts.telegram_chat_id: only used with format: telegram (format is ${raw.format})`)
  return Either.right(Option.some({
    webhookUrl: Redacted.make(url),
    format: raw.format,
    ...(chatId !== undefined ? { telegramChatId: chatId } : {}),
    onStart: raw.on_start,
    onHedgeFailure: raw.on_hedge_failure,
    onLossWarning: raw.on_loss_warning,
    dailyDigest: raw.daily_digest
  }))
}

export const resolveConfig = (file: ConfigFile, source: string): Either.Either<HedgeConfig, ConfigError> =>
  Either.map(
    Either.mapLeft(
      Either.all({ hedgeVenue: hedgeVenueOf(file), v3: v3Of(file), risk: riskOf(file), alerts: alertsOf(file) }),
      (problem) => new ConfigError({ source, problems: [problem] })
    ),
    ({ alerts, hedgeVenue, risk, v3 }): HedgeConfig => ({
      source,
      maker: {
        venue: "backpack",
        symbol: file.bp.symbol,
        baseUrl: file.bp.base_url,
        publicKey: file.bp.api_public_key_b64,
        secretKey: file.bp.api_secret_key_b64,
        windowMs: file.bp.window
      },
      hedge: {
        venue: hedgeVenue,
        symbol: file.aster.symbol,
        baseUrl: file.aster.base_url ?? ASTER_HOSTS[hedgeVenue],
        apiKey: file.aster.api_key,
        apiSecret: file.aster.api_secret,
        recvWindowMs: file.aster.recv_window,
        ...(v3 !== undefined ? { v3 } : {})
      },
      trade: {
        quantity: file.trade.quantity,
        offsetPercent: file.trade.offset_percent,
        // the original bot's later versions re-posted after max_order_wait_seconds
        firstWaitMs: (file.trade.max_order_wait_seconds ?? file.trade.first_wait_seconds) * 1000,
        betweenLegsSleepMs: file.trade.between_legs_sleep * 1000,
        stopBeforeFundingMs: file.trade.stop_before_funding_minutes * 60_000,
        cycleSleepMs: file.trade.cycle_sleep * 1000,
        hedgeRetryAttempts: file.trade.hedge_retry_attempts,
        hedgeRetryBackoffMs: file.trade.hedge_retry_backoff_ms,
        windDownHedgeMs: file.trade.wind_down_hedge_seconds * 1000,
        maxCycles: file.trade.max_cycles,
        unwindAtStart: file.trade.unwind_at_start
      },
      debug: file.debug || file.bp.debug || file.aster.debug,
      notes: compatibilityNotes(file.trade),
      sim: {
        seed: file.sim?.seed ?? 1,
        queueModel: file.sim?.queue_model ?? "conservative",
        queuePower: file.sim?.queue_power ?? 2,
        marketImpactBps: file.sim?.market_impact_bps ?? decimal("2"),
        marketSlippageBps: file.sim?.market_slippage_bps ?? ZERO,
        assumedTopQty: file.sim?.assumed_top_qty ?? decimal("1000"),
        maker: resolveSimVenue("backpack", file.sim?.backpack),
        hedge: resolveSimVenue(hedgeVenue, file.sim?.aster)
      },
      points: {
        maker: {
          makerWeight: file.points?.backpack?.maker_weight ?? decimal(defaultPoints.backpack.maker),
          takerWeight: file.points?.backpack?.taker_weight ?? decimal(defaultPoints.backpack.taker)
        },
        hedge: {
          makerWeight: file.points?.aster?.maker_weight ?? decimal(defaultPoints[hedgeVenue].maker),
          takerWeight: file.points?.aster?.taker_weight ?? decimal(defaultPoints[hedgeVenue].taker)
        }
      },
      risk,
      alerts
    })
  )

/** The keys leading to a node of the document (its visit path), as dotted names. */
const keyNamesOf = (path: ReadonlyArray<unknown>): Array<string> =>
  path.flatMap((step) => (YAML.isPair(step) && YAML.isScalar(step.key) ? [String(step.key.value)] : []))

/** The dotted keys a mapping of the document gives more than once. */
const duplicateKeys = (doc: YAML.Document): ReadonlyArray<string> => {
  const keys: Array<string> = []
  YAML.visit(doc, {
    Map: (_key, map, path) => {
      const prefix = keyNamesOf(path)
      const seen = new Set<string>()
      for (const pair of map.items) {
        const name = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
        if (seen.has(name)) keys.push([...prefix, name].join("."))
        seen.add(name)
      }
    }
  })
  return keys.length > 0 ? keys : ["(YAML)"]
}

/** The dotted keys of the aliases in `doc` (where toJS found one it could not resolve). */
const unresolvedAliases = (doc: YAML.Document): ReadonlyArray<string> => {
  const anchors = new Set<string>()
  YAML.visit(doc, (_key, node) => {
    if ((YAML.isScalar(node) || YAML.isCollection(node)) && node.anchor !== undefined) anchors.add(node.anchor)
  })
  const keys: Array<string> = []
  YAML.visit(doc, {
    Alias: (_key, node, path) => {
      if (anchors.has(node.source)) return
      keys.push(keyNamesOf(path).join(".") || "(top level)")
    }
  })
  return keys.length > 0 ? keys : ["(YAML)"]
}

/**
 * Keys of the original bot's later versions, read as it read them: max_order_wait_seconds
 * re-posts the maker order; max_monitor_seconds is not used, said so.
 */
const compatibilityNotes = (trade: ConfigFile["trade"]): ReadonlyArray<string> => [
  ...(trade.max_order_wait_seconds !== undefined && trade.max_order_wait_seconds !== trade.first_wait_seconds
    ? [`trade.max_order_wait_seconds ${trade.max_order_wait_seconds}: a maker order not filled within ${trade.max_order_wait_seconds} s is re-posted (as the original bot's later versions did), not after first_wait_seconds ${trade.first_wait_seconds}`]
    : []),
  ...(trade.max_monitor_seconds !== undefined
    ? [`trade.max_monitor_seconds ${trade.max_monitor_seconds} is not used: a leg is re-posted until it fills (the original bot gave the leg up after it and, on leg 2, sold the hedge back, leaving the Backpack side unhedged); stop the run to stop trading`]
    : [])
]

const decodeFile = Schema.decodeUnknownEither(ConfigFile, { errors: "all", onExcessProperty: "error" })

/** Turns Schema's issues into one line per key: `trade.quantity: expected a positive decimal`. */
const describeIssues = (error: ParseResult.ParseError): ReadonlyArray<string> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const key = issue.path.map(String).join(".")
    if (issue._tag === "Unexpected") return `${key}: unknown key (check its spelling and section)`
    if (issue._tag === "Missing") return `${key}: missing (required)`
    return `${key || "(top level)"}: ${issue.message}`
  })

/** The file's sections: every top-level key but `debug`. */
const SECTIONS = Object.keys(ConfigFile.fields).filter((name) => name !== "debug")

/** The sections whose venues have keys of their own (`sim.aster.taker_fee`). */
const SUB_SECTIONS: Readonly<Record<string, ReadonlyArray<string>>> = { sim: ["backpack", "aster"], points: ["backpack", "aster"] }

/**
 * The sections that are not a mapping of keys (a list, a single value), said
 * without what they hold: it may be secrets (`aster:` written as a list of its keys, `alerts:`
 * given the webhook URL itself).
 */
const notAMapping = (record: Readonly<Record<string, unknown>>): ReadonlyArray<string> =>
  SECTIONS.filter((name) => name in record).flatMap((name) => {
    const section = record[name]
    if (section !== null && typeof section === "object" && !Array.isArray(section)) return []
    const got = Array.isArray(section) ? "a list (not shown)" : "a single value (not shown)"
    return [`${name}: expected the section's keys, as "key: value" lines indented under it, got ${got}`]
  })

/** A value set over the file's (a secret from an environment variable), and where it came from. */
export interface ConfigOverride {
  readonly value: string
  /** e.g. "HEDGELOOP_ASTER_API_SECRET": a problem with the value names it */
  readonly from: string
}

/**
 * `overrides` are dotted keys ("aster.api_secret") set over the file's values before decoding,
 * so values from elsewhere (environment variables) are checked exactly like the file's; a problem
 * with one names where it came from. The V3 signing key serves only a file that uses V3 (gives
 * aster.user or aster.signer): a V1 config is read as it stands, with a note.
 */
export const parseConfig = (text: string, source: string, overrides: Readonly<Record<string, ConfigOverride>> = {}): Either.Either<HedgeConfig, ConfigError> => {
  // a binary file (a tick file or journal given as the config) is no YAML: one line says so, not hundreds of syntax errors
  if (text.startsWith("SQLite format 3")) return Either.left(new ConfigError({ source, problems: ["not a YAML config: an SQLite file (a journal or a tick file?)"] }))
  if (text.includes("\u0000")) return Either.left(new ConfigError({ source, problems: ["not a YAML config: a binary file"] }))
  const doc = YAML.parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    // a key given twice: named (the original bot's reader kept the last one silently; which was meant is the trader's to say)
    if (doc.errors.every((error) => error.code === "DUPLICATE_KEY")) {
      return Either.left(new ConfigError({ source, problems: duplicateKeys(doc).map((key) => `${key}: given more than once (keep one)`) }))
    }
    const [first, ...rest] = doc.errors
    return Either.left(new ConfigError({ source, problems: [`YAML syntax: ${first!.message.split("\n")[0]}${rest.length > 0 ? ` (and ${rest.length} more)` : ""}`] }))
  }
  let value: unknown
  try {
    value = doc.toJS()
  } catch {
    // an alias (*name) whose anchor is missing: the error's own text would show the name, which
    // may be a secret written unquoted; only where it stands is said
    return Either.left(new ConfigError({ source, problems: unresolvedAliases(doc).map((key) => `${key}: a YAML alias (*…) that refers to no anchor (&…); put the value in quotes`) }))
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return Either.left(new ConfigError({ source, problems: ["expected a YAML mapping with sections bp, aster and trade"] }))
  const record = value as Record<string, unknown>
  // a section left empty (its keys commented out, or moved to the environment) holds no keys; so
  // does a venue's part of sim or points
  for (const name of SECTIONS) if (record[name] === null) record[name] = {}
  for (const [name, parts] of Object.entries(SUB_SECTIONS)) {
    const section = record[name]
    if (section === null || typeof section !== "object" || Array.isArray(section)) continue
    for (const part of parts) if ((section as Record<string, unknown>)[part] === null) (section as Record<string, unknown>)[part] = {}
  }
  const notMappings = notAMapping(record)
  if (notMappings.length > 0) return Either.left(new ConfigError({ source, problems: notMappings }))
  const notes: Array<string> = []
  for (const [key, override] of Object.entries(overrides)) {
    const [section, field] = key.split(".") as [string, string]
    // a mapping by now, or absent (a section that is none was refused above)
    const fields = (record[section] ?? {}) as Record<string, unknown>
    if (key === "aster.signer_private_key" && fields["user"] === undefined && fields["signer"] === undefined) {
      notes.push(`${override.from} is set, but ${source} gives no V3 credentials (aster.user, aster.signer): not used, the config signs as it says`)
      continue
    }
    record[section] = { ...fields, [field]: override.value }
  }
  /** "aster.api_secret: …" of a value set from elsewhere says where it came from */
  const namedFrom = (problem: string) => {
    const key = Object.keys(overrides).find((k) => problem.startsWith(`${k}:`))
    return key === undefined ? problem : `${key} (from ${overrides[key]!.from})${problem.slice(key.length)}`
  }
  return Either.flatMap(decodeFile(value), (file) => resolveConfig(file, source)).pipe(
    Either.mapLeft((error) => ParseResult.isParseError(error) ? new ConfigError({ source, problems: describeIssues(error).map(namedFrom) }) : new ConfigError({ source, problems: error.problems.map(namedFrom) })),
    Either.map((config) => (notes.length === 0 ? config : { ...config, notes: [...config.notes, ...notes] }))
  )
}

export const parseConfigEffect = (text: string, source: string): Effect.Effect<HedgeConfig, ConfigError> =>
  Either.match(parseConfig(text, source), { onLeft: Effect.fail, onRight: Effect.succeed })

/** The config as it may appear in a report: every secret replaced by whether it was set. */
export const describeConfig = (config: HedgeConfig) => {
  const secret = (value: Redacted.Redacted<string>) => (Redacted.value(value).length > 0 ? "<set>" : "<empty>")
  const fees = (v: SimVenueParams) => ({ ...v, makerFee: formatDecimal(v.makerFee), takerFee: formatDecimal(v.takerFee) })
  const points = (w: PointsWeights) => ({ makerWeight: formatDecimal(w.makerWeight), takerWeight: formatDecimal(w.takerWeight) })
  return {
    source: config.source,
    maker: { ...config.maker, publicKey: secret(config.maker.publicKey), secretKey: secret(config.maker.secretKey) },
    hedge: {
      ...config.hedge,
      apiKey: secret(config.hedge.apiKey),
      apiSecret: secret(config.hedge.apiSecret),
      ...(config.hedge.v3 !== undefined ? { v3: { ...config.hedge.v3, signerPrivateKey: secret(config.hedge.v3.signerPrivateKey) } } : {})
    },
    trade: { ...config.trade, quantity: formatDecimal(config.trade.quantity), offsetPercent: formatDecimal(config.trade.offsetPercent) },
    debug: config.debug,
    sim: {
      ...config.sim,
      marketImpactBps: formatDecimal(config.sim.marketImpactBps),
      marketSlippageBps: formatDecimal(config.sim.marketSlippageBps),
      assumedTopQty: formatDecimal(config.sim.assumedTopQty),
      maker: fees(config.sim.maker),
      hedge: fees(config.sim.hedge)
    },
    points: { maker: points(config.points.maker), hedge: points(config.points.hedge) },
    risk: {
      maxUnhedgedQtySeconds: formatDecimal(config.risk.maxUnhedgedQtySeconds),
      maxConsecutiveHedgeFailures: config.risk.maxConsecutiveHedgeFailures,
      maxPosition: formatDecimal(config.risk.maxPosition),
      maxLoss: formatDecimal(config.risk.maxLoss),
      maxLossPerDay: Option.match(config.risk.maxLossPerDay, { onNone: () => null, onSome: formatDecimal }),
      maxAutoHedge: formatDecimal(config.risk.maxAutoHedge)
    },
    alerts: Option.match(config.alerts, {
      onNone: () => null,
      onSome: (a) => ({ ...a, webhookUrl: secret(a.webhookUrl) })
    })
  }
}

/** Every secret the config holds, as text: what the journal and alerts scrub from what they write. */
export const configSecrets = (config: HedgeConfig): ReadonlyArray<string> =>
  [
    config.maker.publicKey,
    config.maker.secretKey,
    config.hedge.apiKey,
    config.hedge.apiSecret,
    ...(config.hedge.v3 !== undefined ? [config.hedge.v3.signerPrivateKey] : []),
    ...Option.match(config.alerts, { onNone: () => [], onSome: (a) => [a.webhookUrl] })
  ].map(Redacted.value).filter((value) => value.trim().length > 0)

/** Shorter values would garble ordinary text (a placeholder key "x" in a paper config), and no venue issues keys that short. */
export const MIN_SCRUBBED_LENGTH = 8

/** `text` with every one of `secrets` replaced by "<redacted>" (a venue's error may echo a key). */
export const scrubSecrets = (text: string, secrets: Iterable<string>): string => {
  let out = text
  for (const secret of secrets) if (secret.length >= MIN_SCRUBBED_LENGTH) out = out.split(secret).join("<redacted>")
  return out
}
