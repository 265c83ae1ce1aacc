/**
 * Reads the local exchange's own files (fault plans, accounts): YAML or JSON (YAML is a superset),
 * decoded with a Schema; every problem comes back as one line naming the key, e.g.
 * `http.0.probability: expected a probability between 0 and 1, got 2`.
 */
import { Either, ParseResult, Schema } from "effect"
import * as YAML from "yaml"

const describeIssues = (error: ParseResult.ParseError): ReadonlyArray<string> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const key = issue.path.map(String).join(".")
    if (issue._tag === "Unexpected") return `${key}: unknown key (check its spelling and section)`
    if (issue._tag === "Missing") return `${key}: missing (required)`
    return `${key || "(top level)"}: ${issue.message}`
  })

export const decodeYamlOrJson = <A, I>(schema: Schema.Schema<A, I>, text: string, expected: string): Either.Either<A, ReadonlyArray<string>> => {
  const doc = YAML.parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) return Either.left(doc.errors.map((e) => `YAML/JSON syntax: ${e.message.split("\n")[0]}`))
  const value: unknown = doc.toJS()
  if (value === null || typeof value !== "object" || Array.isArray(value)) return Either.left([`expected a mapping ${expected}`])
  return Either.mapLeft(Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(value), describeIssues)
}

/** A probability in [0, 1] with a message that says so. */
export const Probability = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n >= 0 && n <= 1, { message: (issue) => `expected a probability between 0 and 1, got ${JSON.stringify(issue.actual)}` })
)

export const PositiveInt = (what: string) =>
  Schema.Number.pipe(Schema.filter((n) => Number.isSafeInteger(n) && n >= 1, { message: (issue) => `expected ${what} (a whole number ≥ 1), got ${JSON.stringify(issue.actual)}` }))

export const NonNegative = (what: string) =>
  Schema.Number.pipe(Schema.filter((n) => Number.isFinite(n) && n >= 0, { message: (issue) => `expected ${what} (a number ≥ 0), got ${JSON.stringify(issue.actual)}` }))

/** A literal choice whose error lists every accepted value on one line. */
export const oneOf = <const L extends ReadonlyArray<string>>(...values: L) =>
  Schema.String.pipe(
    Schema.filter((s): s is L[number] => values.includes(s), {
      message: (issue) => `expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}, got ${JSON.stringify(issue.actual)}`
    })
  )
