/**
 * The commands' log lines on the console, as the backtest prints them: the time, the level, the
 * text (`2026-12-04T04:13:57.038Z INFO  [Cycle 1] start of a new hedge cycle`), and a failure's
 * cause on the lines after. Effect's own default is logfmt (fiber ids, the text quoted and
 * escaped), which a trader watching a run has to read through.
 */
import { Cause, Logger } from "effect"
import { formatLogLine } from "../core/log-line"

/** Each line's text, cause included: the console's, or a file's (the reaction bench's run log). */
export const logLineText: Logger.Logger<unknown, string> = Logger.make(({ cause, date, logLevel, message }) => {
  const line = formatLogLine(date.toISOString(), logLevel, message)
  return Cause.isEmpty(cause) ? line : `${line}\n${Cause.pretty(cause)}`
})

/** stdout, so lines stay in order with everything else a command prints there */
export const consoleLogger: Logger.Logger<unknown, void> = Logger.map(logLineText, (line) => globalThis.console.log(line))
