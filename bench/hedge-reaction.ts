/**
 * Hedge reaction time, measured in the bot's process as the issue defines it: from the moment a
 * maker fill message arrives on the Backpack socket to the moment the hedge's market order
 * request leaves for Aster. The local exchange runs on a worker thread (its own event loop, real
 * loopback sockets) and trades through every maker order as soon as it rests, so cycles run back
 * to back. The live runner's own stack is measured: the strategy, the journal (WAL, on a temp
 * file), the kill switch's observer and the log lines (as `npm run live` writes them), over the
 * real adapters.
 * `tsx bench/hedge-reaction.ts [FILLS]` prints one JSON line.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Socket from "@effect/platform/Socket"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Effect, Either, Layer, Logger, LogLevel } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Worker } from "node:worker_threads"
import { asterOptionsFromConfig, makeAsterExchange } from "../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { parseConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey, renderLocalBotConfig } from "../src/sim/local-exchange/bot-config"
import { makeDeferredLogger } from "../src/live/deferred-logger"
import { runLive } from "../src/live/runner"

const fills = Number(process.argv[2] ?? 1000)

const fillArrivedAt: Array<number> = []
const hedgeLeftAt: Array<number> = []

/** The real WebSocket, with a first listener stamping Backpack fill messages as they arrive. */
const stampingSockets = Layer.effect(
  Socket.WebSocketConstructor,
  Effect.map(Socket.WebSocketConstructor, (make) => (url: string, protocols?: string | Array<string>) => {
    const socket = make(url, protocols)
    socket.addEventListener("message", (event: MessageEvent) => {
      if (typeof event.data === "string" ? event.data.includes('"orderFill"') : String(event.data).includes('"orderFill"')) fillArrivedAt.push(performance.now())
    })
    return socket
  })
).pipe(Layer.provide(NodeSocket.layerWebSocketConstructor))

/** The real HTTP client, stamping each Aster market order just before it is sent. */
const stampingHttp = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.tapRequest(client, (request) =>
      Effect.sync(() => {
        // the form body carries the order; a market order is the only kind sent to Aster here
        if (request.method === "POST" && request.url.endsWith("/fapi/v1/order")) hedgeLeftAt.push(performance.now())
      })))
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

// the journal, the log and the exchange's market file; removed however the bench ends
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-reaction-"))
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }))

const key = generateBackpackTestKey()
const worker = new Worker(new URL("./ts-worker.mjs", import.meta.url), {
  workerData: { script: new URL("./reaction-exchange-worker.ts", import.meta.url).href, backpackAccount: key.publicKeyB64, dir }
})
const urls = await new Promise<{ backpack: string; asterFutures: string }>((resolve, reject) => {
  worker.once("message", resolve)
  worker.once("error", reject)
})

// the strategy logs as under `npm run live` (Info, the live command's deferred logger), into a file
const logFd = fs.openSync(path.join(dir, "run.log"), "w")
const logs = makeDeferredLogger(Logger.map(Logger.stringLogger, (line) => void fs.writeSync(logFd, `${line}\n`)))
const text = renderLocalBotConfig({
  variant: "futures",
  backpackUrl: urls.backpack,
  asterUrl: urls.asterFutures,
  backpackSymbol: "ASTER_USDC_PERP",
  asterSymbol: "ASTERUSDT",
  backpackKey: key,
  asterApiKey: DEFAULT_TEST_ACCOUNT.asterApiKey,
  asterApiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret,
  dataFile: "bench",
  createdAt: new Date(0).toISOString()
})
const parsed = Either.getOrThrow(parseConfig(text, "bench"))
const config = {
  ...parsed,
  trade: { ...parsed.trade, quantity: decimal("5"), offsetPercent: decimal("0"), firstWaitMs: 5000, betweenLegsSleepMs: 0, cycleSleepMs: 0, stopBeforeFundingMs: 0, maxCycles: Math.ceil(fills / 2) }
}

const program = Effect.gen(function*() {
  const started = performance.now()
  const result = yield* runLive({
    config,
    kind: "live",
    journalPath: path.join(dir, "journal.db"),
    venues: Effect.gen(function*() {
      const maker = yield* makeBackpackExchange(config.maker)
      const hedge = yield* makeAsterExchange({ ...asterOptionsFromConfig(config.hedge), tickerFromStream: true })
      return { maker, hedge }
    })
  }).pipe(Effect.scoped)
  const seconds = (performance.now() - started) / 1000
  // each hedge answers the latest fill that arrived before it
  const reactions: Array<number> = []
  let f = 0
  for (const left of hedgeLeftAt) {
    while (f + 1 < fillArrivedAt.length && fillArrivedAt[f + 1]! <= left) f += 1
    const arrived = fillArrivedAt[f]
    if (arrived !== undefined && arrived <= left) reactions.push(left - arrived)
  }
  reactions.sort((a, b) => a - b)
  return {
    fills: reactions.length,
    outcome: result.outcome,
    seconds,
    hedgeReactionP50Ms: percentile(reactions, 50),
    hedgeReactionP99Ms: percentile(reactions, 99),
    maxMs: reactions[reactions.length - 1]
  }
}).pipe(
  Effect.provide(Layer.mergeAll(stampingHttp, stampingSockets, Logger.replace(Logger.defaultLogger, logs.logger))),
  Logger.withMinimumLogLevel(LogLevel.Info)
)

Effect.runPromise(program).then(
  (result) => {
    console.log(JSON.stringify(result))
    process.exit(0)
  },
  (error) => {
    console.error(`hedge reaction bench failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
)
