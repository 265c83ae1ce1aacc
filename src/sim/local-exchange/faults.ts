/**
 * Fault injection for the local exchange (`Faults`): a plan of rules, each naming what it matches
 * (venue, "METHOD /path" route or WebSocket stream, `*` matching anything), when it fires (with a
 * probability, on every Nth matching request, or always; at most `times` times) and the fault.
 *
 * ```yaml
 * seed: 7
 * http:
 *   - route: "POST /fapi/v1/order"       # no method = any method; "*" alone = every request
 *     venue: aster-futures               # backpack | aster-futures | aster-spot | aster (both)
 *     every: 3                           # the 3rd, 6th, … matching request
 *     fault: { kind: status, status: 503 }
 *   - route: "GET /api/v1/*"
 *     probability: 0.1
 *     fault: { kind: delay, ms: 250 }
 *   - route: "*"
 *     probability: 0.01
 *     times: 2
 *     fault: { kind: rateLimit, retryAfterSeconds: 2 }
 *   - route: "DELETE /api/v1/order"
 *     fault: timeout                     # kinds whose parameters are all optional may be written alone
 *   - route: "POST /fapi/v1/order"
 *     times: 1
 *     fault: reject                      # 400 {"code":-2019,"msg":"Margin is insufficient."}
 *   - route: "POST /api/v1/order"
 *     venue: backpack
 *     fault: { kind: reject, code: INVALID_ORDER, message: "Quantity is below the minimum" }
 * socket:
 *   - stream: "*orderUpdate*"
 *     probability: 0.05
 *     fault: duplicate                   # drop | duplicate | disconnect | reorder
 *   - stream: "user.orderUpdate"
 *     every: 2
 *     fault: { kind: reorder, ms: 500 }  # sent after the next message, or 500 ms later
 * filters:                               # the venue changes a symbol's filters while the bot runs
 *   - venue: backpack                    # backpack | aster-futures | aster-spot
 *     after_orders: 3                    # right after the venue answered its 3rd order placement
 *     tick_size: "0.001"                 # any of tick_size, step_size, min_qty, min_notional (Aster only)
 *   - venue: aster-futures
 *     after_seconds: 20                  # 20 s after the exchange started (exactly one trigger)
 *     step_size: 0.1
 *     min_notional: 10
 * markets:                               # the venue stops (or resumes) taking orders on its symbol
 *   - venue: aster-futures               # backpack | aster-futures | aster-spot
 *     after_orders: 4                    # or after_seconds (exactly one trigger), as in filters
 *     state: SETTLING                    # the venue's own word (market-states.ts)
 *     for_seconds: 15                    # optional: open again (TRADING) 15 s later
 *   - venue: backpack
 *     after_seconds: 30
 *     state: CancelOnly
 * ```
 *
 * Faults are exactly the contract's `HttpFault` / `SocketFault`:
 * - HTTP: `delay` (ms); `status` 500/502/503/504; `rateLimit` (429, `retryAfterSeconds`, default
 *   1); `timeout` (never answer); `malformed` (broken JSON); `reject`: a business refusal of the
 *   request, which is NOT executed, answered HTTP 400 in the venue's own error format: Aster
 *   (futures and spot) `{"code": -2019, "msg": "Margin is insufficient."}`, Backpack
 *   `{"code": "INSUFFICIENT_FUNDS", "message": "Insufficient funds"}`; optional `code` and
 *   `message` replace them. A `code` is the venue's: a negative whole number on Aster (e.g. -2010),
 *   a name on Backpack (e.g. INVALID_ORDER); a rule with a code fires only on the venues of that
 *   kind of code (`venue`, when given, must agree).
 * - WebSocket: `drop`; `duplicate` (sent twice); `disconnect` (the connection closes instead);
 *   `malformed` (its text cut off halfway: not JSON); `reorder` (out-of-order delivery): the message is held back and sent right after the next
 *   message sent on the same connection, so the two arrive swapped; if none is sent within `ms`
 *   (default 200) it goes then. Messages held while another is held go together, in their order,
 *   after the next one sent; a `disconnect` or the connection's last message releases them first.
 *
 * Every matching rule counts every matching request; the first rule (in file order) that fires
 * wins. Each rule draws from its own random stream seeded from the plan's seed and its position,
 * so a run is deterministic for a seed and the order in which requests reach each rule.
 *
 * Filter changes (`filters`) are not faults of a request but of the market, as a venue that
 * re-grids a symbol while a bot trades it: each entry replaces some of a venue's filters once,
 * either right after the venue answered its Nth order placement (`after_orders`: an order that
 * reached the venue's book, accepted or refused by it, any account; counted from when the plan
 * was set) or `after_seconds` after the exchange started. Orders resting then stay on the book;
 * orders entered afterwards are checked against the new filters. A value off the venue's price or
 * quantity units is refused when the exchange starts.
 *
 * Market state changes (`markets`) share those triggers: each entry puts the venue's market in a
 * state, in the venue's own words — Backpack's `orderBookState` `Open` (all orders), `PostOnly`
 * (post-only limits only), `LimitOnly` (limit orders only), `CancelOnly`, `Closed` (no new
 * orders); Aster futures' symbol `status` `TRADING` (all) or `PENDING_TRADING`, `PRE_SETTLE`,
 * `SETTLING`, `CLOSE` (none); Aster spot's `TRADING` (all) or `BREAK`, `HALT`, `PRE_TRADING`,
 * `POST_TRADING`, `END_OF_DAY`, `AUCTION_MATCH` (none). Orders the state does not take are refused
 * in the venue's format, cancels still work, resting orders stay (and do not fill while the state
 * takes no orders at all). Another word is refused when the plan is read. With `for_seconds`, the
 * market opens again (Open, TRADING) that long after the entry's change: a settlement or a halt
 * of a known length, wherever in the bot's run its trigger falls.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { BigDecimal, Data, Effect, Either, ParseResult, Schema } from "effect"
import type { Venue } from "../../core/domain/venue"
import { type Rng, seededRng } from "../models/rng"
import { decodeYamlOrJson, NonNegative, oneOf, PositiveInt, Probability } from "./file-decode"
import { DecimalInput, formatDecimal } from "../../core/domain/decimal"
import { openStateOf, unknownStateProblem } from "./market-states"
import type { Faults, HttpFault, LocalFilterChange, MarketChangeTrigger, PlannedMarketChange, SocketFault } from "./types"
import { SQLITE_HEADER } from "../tickstore/file-head"

export class FaultPlanError extends Data.TaggedError("FaultPlanError")<{
  readonly source: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `invalid fault plan ${this.source}:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

// ---- the plan's schema

const VenueMatch = oneOf("backpack", "aster-futures", "aster-spot", "aster")
export type VenueMatch = typeof VenueMatch.Type

const ROUTE = /^(?:(?:GET|POST|PUT|PATCH|DELETE|\*)\s+)?(?:\/\S*|\*\S*)$/
const Route = Schema.String.pipe(
  Schema.filter((s) => ROUTE.test(s.trim()), {
    message: (issue) => `expected a route "METHOD /path" such as "POST /fapi/v1/order" ("*" matches anything, the method may be left out), got ${JSON.stringify(issue.actual)}`
  })
)
const Stream = Schema.String.pipe(Schema.filter((s) => s.trim().length > 0, { message: () => `expected a stream name or pattern such as "*depth*"` }))

/** `reorder`: how long a held message waits for a next one before it is sent anyway. */
export const DEFAULT_REORDER_MS = 200

