/** Writes with a journal open for the duration of `f`, closed afterwards as a runner would. */
import { Effect, Exit, Scope } from "effect"
import { type JournalService, openJournal } from "../../src/live/journal"

export const writing = <A>(file: string, f: (journal: JournalService) => A): A => {
  const scope = Effect.runSync(Scope.make())
  try {
    return f(Effect.runSync(Scope.extend(openJournal(file, "write"), scope)))
  } finally {
    Effect.runSync(Scope.close(scope, Exit.void))
  }
}
