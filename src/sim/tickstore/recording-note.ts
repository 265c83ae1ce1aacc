/**
 * What a live recording's `meta.notes.recording` says about it (src/live/market-recorder.ts
 * writes it; a resumed recording and a backtest read it back).
 */
import { Option, Schema } from "effect"
import { RECORDING_NOTE } from "./schema"

/** A venue changed its filters while it was recorded: the file keeps those it started with. */
export const RecordedFilterChange = Schema.Struct({
  venue: Schema.String,
  symbol: Schema.String,
  /** ISO time the recorder saw the change */
  at: Schema.String,
  /** e.g. "tick 0.0001 → 0.001" */
  changes: Schema.Array(Schema.String)
})
export type RecordedFilterChange = typeof RecordedFilterChange.Type

export const RecordingNote = Schema.Struct({
  timestamps: Schema.String,
  /** the runs that recorded into the file */
  runs: Schema.Number,
  /** messages off the instruments' grids, not stored */
  skipped: Schema.optional(Schema.Number),
  filterChanges: Schema.optional(Schema.Array(RecordedFilterChange)),
  /**
   * each instrument's last tick (µs; null: none yet), as of the last commit: a restart's gap of a
   * silent instrument starts at its own last tick, not at the file's
   */
  lastTickUs: Schema.optional(Schema.Array(Schema.NullOr(Schema.Number)))
})
export type RecordingNote = typeof RecordingNote.Type

/** The note of a recording; none for another tick file, or a note this build cannot read. */
export const recordingNote = (notes: Readonly<Record<string, unknown>>): Option.Option<RecordingNote> =>
  notes[RECORDING_NOTE] === undefined ? Option.none() : Schema.decodeUnknownOption(RecordingNote)(notes[RECORDING_NOTE])