/** A venue's own error code: Aster's are negative whole numbers, Backpack's names. */
const RejectCode = Schema.declare(
  (u: unknown): u is number | string => (typeof u === "number" && Number.isSafeInteger(u) && u < 0) || (typeof u === "string" && /^[A-Z][A-Z0-9_]*$/.test(u)),
  {
    message: (issue) =>
      `expected a venue error code: a negative whole number for Aster (e.g. -2010) or an upper-case name for Backpack (e.g. "INSUFFICIENT_FUNDS"), got ${JSON.stringify(issue.actual)}`
  }
)
const RejectMessage = Schema.String.pipe(Schema.filter((s) => s.trim().length > 0, { message: () => `expected the venue's error message, a non-empty text` }))

/**
 * A fault picked by its `kind` (or written as the bare kind when all its parameters are optional),
 * so an error names the one shape meant instead of every member of a union.
 */
const byKind = <A>(what: string, members: Readonly<Record<string, Schema.Schema<any, any>>>): Schema.Schema<A, unknown> => {
  const kinds = Object.keys(members)
  const bareKinds = kinds.filter((k) => Either.isRight(Schema.decodeUnknownEither(members[k]!)({ kind: k })))
  const expected = `expected ${what}: a mapping with kind one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}${bareKinds.length > 0 ? ` (or just ${bareKinds.map((k) => JSON.stringify(k)).join(", ")})` : ""}`
  return Schema.transformOrFail(Schema.Unknown, Schema.Any, {
    strict: true,
    decode: (input, options, ast) => {
      if (typeof input === "string")
        return bareKinds.includes(input)
          ? ParseResult.decodeUnknown(members[input]!)({ kind: input }, options)
          : ParseResult.fail(new ParseResult.Type(ast, input, `${expected}, got ${JSON.stringify(input)}`))
      if (input === null || typeof input !== "object" || Array.isArray(input)) return ParseResult.fail(new ParseResult.Type(ast, input, `${expected}, got ${JSON.stringify(input)}`))
      const kind = (input as { kind?: unknown }).kind
      const member = typeof kind === "string" ? members[kind] : undefined
      if (member === undefined)
        return ParseResult.fail(new ParseResult.Pointer("kind", input, new ParseResult.Type(ast, kind, `expected one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}, got ${JSON.stringify(kind)}`)))
      return ParseResult.decodeUnknown(member)(input, options)
    },
    encode: ParseResult.succeed
  }) as unknown as Schema.Schema<A, unknown>
}

