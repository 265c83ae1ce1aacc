/**
 * Alerts to a webhook on loopback: each format's body, retries on a 5xx, a 429 or no answer,
 * no retry on a 4xx, the URL and the config's secrets never in a log line or a message, sending
 * that never waits for the endpoint, and what is queued when the run ends still sent.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Exit, Logger, Option, Redacted, Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { AlertParams } from "../src/core/config/config"
import { type Alert, makeWebhookAlerts, webhookBody } from "../src/live/alerts"
import { runCommand } from "./support/run-command"
import { tempDir } from "./support/scripted-market"
import { startWebhookServer, type WebhookServer } from "./support/webhook-server"

const params = (url: string, patch: Partial<AlertParams> = {}): AlertParams => ({
  webhookUrl: Redacted.make(url),
  format: "json",
  onStart: true,
  onHedgeFailure: true,
  onLossWarning: true,
  dailyDigest: true,
  ...patch
})

const alert = (text: string, patch: Partial<Alert> = {}): Alert => ({ event: "ended", severity: "critical", kind: "live", runId: 7, text, ...patch })

const T = Date.UTC(2026, 11, 1, 9, 30, 0)

describe("webhook bodies", () => {
  it("json carries the event, severity, run and time; slack, discord and telegram a line of text, clipped to their limits", () => {
    const a = alert("run 7 ended: kill-switch")
    expect(webhookBody(params("https://x.test/h"), a, T)).toEqual({
      source: "hedgeloop",
      event: "ended",
      severity: "critical",
      kind: "live",
      run: 7,
      time: "2026-12-01T09:30:00Z",
      text: "run 7 ended: kill-switch"
    })
    expect(webhookBody(params("https://x.test/h", { format: "slack" }), { ...a, severity: "info" }, T)).toEqual({ text: "run 7 ended: kill-switch" })
    expect(webhookBody(params("https://x.test/h", { format: "slack" }), a, T)).toEqual({ text: "🚨 run 7 ended: kill-switch" })
    const long = alert("x".repeat(5000), { severity: "warning" })
    const discord = webhookBody(params("https://x.test/h", { format: "discord" }), long, T) as { content: string }
    expect([discord.content.length, discord.content.startsWith("⚠️ x"), discord.content.endsWith("…")]).toEqual([2000, true, true])
    const telegram = webhookBody(params("https://x.test/h", { format: "telegram", telegramChatId: "-100123" }), long, T) as { chat_id: string; text: string }
    expect([telegram.chat_id, telegram.text.length]).toEqual(["-100123", 4096])
  })
})

let servers: Array<WebhookServer> = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})
const server = async (answer?: (n: number) => number | "hang" | Promise<number>) => {
  const s = await startWebhookServer(answer)
  servers.push(s)
  return s
}

/**
 * Runs `body` with alerts to `url` in a scope, collecting log lines; closes the scope (the run's
 * end) after it and returns what was logged.
 */
const withAlerts = async (
  p: AlertParams,
  body: (alerts: Effect.Effect.Success<ReturnType<typeof makeWebhookAlerts>>) => Effect.Effect<void>,
  options: Partial<Parameters<typeof makeWebhookAlerts>[1]> = {}
): Promise<Array<string>> => {
  const logged: Array<string> = []
  const logger = Logger.make(({ message }) => void logged.push(Array.isArray(message) ? message.join(" ") : String(message)))
  await Effect.runPromise(
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const alerts = yield* Scope.extend(makeWebhookAlerts(p, { secrets: ["sk-ASTER-secret-1"], retryBase: "20 millis", timeout: "300 millis", ...options }), scope)
      yield* body(alerts)
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  )
  return logged
}

