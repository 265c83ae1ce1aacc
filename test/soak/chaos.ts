/**
 * Chaos soak of the live runner: `npm run chaos -- [--rounds N] [--seed S]`. Each round starts the
 * local exchange with a random fault plan (several faults at once, on both venues' routes and
 * streams), runs `npm run live` against it, kills it with SIGKILL at random moments and restarts
 * it on the same journal, and after the last run checks what a user must be able to count on:
 * - flat: both venues' own positions moved by exactly opposite amounts, and by none once a last
 *   run completed its cycles (its start unwound the pair the killed runs left);
 * - the journal knows it: nothing pending or in doubt, the venues' position changes equal the
 *   journal's fills on each venue, every killed run closed by the start after it;
 * - no order went out twice: the hedges' volume equals the maker fills' volume (a doubled hedge
 *   undone later would still end flat, at twice the fees);
 * - the report of the whole journal lists every fill, and its PnL reconciles with them exactly.
 * One round in three, a venue also changes its filters mid-run (a coarser Backpack tick, a larger
 * Aster step and minimum, or a minimum notional), as the fault plan's `filters` do; one in four,
 * a venue's market stops taking orders for 5 to 20 s (Backpack CancelOnly, Aster SETTLING or
 * HALT), as its `markets` do.
 * Half the rounds pay Aster's fees in ASTER ("Pay fee in ASTER"): their fills come back with
 * ASTER fees, through the stream and the trade history alike. On spot those fees come out of the
 * ASTER balance that stands for the position, so there flat means short by exactly them.
 * A last start that fails before trading (exit 1: the faults exhausted its reads) is started again,
 * up to 3 times, as a supervisor would. Slow (a round takes 10–60 s), so it is not part of `npm test`; a failed round keeps its folder
 * (config, fault plan, journal, every run's output) and the command exits 1.
 */
