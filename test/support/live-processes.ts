/**
 * The live runner end to end, as a user runs it: `npm run exchange` and `npm run live` as child
 * processes on loopback. The market is a scripted tick file where trades cross both sides every
 * 250 ms, so every maker order fills within a second and a cycle takes about two.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { BigDecimal, Effect, Either, Layer, Schema } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { asterOptionsFromConfig, makeAsterExchange } from "../../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../../src/adapters/backpack/exchange"
import { type HedgeConfig, parseConfig } from "../../src/core/config/config"
import { type Decimal, formatDecimal, fromUnits, sum } from "../../src/core/domain/decimal"
import { RunReport } from "../../src/core/report/report"
import { openJournal } from "../../src/live/journal"
import { DEFAULT_TEST_ACCOUNT } from "../../src/sim/local-exchange/accounts"
import { openTickFile } from "../../src/sim/tickstore/reader"
import { TickKind } from "../../src/sim/tickstore/types"
import { tempDir, writeScript } from "./scripted-market"

/** Ten minutes of a two-sided market on both venues; trades alternate through both sides. */
export const crossingMarket = (): string =>
  writeScript(
    Array.from({ length: 2400 }, (_, i) => [
      { t: i * 250, venue: "bp" as const, quote: ["1.9990", "500", "2.0010", "500"] as const },
      { t: i * 250, venue: "as" as const, quote: ["1.9995", "5000", "2.0005", "5000"] as const },
      { t: i * 250 + 100, venue: "bp" as const, trade: [i % 2 ? "2.0200" : "1.9800", "1000", i % 2 ? "buy" : "sell"] as const }
    ]).flat()
  )

/**
 * Ten minutes of a market whose quote swings through our prices (paper trading fills a resting
 * order only when the opposite quote reaches it): every 400 ms mid, up 1.5 %, mid, down 1.5 %,
 * so the ticker polled every 250 ms sees each state; trades print at 2.0000 (the last price).
 */
export const swingingMarket = (): string =>
  writeScript(
    Array.from({ length: 1500 }, (_, i) => {
      const bp = [["1.9990", "2.0010"], ["2.0300", "2.0320"], ["1.9990", "2.0010"], ["1.9680", "1.9700"]][i % 4]!
      return [
        { t: i * 400, venue: "bp" as const, quote: [bp[0]!, "500", bp[1]!, "500"] as const },
        { t: i * 400, venue: "as" as const, quote: ["1.9995", "5000", "2.0005", "5000"] as const },
        { t: i * 400 + 100, venue: "bp" as const, trade: ["2.0000", "1", i % 2 ? "buy" : "sell"] as const },
        { t: i * 400 + 100, venue: "as" as const, trade: ["2.0000", "1", i % 2 ? "buy" : "sell"] as const }
      ]
    }).flat()
  )

export interface Started {
  readonly process: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** A command run under tsx, its stdout and stderr gathered as one text. */
export const startCommand = (script: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Started => {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let text = ""
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()))
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { process: child, output: () => text, exited }
}

