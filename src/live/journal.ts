/**
 * The live runner's journal: one SQLite file (WAL) holding everything a run
 * did, written before acting where it matters, so that after `kill -9` a restart knows which
 * requests may have reached a venue (and must be looked up by client id, never sent again) and
 * which hedges are in doubt. `npm run report` rebuilds the run report from it. A journal has one
 * writer at a time (`file-lock.ts`); readers are never refused.
 *
 * Tables (money is decimal TEXT, times are ms since epoch):
 * - meta     (key, value): `format` = "hedgeloop-journal", `format_version`, `created_at`.
 * - runs     (id, kind live|paper, started_at, ended_at, outcome, message, config JSON from
 *            describeConfig: no secrets, maker_venue/_symbol/_quote_asset, hedge_venue/_symbol/
 *            _quote_asset, client_id_prefix, maker_/hedge_base_asset). ended_at NULL = still running
 *            or crashed. The base assets value fees charged in them; a journal written before they
 *            were kept gets the columns (NULL) at its next start, and its runs' base assets are
 *            then read from the symbols.
 * - intents  (client_id PK, run_id, venue, kind limit|market|cancel, side, qty, price, order_id,
 *            created_at, attempts, refused_at, refusal). Written BEFORE the request is sent;
 *            created_at is its last sending (a retry under the same client id moves it).
 *            order_id: the venue's id once an answer (reply, stream or lookup) names it; for a
 *            cancel, the order to cancel (client_id is then `cancel:<run>:<venue>:<order id>`).
 *            refused_at/refusal: the venue's definitive no (nothing was placed). A resend under the
 *            same client id (a retry) clears both and counts an attempt.
 * - orders   (venue, order_id PK, client_id, run_id, status, state JSON of the core Order with
 *            decimals as strings, updated_at): the latest state; cumulative fills never go back
 *            and a closed order never reopens, whatever order the messages come in.
 * - fills    (venue, trade_id PK, run_id, order_id, symbol, side, price, qty, fee, fee_asset,
 *            liquidity, ts): recording a fill twice is a no-op.
 * - hedges   (client_id PK, run_id, cycle, leg, side, qty, executed_qty, executed_quote,
 *            reference_price, ts, state sent|done|failed). A market order is a hedge: its intent
 *            opens the row as `sent` in the same transaction; the strategy's report of the
 *            result makes it `done`; a refusal makes it `failed`.
 * - funding  (venue, ts, run_kind PK, run_id, rate, mark_price, position, amount): one payment per
 *            funding time and kind of run; a paper run's simulated payment and the account's real
 *            one for the same funding time are both kept, each with its run.
 * - cycles   (run_id, cycle, event started|funding-pause|maker-order|leg-completed|hedge-failed, ts,
 *            detail JSON).
 * - marks    (run_id, venue, price, ts): mark prices seen, the latest values open positions.
 *
 * Free text (messages, refusals, order JSON, details) passes through a scrubber that removes the
 * run's secrets (registered by startRun from the config, kept in memory only): a venue error
 * echoing a key never reaches the file.
 *
 * The records live in `journal-records.ts` (re-exported here), the tables and row decoders in
 * `journal-rows.ts`; this module holds the service and the SQL.
 */
import * as fs from "node:fs"
import Database from "better-sqlite3"
import { BigDecimal, Context, Data, Effect, Layer, Option, type Scope } from "effect"
import type { FundingPayment } from "../core/accounting/ledger"
import { configSecrets, describeConfig, MIN_SCRUBBED_LENGTH, scrubSecrets } from "../core/config/config"
import { type Decimal, formatDecimal, sum } from "../core/domain/decimal"
import { type Fill, isOpenStatus, type Order, type OrderUpdate, signedQty } from "../core/domain/order"
import { Venue } from "../core/domain/venue"
import { setNewest } from "../core/newest-entries"
import { acquireFileLock, describeRefusal, JOURNAL_FILE, type LockHolder } from "./file-lock"
import {
  cancelIntentId,
  type CycleEvent,
  type FilterChange,
  type Hedge,
  type HedgeInDoubt,
  type HedgeRecord,
  type Intent,
  type Mark,
  type PendingIntent,
  type Run,
  type RunEnd,
  type RunFilter,
  type RunKind,
  type RunStart
} from "./journal-records"
import {
  cycleEventsOfRows,
  DDL,
  decodeOrder,
  encodeDetail,
  encodeOrder,
  filledRow,
  fillQtyRows,
  fillsOfRows,
  fillSumRows,
  filterChangesOfRows,
  fundingOfRows,
  hedgeOf,
  hedgeRows,
  hedgesOfRows,
  intentRows,
  markRows,
  runOf,
  runRows
} from "./journal-rows"

export type {
  CycleEvent,
  FilterChange,
  Hedge,
  HedgeInDoubt,
  HedgeRecord,
  HedgeState,
  Intent,
  Mark,
  PendingIntent,
  Run,
  RunEnd,
  RunFilter,
  RunKind,
  RunStart,
  RunVenue
} from "./journal-records"
export { cancelIntentId, CycleEventDetail, KILLED } from "./journal-records"

export const JOURNAL_FORMAT = "hedgeloop-journal"
export const JOURNAL_FORMAT_VERSION = 1

export class JournalError extends Data.TaggedError("JournalError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `journal ${this.path}: ${this.reason}`
  }
}