import { BigDecimal, Console, Effect, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { type Decimal, decimal, formatDecimal, sum, ZERO } from "../../src/core/domain/decimal"
import type { Fill } from "../../src/core/domain/order"
import { reportFromJournal } from "../../src/live/journal-report"
import { Command, Options } from "@effect/cli"
import { runCli } from "../../src/cli/run-cli"
import { type Rng, seededRng } from "../../src/sim/models/rng"
import { pnlFromListedCashFlows } from "../support/reconcile"
import { removeTempRoot } from "../support/scripted-market"
import { FEES_IN_ASTER_ACCOUNTS, inspectJournal, type LocalExchange, netChange, positions, type Started, startLive, startLocalExchange, waitFor } from "../support/live-processes"

const pick = <A>(rng: Rng, items: ReadonlyArray<A>): A => items[Math.floor(rng.next() * items.length)]!
const between = (rng: Rng, low: number, high: number) => low + Math.floor(rng.next() * (high - low + 1))

/** HTTP routes worth breaking, per variant: the maker's orders and cancels, the hedge's orders, any read. */
const httpRoutes = (variant: "futures" | "spot") => [
  { route: "POST /api/v1/order", venue: "backpack" },
  { route: "DELETE /api/v1/order", venue: "backpack" },
  { route: "GET *", venue: "backpack" },
  variant === "futures" ? { route: "POST /fapi/v1/order", venue: "aster-futures" } : { route: "POST /api/v1/order", venue: "aster-spot" },
  { route: "GET *", venue: "aster" },
  { route: "*", venue: "aster" }
]
const httpFaults = [
  "{ kind: status, status: 500 }",
  "{ kind: status, status: 502 }",
  "{ kind: status, status: 503 }",
  "{ kind: status, status: 504 }",
  "{ kind: rateLimit, retryAfterSeconds: 1 }",
  "timeout",
  "malformed",
  "reject",
  "{ kind: delay, ms: 800 }",
  "{ kind: delay, ms: 2500 }"
]
const streams = ["account.orderUpdate*", "user.orderUpdate", "user.accountUpdate", "*bookTicker*", "*"]
const socketFaults = ["drop", "duplicate", "disconnect", "malformed", "reorder", "{ kind: reorder, ms: 1000 }"]

/** A plan of 2–5 rules, each firing with a small probability a few times at most (harsher now and then). */
const randomPlan = (rng: Rng, variant: "futures" | "spot", seed: number): { readonly yaml: string; readonly summary: string } => {
  const http: Array<string> = []
  const socket: Array<string> = []
  const summary: Array<string> = []
  // one round in four is harsh: faults twice as likely, each firing up to ten times
  const harsh = rng.next() < 0.25
  for (let i = between(rng, 2, 5); i > 0; i--) {
    const probability = pick(rng, harsh ? [0.2, 0.3, 0.5] : [0.05, 0.1, 0.2, 0.3])
    const times = between(rng, 1, harsh ? 10 : 4)
    if (rng.next() < 0.6) {
      const { route, venue } = pick(rng, httpRoutes(variant))
      const drawn = pick(rng, httpFaults)
      // a business refusal answers orders, never reads
      const fault = drawn === "reject" && !route.startsWith("POST") ? "{ kind: status, status: 503 }" : drawn
      http.push(`  - route: "${route}"\n    venue: ${venue}\n    probability: ${probability}\n    times: ${times}\n    fault: ${fault}`)
      summary.push(`${venue} ${route} ${fault} p=${probability}×${times}`)
    } else {
      const stream = pick(rng, streams)
      const fault = pick(rng, socketFaults)
      socket.push(`  - stream: "${stream}"\n    probability: ${probability}\n    times: ${times}\n    fault: ${fault}`)
      summary.push(`${stream} ${fault} p=${probability}×${times}`)
    }
  }
  // one round in three, a venue changes its filters mid-run (the bot re-reads them when refused)
  const filters: Array<string> = []
  if (rng.next() < 1 / 3) {
    const hedgeVenue = variant === "futures" ? "aster-futures" : "aster-spot"
    const [venue, change] = pick(rng, [["backpack", `tick_size: "0.01"`], [hedgeVenue, `step_size: "0.1"\n    min_qty: "1"`], [hedgeVenue, `min_notional: "10"`]] as const)
    const after = between(rng, 1, 8)
    filters.push(`  - venue: ${venue}\n    after_orders: ${after}\n    ${change}`)
    summary.push(`${venue} filters after ${after} orders: ${change.replace(/\n\s*/g, ", ")}`)
  }
  // one round in four, a venue's market stops taking orders for a while, then reopens (the bot
  // holds its maker orders back meanwhile); drawn apart, so that earlier seeds keep their plans
  const markets: Array<string> = []
  const closing = seededRng(seed * 104729 + 3)
  if (closing.next() < 1 / 4) {
    const [venue, state] = pick(closing, [["backpack", "CancelOnly"], variant === "futures" ? ["aster-futures", "SETTLING"] : ["aster-spot", "HALT"]] as const)
    const from = between(closing, 3, 25)
    const lasting = between(closing, 5, 20)
    markets.push(`  - venue: ${venue}\n    after_seconds: ${from}\n    state: ${state}\n    for_seconds: ${lasting}`)
    summary.push(`${venue} ${state} from ${from} s for ${lasting} s`)
  }
  const yaml = `seed: ${seed}\n` + (http.length > 0 ? `http:\n${http.join("\n")}\n` : "") + (socket.length > 0 ? `socket:\n${socket.join("\n")}\n` : "") +
    (filters.length > 0 ? `filters:\n${filters.join("\n")}\n` : "") + (markets.length > 0 ? `markets:\n${markets.join("\n")}\n` : "")
  return { yaml, summary: `${harsh ? "harsh: " : ""}${summary.join("; ")}` }
}

/** how many times a start that failed before trading is started again */
const MAX_RESTARTS = 3

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits for the process to end. With `stopAfterMs`, asks it to stop (SIGINT, as Ctrl+C does) that
 * long after it has started trading (its reconciliation logged: a signal while Node is still
 * loading kills it outright, which is a kill, not a stop). Killed if still running 2 minutes on.
 */
const finish = async (run: Started, stopAfterMs: number | undefined): Promise<number | null> => {
  const kill = setTimeout(() => run.process.kill("SIGKILL"), 120_000)
  try {
    if (stopAfterMs !== undefined) {
      const trading = await waitFor(run, /reconciled:/).then(() => true, () => false)
      if (trading) {
        await sleep(stopAfterMs)
        // not once it has written its report: it is exiting, and Node's own SIGINT would kill it
        if (run.process.exitCode === null && !/live report/.test(run.output())) run.process.kill("SIGINT")
      }
    }
    return await run.exited
  } finally {
    clearTimeout(kill)
  }
}

/**
 * How a run may end under faults: completed or stopped (0), the kill switch (3), or exit 1 with its
 * reason when a venue refused a maker order for good, or failed it so often at start-up that it
 * never began trading (a supervisor starts it again a minute later). A crash is none of them.
 */
const expectedExit = (code: number | null, output: string) =>
  code === 0 || code === 3 ||
  (code === 1 && /error: failed: backpack( refused the request|: insufficient balance)/.test(output)) ||
  (code === 1 && !/reconciled:/.test(output) && /^error: .+$/m.test(output))

/** The venues' positions, read through the same faults the bot meets: asked again until they answer. */
const positionsDespiteFaults = async (config: string) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await positions(config)
    } catch (error) {
      if (attempt === 20) throw error
      await sleep(300)
    }
  }
}