const HttpFaultSchema = byKind<Exclude<HttpFault, { readonly kind: "none" }>>("an HTTP fault", {
  delay: Schema.Struct({ kind: Schema.Literal("delay"), ms: NonNegative("milliseconds") }),
  status: Schema.Struct({
    kind: Schema.Literal("status"),
    status: Schema.Number.pipe(
      Schema.filter((n): n is 500 | 502 | 503 | 504 => n === 500 || n === 502 || n === 503 || n === 504, {
        message: (issue) => `expected one of 500, 502, 503, 504, got ${JSON.stringify(issue.actual)}`
      })
    )
  }),
  rateLimit: Schema.Struct({ kind: Schema.Literal("rateLimit"), retryAfterSeconds: Schema.optionalWith(NonNegative("seconds"), { exact: true, default: () => 1 }) }),
  timeout: Schema.Struct({ kind: Schema.Literal("timeout") }),
  malformed: Schema.Struct({ kind: Schema.Literal("malformed") }),
  reject: Schema.Struct({
    kind: Schema.Literal("reject"),
    code: Schema.optionalWith(RejectCode, { exact: true }),
    message: Schema.optionalWith(RejectMessage, { exact: true })
  })
})

const SocketFaultSchema = byKind<Exclude<SocketFault, { readonly kind: "none" }>>("a WebSocket fault", {
  drop: Schema.Struct({ kind: Schema.Literal("drop") }),
  duplicate: Schema.Struct({ kind: Schema.Literal("duplicate") }),
  disconnect: Schema.Struct({ kind: Schema.Literal("disconnect") }),
  malformed: Schema.Struct({ kind: Schema.Literal("malformed") }),
  reorder: Schema.Struct({ kind: Schema.Literal("reorder"), ms: Schema.optionalWith(NonNegative("milliseconds"), { exact: true, default: () => DEFAULT_REORDER_MS }) })
})

/** The venues a reject's code belongs to: Aster's codes are numbers, Backpack's names; none without a code. */
const codeVenue = (fault: HttpFault): VenueMatch | undefined =>
  fault.kind !== "reject" || fault.code === undefined ? undefined : typeof fault.code === "number" ? "aster" : "backpack"

/** A reject's code must be of the kind the rule's venue speaks. */
const codeFitsVenue = (rule: { readonly venue?: VenueMatch; readonly fault: HttpFault }) => {
  const implied = codeVenue(rule.fault)
  if (implied === undefined || rule.venue === undefined || venueMatchesAll(implied, rule.venue)) return true
  const code = JSON.stringify((rule.fault as { readonly code?: unknown }).code)
  return {
    path: ["fault", "code"],
    message: implied === "aster"
      ? `venue ${rule.venue} takes a Backpack error code (a name such as "INSUFFICIENT_FUNDS"), got ${code}`
      : `venue ${rule.venue} takes an Aster error code (a negative whole number such as -2019), got ${code}`
  }
}

