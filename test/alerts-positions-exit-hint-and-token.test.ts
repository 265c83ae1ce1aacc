/**
 * The alerts a trader reads on a phone agree with themselves and with what the process does: the
 * end alert's positions add up to the net it states, the start-failed alert's hint follows the
 * exit code, and a refused alert's reason never carries the webhook's token.
 */
import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Data, Effect, Either, Exit, Redacted } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import { type Alert, type AlertsService, deliverAlert } from "../src/live/alerts"
import { reportFromJournal } from "../src/live/journal-report"
import { endedAlert } from "../src/live/run-alerts"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { journalFill, startRun, writing } from "./support/journal-writing"

const T0 = 1_758_675_600_000
const root = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-alerts-positions-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let files = 0
const newFile = () => path.join(root, `journal-${++files}.db`)

const runSync = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)


const collecting = (): AlertsService & { readonly sent: Array<Alert> } => {
  const sent: Array<Alert> = []
  return { sent, send: (alert) => Effect.sync(() => void sent.push(alert)) }
}

describe("the end alert", () => {
  // Was: src/live/run-alerts.ts:48,57 (endedAlert) lists each venue's `position` from the run's own
  // report, which counts only this run's fills, next to `finalNetPosition`, which starts from what
  // earlier runs left (journal-report.ts carriedInto). After a restart that hedged a killed run's leg
  // the alert reads "Hedged: net 0 across venues (backpack 0, aster-futures 10)": the listed positions
  // add up to 10, not 0. It should list what each venue holds (carried in + the run's fills): -10 and 10.
  it("after a restart that hedged a killed run's leg, the positions it lists add up to the net it states", () => {
    const file = newFile()
    const S2 = T0 + 100_000
    writing(file, (j) => {
      // run 1 sells 10 on Backpack and is killed before hedging it
      const id1 = startRun(j, T0)
      journalFill(j, id1, "backpack", "sell", "10", "2", T0 + 1_000)
      // run 2's start hedges the -10 it found (Aster +10), then it is stopped
      const id2 = startRun(j, S2)
      journalFill(j, id2, "aster-futures", "buy", "10", "2", S2 + 500)
      runSync(j.recordMark(id2, "backpack", decimal("2"), S2 + 1_000))
      runSync(j.recordMark(id2, "aster-futures", decimal("2"), S2 + 1_000))
      runSync(j.endRun(id2, { endedAt: S2 + 100_000, outcome: "stopped" }))
    })
    // the report the runner builds and alerts with as run 2 ends
    const report = Effect.runSync(reportFromJournal(file, { runId: 2 }))
    // what each venue holds as run 2 ends, as its kill switch (and progress lines) count it
    const held = [{ venue: "backpack", qty: decimal("-10") }, { venue: "aster-futures", qty: decimal("10") }]
    const text = endedAlert("live", 2, "stopped", undefined, report, held).text
    const listed = /across venues \(([^)]*)\)/.exec(text)?.[1] ?? ""
    const positions = Object.fromEntries(listed.split(", ").map((part) => part.split(" ") as [string, string]))
    expect(text).toContain("Hedged: net 0 across venues")
    // what the account holds on each venue: Backpack -10 (run 1's sale), Aster +10 (run 2's hedge)
    expect(positions).toEqual({ backpack: "-10", "aster-futures": "10" })
  })
})

/** What live.ts turns an Aster account in Hedge Mode into: a start refused with exit code 4. */
class AccountRefused extends Data.TaggedError("AccountRefused")<{ readonly reason: string }> {
  readonly exitCode = 4
  override get message() {
    return `refused: ${this.reason}`
  }
}

describe("the start-failed alert", () => {
  // Was: src/live/run-alerts.ts:64-69 (failedAlert) always says "Exit 1: a supervisor restarts it
  // after a pause", but runner.ts:468-472 sends it for any failure before the run's outcome, among
  // them the exit-4 refusals raised opening the venues (runner.ts:222; src/cli/live.ts:112 AccountRefused,
  // an Aster account in Hedge Mode), which no supervisor restarts. The hint must follow the exit code.
  it.scopedLive("a start refused with exit 4 (an Aster account in Hedge Mode) does not promise a restart", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(root, "refused-"))
      const config = testConfig({ alerts: { webhook_url: "https://x.test/h" } })
      const alerts = collecting()
      const refused = new AccountRefused({ reason: "the aster-futures account is in Hedge Mode (dual-side positions)" })
      expect(refused.exitCode).toBe(4)
      const exit = yield* Effect.exit(runLive({ config, kind: "live", journalPath: path.join(dir, "journal.db"), venues: Effect.fail(refused), alerts }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(alerts.sent.map((a) => a.event)).toEqual(["start-failed"])
      const text = alerts.sent[0]!.text
      expect(text).toContain("Hedge Mode")
      expect(text).not.toMatch(/Exit 1|supervisor restarts it/)
      expect(text).toMatch(/[Ee]xit 4/)
    }))
})

/** An endpoint answering every request as a default Express app answers an unknown route: 404, naming the path. */
const expressLike404 = async (pathname: string) => {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(404, { "content-type": "text/html; charset=utf-8" })
      res.end(`<!DOCTYPE html><html><body><pre>Cannot POST ${req.url}</pre></body></html>`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

describe("a refused alert's reason", () => {
  // Was: src/live/alerts.ts:104,118 scrubs the endpoint's answer only of whole secrets (the full
  // webhook URL among them), so an answer that echoes the URL's path (a default Express 404:
  // "Cannot POST /hooks/…/<token>") puts the token in the reason, which is logged (alerts.ts:146)
  // and printed by --test-alert. README: the log "never shows the URL (it holds a token)". The
  // reason should be scrubbed of the URL's path (and its token) as well.
  it("never carries the webhook URL's token, even when the endpoint echoes the path it was posted to", async () => {
    const token = "T0AAA/B0BBB/xoxb-secret-token-1234567890"
    const hook = await expressLike404(`/hooks/${token}`)
    try {
      const params = { webhookUrl: Redacted.make(hook.url), format: "json" as const, onStart: true, onHedgeFailure: true, onLossWarning: true, dailyDigest: true }
      const result = await Effect.runPromise(
        deliverAlert(params, { event: "test", severity: "info", kind: "live", text: "test" }, { secrets: [hook.url], retries: 0, timeout: "5 seconds" }).pipe(
          Effect.either,
          Effect.provide(NodeHttpClient.layerUndici)
        )
      )
      expect(Either.isLeft(result)).toBe(true)
      const reason = Either.isLeft(result) ? result.left.message : ""
      expect(reason).toMatch(/HTTP 404/)
      expect(reason).not.toContain("secret-token")
    } finally {
      await hook.close()
    }
  })
})
