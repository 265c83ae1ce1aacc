/**
 * `npm run exchange -- [DB] [--port-backpack N] [--port-aster N] [--port-aster-spot N] [--faults FILE] [--accounts FILE]
 *   [--config FILE] [--speed X] [--loop] [--write-config FILE] [--variant futures|spot]`
 * Runs the local exchange: Backpack and Aster servers on loopback, their markets replayed in real
 * time from a tick file, until Ctrl+C.
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Console, Effect, Option } from "effect"
import { parseConfigEffect } from "../core/config/config"
import { DEFAULT_TEST_ACCOUNT, defaultAccounts, loadAccounts } from "../sim/local-exchange/accounts"
import { generateBackpackTestKey, LOCAL_CONFIG_MARK, renderLocalBotConfig } from "../sim/local-exchange/bot-config"
import { describeFault, emptyFaultPlan, loadFaultPlan, makeFaults } from "../sim/local-exchange/faults"
import { startLocalExchange } from "../sim/local-exchange/local-exchange"
import { checkedNumber } from "./number-options"
import { runCli } from "./run-cli"

const db = Args.file({ name: "DB", exists: "yes" }).pipe(Args.withDescription("tick file (SQLite) to replay"), Args.withDefault("data/sample.db"))
/** a TCP port on 127.0.0.1 (0: any free one) */
const portOption = (name: string, description: string, fallback: number) =>
  Options.integer(name).pipe(
    Options.withDescription(description),
    Options.withDefault(fallback),
    Options.mapEffect(checkedNumber(name, (port) => port >= 0 && port <= 65535, "a port between 0 and 65535 (0 = any free port)"))
  )
const portBackpack = portOption("port-backpack", "Backpack server port on 127.0.0.1 (default 8701; 0 = any free port)", 8701)
const portAster = portOption("port-aster", "Aster futures (fapi) server port on 127.0.0.1 (default 8702; 0 = any free port)", 8702)
const portAsterSpot = portOption("port-aster-spot", "Aster spot (sapi) server port on 127.0.0.1 (default 8703; 0 = any free port)", 8703)
const faults = Options.file("faults", { exists: "yes" }).pipe(Options.withDescription("fault plan (YAML or JSON): delays, 5xx, 429, timeouts, malformed JSON, WebSocket drops, filter and market state changes"), Options.optional)
const accounts = Options.file("accounts", { exists: "yes" }).pipe(Options.withDescription("accounts file (YAML or JSON): Aster V1/V3 credentials, starting balances and pay_fee_in_aster"), Options.optional)
const config = Options.file("config", { exists: "yes" }).pipe(Options.withDescription("hedge config whose sim section sets fees and fill realism (default: the backtest's defaults)"), Options.optional)
const speed = Options.float("speed").pipe(
  Options.withDescription("replay speed: file seconds per second (default 1)"),
  Options.withDefault(1),
  Options.mapEffect(checkedNumber("speed", (x) => x > 0, "a speed above 0 (file seconds per second)"))
)
const loop = Options.boolean("loop").pipe(Options.withDescription("replay the file again from the start when it ends (else the market stays as it ended)"))
const writeConfig = Options.file("write-config").pipe(Options.withDescription("write a hedge config (the original bot's YAML) pointing at these servers, with test credentials"), Options.optional)
const variant = Options.choice("variant", ["futures", "spot"]).pipe(Options.withDescription("Aster market of the written config (default futures)"), Options.withDefault("futures" as const))