export interface JournalService {
  readonly path: string
  /** a writer's: the lock of a runner that is gone (a crash), taken over at opening */
  readonly replacedLock: Option.Option<LockHolder>
  /** opens a run and registers its secrets for scrubbing; returns the run id */
  readonly startRun: (run: RunStart) => Effect.Effect<number, JournalError>
  readonly endRun: (runId: number, end: RunEnd) => Effect.Effect<void, JournalError>
  /** an ended run's lacking fills have all been read since (`RunEnd.fillsLacking`) */
  readonly fillsCompleted: (runId: number) => Effect.Effect<void, JournalError>
  /**
   * The ended run that placed order `orderId` on `venue` lacks some of its fills after all (found
   * by a later start, whose read of the venue's history came up short): the next start reads them
   * (`RunEnd.fillsLacking`). A run without an end is read by every start anyway.
   */
  readonly fillsLackingFor: (venue: Venue, orderId: string) => Effect.Effect<void, JournalError>
  /** BEFORE sending: an intent that cannot be written must stop the request */
  readonly recordIntent: (intent: Intent) => Effect.Effect<void, JournalError>
  /** the venue's definitive no: nothing was placed (a market intent's hedge becomes `failed`) */
  readonly recordIntentRefused: (clientId: string, reason: string, ts: number) => Effect.Effect<void, JournalError>
  /** an order state from a reply, a lookup or the stream; links an unanswered intent with its client id */
  readonly recordOrder: (runId: number, order: Order, recordedAt: number) => Effect.Effect<void, JournalError>
  /** true when the fill was new */
  readonly recordFill: (runId: number, fill: Fill) => Effect.Effect<boolean, JournalError>
  /**
   * An own-order stream message: the order state and its fill in one transaction, written behind
   * (see `JournalStore.recordUpdate`): before any other call of this journal returns, and at the
   * latest on the event loop's next turn. A write that failed there fails the next call.
   */
  readonly recordUpdate: (runId: number, update: OrderUpdate, recordedAt: number) => Effect.Effect<void, JournalError>
  readonly recordHedge: (hedge: HedgeRecord) => Effect.Effect<void, JournalError>
  /** true when the payment was new (one per venue, funding time and kind of run: live or paper) */
  readonly recordFunding: (runId: number, payment: FundingPayment) => Effect.Effect<boolean, JournalError>
  readonly recordCycleEvent: (event: CycleEvent) => Effect.Effect<void, JournalError>
  readonly recordFilterChange: (change: FilterChange) => Effect.Effect<void, JournalError>
  readonly recordMark: (runId: number, venue: Venue, price: Decimal, ts: number) => Effect.Effect<void, JournalError>
  /**
   * Folds the write-ahead log into the database file. Call it while nothing is at stake (between
   * legs): left to SQLite it happens inside whichever commit fills the log, a hedge's included.
   */
  readonly checkpoint: Effect.Effect<void, JournalError>

  readonly pendingIntents: (runId?: number) => Effect.Effect<ReadonlyArray<PendingIntent>, JournalError>
  readonly hedgesInDoubt: () => Effect.Effect<ReadonlyArray<HedgeInDoubt>, JournalError>
  readonly openOrders: () => Effect.Effect<ReadonlyArray<Order>, JournalError>
  /** the latest state of every order first recorded by these runs, in the order last updated */
  readonly orders: (runs?: RunFilter) => Effect.Effect<ReadonlyArray<Order>, JournalError>
  /**
   * The orders of a run that filled more than the journal holds fills for, in the order last
   * updated: the end-of-run check, which must not read a run of months order by order.
   */
  readonly ordersShortOfFills: (runId: number) => Effect.Effect<ReadonlyArray<Order>, JournalError>
  /**
   * The highest number among the run's strategy client ids (`<prefix>m<n>`, `<prefix>h<n>`: one
   * count for both) that the journal holds an intent for; 0 when none.
   */
  readonly lastStrategyClientNumber: (runId: number, prefix: string) => Effect.Effect<number, JournalError>
  /**
   * In time order (then in the order recorded); `after`, `before`: only those stamped strictly
   * between (ms since epoch; the same for funding, hedges and cycle events).
   */
  readonly fills: (runs?: RunFilter, after?: number, before?: number) => Effect.Effect<ReadonlyArray<Fill>, JournalError>
  /**
   * What a start and a stop ask of every fill ever journalled, without reading them all into
   * memory (a journal of months holds hundreds of thousands): the quantity filled of one order,
   */
  readonly filledQty: (venue: Venue, orderId: string) => Effect.Effect<Decimal, JournalError>
  /** the signed sum of a venue's fills (buys positive; of these runs, stamped before `before`), */
  /** `symbol`: that market's fills only (a journal may hold runs of other markets on the same venue) */
  readonly netFilledQty: (venue: Venue, runs?: RunFilter, before?: number, symbol?: string) => Effect.Effect<Decimal, JournalError>
  /** and a venue's latest fill. */
  /** the newest fill on `venue`, of the runs of `kind` when given */
  readonly lastFill: (venue: Venue, kind?: RunKind) => Effect.Effect<Option.Option<Fill>, JournalError>
  readonly funding: (runs?: RunFilter, after?: number, before?: number) => Effect.Effect<ReadonlyArray<FundingPayment>, JournalError>
  readonly hedges: (runs?: RunFilter, after?: number, before?: number) => Effect.Effect<ReadonlyArray<Hedge>, JournalError>
  readonly cycleEvents: (runs?: RunFilter, after?: number, before?: number) => Effect.Effect<ReadonlyArray<CycleEvent>, JournalError>
  /** none in a journal written before they were kept */
  readonly filterChanges: (runs?: RunFilter, after?: number, before?: number) => Effect.Effect<ReadonlyArray<FilterChange>, JournalError>
  /** the latest mark per venue; `before`: the latest stamped before it (ms since epoch) */
  readonly latestMarks: (runs?: RunFilter, before?: number) => Effect.Effect<ReadonlyArray<Mark>, JournalError>
  /** when a run last journalled a fill, funding payment, cycle event or hedge (ms since epoch); none without any */
  readonly lastActivity: (runId: number) => Effect.Effect<Option.Option<number>, JournalError>
  readonly lastRun: () => Effect.Effect<Option.Option<Run>, JournalError>
  readonly runs: () => Effect.Effect<ReadonlyArray<Run>, JournalError>
}

export class Journal extends Context.Tag("hedgeloop/Journal")<Journal, JournalService>() {
  /** Opens (creating if needed) the journal at `path` for writing; closed when the scope ends. */
  static readonly layer = (path: string): Layer.Layer<Journal, JournalError> => Layer.scoped(Journal, openJournal(path, "write"))
}

/**
 * `read` refuses a missing file and changes nothing (reports, inspection); SQLite may leave its
 * empty `-wal`/`-shm` companions beside a cleanly closed journal, as it does for any WAL reader.
 */
export const openJournal = (path: string, mode: "write" | "read"): Effect.Effect<JournalService, JournalError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({ try: () => JournalStore.open(path, mode), catch: (error) => journalError(path, error) }),
    (store) =>
      Effect.suspend(() => {
        const lost = store.close()
        return lost === undefined ? Effect.void : Effect.logError(`journal ${path}: ${lost}`)
      })
  ).pipe(Effect.map(serviceOf))

