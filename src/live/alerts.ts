/**
 * Messages to the trader: a webhook (Slack, Discord, Telegram, or any endpoint taking JSON) hears
 * when a run starts trading, when a hedge attempt fails, how a run ended, and each UTC day's
 * digest (run-alerts.ts, daily-digest.ts), so a bot stopped by its kill switch at night is known
 * about before morning.
 *
 * Sending never holds up trading: alerts wait in a bounded queue (the newest are dropped when it
 * is full) and one fiber posts them, retrying a 5xx, a 429 or a lost connection a few times.
 * What is still queued when the run's scope closes (its end) is sent before the process exits,
 * for at most `drainTimeout`. The URL holds a token: it is never logged, and every text is
 * scrubbed of the config's secrets.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Data, Duration, Effect, Fiber, Queue, Redacted, Ref, Schedule, type Scope } from "effect"
import { type AlertParams, scrubSecrets } from "../core/config/config"
import { utcTime } from "../core/domain/utc"
import type { RunKind } from "./journal"

/** `test`: the message of `npm run live -- CONFIG --test-alert` */
export type AlertEvent =
  | "started"
  | "hedge-failed"
  | "loss-warning"
  | "filters-changed"
  | "posting-held"
  | "posting-resumed"
  | "hedge-held"
  | "hedge-resumed"
  | "ended"
  | "start-failed"
  | "daily"
  | "test"
export type AlertSeverity = "info" | "warning" | "critical"

export interface Alert {
  readonly event: AlertEvent
  readonly severity: AlertSeverity
  /** one paragraph a person reads on a phone */
  readonly text: string
  readonly kind: RunKind
  readonly runId?: number
}

export interface AlertsService {
  /** queues the alert and returns at once */
  readonly send: (alert: Alert) => Effect.Effect<void>
}

/** For runs without alerts.webhook_url. */
export const noAlerts: AlertsService = { send: () => Effect.void }

/** Discord refuses content over 2000 characters, Telegram text over 4096. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

const MARK: Record<AlertSeverity, string> = { info: "", warning: "⚠️ ", critical: "🚨 " }

/** The request body each format expects. */
export const webhookBody = (params: AlertParams, alert: Alert, ts: number): unknown => {
  const line = `${MARK[alert.severity]}${alert.text}`
  switch (params.format) {
    case "slack":
      return { text: line }
    case "discord":
      return { content: clip(line, 2000) }
    case "telegram":
      return { chat_id: params.telegramChatId, text: clip(line, 4096), disable_web_page_preview: true }
    case "json":
      return {
        source: "hedgeloop",
        event: alert.event,
        severity: alert.severity,
        kind: alert.kind,
        ...(alert.runId !== undefined ? { run: alert.runId } : {}),
        time: utcTime(ts),
        text: alert.text
      }
  }
}

/** The endpoint's answer, or why none came; `retry` says whether a later attempt may succeed. */
export class AlertNotDelivered extends Data.TaggedError("AlertNotDelivered")<{ readonly format: AlertParams["format"]; readonly reason: string; readonly retry: boolean }> {
  override get message() {
    return `the ${this.format} webhook did not take the alert: ${this.reason}`
  }
}

export interface DeliveryOptions {
  /** the config's secrets, scrubbed from every text */
  readonly secrets: ReadonlyArray<string>
  /** per attempt (default 10 s) */
  readonly timeout?: Duration.DurationInput
  /** retries after the first attempt (default 3, 1 s apart, then doubling) */
  readonly retries?: number
  readonly retryBase?: Duration.DurationInput
}

/** a part of a webhook URL this long may be its token */
const TOKEN_LIKE_LENGTH = 12

/** The parts of a webhook URL that may carry its token: the path with its query, and each long segment or value. */
const urlSecrets = (url: string): ReadonlyArray<string> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return []
  }
  // a "%" that starts no escape stays as it is
  const decoded = (text: string) => {
    try {
      return decodeURIComponent(text)
    } catch {
      return text
    }
  }
  const pathAndQuery = `${parsed.pathname}${parsed.search}`
  const parts = [...parsed.pathname.split("/"), ...[...parsed.searchParams.values()]].flatMap((part) => [part, decoded(part)])
  return [...new Set([pathAndQuery, decoded(pathAndQuery), ...parts])].filter((part) => part.length >= TOKEN_LIKE_LENGTH)
}

