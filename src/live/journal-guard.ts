/**
 * What a run does when its journal stops taking writes (disk full, an I/O error, the file taken
 * away): it stops trading, and still winds down. Dying on the first failed write, as a run
 * without a record must not go on, would leave the working order resting and the fills that come
 * to it unhedged while nobody watches; a position left unhedged costs more than a missing record.
 *
 * So the run's journal is wrapped once:
 * - the first failed write is logged and reported (`failed`): the runner stops the strategy,
 *   which cancels its working order and hedges the residual as at any stop;
 * - from then on writes are not attempted (a journal that failed once is not trusted with half a
 *   story), the log is the only record, and what is written stays consistent up to that moment;
 * - a new maker order still needs its record first (the intent of a limit order): without it a
 *   restart could not tell the order is ours. It fails, and the order is not sent. Cancels and
 *   hedges go out unrecorded: a restart reads what they did from the venues' positions, and finds
 *   the hedges by their client ids (`recoverUnrecordedHedges`: a spot venue's side is counted
 *   from the journal's fills).
 * Reads pass through, and so does opening a run (before it nothing is at stake: it fails as it is).
 */
import { Deferred, Effect } from "effect"
import type { JournalError, JournalService } from "./journal"

export interface GuardedJournal {
  readonly journal: JournalService
  /** completes with the first write that failed */
  readonly failed: Deferred.Deferred<JournalError>
  /** the first write that failed, if one did */
  readonly failure: () => JournalError | undefined
}

export const guardJournal = (journal: JournalService): Effect.Effect<GuardedJournal> =>
  Effect.map(Deferred.make<JournalError>(), (failed) => {
    let failure: JournalError | undefined
    const report = (error: JournalError) =>
      Effect.suspend(() => {
        if (failure !== undefined) return Effect.void
        failure = error
        return Effect.zipRight(
          Effect.logError(
            `${error.message}: the journal takes no more writes. Trading stops; the working order is cancelled and the residual hedged all the same, recorded only in this log`
          ),
          Deferred.succeed(failed, error)
        )
      })
    /** a write whose failure must not stop what follows: `skipped` stands for its result */
    const write = <A>(effect: Effect.Effect<A, JournalError>, skipped: A): Effect.Effect<A> =>
      Effect.suspend(() => (failure !== undefined ? Effect.succeed(skipped) : Effect.catchAll(effect, (error) => Effect.as(report(error), skipped))))
    /** a write that must succeed before acting */
    const writeFirst = <A>(effect: Effect.Effect<A, JournalError>): Effect.Effect<A, JournalError> =>
      Effect.suspend(() => (failure !== undefined ? Effect.fail(failure) : Effect.tapError(effect, report)))

    const guarded: JournalService = {
      ...journal,
      endRun: (runId, end) => write(journal.endRun(runId, end), undefined),
      fillsCompleted: (runId) => write(journal.fillsCompleted(runId), undefined),
      recordIntent: (intent) => (intent.kind === "limit" ? writeFirst(journal.recordIntent(intent)) : write(journal.recordIntent(intent), undefined)),
      recordIntentRefused: (clientId, reason, ts) => write(journal.recordIntentRefused(clientId, reason, ts), undefined),
      recordOrder: (runId, order, recordedAt) => write(journal.recordOrder(runId, order, recordedAt), undefined),
      // nothing new reached the journal
      recordFill: (runId, fill) => write(journal.recordFill(runId, fill), false),
      recordUpdate: (runId, update, recordedAt) => write(journal.recordUpdate(runId, update, recordedAt), undefined),
      recordHedge: (hedge) => write(journal.recordHedge(hedge), undefined),
      recordFunding: (runId, payment) => write(journal.recordFunding(runId, payment), false),
      recordCycleEvent: (event) => write(journal.recordCycleEvent(event), undefined),
      recordFilterChange: (change) => write(journal.recordFilterChange(change), undefined),
      recordMark: (runId, venue, price, ts) => write(journal.recordMark(runId, venue, price, ts), undefined),
      checkpoint: write(journal.checkpoint, undefined)
    }
    return { journal: guarded, failed, failure: () => failure }
  })
