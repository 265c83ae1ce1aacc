/**
 * The tick file's SQLite layout (documented in data/README.md). One file = one self-describing
 * database; ticks live in columnar blocks of at most BLOCK_SIZE rows, each column one BLOB holding
 * the raw little-endian bytes of a typed array.
 */

/** Bumped on any incompatible change of the layout below; readers refuse other versions. */
export const FORMAT_VERSION = 1

/** Ticks per block (the last block of a file may hold fewer). */
export const BLOCK_SIZE = 16384

/** Blocks written per transaction while bulk-writing. */
export const BLOCKS_PER_TRANSACTION = 16

/** Page size of new files: large pages keep the ~128 KiB column BLOBs on few overflow pages. */
export const PAGE_SIZE = 65536

/** Keys of the `meta` table. All values are TEXT. */
export const MetaKey = {
  formatVersion: "format_version",
  source: "source",
  synthetic: "synthetic",
  proxy: "proxy",
  createdAt: "created_at",
  notes: "notes",
  tFirst: "t_first",
  tLast: "t_last",
  tickCount: "tick_count",
  quoteCount: "quote_count",
  tradeCount: "trade_count",
  depthCount: "depth_count"
} as const

/** The `meta.notes` key that marks a file as a live run's recording (and holds what the recorder says about it). */
export const RECORDING_NOTE = "recording"

export const DDL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE instruments (
  idx          INTEGER PRIMARY KEY,
  venue        TEXT NOT NULL,
  symbol       TEXT NOT NULL,
  base         TEXT NOT NULL,
  quote        TEXT NOT NULL,
  kind         TEXT NOT NULL,
  tick_size    TEXT NOT NULL,
  step_size    TEXT NOT NULL,
  min_qty      TEXT NOT NULL,
  min_notional TEXT NOT NULL,
  price_scale  INTEGER NOT NULL,
  qty_scale    INTEGER NOT NULL
);
CREATE TABLE tick_blocks (
  id         INTEGER PRIMARY KEY,
  t_first    REAL NOT NULL,
  t_last     REAL NOT NULL,
  n          INTEGER NOT NULL,
  ts         BLOB NOT NULL,
  kind       BLOB NOT NULL,
  instrument BLOB NOT NULL,
  p1         BLOB NOT NULL,
  q1         BLOB NOT NULL,
  p2         BLOB NOT NULL,
  q2         BLOB NOT NULL
);
CREATE TABLE funding (
  instrument_idx INTEGER NOT NULL,
  ts             REAL NOT NULL,
  rate           TEXT NOT NULL,
  mark_price     TEXT NOT NULL
);
CREATE TABLE depth_snapshots (
  id             INTEGER PRIMARY KEY,
  instrument_idx INTEGER NOT NULL,
  ts             REAL NOT NULL,
  bids           BLOB NOT NULL,
  asks           BLOB NOT NULL
);
CREATE TABLE gaps (
  instrument_idx INTEGER NOT NULL,
  from_ts        REAL NOT NULL,
  to_ts          REAL NOT NULL
);
`