/** Resolves once the output matches, fails if the process ends first or after `ms`. */
export const waitFor = async (started: Started, pattern: RegExp, ms = 60_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!pattern.test(started.output())) {
    if (started.process.exitCode !== null) throw new Error(`process exited (${started.process.exitCode}) before ${pattern}:\n${started.output()}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${started.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export interface LocalExchange {
  readonly dir: string
  /** the config `--write-config` wrote, made fast (see `fastConfig`) */
  readonly config: string
  readonly exchange: Started
  readonly stop: () => Promise<void>
}

/** Short waits, a cycle limit, no funding pause (a test may run a minute before a funding time). */
export const fastConfig = (text: string, maxCycles: number, extra = ""): string =>
  text
    .replace(/offset_percent: .*/, "offset_percent: 0")
    .replace(/first_wait_seconds: .*/, "first_wait_seconds: 3")
    .replace(/between_legs_sleep: .*/, "between_legs_sleep: 0.2")
    .replace(/stop_before_funding_minutes: .*/, "stop_before_funding_minutes: 0")
    .replace(/cycle_sleep: .*/, `cycle_sleep: 0.2\n  max_cycles: ${maxCycles}`) + extra

/** An accounts file for `startLocalExchange`: the local exchange's test account, with Aster's "Pay fee in ASTER" on. */
export const FEES_IN_ASTER_ACCOUNTS = [
  "default_account: false",
  "aster:",
  "  - account: test",
  `    api_key: ${DEFAULT_TEST_ACCOUNT.asterApiKey}`,
  `    api_secret: ${DEFAULT_TEST_ACCOUNT.asterApiSecret}`,
  `    user: "${DEFAULT_TEST_ACCOUNT.asterUser}"`,
  `    signer: "${DEFAULT_TEST_ACCOUNT.asterSigner}"`,
  "    pay_fee_in_aster: true",
  ""
].join("\n")

export const startLocalExchange = async (
  options: {
    readonly variant?: "futures" | "spot"
    readonly faults?: string
    readonly maxCycles: number
    readonly market?: string
    /** an accounts file (YAML) for `--accounts`: who may trade, with what balances */
    readonly accounts?: string
  }
): Promise<LocalExchange> => {
  const dir = tempDir()
  const written = path.join(dir, "local.yaml")
  const args = [options.market ?? crossingMarket(), "--port-backpack", "0", "--port-aster", "0", "--port-aster-spot", "0", "--write-config", written]
  if (options.variant === "spot") args.push("--variant", "spot")
  if (options.faults !== undefined) {
    const plan = path.join(dir, "faults.yaml")
    fs.writeFileSync(plan, options.faults)
    args.push("--faults", plan)
  }
  if (options.accounts !== undefined) {
    const file = path.join(dir, "accounts.yaml")
    fs.writeFileSync(file, options.accounts)
    args.push("--accounts", file)
  }
  const exchange = startCommand("src/cli/exchange.ts", args)
  await waitFor(exchange, /Ctrl\+C to stop/)
  const config = path.join(dir, "fast.yaml")
  fs.writeFileSync(config, fastConfig(fs.readFileSync(written, "utf8"), options.maxCycles), { mode: 0o600 })
  return {
    dir,
    config,
    exchange,
    stop: async () => {
      exchange.process.kill("SIGINT")
      await exchange.exited
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

export const startLive = (config: string, journal: string, extra: ReadonlyArray<string> = [], env: Record<string, string> = {}): Started =>
  startCommand("src/cli/live.ts", [config, "--journal", journal, ...extra], env)

export const startRecord = (args: ReadonlyArray<string>): Started => startCommand("src/cli/record.ts", args)

/** Both venues' positions as the venues report them (spot: the base balance), read over the wire. */
export const positions = (configPath: string): Promise<{ maker: Decimal; hedge: Decimal }> => {
  const config: HedgeConfig = Either.getOrThrow(parseConfig(fs.readFileSync(configPath, "utf8"), configPath))
  return Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const maker = yield* makeBackpackExchange(config.maker, { marketDataOnly: true })
      const hedge = yield* makeAsterExchange({ ...asterOptionsFromConfig(config.hedge), marketDataOnly: true })
      return { maker: (yield* maker.position).qty, hedge: (yield* hedge.position).qty }
    })).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)))
  )
}

/** What the hedge venue's wallet holds of `asset` (free + locked), as its signed balance read says. */
export const hedgeBalance = (configPath: string, asset: string): Promise<Decimal> => {
  const config: HedgeConfig = Either.getOrThrow(parseConfig(fs.readFileSync(configPath, "utf8"), configPath))
  return Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const hedge = yield* makeAsterExchange({ ...asterOptionsFromConfig(config.hedge), marketDataOnly: true })
      const held = (yield* hedge.balances).find((b) => b.asset === asset)
      return held === undefined ? BigDecimal.fromBigInt(0n) : BigDecimal.normalize(BigDecimal.sum(held.free, held.locked))
    })).pipe(Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)))
  )
}

/** The change of maker + hedge positions between two readings: what the bot left unhedged. */
export const netChange = (before: { maker: Decimal; hedge: Decimal }, after: { maker: Decimal; hedge: Decimal }): Decimal =>
  BigDecimal.normalize(BigDecimal.sum(BigDecimal.subtract(after.maker, before.maker), BigDecimal.subtract(after.hedge, before.hedge)))

/** The journal after a run: nothing in doubt, every run closed, and per run what it traded. */
export const inspectJournal = (file: string) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const journal = yield* openJournal(file, "read")
    const fills = yield* journal.fills()
    const qty = (venue: string) => formatDecimal(sum(fills.filter((f) => f.venue === venue).map((f) => (f.side === "buy" ? f.qty : BigDecimal.negate(f.qty)))))
    return {
      pending: yield* journal.pendingIntents(),
      inDoubt: yield* journal.hedgesInDoubt(),
      runs: yield* journal.runs(),
      fills,
      makerQty: qty("backpack"),
      hedgeQty: (venue: string) => qty(venue)
    }
  })))

/** A report file written by --report-json, decoded. */
export const readReport = (file: string) => Schema.decodeUnknownSync(RunReport)(JSON.parse(fs.readFileSync(file, "utf8")))

/** A tick file written by --record: its instruments and every tick as decimal strings. */
export const readRecording = (file: string) => {
  const f = openTickFile(file)
  try {
    const ticks: Array<{ readonly instrument: number; readonly ts: number; readonly kind: "quote" | "trade" | "depth"; readonly values: ReadonlyArray<string> }> = []
    for (const b of f.blocks()) {
      for (let i = 0; i < b.n; i++) {
        const { priceScale, qtyScale } = f.instruments[b.instrument[i]!]!
        const price = (units: number) => formatDecimal(fromUnits(units, priceScale))
        const qty = (units: number) => formatDecimal(fromUnits(units, qtyScale))
        const kind = b.kind[i]!
        const base = { instrument: b.instrument[i]!, ts: b.ts[i]! }
        if (kind === TickKind.Depth) {
          // "bids p q, p q | asks p q, …"
          const levels = f.depth(b.p1[i]!)
          const side = (l: ReadonlyArray<readonly [number, number]>) => l.map(([p, q]) => `${price(p)} ${qty(q)}`).join(", ")
          ticks.push({ ...base, kind: "depth", values: [side(levels.bids), side(levels.asks)] })
        } else {
          ticks.push({
            ...base,
            kind: kind === TickKind.Quote ? "quote" : "trade",
            values: kind === TickKind.Quote
              ? [price(b.p1[i]!), qty(b.q1[i]!), price(b.p2[i]!), qty(b.q2[i]!)]
              : [price(b.p1[i]!), qty(b.q1[i]!), kind === TickKind.TradeBuy ? "buy" : "sell"]
          })
        }
      }
    }
    return { instruments: f.instruments.map((i) => [i.venue, i.symbol]), funding: f.funding, ticks }
  } finally {
    f.close()
  }
}