/** when a rule fires: `probability` or `every` (not both); neither = every matching request */
const trigger = {
  venue: Schema.optionalWith(VenueMatch, { exact: true }),
  probability: Schema.optionalWith(Probability, { exact: true }),
  every: Schema.optionalWith(PositiveInt("a count"), { exact: true }),
  times: Schema.optionalWith(PositiveInt("a count"), { exact: true })
}

const oneTrigger = (rule: { readonly probability?: number; readonly every?: number }) =>
  rule.probability !== undefined && rule.every !== undefined ? { path: ["every"], message: "give either probability or every, not both" } : true

export const HttpFaultRule = Schema.Struct({ route: Route, ...trigger, fault: HttpFaultSchema }).pipe(
  Schema.filter((rule) => [oneTrigger(rule), codeFitsVenue(rule)].filter((check) => check !== true))
)
export type HttpFaultRule = typeof HttpFaultRule.Type

export const SocketFaultRule = Schema.Struct({ stream: Stream, ...trigger, fault: SocketFaultSchema }).pipe(Schema.filter(oneTrigger))
export type SocketFaultRule = typeof SocketFaultRule.Type

/** A filter value: a decimal string or number, positive (tick, step) or not negative (minimums). */
const FilterValue = (zero: boolean) =>
  DecimalInput.pipe(
    // the message as the predicate's answer: a message annotation would also replace DecimalInput's own
    Schema.filter((d) => (zero ? !BigDecimal.isNegative(d) : BigDecimal.isPositive(d)) || `expected a decimal ${zero ? "of 0 or more" : "above 0"}, got ${formatDecimal(d)}`)
  )

/** The plan's keys of the filters, and the venue's names for them. */
const FILTER_KEYS = { tick_size: "tickSize", step_size: "stepSize", min_qty: "minQty", min_notional: "minNotional" } as const

/** The venues whose market a plan may change. */
const MarketVenue = oneOf("backpack", "aster-futures", "aster-spot")

/** When a planned market change (`filters`, `markets`) comes: exactly one of these. */
const marketChangeTrigger = {
  after_orders: Schema.optionalWith(PositiveInt("a count of order placements"), { exact: true }),
  after_seconds: Schema.optionalWith(NonNegative("seconds"), { exact: true })
}

type EntryProblem = { readonly path: ReadonlyArray<string>; readonly message: string }

const triggerProblems = (rule: { readonly after_orders?: number; readonly after_seconds?: number }): Array<EntryProblem> =>
  rule.after_orders !== undefined && rule.after_seconds !== undefined
    ? [{ path: ["after_seconds"], message: "give either after_orders or after_seconds, not both" }]
    : rule.after_orders === undefined && rule.after_seconds === undefined
    ? [{ path: ["after_orders"], message: "missing: give after_orders (a count of order placements) or after_seconds" }]
    : []

export const FilterChangeRule = Schema.Struct({
  venue: MarketVenue,
  ...marketChangeTrigger,
  tick_size: Schema.optionalWith(FilterValue(false), { exact: true }),
  step_size: Schema.optionalWith(FilterValue(false), { exact: true }),
  min_qty: Schema.optionalWith(FilterValue(true), { exact: true }),
  min_notional: Schema.optionalWith(FilterValue(true), { exact: true })
}).pipe(
  Schema.filter((rule) => {
    const problems = triggerProblems(rule)
    if (Object.keys(FILTER_KEYS).every((key) => rule[key as keyof typeof FILTER_KEYS] === undefined))
      problems.push({ path: [], message: `no filter to change: give at least one of ${Object.keys(FILTER_KEYS).join(", ")}` })
    return problems
  })
)
export type FilterChangeRule = typeof FilterChangeRule.Type

/** A plan entry's change, in the venue's names (`LocalVenue.changeFilters`). */
export const filterChangeOf = (rule: FilterChangeRule): LocalFilterChange => {
  const change: { -readonly [K in keyof LocalFilterChange]: LocalFilterChange[K] } = {}
  for (const [key, field] of Object.entries(FILTER_KEYS)) {
    const value = rule[key as keyof typeof FILTER_KEYS]
    if (value !== undefined) change[field] = value
  }
  return change
}