const command = Command.make("exchange", { db, portBackpack, portAster, portAsterSpot, faults, accounts, config, speed, loop, writeConfig, variant }, (args) =>
  Effect.scoped(
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const plan = Option.isSome(args.faults) ? yield* loadFaultPlan(args.faults.value) : emptyFaultPlan
      const accountBook = Option.isSome(args.accounts) ? yield* loadAccounts(args.accounts.value) : defaultAccounts()
      const hedgeConfig = Option.isSome(args.config) ? yield* parseConfigEffect(yield* fs.readFileString(args.config.value), args.config.value) : undefined
      // only a config this command wrote before is replaced: never a journal, nor a config holding real keys
      if (Option.isSome(args.writeConfig) && (yield* fs.exists(args.writeConfig.value))) {
        const existing = yield* fs.readFileString(args.writeConfig.value).pipe(Effect.orElseSucceed(() => ""))
        if (!existing.includes(LOCAL_CONFIG_MARK)) {
          return yield* Effect.fail(new Error(`--write-config ${args.writeConfig.value}: exists and is not a config written for the local exchange; not replaced (choose another file)`))
        }
      }

      const running = yield* startLocalExchange({
        dbPath: args.db,
        speed: args.speed,
        loop: args.loop,
        portBackpack: args.portBackpack,
        portAster: args.portAster,
        portAsterSpot: args.portAsterSpot,
        faults: makeFaults(plan, Date.now, (fired) => console.log(`local exchange: fault ${describeFault(fired)}`)),
        accounts: accountBook,
        ...(hedgeConfig !== undefined ? { config: hedgeConfig } : {})
      })
      const { urls, venues, data } = running
      const flags = [data.synthetic ? "synthetic" : "", data.proxy ? "proxy" : ""].filter((f) => f !== "").join(", ")
      yield* Console.log(`local exchange replaying ${data.path}${flags ? ` (${flags})` : ""}, ${data.from} → ${data.to}, at ${args.speed}×${args.loop ? ", looping" : ""}`)
      yield* Console.log(`  Backpack       ${venues.backpack.instrument.symbol.padEnd(16)} REST ${urls.backpack}         streams ${urls.backpackWs}`)
      yield* Console.log(`  Aster futures  ${venues.asterFutures.instrument.symbol.padEnd(16)} REST ${urls.asterFutures}  streams ${urls.asterFuturesWs}`)
      yield* Console.log(`  Aster spot     ${venues.asterSpot.instrument.symbol.padEnd(16)} REST ${urls.asterSpot}  streams ${urls.asterSpotWs}`)
      yield* Console.log(`in a config: bp.base_url: "${urls.backpack}"; aster.base_url: "${urls.asterFutures}" with aster.market: futures, or "${urls.asterSpot}" with aster.market: spot`)
      const asterNames = accountBook.aster.map((a) => a.account === DEFAULT_TEST_ACCOUNT.account ? `${a.account} (V1 key ${a.apiKey}, V3 signer ${a.signer})` : a.account)
      yield* Console.log(`accounts: Backpack: any ED25519 key; Aster: ${asterNames.length > 0 ? asterNames.join(", ") : "none"}`)
      const filterChanges = plan.filters?.length ?? 0
      const stateChanges = plan.markets?.length ?? 0
      const rules = plan.http.length + plan.socket.length === 0 ? [] : [`${plan.http.length} HTTP and ${plan.socket.length} WebSocket rules, seed ${plan.seed}`]
      const changes = [
        ...(filterChanges === 0 ? [] : [`${filterChanges} filter change${filterChanges === 1 ? "" : "s"}`]),
        ...(stateChanges === 0 ? [] : [`${stateChanges} market state change${stateChanges === 1 ? "" : "s"}`])
      ]
      yield* Console.log(`faults: ${rules.length + changes.length === 0 ? "none" : [...rules, ...changes].join("; ")}`)
      for (const warning of running.warnings) yield* Console.error(`warning: ${warning}`)

      if (Option.isSome(args.writeConfig)) {
        const file = args.writeConfig.value
        const text = renderLocalBotConfig({
          variant: args.variant,
          backpackUrl: urls.backpack,
          asterUrl: args.variant === "futures" ? urls.asterFutures : urls.asterSpot,
          backpackSymbol: venues.backpack.instrument.symbol,
          asterSymbol: (args.variant === "futures" ? venues.asterFutures : venues.asterSpot).instrument.symbol,
          backpackKey: generateBackpackTestKey(),
          asterApiKey: DEFAULT_TEST_ACCOUNT.asterApiKey,
          asterApiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret,
          dataFile: data.path,
          createdAt: new Date().toISOString()
        })
        yield* fs.makeDirectory(path.dirname(file), { recursive: true })
        yield* fs.writeFileString(file, text, { mode: 0o600 })
        yield* Console.log(`config written to ${file} (${args.variant}); its Backpack key pair was generated for it: a TEST key, accepted only here`)
        if (accountBook.asterV1(DEFAULT_TEST_ACCOUNT.asterApiKey) === undefined)
          yield* Console.error(`warning: ${file} uses the default Aster test account, which ${args.accounts.pipe(Option.getOrElse(() => "the accounts file"))} disables: put one of its Aster keys in it`)
      }
      yield* Effect.addFinalizer(() => Console.log("local exchange stopped"))
      yield* Console.log("Ctrl+C to stop")
      // it serves until stopped: Ctrl+C is its normal end (0), not a command cut short
      return yield* Effect.onInterrupt(Effect.never, () => Effect.sync(() => void (process.exitCode ??= 0)))
    })
  )
).pipe(Command.withDescription("Run a local Backpack + Aster exchange replaying a tick file in real time (for live-mode tests)"))

runCli(command, "hedgeloop exchange")
