/**
 * Numbers on the command line checked as they are parsed: one out of range is a bad command line
 * (exit 2) whose message names the flag, not a failure deep inside the command (exit 1).
 */
import { HelpDoc, ValidationError } from "@effect/cli"
import { BigDecimal, Effect, Option } from "effect"
import { parseDecimal } from "../core/domain/decimal"

/** For `Options.mapEffect`: `value` if `accepts` it, else "--flag: expected EXPECTED, got VALUE". */
export const checkedNumber = (flag: string, accepts: (value: number) => boolean, expected: string) => (value: number): Effect.Effect<number, ValidationError.ValidationError> =>
  accepts(value) && Number.isFinite(value) ? Effect.succeed(value) : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${flag}: expected ${expected}, got ${value}`)))

/** For `Options.mapEffect` of a decimal given as text: kept as written if `accepts` its value, else "--flag: expected EXPECTED, got TEXT". */
export const checkedDecimal = (flag: string, accepts: (value: BigDecimal.BigDecimal) => boolean, expected: string) => (text: string): Effect.Effect<string, ValidationError.ValidationError> =>
  Option.match(parseDecimal(text.trim()), {
    onNone: () => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${flag}: expected ${expected}, got "${text}"`))),
    onSome: (value) => (accepts(value) ? Effect.succeed(text.trim()) : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${flag}: expected ${expected}, got ${text}`))))
  })