const absSum = (values: ReadonlyArray<Decimal>) => sum(values.map((v) => BigDecimal.abs(v)))

/** On spot, the fees the hedges paid in ASTER: they come out of the balance that stands for the position. */
const spotFeesInAster = (variant: "futures" | "spot", fills: ReadonlyArray<Fill>): Decimal =>
  variant === "spot" ? sum(fills.filter((f) => f.venue === "aster-spot" && f.feeAsset === "ASTER").map((f) => f.fee)) : ZERO

interface RoundResult {
  readonly ok: boolean
  readonly line: string
}

const round = async (seed: number): Promise<RoundResult> => {
  const rng = seededRng(seed)
  const variant = rng.next() < 0.7 ? "futures" : "spot"
  const plan = randomPlan(rng, variant, seed)
  // drawn apart, so that a seed's fault plan and moments stay what they were before this choice existed
  const feesInAster = seededRng(seed * 7919 + 1).next() < 0.5
  const local: LocalExchange = await startLocalExchange({
    variant,
    faults: plan.yaml,
    maxCycles: between(rng, 2, 4),
    ...(feesInAster ? { accounts: FEES_IN_ASTER_ACCOUNTS } : {})
  })
  const started = Date.now()
  const outputs: Array<string> = []
  const problems: Array<string> = []
  const codes: Array<string> = []
  const keepFolder = () => {
    const keep = fs.mkdtempSync(path.join(process.cwd(), ".chaos-failed-"))
    fs.cpSync(local.dir, keep, { recursive: true })
    outputs.forEach((text, i) => fs.writeFileSync(path.join(keep, `run-${i + 1}.log`), text))
    fs.writeFileSync(path.join(keep, "exchange.log"), local.exchange.output())
    return keep
  }
  /** The round's line: ok, or FAIL with its problems and the folder kept for them. */
  const verdict = (outcome: string): RoundResult => {
    const line = `seed ${seed} ${variant}${feesInAster ? " (fees in ASTER)" : ""} [${plan.summary}] runs: ${codes.join(", ")}; ${outcome}; ${((Date.now() - started) / 1000).toFixed(0)} s`
    return problems.length === 0 ? { ok: true, line: `ok   ${line}` } : { ok: false, line: `FAIL ${line}\n     ${problems.join("\n     ")}\n     kept in ${keepFolder()}` }
  }
  try {
    const before = await positionsDespiteFaults(local.config)
    const journal = path.join(local.dir, "journal.db")
    const kills = between(rng, 0, 2)
    for (let k = 0; k < kills; k++) {
      const run = startLive(local.config, journal)
      await sleep(between(rng, 300, 6000))
      run.process.kill("SIGKILL")
      await run.exited
      codes.push(run.process.exitCode === null ? "kill" : `exit ${run.process.exitCode}`)
      outputs.push(run.output())
    }
    let last = startLive(local.config, journal)
    // now and then the last run is stopped by Ctrl+C before its cycles are done, whatever it is doing
    let code = await finish(last, rng.next() < 0.3 ? between(rng, 0, 6000) : undefined)
    codes.push(code === null ? `killed (${last.process.signalCode})` : `exit ${code}`)
    outputs.push(last.output())
    // a start the faults failed before it traded (exit 1) is started again, as a supervisor does
    // (systemd's Restart=on-failure): what an earlier run left is then reconciled
    for (let restart = 0; restart < MAX_RESTARTS && code === 1 && !/reconciled:/.test(last.output()); restart++) {
      last = startLive(local.config, journal)
      code = await finish(last, undefined)
      codes.push(code === null ? `killed (${last.process.signalCode})` : `restarted, exit ${code}`)
      outputs.push(last.output())
    }
    // 0: completed or stopped; 3: the kill switch (a hedge venue refusing hedges); either must leave us flat
    if (!expectedExit(code, last.output())) problems.push(`last run exited ${code}`)

    const after = await positionsDespiteFaults(local.config)
    const net = netChange(before, after)
    // on spot, fees taken in ASTER come out of the ASTER balance that stands for the position:
    // flat then means short of the pair by exactly them (the journal has each fill's fee)
    const spotFees = spotFeesInAster(variant, (await inspectJournal(journal).catch(() => undefined))?.fills ?? [])
    if (formatDecimal(net) !== formatDecimal(BigDecimal.negate(spotFees))) {
      problems.push(`not flat: net position change ${formatDecimal(net)}${BigDecimal.isZero(spotFees) ? "" : ` (the spot fees in ASTER are ${formatDecimal(spotFees)})`}`)
    }
    // every run failed before it began (a start-up refused by the faults): nothing may have moved
    const neverRan = !outputs.some((text) => /live run \d+ started/.test(text))
    if (neverRan) {
      if (!BigDecimal.equals(after.maker, before.maker) || !BigDecimal.equals(after.hedge, before.hedge)) problems.push("positions moved although no run began")
      return verdict("no run began")
    }
    const state = await inspectJournal(journal)
    if (state.pending.length > 0) problems.push(`${state.pending.length} intent(s) still pending`)
    if (state.inDoubt.length > 0) problems.push(`${state.inDoubt.length} hedge(s) still in doubt`)
    // a last run that got through its start closed every killed run, unless a venue's history still lagged
    if (/reconciled:/.test(last.output()) && !/stays open/.test(last.output())) {
      const open = state.runs.slice(0, -1).filter((run) => Option.isNone(run.endedAt)).map((run) => run.id)
      if (open.length > 0) problems.push(`run(s) ${open.join(", ")} left open by the last start`)
    }
    const hedgeVenue = variant === "futures" ? "aster-futures" : "aster-spot"
    const makerMoved = formatDecimal(BigDecimal.subtract(after.maker, before.maker))
    const hedgeMoved = formatDecimal(BigDecimal.subtract(after.hedge, before.hedge))
    // a last run that did all its cycles first unwound whatever pair the killed runs left
    if (/done, last cycle/.test(last.output()) && makerMoved !== "0" && !/\[Unwind\] .* is left as it is/.test(last.output())) {
      problems.push(`Backpack's position moved ${makerMoved} although the last run completed its cycles: a pair was left, not unwound`)
    }
    if (state.makerQty !== makerMoved) problems.push(`journal's maker fills ${state.makerQty} ≠ Backpack's position change ${makerMoved}`)
    const hedgeFillsLessFees = formatDecimal(BigDecimal.subtract(decimal(state.hedgeQty(hedgeVenue)), spotFees))
    if (hedgeFillsLessFees !== hedgeMoved) problems.push(`journal's hedge fills less the spot fees in ASTER ${hedgeFillsLessFees} ≠ Aster's position change ${hedgeMoved}`)
    const signed = (venue: string) => state.fills.filter((f) => f.venue === venue).map((f) => (f.side === "buy" ? f.qty : BigDecimal.negate(f.qty)))
    const makerVolume = absSum(signed("backpack"))
    const hedgeVolume = absSum(signed(hedgeVenue))
    if (!BigDecimal.equals(makerVolume, hedgeVolume)) {
      problems.push(`hedge volume ${formatDecimal(hedgeVolume)} ≠ maker volume ${formatDecimal(makerVolume)} (an order sent twice, or a hedge missed and made up)`)
    }
    const tradeIds = state.fills.map((f) => `${f.venue}/${f.tradeId}`)
    if (new Set(tradeIds).size !== tradeIds.length) problems.push("a fill journalled twice")
    // the report of the whole journal (every run and restart), as `npm run report` builds it
    const report = await Effect.runPromise(reportFromJournal(journal))
    if (report.fills.length !== state.fills.length) problems.push(`the report lists ${report.fills.length} fills, the journal holds ${state.fills.length}`)
    if (pnlFromListedCashFlows(report) !== report.totals.pnl) problems.push(`the report's PnL ${report.totals.pnl} ≠ ${pnlFromListedCashFlows(report)} from the fills and funding it lists`)
    return verdict(`maker volume ${formatDecimal(makerVolume)}`)
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error))
    return verdict("the round broke off")
  } finally {
    await local.stop()
  }
}