const journalError = (path: string, error: unknown): JournalError =>
  error instanceof JournalError ? error : new JournalError({ path, reason: error instanceof Error ? error.message : String(error) })

const serviceOf = (store: JournalStore): JournalService => {
  /** every call first writes the updates still behind, so it reads and writes after them */
  const call = <A>(f: () => A): Effect.Effect<A, JournalError> =>
    Effect.try({
      try: () => {
        store.catchUp()
        return f()
      },
      catch: (error) => journalError(store.path, error)
    })
  /** the two calls on a hedge's critical path, which must not wait for updates behind */
  const callAhead = <A>(f: () => A): Effect.Effect<A, JournalError> => Effect.try({ try: f, catch: (error) => journalError(store.path, error) })
  return {
    path: store.path,
    replacedLock: Option.fromNullable(store.replacedLock),
    startRun: (run) => call(() => store.startRun(run)),
    endRun: (runId, end) => call(() => store.endRun(runId, end)),
    fillsCompleted: (runId) => call(() => store.fillsCompleted(runId)),
    fillsLackingFor: (venue, orderId) => call(() => store.fillsLackingFor(venue, orderId)),
    // a hedge's intent goes ahead of the updates behind: it touches none of their rows
    recordIntent: (intent) => (intent.kind === "market" ? callAhead : call)(() => store.recordIntent(intent)),
    recordIntentRefused: (clientId, reason, ts) => call(() => store.recordIntentRefused(clientId, reason, ts)),
    recordOrder: (runId, order, recordedAt) => call(() => store.recordOrder(runId, order, recordedAt)),
    recordFill: (runId, fill) => call(() => store.recordFill(runId, fill)),
    recordUpdate: (runId, update, recordedAt) => callAhead(() => store.recordUpdate(runId, update, recordedAt)),
    recordHedge: (hedge) => call(() => store.recordHedge(hedge)),
    recordFunding: (runId, payment) => call(() => store.recordFunding(runId, payment)),
    recordCycleEvent: (event) => call(() => store.recordCycleEvent(event)),
    recordFilterChange: (change) => call(() => store.recordFilterChange(change)),
    checkpoint: call(() => store.checkpoint()),
    recordMark: (runId, venue, price, ts) => call(() => store.recordMark(runId, venue, price, ts)),
    pendingIntents: (runId) => call(() => store.pendingIntents(runId)),
    hedgesInDoubt: () => call(() => store.hedgesInDoubt()),
    openOrders: () => call(() => store.openOrders()),
    orders: (runs) => call(() => store.orders(runs)),
    ordersShortOfFills: (runId) => call(() => store.ordersShortOfFills(runId)),
    lastStrategyClientNumber: (runId, prefix) => call(() => store.lastStrategyClientNumber(runId, prefix)),
    fills: (runs, after, before) => call(() => store.fills(runs, after, before)),
    filledQty: (venue, orderId) => call(() => store.filledQty(venue, orderId)),
    netFilledQty: (venue, runs, before, symbol) => call(() => store.netFilledQty(venue, runs, before, symbol)),
    lastFill: (venue, kind) => call(() => Option.fromNullable(store.lastFill(venue, kind))),
    funding: (runs, after, before) => call(() => store.funding(runs, after, before)),
    hedges: (runs, after, before) => call(() => store.hedges(runs, after, before)),
    cycleEvents: (runs, after, before) => call(() => store.cycleEvents(runs, after, before)),
    filterChanges: (runs, after, before) => call(() => store.filterChanges(runs, after, before)),
    latestMarks: (runs, before) => call(() => store.latestMarks(runs, before)),
    lastActivity: (runId) => call(() => Option.fromNullable(store.lastActivity(runId))),
    lastRun: () => call(() => store.lastRun()),
    runs: () => call(() => store.runs())
  }
}

const OPEN_STATUSES = "('new', 'partially-filled')"
/** pages (4 KiB) the write-ahead log may hold before SQLite checkpoints by itself */
const WAL_BACKSTOP_PAGES = 16_384
/** recent orders whose journalled state is kept in memory */
const CACHED_ORDER_STATES = 1000

/**
 * The newer of two views of one order: the one with more filled wins (ties: the later message),
 * and a closed status is never replaced by an open one (a stale message read after the cancel).
 */
export const mergeOrder = (known: Order, next: Order): Order => {
  const base = BigDecimal.lessThan(next.filledQty, known.filledQty) ? known : next
  const other = base === next ? known : next
  const closedBy = isOpenStatus(base.status) && !isOpenStatus(other.status) ? other : base
  const { rejectReason: _dropped, ...rest } = base
  return {
    ...rest,
    status: closedBy.status,
    updatedAt: Math.max(known.updatedAt, next.updatedAt),
    ...(closedBy.rejectReason !== undefined ? { rejectReason: closedBy.rejectReason } : {})
  }
}

/** Synchronous core: better-sqlite3 is synchronous, the service wraps each call in an Effect. */
class JournalStore {
  private readonly secrets = new Set<string>()
  private readonly statements = new Map<string, Database.Statement>()
  /**
   * The latest journalled state of recent orders, so an update (the hedge's critical path) need
   * not read and decode the row back. This process is the journal's only writer while it runs.
   */
  private readonly orderStates = new Map<string, Order>()
  /** stream updates not yet written, in arrival order (see recordUpdate) */
  private readonly behind: Array<{ readonly runId: number; readonly update: OrderUpdate; readonly recordedAt: number }> = []
  private catchUpQueued = false