/** The plan's key of a filter (`tickSize` → `tick_size`), for messages about an entry. */
export const filterKeyOf = (field: keyof LocalFilterChange): string =>
  Object.entries(FILTER_KEYS).find(([, name]) => name === field)?.[0] ?? field

/** A market state change: the venue's own word, checked against the venue's table (market-states.ts). */
export const MarketStateRule = Schema.Struct({
  venue: MarketVenue,
  ...marketChangeTrigger,
  state: Schema.String,
  for_seconds: Schema.optionalWith(PositiveInt("seconds"), { exact: true })
}).pipe(
  Schema.filter((rule) => {
    const problems = triggerProblems(rule)
    const unknown = unknownStateProblem(rule.venue, rule.state)
    if (unknown !== undefined) problems.push({ path: ["state"], message: unknown })
    return problems
  })
)
export type MarketStateRule = typeof MarketStateRule.Type

export const FaultPlan = Schema.Struct({
  seed: Schema.optionalWith(Schema.Int, { exact: true, default: () => 1 }),
  http: Schema.optionalWith(Schema.Array(HttpFaultRule), { exact: true, default: () => [] }),
  socket: Schema.optionalWith(Schema.Array(SocketFaultRule), { exact: true, default: () => [] }),
  // optional in the type too: plans written as literals without them stay valid
  filters: Schema.optionalWith(Schema.Array(FilterChangeRule), { exact: true }),
  markets: Schema.optionalWith(Schema.Array(MarketStateRule), { exact: true })
})
export type FaultPlan = typeof FaultPlan.Type

export const emptyFaultPlan: FaultPlan = { seed: 1, http: [], socket: [] }

/** Decodes a fault plan from YAML or JSON text; `source` names it in errors. */
export const parseFaultPlan = (text: string, source: string): Either.Either<FaultPlan, FaultPlanError> =>
  Either.mapLeft(decodeYamlOrJson(FaultPlan, text, "with optional keys seed, http, socket, filters and markets"), (problems) => new FaultPlanError({ source, problems }))

/** Reads and decodes a fault plan file (`--faults FILE`). */
export const loadFaultPlan = (path: string): Effect.Effect<FaultPlan, FaultPlanError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* Effect.mapError(fs.readFileString(path), (e) => new FaultPlanError({ source: path, problems: [`cannot read the file: ${e.message}`] }))
    // a tick file or a journal given by mistake: said so, not as a screen of YAML errors about binary data
    if (text.startsWith(SQLITE_HEADER)) return yield* new FaultPlanError({ source: path, problems: ["is an SQLite file (a tick file or a journal?), not a YAML fault plan"] })
    return yield* parseFaultPlan(text, path)
  })

// ---- the injector

export interface FaultRecord {
  /** ms, wall clock */
  readonly at: number
  readonly venue: Venue
  /** the route or stream */
  readonly target: string
  readonly fault: HttpFault | SocketFault
}

/** Faults with a programmatic handle for tests: the plan can be replaced or extended at runtime. */
export interface FaultInjector extends Faults {
  readonly marketChanges: NonNullable<Faults["marketChanges"]>
  /** replaces the plan; counters and random streams restart from its seed, its market changes (filters, states) are pending anew */
  readonly setPlan: (plan: FaultPlan) => Effect.Effect<void>
  readonly addHttp: (rule: HttpFaultRule) => Effect.Effect<void>
  readonly addSocket: (rule: SocketFaultRule) => Effect.Effect<void>
  /** no faults from now on (market changes not made yet are dropped) */
  readonly clear: Effect.Effect<void>
  readonly plan: Effect.Effect<FaultPlan>
  /** the faults decided so far (not the "none"s), oldest first, at most the last 1000 */
  readonly history: Effect.Effect<ReadonlyArray<FaultRecord>>
}

interface Armed<F> {
  readonly matches: (venue: Venue, target: string) => boolean
  readonly probability: number | undefined
  readonly every: number | undefined
  readonly times: number | undefined
  readonly fault: F
  readonly rng: Rng
  seen: number
  fired: number
}