describe("webhook delivery", () => {
  it("posts each alert as JSON, in order, with the config's secrets scrubbed from its text", async () => {
    const hook = await server()
    const logged = await withAlerts(params(hook.url), (alerts) =>
      Effect.gen(function*() {
        yield* alerts.send(alert("started", { event: "started", severity: "info" }))
        yield* alerts.send(alert("refused: the venue answered key sk-ASTER-secret-1 is invalid"))
      }))
    expect(hook.received.map((r) => [r.method, r.path, r.contentType, r.body.event, r.body.text])).toEqual([
      ["POST", "/hooks/T0/B0/secret-token-123", "application/json", "started", "started"],
      ["POST", "/hooks/T0/B0/secret-token-123", "application/json", "ended", "refused: the venue answered key <redacted> is invalid"]
    ])
    expect(logged).toEqual([])
  })

  it("retries a 5xx, a 429 and an endpoint that does not answer, then delivers once", async () => {
    const answers: Array<number | "hang"> = [503, 429, "hang", 200]
    const hook = await server((n) => answers[n - 1] ?? 200)
    const logged = await withAlerts(params(hook.url), (alerts) => alerts.send(alert("kill switch")))
    expect(hook.received.map((r) => r.body.text)).toEqual(["kill switch", "kill switch", "kill switch", "kill switch"])
    expect(logged).toEqual([])
  })

  it("gives up on a 4xx at once, and after the retries on a 5xx, saying why without the URL", async () => {
    const hook = await server((n) => (n === 1 ? 404 : 500))
    const logged = await withAlerts(params(hook.url, { format: "slack" }), (alerts) =>
      Effect.gen(function*() {
        yield* alerts.send(alert("first"))
        yield* alerts.send(alert("second", { event: "hedge-failed" }))
      }), { retries: 2 })
    // the 404 once; the 500 three times (the first attempt and two retries)
    expect(hook.received.map((r) => r.body.text)).toEqual(["🚨 first", "🚨 second", "🚨 second", "🚨 second"])
    expect(logged).toEqual([
      `alerts: the slack webhook refused the "ended" alert: HTTP 404: refused (404)`,
      `alerts: the slack webhook refused the "hedge-failed" alert: HTTP 500: refused (500)`
    ])
    for (const line of logged) expect(line).not.toMatch(/secret-token|127\.0\.0\.1/)
  })

  it("a connection refused is retried and reported without the URL", async () => {
    const hook = await server()
    const url = hook.url
    await hook.close()
    servers = []
    const logged = await withAlerts(params(url), (alerts) => alerts.send(alert("lost")), { retries: 1 })
    expect(logged.length).toBe(1)
    expect(logged[0]).toMatch(/^alerts: the json webhook refused the "ended" alert: the request failed \(Transport\)$/)
  })

  it("sending never waits for the endpoint; the run's end waits for what is queued, within its deadline", async () => {
    // the endpoint answers nothing until released
    let release: () => void = () => {}
    const released = new Promise<number>((resolve) => (release = () => resolve(200)))
    const hook = await server(() => released)
    let answeredWhenQueued = -1
    await withAlerts(params(hook.url), (alerts) =>
      Effect.gen(function*() {
        for (const text of ["a", "b", "c"]) yield* alerts.send(alert(text))
        yield* Effect.promise(() => hook.waitFor(1))
        // all three sent by the run while the endpoint sat on the first
        answeredWhenQueued = hook.received.length
        release()
      }))
    expect(answeredWhenQueued).toBe(1)
    // closing the scope waited for the other two
    expect(hook.received.map((r) => r.body.text)).toEqual(["a", "b", "c"])
  })

  it("an endpoint that never answers holds the run's end no longer than the deadline", async () => {
    const hook = await server(() => "hang")
    const logged = await withAlerts(params(hook.url), (alerts) => alerts.send(alert("stuck")), { timeout: "5 seconds", drainTimeout: "200 millis" })
    await hook.waitFor(1)
    expect(logged).toEqual(["alerts: some alerts were not sent before the run ended"])
  })

  it("a full queue drops the newest alert with a warning instead of waiting", async () => {
    const hook = await server(() => "hang")
    const logged = await withAlerts(params(hook.url), (alerts) =>
      Effect.gen(function*() {
        for (const text of ["1", "2", "3", "4"]) yield* alerts.send(alert(text))
      }), { capacity: 2, timeout: "5 seconds", drainTimeout: "100 millis" })
    // "1" is being sent, "2" and "3" wait, "4" finds the queue full
    expect(logged).toContain(`alerts: too many waiting, the "ended" alert was dropped`)
    expect(Option.fromNullable(hook.received[0]?.body.text)).toEqual(Option.some("1"))
  })
})

describe("npm run live -- CONFIG --test-alert", () => {
  const runLiveCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => runCommand("src/cli/live.ts", args, env)
  const configWith = (alerts: string) => {
    const file = path.join(tempDir(), "hedge.yaml")
    fs.writeFileSync(file, `${fs.readFileSync("config/hedge_futures.example.yaml", "utf8")}${alerts}`, { mode: 0o600 })
    return file
  }

  it("sends one message without keys or trading, and says whether the webhook took it (exit 0 or 1, the URL never shown)", async () => {
    const hook = await server((n) => (n === 1 ? 200 : 403))
    const config = configWith(`alerts:\n  webhook_url: "${hook.url}"\n  format: telegram\n  telegram_chat_id: -100777\n`)
    const ok = await runLiveCli([config, "--test-alert"])
    expect([ok.code, ok.stdout.trim()]).toEqual([0, "test alert delivered (telegram webhook, chat -100777)"])
    expect(hook.received.map((r) => [r.body.chat_id, r.body.text])).toEqual([["-100777", `hedgeloop: a test alert from ${config}; a live run's start, hedge failures and end will come here`]])
    const refused = await runLiveCli([config, "--test-alert"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error: the telegram webhook did not take the alert: HTTP 403: refused \(403\)$/m)
    expect(refused.stdout + refused.stderr).not.toContain("secret-token")
  })

  it("without a webhook, says where to set one (exit 1); the environment's URL counts", async () => {
    const none = await runLiveCli([configWith(""), "--test-alert"])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/has no alerts webhook: set alerts\.webhook_url \(or HEDGELOOP_ALERTS_WEBHOOK_URL\) first/)
    const hook = await server()
    const fromEnvironment = await runLiveCli([configWith(""), "--test-alert"], { HEDGELOOP_ALERTS_WEBHOOK_URL: hook.url })
    expect(fromEnvironment.code, fromEnvironment.stderr).toBe(0)
    expect(hook.received.map((r) => [r.body.source, r.body.event, r.body.severity])).toEqual([["hedgeloop", "test", "info"]])
  })
})
