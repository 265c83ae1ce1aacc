/**
 * The live runner under the local exchange's faults (`npm run exchange` and `npm run live` as
 * child processes on loopback): a placement whose answer is lost and that the venue books only
 * after the bot's first look-up of its client id, with a signing window longer than the request
 * timeout, is found within a second or so, not at the window's end.
 */
import * as fs from "node:fs"
import { afterEach, describe, expect, it } from "vitest"
import { inspectJournal, type LocalExchange, startLocalExchange } from "./support/live-processes"
import { runsFlat } from "./support/runs-flat"

let running: Array<LocalExchange> = []
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()))
  running = []
})

/** one HTTP fault on `route`, fired once */
const once = (route: string, fault: string, venue: string) => `http:\n  - route: "${route}"\n    venue: ${venue}\n    times: 1\n    fault: ${fault}\n`

/** the written config with one more key in its `section:` (e.g. `aster:` → recv_window) */
const withKey = (local: LocalExchange, section: string, line: string) =>
  fs.writeFileSync(local.config, fs.readFileSync(local.config, "utf8").replace(new RegExp(`^(${section}:\\n)`, "m"), `$1  ${line}\n`), { mode: 0o600 })

describe("npm run live: a lost placement the venue books after the first look-up", () => {
  // Was: looked up once, then a blind wait until the signing window ended: with recv_window
  // 60000 a hedge booked at 11 s was seen ~50 s later, its fill counted unhedged meanwhile, and the
  // kill switch stopped the run (exit 3) though it had been hedged at 11 s.
  it("a hedge answered late (past the request timeout, inside recv_window 60000) and booked then: hedged as soon as booked, the run completes", async () => {
    const local = await startLocalExchange({ maxCycles: 1, faults: once("POST /fapi/v1/order", "{ kind: delay, ms: 11000 }", "aster-futures") })
    running.push(local)
    withKey(local, "aster", "recv_window: 60000")
    const { live } = await runsFlat(local)
    expect(local.exchange.output()).toMatch(/fault delay \(ms 11000\) on aster-futures POST \/fapi\/v1\/order/)
    expect(live.output()).not.toMatch(/kill switch/)
  }, 180_000)

  // Was: the same blind wait on Backpack: with bp.window 60000 a maker order booked at 6 s filled
  // at once, and its fill stayed unhedged ~55 s although the order stream had reported it.
  it("a maker order answered late (past the request timeout, inside bp.window 60000) and filled at once: its fill is hedged within seconds", async () => {
    const local = await startLocalExchange({ maxCycles: 1, faults: once("POST /api/v1/order", "{ kind: delay, ms: 6000 }", "backpack") })
    running.push(local)
    withKey(local, "bp", "window: 60000")
    const { live } = await runsFlat(local)
    expect(local.exchange.output()).toMatch(/fault delay \(ms 6000\) on backpack POST \/api\/v1\/order/)
    const fills = (await inspectJournal(`${local.dir}/journal.db`)).fills
    const firstMaker = fills.filter((f) => f.venue === "backpack").sort((a, b) => a.ts - b.ts)[0]!
    const firstHedge = fills.filter((f) => f.venue !== "backpack").sort((a, b) => a.ts - b.ts)[0]!
    expect(firstHedge.ts - firstMaker.ts, live.output()).toBeLessThan(10_000)
  }, 180_000)
})