  /** one transaction wrapper for every write (better-sqlite3 builds four functions per `transaction` call) */
  private readonly atomically: (body: () => void) => void

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    private readonly releaseLock: () => void,
    readonly replacedLock: LockHolder | undefined
  ) {
    this.atomically = db.transaction((body: () => void) => body())
  }

  static open(path: string, mode: "write" | "read"): JournalStore {
    if (mode === "read") {
      let stat: fs.Stats
      try {
        stat = fs.statSync(path)
      } catch {
        throw new JournalError({ path, reason: "no such file" })
      }
      if (!stat.isFile()) throw new JournalError({ path, reason: "not a regular file" })
    }
    // the writer's lock first: a second writer must not touch the file at all
    let lock: { readonly release: () => void; readonly replaced?: LockHolder } = { release: () => {} }
    if (mode === "write") {
      const taken = acquireFileLock(path, JOURNAL_FILE)
      if (taken._tag !== "Acquired") throw new JournalError({ path, reason: describeRefusal(taken) })
      lock = taken
    }
    let db: Database.Database
    try {
      db = new Database(path, mode === "read" ? { readonly: true, fileMustExist: true } : {})
    } catch (error) {
      lock.release()
      throw new JournalError({ path, reason: `cannot open as SQLite: ${error instanceof Error ? error.message : String(error)}` })
    }
    try {
      const store = new JournalStore(path, db, lock.release, lock.replaced)
      store.prepare(mode)
      return store
    } catch (error) {
      db.close()
      lock.release()
      throw error
    }
  }

  private prepare(mode: "write" | "read"): void {
    const fail = (reason: string): never => {
      throw new JournalError({ path: this.path, reason })
    }
    let tables: Array<string> = []
    try {
      tables = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name)
    } catch (error) {
      fail(/not a database|encrypted/i.test(String(error)) ? "not an SQLite database" : `cannot read: ${String(error)}`)
    }
    const format = (): Map<string, string> =>
      new Map((this.db.prepare("SELECT key, value FROM meta").all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]))
    if (tables.length === 0) {
      if (mode === "read") fail("not a hedgeloop journal (an empty database)")
    } else {
      const meta = tables.includes("meta") ? format() : new Map<string, string>()
      if (meta.get("format") !== JOURNAL_FORMAT) fail("not a hedgeloop journal (no meta/format)")
      if (meta.get("format_version") !== String(JOURNAL_FORMAT_VERSION))
        fail(`unsupported journal format version ${meta.get("format_version")} (this build reads version ${JOURNAL_FORMAT_VERSION})`)
    }
    if (mode === "read") {
      this.db.pragma("busy_timeout = 5000")
      return
    }
    // WAL: readers (npm run report) never block the runner. NORMAL: a commit survives the
    // process dying (kill -9); the intents that must also survive a power cut sync (recordIntent)
    if (this.db.pragma("journal_mode = WAL", { simple: true }) !== "wal") fail("cannot switch to WAL mode")
    this.db.pragma("synchronous = NORMAL")
    // SQLite's own checkpoint (every 1000 pages, with fsyncs) would stall a random commit for
    // 10-30 ms, a hedge's among them: the runner checkpoints between legs (`checkpoint`), and
    // SQLite only as a backstop once the log holds 64 MB
    this.db.pragma(`wal_autocheckpoint = ${WAL_BACKSTOP_PAGES}`)
    this.db.pragma("foreign_keys = ON")
    this.db.pragma("busy_timeout = 5000")
    if (tables.length > 0) {
      this.addRunColumns()
      this.addFillsByOrderIndex()
      this.addByRunIndexes()
      this.addFilterChangesTable()
      this.keyFundingByRunKind()
    }
    if (tables.length === 0) {
      this.db.transaction(() => {
        this.db.exec(DDL)
        const put = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)")
        put.run("format", JOURNAL_FORMAT)
        put.run("format_version", String(JOURNAL_FORMAT_VERSION))
        put.run("created_at", new Date().toISOString())
      })()
    }
  }

  /**
   * A journal written before runs kept their base assets, or whether they ended with fills
   * lacking, gets the columns (NULL for its runs): added columns leave the format as it was, so a
   * build before them still reads it.
   */
  private addRunColumns(): void {
    const columns = new Set((this.db.prepare("SELECT name FROM pragma_table_info('runs')").all() as Array<{ name: string }>).map((c) => c.name))
    this.db.transaction(() => {
      for (const column of ["maker_base_asset", "hedge_base_asset"]) {
        if (!columns.has(column)) this.db.exec(`ALTER TABLE runs ADD COLUMN ${column} TEXT`)
      }
      if (!columns.has("fills_lacking")) this.db.exec("ALTER TABLE runs ADD COLUMN fills_lacking INTEGER")
    })()
  }

  /**
   * A journal written before fills were indexed by order gets the index (a start and a stop look
   * up single orders' fills). An index leaves the format as it was: a build before it still reads it.
   */
  private addFillsByOrderIndex(): void {
    this.db.exec("CREATE INDEX IF NOT EXISTS fills_by_order ON fills (venue, order_id)")
  }

  /**
   * A journal written before its rows were indexed by run gets the indexes: a report's (the daily
   * digest's, inside a live run) last marks, and a run's rows of a day or its last activity, are
   * then seeks, not scans of months of rows (millions of marks: seconds of a blocked thread). An
   * index leaves the format as it was.
   */
  private addByRunIndexes(): void {
    this.db.exec("CREATE INDEX IF NOT EXISTS marks_by_run ON marks (run_id, venue, ts)")
    // and a run's rows by time (a report's window, a run's last activity): seeks, not scans
    this.db.exec("CREATE INDEX IF NOT EXISTS fills_by_run ON fills (run_id, ts)")
    this.db.exec("CREATE INDEX IF NOT EXISTS cycles_by_run ON cycles (run_id, ts)")
    this.db.exec("CREATE INDEX IF NOT EXISTS hedges_by_run ON hedges (run_id, ts)")
    // the few open orders among months of closed ones (a start's, a stop's)
    this.db.exec(`CREATE INDEX IF NOT EXISTS orders_open ON orders (updated_at) WHERE status IN ${OPEN_STATUSES}`)
  }

  /**
   * A journal written before filter changes were kept gets their table. A table leaves the format
   * as it was: a build before it still reads the journal, and this one reads an older journal
   * opened read-only as having none (`filterChanges`).
   */
  private addFilterChangesTable(): void {
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'filter_changes'").get() !== undefined) return
    this.db.exec(DDL.slice(DDL.indexOf("CREATE TABLE filter_changes"), DDL.indexOf("CREATE TABLE marks")))
  }

  /**
   * A journal written before funding was keyed by kind of run kept one payment per venue and
   * funding time: a paper run's would shut out the live one's. Its table is rebuilt with the key
   * (each row keeps its run's kind). A column with a default leaves the format as it was: a build
   * before it still reads the journal, and its writes count as a live run's.
   */
  private keyFundingByRunKind(): void {
    const columns = new Set((this.db.prepare("SELECT name FROM pragma_table_info('funding')").all() as Array<{ name: string }>).map((c) => c.name))
    if (columns.has("run_kind")) return
    const create = DDL.slice(DDL.indexOf("CREATE TABLE funding"), DDL.indexOf("CREATE TABLE cycles"))
    this.db.transaction(() => {
      this.db.exec("ALTER TABLE funding RENAME TO funding_before_run_kind")
      this.db.exec(create)
      this.db.exec(
        `INSERT INTO funding (venue, ts, run_id, rate, mark_price, position, amount, run_kind)
         SELECT f.venue, f.ts, f.run_id, f.rate, f.mark_price, f.position, f.amount, r.kind FROM funding_before_run_kind f JOIN runs r ON r.id = f.run_id`
      )
      this.db.exec("DROP TABLE funding_before_run_kind")
    })()
  }

  /** Closes whatever happens; says what could not be written (updates still behind), if anything. */
  close(): string | undefined {
    if (!this.db.open) return undefined
    let lost: string | undefined
    try {
      this.catchUp()
    } catch (error) {
      lost = `${this.behind.length} stream update(s) could not be written at closing (${error instanceof Error ? error.message : String(error)})`
    } finally {
      this.db.close()
      this.releaseLock()
    }
    return lost
  }

  checkpoint(): void {
    this.db.pragma("wal_checkpoint(PASSIVE)")
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text)
    if (statement === undefined) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.secrets)
  }

  private scrubOrNull(text: string | undefined): string | null {
    return text === undefined ? null : this.scrub(text)
  }

  startRun(run: RunStart): number {
    for (const value of configSecrets(run.config)) if (value.trim().length >= MIN_SCRUBBED_LENGTH) this.secrets.add(value)
    const result = this.sql(
      `INSERT INTO runs (kind, started_at, config, maker_venue, maker_symbol, maker_quote_asset, hedge_venue, hedge_symbol, hedge_quote_asset, client_id_prefix, maker_base_asset, hedge_base_asset)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      run.kind,
      run.startedAt,
      this.scrub(JSON.stringify(describeConfig(run.config))),
      run.maker.venue,
      run.maker.symbol,
      run.maker.quoteAsset,
      run.hedge.venue,
      run.hedge.symbol,
      run.hedge.quoteAsset,
      run.clientIdPrefix,
      run.maker.baseAsset,
      run.hedge.baseAsset
    )
    return Number(result.lastInsertRowid)
  }

  endRun(runId: number, end: RunEnd): void {
    const result = this.sql("UPDATE runs SET ended_at = ?, outcome = ?, message = ?, fills_lacking = ? WHERE id = ?").run(
      end.endedAt,
      this.scrub(end.outcome),
      this.scrubOrNull(end.message),
      end.fillsLacking === true ? 1 : null,
      runId
    )
    if (result.changes === 0) throw new Error(`no run ${runId}`)
  }

  fillsCompleted(runId: number): void {
    this.sql("UPDATE runs SET fills_lacking = NULL WHERE id = ?").run(runId)
  }

  fillsLackingFor(venue: Venue, orderId: string): void {
    this.sql("UPDATE runs SET fills_lacking = 1 WHERE id = (SELECT run_id FROM orders WHERE venue = ? AND order_id = ?) AND ended_at IS NOT NULL").run(venue, orderId)
  }

  /**
   * A limit order's intent is committed with synchronous=FULL (the WAL is fsynced, and with it
   * everything before): after a power cut a resting order of ours must still be recognised by its
   * client id. The others are not, as an fsync costs 0.3–4 ms here and blocks the thread that
   * hedges. A hedge's intent sits on the hedge's critical path, and what a hedge did is taken at a
   * restart from the venues' positions, which reconciliation reads before trading. A cancel's is
   * sent while the order it cancels may be filling, and a restart does not read it: it looks up
   * every order the journal last saw open.
   */
  recordIntent(intent: Intent): void {
    if (intent.kind !== "limit") return this.writeIntent(intent)
    this.db.pragma("synchronous = FULL")
    try {
      this.writeIntent(intent)
    } finally {
      this.db.pragma("synchronous = NORMAL")
    }
  }

  private writeIntent(intent: Intent): void {
    const clientId = intent.kind === "cancel" ? cancelIntentId(intent.runId, intent.venue, intent.orderId) : intent.clientId
    const side = intent.kind === "cancel" ? null : intent.side
    const qty = intent.kind === "cancel" ? null : formatDecimal(intent.qty)
    const price = intent.kind === "limit" ? formatDecimal(intent.price) : null
    const orderId = intent.kind === "cancel" ? intent.orderId : null
    this.atomically(() => {
      // a new client id (the usual case) costs one statement; a known one is checked
      const inserted = this.sql(
        "INSERT INTO intents (client_id, run_id, venue, kind, side, qty, price, order_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING"
      ).run(clientId, intent.runId, intent.venue, intent.kind, side, qty, price, orderId, intent.createdAt)
      if (inserted.changes === 0) {
        const known = this.sql("SELECT run_id, venue, kind, side, qty, price FROM intents WHERE client_id = ?").get(clientId) as {
          run_id: number
          venue: string
          kind: string
          side: string | null
          qty: string | null
          price: string | null
        }
        const same = known.run_id === intent.runId && known.venue === intent.venue && known.kind === intent.kind && known.side === side && known.qty === qty &&
          known.price === price
        if (!same) {
          throw new Error(
            `client id ${clientId} was already used by run ${known.run_id} for another order (${known.kind} ${known.side ?? ""} ${known.qty ?? ""}): each run needs its own client id prefix`
          )
        }
        // the same request sent again (a retry): whatever the venue said before no longer settles it,
        // and a restart waits out the venue's acceptance window from this send, not the first
        this.sql(
          `UPDATE intents SET attempts = attempts + 1, refused_at = NULL, refusal = NULL, created_at = max(created_at, ?)${
            intent.kind === "cancel" ? "" : ", order_id = NULL"
          } WHERE client_id = ?`
        ).run(intent.createdAt, clientId)
      }
      if (intent.kind === "market") {
        this.sql(
          `INSERT INTO hedges (client_id, run_id, side, qty, ts, state) VALUES (?, ?, ?, ?, ?, 'sent')
           ON CONFLICT (client_id) DO UPDATE SET state = 'sent' WHERE state = 'failed'`
        ).run(clientId, intent.runId, intent.side, qty, intent.createdAt)
      }
    })
  }

  recordIntentRefused(clientId: string, reason: string, ts: number): void {
    this.atomically(() => {
      const result = this.sql("UPDATE intents SET refused_at = ?, refusal = ? WHERE client_id = ?").run(ts, this.scrub(reason), clientId)
      if (result.changes === 0) throw new Error(`no intent ${clientId}`)
      // the hedge keeps the time it was sent: a restart finding it never arrived must not date it (and its run's end) now
      this.sql("UPDATE hedges SET state = 'failed' WHERE client_id = ? AND state = 'sent'").run(clientId)
    })
  }

  recordOrder(runId: number, order: Order, recordedAt: number): void {
    this.transaction(() => this.upsertOrder(runId, order, recordedAt))
  }

  /** Runs `body` in a transaction, rolled back as a whole if it throws (the cache then forgets what it wrote). */
  private transaction(body: () => void): void {
    try {
      this.atomically(body)
    } catch (error) {
      this.orderStates.clear()
      throw error
    }
  }

  private knownOrder(venue: string, orderId: string): Order | undefined {
    const key = `${venue} ${orderId}`
    const cached = this.orderStates.get(key)
    if (cached !== undefined) return cached
    const row = this.sql("SELECT state FROM orders WHERE venue = ? AND order_id = ?").get(venue, orderId) as { state: string } | undefined
    return row === undefined ? undefined : decodeOrder(row.state)
  }

  private rememberOrder(order: Order): void {
    setNewest(this.orderStates, `${order.venue} ${order.id}`, order, CACHED_ORDER_STATES)
  }

  private upsertOrder(runId: number, order: Order, recordedAt: number): void {
    const known = this.knownOrder(order.venue, order.id)
    const latest = known === undefined ? order : mergeOrder(known, order)
    this.sql(
      `INSERT INTO orders (venue, order_id, client_id, run_id, status, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (venue, order_id) DO UPDATE SET client_id = excluded.client_id, status = excluded.status, state = excluded.state, updated_at = excluded.updated_at`
    ).run(order.venue, order.id, latest.clientId, runId, latest.status, this.scrub(encodeOrder(latest)), recordedAt)
    this.rememberOrder(latest)
    // the venue has the order: it answers the placement under this client id (a refusal that
    // filled nothing does not: a retry may still place one under the same id)
    if (order.status !== "rejected" || BigDecimal.isPositive(order.filledQty)) {
      this.sql("UPDATE intents SET order_id = ? WHERE client_id = ? AND venue = ? AND kind != 'cancel' AND order_id IS NULL AND refused_at IS NULL").run(
        order.id,
        order.clientId,
        order.venue
      )
    }
  }

  recordFill(runId: number, fill: Fill): boolean {
    return this.insertFill(runId, fill)
  }

  private insertFill(runId: number, fill: Fill): boolean {
    const result = this.sql(
      `INSERT OR IGNORE INTO fills (venue, trade_id, run_id, order_id, symbol, side, price, qty, fee, fee_asset, liquidity, ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ).run(
      fill.venue,
      fill.tradeId,
      runId,
      fill.orderId,
      fill.symbol,
      fill.side,
      formatDecimal(fill.price),
      formatDecimal(fill.qty),
      formatDecimal(fill.fee),
      fill.feeAsset,
      fill.liquidity,
      fill.ts
    )
    return result.changes === 1
  }

  /**
   * Written behind: queued now, written by the first of `catchUp` (which every other call of the
   * service runs first) and the event loop's next turn. The strategy's reaction to a fill, its
   * hedge, thus leaves without waiting for this write. Nothing is lost to a crash in between that
   * a restart does not read back: the order stays open in the journal, so its intent stays
   * pending, and the restart looks the order up by client id and reads its fills from the venue.
   */
  recordUpdate(runId: number, update: OrderUpdate, recordedAt: number): void {
    this.behind.push({ runId, update, recordedAt })
    if (this.catchUpQueued) return
    this.catchUpQueued = true
    setImmediate(() => {
      this.catchUpQueued = false
      // a failure stays queued with its updates: the next call of the service runs it again and fails
      try {
        this.catchUp()
      } catch {
        // reported by that next call
      }
    })
  }

  /** Writes the queued updates in one transaction; on failure they stay queued and it throws. */
  catchUp(): void {
    if (this.behind.length === 0 || !this.db.open) return
    const batch = this.behind.splice(0)
    try {
      this.transaction(() => {
        for (const { runId, update, recordedAt } of batch) {
          this.upsertOrder(runId, update.order, recordedAt)
          if (update.fill !== undefined) this.insertFill(runId, update.fill)
        }
      })
    } catch (error) {
      this.behind.unshift(...batch)
      throw error
    }
  }

  recordHedge(hedge: HedgeRecord): void {
    const text = (d: Decimal | undefined) => (d === undefined ? null : formatDecimal(d))
    this.sql(
      `INSERT INTO hedges (client_id, run_id, cycle, leg, side, qty, executed_qty, executed_quote, reference_price, ts, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET
         cycle = COALESCE(excluded.cycle, cycle), leg = COALESCE(excluded.leg, leg),
         executed_qty = COALESCE(excluded.executed_qty, executed_qty), executed_quote = COALESCE(excluded.executed_quote, executed_quote),
         reference_price = COALESCE(excluded.reference_price, reference_price),
         ts = CASE WHEN ? THEN ts ELSE excluded.ts END, state = excluded.state`
    ).run(
      hedge.clientId,
      hedge.runId,
      hedge.cycle ?? null,
      hedge.leg ?? null,
      hedge.side,
      formatDecimal(hedge.qty),
      text(hedge.executedQty),
      text(hedge.executedQuote),
      text(hedge.referencePrice),
      hedge.ts,
      hedge.state,
      hedge.settledLater === true ? 1 : 0
    )
  }

  recordFunding(runId: number, payment: FundingPayment): boolean {
    // keyed by the run's kind too: a paper run's simulated payment never shuts out the account's real one
    const result = this.sql(
      "INSERT OR IGNORE INTO funding (venue, ts, run_id, rate, mark_price, position, amount, run_kind) VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT kind FROM runs WHERE id = ?))"
    ).run(
      payment.venue,
      payment.ts,
      runId,
      formatDecimal(payment.rate),
      formatDecimal(payment.markPrice),
      formatDecimal(payment.position),
      formatDecimal(payment.amount),
      runId
    )
    return result.changes === 1
  }

  recordCycleEvent(event: CycleEvent): void {
    this.sql("INSERT INTO cycles (run_id, cycle, event, ts, detail) VALUES (?, ?, ?, ?, ?)").run(
      event.runId,
      event.cycle,
      event.detail.event,
      event.ts,
      this.scrub(encodeDetail(event.detail))
    )
  }

  recordFilterChange(change: FilterChange): void {
    this.sql("INSERT INTO filter_changes (run_id, cycle, venue, symbol, ts, changes, why) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
      change.runId,
      change.cycle,
      change.venue,
      change.symbol,
      change.ts,
      this.scrub(JSON.stringify(change.changes)),
      this.scrub(change.why)
    )
  }

  recordMark(runId: number, venue: Venue, price: Decimal, ts: number): void {
    this.sql("INSERT INTO marks (run_id, venue, price, ts) VALUES (?, ?, ?, ?)").run(runId, venue, formatDecimal(price), ts)
  }

  pendingIntents(runId: number | undefined): Array<PendingIntent> {
    const rows = this.db.prepare(
      `SELECT i.client_id, i.run_id, i.venue, i.kind, i.side, i.qty, i.price, i.order_id, i.created_at, i.attempts, o.state AS order_state
       FROM intents i LEFT JOIN orders o ON o.venue = i.venue AND o.order_id = i.order_id
       WHERE i.refused_at IS NULL AND (i.order_id IS NULL OR o.order_id IS NULL OR o.status IN ${OPEN_STATUSES})
       ${runId === undefined ? "" : "AND i.run_id = ?"}
       ORDER BY i.created_at, i.rowid`
    ).all(...(runId === undefined ? [] : [runId]))
    return intentRows(rows).map((r) => ({
      clientId: r.client_id,
      runId: r.run_id,
      venue: r.venue,
      kind: r.kind,
      side: r.side,
      qty: r.qty,
      price: r.price,
      orderId: r.order_id,
      createdAt: r.created_at,
      attempts: r.attempts,
      order: r.order_state
    }))
  }

  hedgesInDoubt(): Array<HedgeInDoubt> {
    const rows = hedgeRows(this.sql("SELECT * FROM hedges WHERE state = 'sent' ORDER BY ts, rowid").all())
    return rows.map((row) => {
      const hedge = hedgeOf(row)
      // the order the venue answered with (a reply, a lookup or a stream message recorded in time)
      const state = this.sql("SELECT o.state FROM intents i JOIN orders o ON o.venue = i.venue AND o.order_id = i.order_id WHERE i.client_id = ?").get(row.client_id) as
        | { state: string }
        | undefined
      return { ...hedge, order: state === undefined ? Option.none() : Option.some(decodeOrder(state.state)) }
    })
  }

  openOrders(): Array<Order> {
    const rows = this.sql(`SELECT state FROM orders WHERE status IN ${OPEN_STATUSES} ORDER BY updated_at, rowid`).all() as Array<{ state: string }>
    return rows.map((r) => decodeOrder(r.state))
  }

  orders(runs: RunFilter): Array<Order> {
    const { where, params } = this.byRuns(runs)
    const rows = this.db.prepare(`SELECT state FROM orders WHERE ${where} ORDER BY updated_at, rowid`).all(...params) as Array<{ state: string }>
    return rows.map((r) => decodeOrder(r.state))
  }

  lastStrategyClientNumber(runId: number, prefix: string): number {
    // a run's prefix is ours (letters, digits and '-'): nothing in it means anything to GLOB
    const row = this.sql(
      "SELECT max(CAST(substr(client_id, ?) AS INTEGER)) AS n FROM intents WHERE run_id = ? AND (client_id GLOB ? OR client_id GLOB ?)"
    ).get(prefix.length + 2, runId, `${prefix}m[0-9]*`, `${prefix}h[0-9]*`) as { n: number | null }
    return row.n ?? 0
  }

  ordersShortOfFills(runId: number): Array<Order> {
    // SQLite picks the orders that filled and lists their journalled fills; the exact sum and
    // comparison are made here, and only the orders found short are decoded whole
    // (an order filled by one fill of its whole quantity, the usual case, is told complete by SQLite
    // alone: the quantities are canonical decimal texts; a run of months has hundreds of thousands)
    const rows = this.sql(
      `SELECT state, filled, fills FROM (
         SELECT o.state AS state, o.updated_at AS updated_at, o.rowid AS seq, json_extract(o.state, '$.filledQty') AS filled,
           (SELECT group_concat(f.qty, ' ') FROM fills f WHERE f.venue = o.venue AND f.order_id = o.order_id) AS fills
         FROM orders o WHERE o.run_id = ? AND json_extract(o.state, '$.filledQty') != '0')
       WHERE fills IS NULL OR fills != filled ORDER BY updated_at, seq`
    ).iterate(runId) as IterableIterator<{ state: string; filled: unknown; fills: unknown }>
    const short: Array<Order> = []
    for (const row of rows) {
      const { filled, fills } = filledRow(row)
      const journalled = sum(fillQtyRows((fills ?? "").split(" ").filter((qty) => qty !== "").map((qty) => ({ qty }))).map((r) => r.qty))
      if (BigDecimal.lessThan(journalled, filled)) short.push(decodeOrder(row.state))
    }
    return short
  }

  /** whether the journal has index `name` (an older one opened read-only may lack those added since) */
  private hasIndex(name: string): boolean {
    return this.sql("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(name) !== undefined
  }

  private byRuns(runs: RunFilter): { where: string; params: Array<number> } {
    if (runs === undefined) return { where: "1 = 1", params: [] }
    const ids = typeof runs === "number" ? [runs] : [...runs]
    if (ids.length === 0) return { where: "0 = 1", params: [] }
    return { where: `run_id IN (${ids.map(() => "?").join(", ")})`, params: ids }
  }

  fills(runs: RunFilter, after = Number.NEGATIVE_INFINITY, before = Number.POSITIVE_INFINITY): Array<Fill> {
    const { where, params } = this.byRuns(runs)
    return fillsOfRows(this.db.prepare(`SELECT * FROM fills WHERE ${where} AND ts > ? AND ts < ? ORDER BY ts, rowid`).iterate(...params, after, before))
  }

  filledQty(venue: Venue, orderId: string): Decimal {
    return sum(fillQtyRows(this.sql("SELECT qty FROM fills WHERE venue = ? AND order_id = ?").all(venue, orderId)).map((row) => row.qty))
  }

  netFilledQty(venue: Venue, runs: RunFilter, before = Number.POSITIVE_INFINITY, symbol?: string): Decimal {
    const { where, params } = this.byRuns(runs)
    const ofSymbol = symbol === undefined ? "" : " AND symbol = ?"
    // few distinct sizes: SQLite counts them, the exact sum is taken here
    const rows = fillSumRows(
      this.db.prepare(`SELECT side, qty, count(*) AS count FROM fills WHERE venue = ?${ofSymbol} AND ${where} AND ts < ? GROUP BY side, qty`).all(
        venue,
        ...(symbol === undefined ? [] : [symbol]),
        ...params,
        before
      )
    )
    return BigDecimal.normalize(sum(rows.map((row) => BigDecimal.multiply(signedQty(row.side, row.qty), BigDecimal.fromBigInt(BigInt(row.count))))))
  }

  lastFill(venue: Venue, kind?: RunKind): Fill | undefined {
    // `+venue`: walk the time index back from the newest fill, rather than sort a venue's every fill
    if (kind === undefined) return fillsOfRows(this.sql("SELECT * FROM fills WHERE +venue = ? ORDER BY ts DESC, rowid DESC LIMIT 1").iterate(venue))[0]
    return fillsOfRows(
      this.sql("SELECT * FROM fills WHERE +venue = ? AND run_id IN (SELECT id FROM runs WHERE kind = ?) ORDER BY ts DESC, rowid DESC LIMIT 1").iterate(venue, kind)
    )[0]
  }

  funding(runs: RunFilter, after = Number.NEGATIVE_INFINITY, before = Number.POSITIVE_INFINITY): Array<FundingPayment> {
    const { where, params } = this.byRuns(runs)
    return fundingOfRows(this.db.prepare(`SELECT * FROM funding WHERE ${where} AND ts > ? AND ts < ? ORDER BY ts, venue`).iterate(...params, after, before))
  }

  hedges(runs: RunFilter, after = Number.NEGATIVE_INFINITY, before = Number.POSITIVE_INFINITY): Array<Hedge> {
    const { where, params } = this.byRuns(runs)
    return hedgesOfRows(this.db.prepare(`SELECT * FROM hedges WHERE ${where} AND ts > ? AND ts < ? ORDER BY ts, rowid`).iterate(...params, after, before))
  }

  cycleEvents(runs: RunFilter, after = Number.NEGATIVE_INFINITY, before = Number.POSITIVE_INFINITY): Array<CycleEvent> {
    const { where, params } = this.byRuns(runs)
    return cycleEventsOfRows(this.db.prepare(`SELECT run_id, cycle, ts, detail FROM cycles WHERE ${where} AND ts > ? AND ts < ? ORDER BY ts, rowid`).iterate(...params, after, before))
  }

  filterChanges(runs: RunFilter, after = Number.NEGATIVE_INFINITY, before = Number.POSITIVE_INFINITY): Array<FilterChange> {
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'filter_changes'").get() === undefined) return []
    const { where, params } = this.byRuns(runs)
    return filterChangesOfRows(
      this.db.prepare(`SELECT run_id, cycle, venue, symbol, ts, changes, why FROM filter_changes WHERE ${where} AND ts > ? AND ts < ? ORDER BY ts, rowid`).iterate(...params, after, before)
    )
  }

  /** The last thing run `runId` journalled: a fill, a funding payment, a cycle event, a hedge or a mark. */
  lastActivity(runId: number): number | null {
    // marks per venue: one seek each down marks_by_run (run_id, venue, ts)
    const row = this.sql(
      `SELECT max(ts) AS last FROM (
         SELECT max(ts) AS ts FROM fills WHERE run_id = @run UNION ALL SELECT max(ts) FROM funding WHERE run_id = @run
         UNION ALL SELECT max(ts) FROM cycles WHERE run_id = @run UNION ALL SELECT max(ts) FROM hedges WHERE run_id = @run
         ${Venue.literals.map((venue) => `UNION ALL SELECT max(ts) FROM marks WHERE run_id = @run AND venue = '${venue}'`).join(" ")})`
    ).get({ run: runId }) as { last: number | null }
    return row.last
  }

  latestMarks(runs: RunFilter, before = Number.POSITIVE_INFINITY): Array<Mark> {
    if (runs !== undefined && this.hasIndex("marks_by_run")) {
      // a seek per run and venue (marks_by_run); the newest of them per venue (ties: the last recorded)
      const newest = this.sql(
        "SELECT venue, price, ts, rowid AS seq FROM marks WHERE run_id = ? AND venue = ? AND ts < ? ORDER BY ts DESC, rowid DESC LIMIT 1"
      )
      const best = new Map<string, { venue: string; price: string; ts: number; seq: number }>()
      for (const id of typeof runs === "number" ? [runs] : runs) {
        for (const venue of Venue.literals) {
          const row = newest.get(id, venue, before) as { venue: string; price: string; ts: number; seq: number } | undefined
          const known = best.get(venue)
          if (row !== undefined && (known === undefined || row.ts > known.ts || (row.ts === known.ts && row.seq > known.seq))) best.set(venue, row)
        }
      }
      return markRows([...best.values()].sort((a, b) => (a.venue < b.venue ? -1 : 1)).map(({ venue, price, ts }) => ({ venue, price, ts })))
    }
    const { where, params } = this.byRuns(runs)
    // the newest row per venue (ties: the last recorded)
    return markRows(
      this.db.prepare(
        `SELECT venue, price, ts FROM (
           SELECT venue, price, ts, ROW_NUMBER() OVER (PARTITION BY venue ORDER BY ts DESC, rowid DESC) AS newest FROM marks WHERE ${where} AND ts < ?)
         WHERE newest = 1 ORDER BY venue`
      ).all(...params, before)
    )
  }

  runs(): Array<Run> {
    return runRows(this.sql("SELECT * FROM runs ORDER BY id").all()).map(runOf)
  }

  lastRun(): Option.Option<Run> {
    const row = this.sql("SELECT * FROM runs ORDER BY id DESC LIMIT 1").all()
    return Option.map(Option.fromNullable(runRows(row)[0]), runOf)
  }
}