const rounds = Options.integer("rounds").pipe(Options.withDescription("rounds to run, each on its own seed (default 10)"), Options.withDefault(10))
const seed = Options.integer("seed").pipe(Options.withDescription("the first round's seed; round i runs seed + i (default 1)"), Options.withDefault(1))

const command = Command.make("chaos", { rounds, seed }, (options) =>
  Effect.gen(function*() {
    if (options.rounds < 0 || options.seed < 0) return yield* Effect.fail(new Error("--rounds and --seed are whole numbers, 0 or more"))
    let failed = 0
    for (let i = 0; i < options.rounds; i++) {
      const seedOfRound = options.seed + i
      const result = yield* Effect.promise(() =>
        round(seedOfRound).catch((error: unknown): RoundResult => ({ ok: false, line: `FAIL seed ${seedOfRound}: ${error instanceof Error ? error.message : String(error)}` }))
      )
      if (!result.ok) failed++
      yield* Console.log(result.line)
    }
    removeTempRoot()
    yield* Console.log(`${options.rounds - failed} of ${options.rounds} rounds held`)
    if (failed > 0) process.exitCode = 1
  })
).pipe(Command.withDescription("Chaos soak of the live runner against the local exchange: random fault plans, stops and kill -9, each round checked flat and its journal consistent."))

runCli(command, "hedgeloop chaos")
