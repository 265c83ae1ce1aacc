/**
 * The journal as stored: its tables (DDL) and the schemas that decode their rows into the
 * journal's records at the boundary, so that a bad row fails naming its table.
 */
import { Schema } from "effect"
import type { FundingPayment } from "../core/accounting/ledger"
import { DecimalString } from "../core/domain/decimal"
import { type Fill, Liquidity, Order, Side } from "../core/domain/order"
import { Venue } from "../core/domain/venue"
import { type CycleEvent, CycleEventDetail, type FilterChange, type Hedge, type Run } from "./journal-records"

export const DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  kind              TEXT NOT NULL CHECK (kind IN ('live', 'paper')),
  started_at        INTEGER NOT NULL,
  ended_at          INTEGER,
  outcome           TEXT,
  message           TEXT,
  config            TEXT NOT NULL,
  maker_venue       TEXT NOT NULL,
  maker_symbol      TEXT NOT NULL,
  maker_quote_asset TEXT NOT NULL,
  hedge_venue       TEXT NOT NULL,
  hedge_symbol      TEXT NOT NULL,
  hedge_quote_asset TEXT NOT NULL,
  client_id_prefix  TEXT NOT NULL,
  maker_base_asset  TEXT,
  hedge_base_asset  TEXT,
  fills_lacking     INTEGER
);
CREATE TABLE intents (
  client_id  TEXT PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs (id),
  venue      TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('limit', 'market', 'cancel')),
  side       TEXT,
  qty        TEXT,
  price      TEXT,
  order_id   TEXT,
  created_at INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 1,
  refused_at INTEGER,
  refusal    TEXT
);
CREATE TABLE orders (
  venue      TEXT NOT NULL,
  order_id   TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  run_id     INTEGER NOT NULL REFERENCES runs (id),
  status     TEXT NOT NULL,
  state      TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (venue, order_id)
);
CREATE INDEX orders_by_client_id ON orders (venue, client_id);
CREATE INDEX orders_open ON orders (updated_at) WHERE status IN ('new', 'partially-filled');
CREATE TABLE fills (
  venue     TEXT NOT NULL,
  trade_id  TEXT NOT NULL,
  run_id    INTEGER NOT NULL REFERENCES runs (id),
  order_id  TEXT NOT NULL,
  symbol    TEXT NOT NULL,
  side      TEXT NOT NULL,
  price     TEXT NOT NULL,
  qty       TEXT NOT NULL,
  fee       TEXT NOT NULL,
  fee_asset TEXT NOT NULL,
  liquidity TEXT NOT NULL,
  ts        INTEGER NOT NULL,
  PRIMARY KEY (venue, trade_id)
);
CREATE INDEX fills_by_time ON fills (ts);
CREATE INDEX fills_by_order ON fills (venue, order_id);
CREATE TABLE hedges (
  client_id       TEXT PRIMARY KEY,
  run_id          INTEGER NOT NULL REFERENCES runs (id),
  cycle           INTEGER,
  leg             INTEGER,
  side            TEXT NOT NULL,
  qty             TEXT NOT NULL,
  executed_qty    TEXT,
  executed_quote  TEXT,
  reference_price TEXT,
  ts              INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('sent', 'done', 'failed'))
);
CREATE TABLE funding (
  venue      TEXT NOT NULL,
  ts         INTEGER NOT NULL,
  run_id     INTEGER NOT NULL REFERENCES runs (id),
  rate       TEXT NOT NULL,
  mark_price TEXT NOT NULL,
  position   TEXT NOT NULL,
  amount     TEXT NOT NULL,
  run_kind   TEXT NOT NULL DEFAULT 'live' CHECK (run_kind IN ('live', 'paper')),
  PRIMARY KEY (venue, ts, run_kind)
);
CREATE TABLE cycles (
  run_id INTEGER NOT NULL REFERENCES runs (id),
  cycle  INTEGER NOT NULL,
  event  TEXT NOT NULL CHECK (event IN ('started', 'funding-pause', 'maker-order', 'leg-completed', 'hedge-failed')),
  ts     INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE filter_changes (
  run_id  INTEGER NOT NULL REFERENCES runs (id),
  cycle   INTEGER NOT NULL,
  venue   TEXT NOT NULL,
  symbol  TEXT NOT NULL,
  ts      INTEGER NOT NULL,
  changes TEXT NOT NULL,
  why     TEXT NOT NULL
);
CREATE TABLE marks (
  run_id INTEGER NOT NULL REFERENCES runs (id),
  venue  TEXT NOT NULL,
  price  TEXT NOT NULL,
  ts     INTEGER NOT NULL
);
CREATE INDEX marks_by_run ON marks (run_id, venue, ts);
CREATE INDEX fills_by_run ON fills (run_id, ts);
CREATE INDEX cycles_by_run ON cycles (run_id, ts);
CREATE INDEX hedges_by_run ON hedges (run_id, ts);
`

/** Rows as stored, decoded at the boundary. */
const Nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.OptionFromNullOr(schema)

const RunRow = Schema.Struct({
  id: Schema.Number,
  kind: Schema.Literal("live", "paper"),
  started_at: Schema.Number,
  ended_at: Nullable(Schema.Number),
  outcome: Nullable(Schema.String),
  message: Nullable(Schema.String),
  config: Schema.parseJson(),
  maker_venue: Venue,
  maker_symbol: Schema.String,
  maker_quote_asset: Schema.String,
  hedge_venue: Venue,
  hedge_symbol: Schema.String,
  hedge_quote_asset: Schema.String,
  client_id_prefix: Schema.String,
  /** absent or NULL in a journal written before they were kept */
  maker_base_asset: Schema.optional(Schema.NullOr(Schema.String)),
  hedge_base_asset: Schema.optional(Schema.NullOr(Schema.String)),
  /** absent or NULL: none (1: the run ended with fills its venues' histories did not list yet) */
  fills_lacking: Schema.optional(Schema.NullOr(Schema.Number))
})

const IntentRow = Schema.Struct({
  client_id: Schema.String,
  run_id: Schema.Number,
  venue: Venue,
  kind: Schema.Literal("limit", "market", "cancel"),
  side: Nullable(Side),
  qty: Nullable(DecimalString),
  price: Nullable(DecimalString),
  order_id: Nullable(Schema.String),
  created_at: Schema.Number,
  attempts: Schema.Number,
  order_state: Nullable(Schema.parseJson(Order))
})

const FillRow = Schema.Struct({
  venue: Venue,
  symbol: Schema.String,
  order_id: Schema.String,
  trade_id: Schema.String,
  side: Side,
  price: DecimalString,
  qty: DecimalString,
  fee: DecimalString,
  fee_asset: Schema.String,
  liquidity: Liquidity,
  ts: Schema.Number
})

const HedgeRow = Schema.Struct({
  client_id: Schema.String,
  run_id: Schema.Number,
  cycle: Nullable(Schema.Number),
  leg: Nullable(Schema.Literal(1, 2)),
  side: Side,
  qty: DecimalString,
  executed_qty: Nullable(DecimalString),
  executed_quote: Nullable(DecimalString),
  reference_price: Nullable(DecimalString),
  ts: Schema.Number,
  state: Schema.Literal("sent", "done", "failed")
})

const FundingRow = Schema.Struct({
  venue: Venue,
  ts: Schema.Number,
  rate: DecimalString,
  mark_price: DecimalString,
  position: DecimalString,
  amount: DecimalString
})

const CycleRow = Schema.Struct({ run_id: Schema.Number, cycle: Schema.Number, ts: Schema.Number, detail: Schema.parseJson(CycleEventDetail) })
const FilterChangeRow = Schema.Struct({
  run_id: Schema.Number,
  cycle: Schema.Number,
  venue: Venue,
  symbol: Schema.String,
  ts: Schema.Number,
  changes: Schema.parseJson(Schema.Array(Schema.String)),
  why: Schema.String
})
const MarkRow = Schema.Struct({ venue: Venue, price: DecimalString, ts: Schema.Number })
const OrderState = Schema.parseJson(Order)

/** One row of `what`, decoded; a bad one throws a one-line error naming the table. */
const rowDecoder = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decode = Schema.decodeUnknownSync(schema)
  return (row: unknown): A => {
    try {
      return decode(row)
    } catch (error) {
      throw new Error(`a ${what} row cannot be read: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`)
    }
  }
}
const decodeRows = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decode = rowDecoder(schema, what)
  return (rows: ReadonlyArray<unknown>): Array<A> => rows.map(decode)
}
/**
 * Rows decoded as SQLite steps through them: a long read (a run of months) holds its results
 * only, never the raw rows and the decoded ones beside them.
 */
const decodeEach = <A, I, B>(schema: Schema.Schema<A, I>, what: string, to: (row: A) => B) => {
  const decode = rowDecoder(schema, what)
  return (rows: Iterable<unknown>): Array<B> => {
    const out: Array<B> = []
    for (const row of rows) out.push(to(decode(row)))
    return out
  }
}
export const runRows = decodeRows(RunRow, "runs")
export const intentRows = decodeRows(IntentRow, "intents")
/**
 * One copy of each of the few values a column repeats (venues, symbols, sides, assets): SQLite
 * hands out a new string per row, which a read of months of fills would keep half a million times.
 */
const repeated = new Map<string, string>()
const shared = <S extends string>(text: S): S => {
  const known = repeated.get(text)
  if (known !== undefined) return known as S
  if (repeated.size < 256) repeated.set(text, text)
  return text
}
const fillOf = (r: typeof FillRow.Type): Fill => ({
  venue: shared(r.venue),
  symbol: shared(r.symbol),
  orderId: r.order_id,
  tradeId: r.trade_id,
  side: shared(r.side),
  price: r.price,
  qty: r.qty,
  fee: r.fee,
  feeAsset: shared(r.fee_asset),
  liquidity: shared(r.liquidity),
  ts: r.ts
})
export const fillsOfRows = decodeEach(FillRow, "fills", fillOf)
export const fillQtyRows = decodeRows(Schema.Struct({ qty: DecimalString }), "fills")
/** an order's filled quantity (from its state) beside its journalled fills' quantities, space-separated */
export const filledRow = rowDecoder(Schema.Struct({ filled: DecimalString, fills: Schema.NullOr(Schema.String) }), "orders")
export const fillSumRows = decodeRows(Schema.Struct({ side: Side, qty: DecimalString, count: Schema.Number }), "fills")
export const hedgeRows = decodeRows(HedgeRow, "hedges")
// hedgeOf is declared below: called late, it is defined by then
export const hedgesOfRows = decodeEach(HedgeRow, "hedges", (r) => hedgeOf(r))
export const fundingOfRows = decodeEach(FundingRow, "funding", (r): FundingPayment => ({
  venue: r.venue,
  ts: r.ts,
  rate: r.rate,
  markPrice: r.mark_price,
  position: r.position,
  amount: r.amount
}))
export const cycleEventsOfRows = decodeEach(CycleRow, "cycles", (r): CycleEvent => ({ runId: r.run_id, cycle: r.cycle, ts: r.ts, detail: r.detail }))
export const filterChangesOfRows = decodeEach(FilterChangeRow, "filter_changes", (r): FilterChange => ({
  runId: r.run_id,
  cycle: r.cycle,
  venue: r.venue,
  symbol: r.symbol,
  ts: r.ts,
  changes: r.changes,
  why: r.why
}))
export const markRows = decodeRows(MarkRow, "marks")
export const encodeOrder = Schema.encodeSync(OrderState)
export const decodeOrder = Schema.decodeUnknownSync(OrderState)
export const encodeDetail = Schema.encodeSync(Schema.parseJson(CycleEventDetail))

export const hedgeOf = (r: typeof HedgeRow.Type): Hedge => ({
  clientId: r.client_id,
  runId: r.run_id,
  side: r.side,
  qty: r.qty,
  ts: r.ts,
  state: r.state,
  cycle: r.cycle,
  leg: r.leg,
  executedQty: r.executed_qty,
  executedQuote: r.executed_quote,
  referencePrice: r.reference_price
})

export const runOf = (r: typeof RunRow.Type): Run => ({
  id: r.id,
  kind: r.kind,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  outcome: r.outcome,
  message: r.message,
  config: r.config,
  maker: { venue: r.maker_venue, symbol: r.maker_symbol, quoteAsset: r.maker_quote_asset, baseAsset: r.maker_base_asset ?? baseAssetOfSymbol(r.maker_symbol, r.maker_quote_asset) },
  hedge: { venue: r.hedge_venue, symbol: r.hedge_symbol, quoteAsset: r.hedge_quote_asset, baseAsset: r.hedge_base_asset ?? baseAssetOfSymbol(r.hedge_symbol, r.hedge_quote_asset) },
  clientIdPrefix: r.client_id_prefix,
  fillsLacking: r.fills_lacking === 1
})

/**
 * The base asset of a run journalled before base assets were kept, from the venues' symbol
 * conventions: Backpack's `ASTER_USDC_PERP`, Aster's `ASTERUSDT` (base then quote). "" when
 * neither fits: its fees are then counted as before, as charged.
 */
const baseAssetOfSymbol = (symbol: string, quote: string): string => {
  if (symbol.includes("_")) return symbol.split("_")[0]!
  return symbol.endsWith(quote) && symbol.length > quote.length ? symbol.slice(0, -quote.length) : ""
}
