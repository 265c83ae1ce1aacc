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
    return `${key || "(top level)"}: ${withoutSecrets(issue.message, issue.path)}`
  })

/** keys whose values are never written back: an accounts file's credentials, or a hedge config given by mistake */
const SECRET_KEY = /secret|private|api_?key|token|password/i

/**
 * A value the file gave where another was expected is shown only when it is a plain value under
 * no secret's key: a whole mapping or list (a hedge config given for an accounts file) may hold
 * credentials, and is named by its kind instead.
 */
const withoutSecrets = (message: string, path: ReadonlyArray<PropertyKey>): string => {
  const at = message.lastIndexOf(", actual ")
  if (at < 0) return message
  const actual = message.slice(at + ", actual ".length).trimStart()
  const kind = actual.startsWith("{") ? "a mapping" : actual.startsWith("[") ? "a list" : undefined
  if (kind !== undefined) return `${message.slice(0, at)}, got ${kind}`
  return path.some((key) => SECRET_KEY.test(String(key))) ? `${message.slice(0, at)}, got another value (not shown: a secret's key)` : message
}

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