/** Posts one alert, retrying what a later attempt may cure; fails with the last answer. */
const makeDelivery = (params: AlertParams, options: DeliveryOptions) =>
  Effect.gen(function*() {
    // no trace headers or spans towards a third party
    const client = HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true)
    const url = Redacted.value(params.webhookUrl)
    // an answer may echo the path it was posted to ("Cannot POST /services/…/<token>"): the URL's
    // path, query and each long part of them count as secrets too
    const secrets = [...options.secrets, ...urlSecrets(url)]
    const scrub = (text: string) => scrubSecrets(text, secrets)
    const timeout = Duration.decode(options.timeout ?? "10 seconds")
    const failed = (reason: string, retry: boolean) => new AlertNotDelivered({ format: params.format, reason, retry })

    const attempt = (body: unknown) =>
      client.execute(HttpClientRequest.bodyUnsafeJson(HttpClientRequest.post(url), body)).pipe(
        // the body is read so the connection is released; its text explains a refusal
        Effect.flatMap((response) => Effect.map(Effect.orElseSucceed(response.text, () => ""), (text) => ({ status: response.status, text }))),
        Effect.scoped,
        Effect.timeoutFail({ duration: timeout, onTimeout: () => failed(`no answer within ${Duration.format(timeout)}`, true) }),
        // the error's text would name the URL: only its kind is kept
        Effect.catchTag("RequestError", (error) => Effect.fail(failed(`the request failed (${error.reason})`, true))),
        Effect.catchTag("ResponseError", (error) => Effect.fail(failed(`the answer could not be read (${error.reason})`, true))),
        Effect.flatMap(({ status, text }) =>
          status < 300 ? Effect.void : Effect.fail(failed(`HTTP ${status}${text.trim() === "" ? "" : `: ${scrub(text.trim()).slice(0, 200)}`}`, status >= 500 || status === 429))
        )
      )

    const retry = Schedule.exponential(options.retryBase ?? "1 second").pipe(Schedule.intersect(Schedule.recurs(options.retries ?? 3)))
    return (alert: Alert, ts: number) =>
      attempt(webhookBody(params, { ...alert, text: scrub(alert.text) }, ts)).pipe(Effect.retry({ schedule: retry, while: (error) => error.retry }))
  })

/** Sends one alert now and says whether the endpoint took it (`npm run live -- CONFIG --test-alert`). */
export const deliverAlert = (params: AlertParams, alert: Alert, options: DeliveryOptions): Effect.Effect<void, AlertNotDelivered, HttpClient.HttpClient> =>
  Effect.flatMap(makeDelivery(params, options), (deliver) => Effect.flatMap(Clock.currentTimeMillis, (ts) => deliver(alert, ts)))

export interface WebhookOptions extends DeliveryOptions {
  /** how long the scope's end waits for queued alerts (default 10 s) */
  readonly drainTimeout?: Duration.DurationInput
  /** alerts that may wait (default 100) */
  readonly capacity?: number
}

export const makeWebhookAlerts = (params: AlertParams, options: WebhookOptions): Effect.Effect<AlertsService, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const post = yield* makeDelivery(params, options)
    const queue = yield* Queue.dropping<{ readonly alert: Alert; readonly ts: number }>(options.capacity ?? 100)
    /** queued or being sent */
    const outstanding = yield* Ref.make(0)
    const deliver = ({ alert, ts }: { readonly alert: Alert; readonly ts: number }) =>
      post(alert, ts).pipe(
        Effect.catchAll((error) => Effect.logWarning(`alerts: the ${params.format} webhook refused the "${alert.event}" alert: ${error.reason}`)),
        Effect.ensuring(Ref.update(outstanding, (n) => n - 1))
      )

    const worker = yield* Effect.forkDaemon(Effect.forever(Effect.flatMap(Queue.take(queue), deliver)))
    yield* Effect.addFinalizer(() =>
      // the run's last alerts (its end) go out before the process exits, within the deadline
      Ref.get(outstanding).pipe(
        Effect.repeat({ schedule: Schedule.spaced("25 millis"), until: (n) => n <= 0 }),
        Effect.timeout(options.drainTimeout ?? "10 seconds"),
        // finalizers run uninterruptibly: without this the deadline could not cut the wait short
        Effect.interruptible,
        Effect.catchAll(() => Effect.logWarning("alerts: some alerts were not sent before the run ended")),
        Effect.zipRight(Fiber.interrupt(worker)),
        Effect.zipRight(Queue.shutdown(queue))
      )
    )

    return {
      send: (alert) =>
        Effect.gen(function*() {
          const ts = yield* Clock.currentTimeMillis
          yield* Ref.update(outstanding, (n) => n + 1)
          if (!(yield* Queue.offer(queue, { alert, ts }))) {
            yield* Ref.update(outstanding, (n) => n - 1)
            yield* Effect.logWarning(`alerts: too many waiting, the "${alert.event}" alert was dropped`)
          }
        })
    }
  })