const glob = (pattern: string): RegExp =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`)

const venueMatches = (match: VenueMatch | undefined, venue: Venue) =>
  match === undefined || match === venue || (match === "aster" && (venue === "aster-futures" || venue === "aster-spot"))

/** every venue `inner` matches, `outer` matches too */
const venueMatchesAll = (outer: VenueMatch, inner: VenueMatch) =>
  inner === "aster" ? outer === "aster" : venueMatches(outer, inner)

/** "POST /x" → matches that method and path; "/x" → any method; "*" → anything. */
const routeMatcher = (route: string) => {
  const trimmed = route.trim()
  const withMethod = /^\S+\s+/.test(trimmed) ? trimmed.replace(/\s+/, " ") : trimmed === "*" ? "*" : `* ${trimmed}`
  return glob(withMethod)
}

/** Independent streams per rule: the seed mixed with the rule's kind and position. */
const ruleRng = (seed: number, socket: boolean, index: number) =>
  seededRng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ (socket ? 0x27d4eb2f : 0)) >>> 0)

const arm = <F extends HttpFault | SocketFault>(seed: number, socket: boolean, index: number, rule: { readonly venue?: VenueMatch; readonly probability?: number; readonly every?: number; readonly times?: number; readonly fault: F }, pattern: RegExp): Armed<F> => ({
  // a reject with a code fires only where that code means something (Aster numbers, Backpack names)
  matches: (venue, target) => venueMatches(rule.venue, venue) && venueMatches(socket ? undefined : codeVenue(rule.fault as HttpFault), venue) && pattern.test(target),
  probability: rule.probability,
  every: rule.every,
  times: rule.times,
  fault: rule.fault,
  rng: ruleRng(seed, socket, index),
  seen: 0,
  fired: 0
})

const decide = <F>(rules: ReadonlyArray<Armed<F>>, venue: Venue, target: string): F | undefined => {
  let chosen: F | undefined
  for (const rule of rules) {
    if (!rule.matches(venue, target)) continue
    rule.seen += 1
    // every matching rule counts (and draws) whether or not an earlier one fired: rules stay independent
    const due = rule.every !== undefined ? rule.seen % rule.every === 0 : rule.probability !== undefined ? rule.rng.next() < rule.probability : true
    if (due && chosen === undefined && (rule.times === undefined || rule.fired < rule.times)) {
      rule.fired += 1
      chosen = rule.fault
    }
  }
  return chosen
}

const HISTORY = 1000

/**
 * The plan's market changes (filters, then states) and what has happened of them: order
 * placements seen per venue, changes made.
 */
const armMarketChanges = (filters: ReadonlyArray<FilterChangeRule>, states: ReadonlyArray<MarketStateRule>) => {
  type Trigger = { readonly after_orders?: number; readonly after_seconds?: number }
  const planned: ReadonlyArray<{ readonly change: PlannedMarketChange; readonly trigger: Trigger; readonly forSeconds?: number }> = [
    ...filters.map((rule, i) => ({ change: { kind: "filters" as const, entry: `filters.${i}`, venue: rule.venue, change: filterChangeOf(rule) }, trigger: rule })),
    ...states.map((rule, i) => ({
      change: { kind: "state" as const, entry: `markets.${i}`, venue: rule.venue, state: rule.state },
      trigger: rule,
      ...(rule.for_seconds !== undefined ? { forSeconds: rule.for_seconds } : {})
    }))
  ]
  return {
    planned,
    placements: new Map<string, number>(),
    done: new Set<number>(),
    /** markets that open again at a time (ms since the exchange started): the `for_seconds` of entries made */
    reopenings: [] as Array<{ readonly atMs: number; readonly change: PlannedMarketChange }>
  }
}

const dueMarketChanges = (armed: ReturnType<typeof armMarketChanges>, venue: Venue, trigger: MarketChangeTrigger): ReadonlyArray<PlannedMarketChange> => {
  let placements = armed.placements.get(venue) ?? 0
  if (trigger.kind === "orderPlaced") armed.placements.set(venue, ++placements)
  const due: Array<PlannedMarketChange> = []
  if (trigger.kind === "elapsed") {
    const reopening = armed.reopenings.filter((r) => r.change.venue === venue && trigger.ms >= r.atMs)
    armed.reopenings = armed.reopenings.filter((r) => !reopening.includes(r))
    due.push(...reopening.map((r) => r.change))
  }
  armed.planned.forEach((planned, i) => {
    if (planned.change.venue !== venue || armed.done.has(i)) return
    const { after_orders, after_seconds } = planned.trigger
    const reached = trigger.kind === "orderPlaced"
      ? after_orders !== undefined && placements >= after_orders
      : after_seconds !== undefined && trigger.ms >= after_seconds * 1000
    if (!reached) return
    armed.done.add(i)
    due.push(planned.change)
    if (planned.forSeconds !== undefined) {
      const change: PlannedMarketChange = { kind: "state", entry: `${planned.change.entry}.for_seconds`, venue, state: openStateOf(venue) }
      armed.reopenings.push({ atMs: trigger.ms + planned.forSeconds * 1000, change })
    }
  })
  return due
}

/** One fault as the exchange prints it when it fires, e.g. `status 503 on aster-futures POST /fapi/v1/order`. */
export const describeFault = (record: FaultRecord): string => {
  const { kind, ...details } = record.fault as { readonly kind: string } & Record<string, unknown>
  const said = Object.entries(details).map(([key, value]) => `${key} ${typeof value === "object" ? JSON.stringify(value) : String(value)}`).join(", ")
  return `${kind}${said !== "" ? ` (${said})` : ""} on ${record.venue} ${record.target}`
}

export const makeFaults = (
  initial: FaultPlan = emptyFaultPlan,
  clock: () => number = Date.now,
  /** told of each fault as it fires (the exchange prints it: a fault plan that never matches shows) */
  onFault?: (record: FaultRecord) => void
): FaultInjector => {
  let plan = initial
  let http: Array<Armed<HttpFault>> = []
  let socket: Array<Armed<SocketFault>> = []
  let marketChanges = armMarketChanges([], [])
  const history: Array<FaultRecord> = []
  const rearm = () => {
    http = plan.http.map((rule, i) => arm<HttpFault>(plan.seed, false, i, rule, routeMatcher(rule.route)))
    socket = plan.socket.map((rule, i) => arm<SocketFault>(plan.seed, true, i, rule, glob(rule.stream.trim())))
    marketChanges = armMarketChanges(plan.filters ?? [], plan.markets ?? [])
  }
  rearm()
  const record = (venue: Venue, target: string, fault: HttpFault | SocketFault) => {
    const entry = { at: clock(), venue, target, fault }
    history.push(entry)
    if (history.length > HISTORY) history.shift()
    onFault?.(entry)
  }
  return {
    http: (venue, route) =>
      Effect.sync((): HttpFault => {
        const fault = decide(http, venue, route)
        if (fault === undefined) return { kind: "none" }
        record(venue, route, fault)
        return fault
      }),
    socket: (venue, stream) =>
      Effect.sync((): SocketFault => {
        const fault = decide(socket, venue, stream)
        if (fault === undefined) return { kind: "none" }
        record(venue, stream, fault)
        return fault
      }),
    marketChanges: {
      planned: () => marketChanges.planned.map((planned) => planned.change),
      due: (venue, trigger) => dueMarketChanges(marketChanges, venue, trigger)
    },
    setPlan: (next) =>
      Effect.sync(() => {
        plan = next
        rearm()
      }),
    addHttp: (rule) =>
      Effect.sync(() => {
        plan = { ...plan, http: [...plan.http, rule] }
        http.push(arm<HttpFault>(plan.seed, false, plan.http.length - 1, rule, routeMatcher(rule.route)))
      }),
    addSocket: (rule) =>
      Effect.sync(() => {
        plan = { ...plan, socket: [...plan.socket, rule] }
        socket.push(arm<SocketFault>(plan.seed, true, plan.socket.length - 1, rule, glob(rule.stream.trim())))
      }),
    clear: Effect.sync(() => {
      plan = { ...plan, http: [], socket: [], filters: [], markets: [] }
      rearm()
    }),
    plan: Effect.sync(() => plan),
    history: Effect.sync(() => [...history])
  }
}

/** Faults that never fire. */
export const noFaults: Faults = {
  http: () => Effect.succeed({ kind: "none" }),
  socket: () => Effect.succeed({ kind: "none" })
}
