/**
 * Hedge reaction time, measured in the bot's process as the issue defines it: from the moment a
 * maker fill message arrives on the Backpack socket to the moment the hedge's market order
 * request leaves for Aster. The local exchange runs on a worker thread (its own event loop, real
 * loopback sockets) and trades through every maker order as soon as it rests, so cycles run back
 * to back. The live runner's own stack is measured: the strategy, the journal (WAL, on a temp
 * file), the kill switch's observer and the log lines (as `npm run live` writes them), over the
 * real adapters.
 *
 * With `--floor`, the same run also measures what this machine allows any design: at each fill
 * message, before the bot sees it, the socket's first listener signs and sends a stand-in market
 * order itself, in turn over plain node:http (the least work a hedge needs: parse the message,
 * sign with HMAC, write on a kept-alive connection), through @effect/platform's HttpClient as the
 * adapters use it (a fiber run from the listener, tracing off, `Effect.timeout`, stamped where the
 * main figure is), and through the same client with the timeout kept by a timer instead
 * (`Effect.timeout` forks the request, which then waits for a turn of the scheduler). Those
 * requests go to a path the exchange does not serve (404), and they run ahead of the bot's own
 * hedge, so that run's bot figures are not reported.
 * With `--heap` (under `node --expose-gc`), the same loop runs for its memory instead: the heap
 * left after a full GC every 1000 hedges, and its growth per cycle over the run's last third. A
 * run of months must hold what its memories are bounded to (src/core/newest-entries.ts: the
 * largest keep the newest 10,000 orders), not grow with every cycle; a run of 15,000 fills has
 * them full over its last third. Its reaction times are not reported (the forced GCs pause the loop).
 * `tsx bench/hedge-reaction.ts [FILLS] [--floor | --heap]` prints one JSON line.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Socket from "@effect/platform/Socket"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Duration, Effect, Either, Layer, Logger, LogLevel } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { Worker } from "node:worker_threads"
import { asterOptionsFromConfig, makeAsterExchange } from "../src/adapters/aster/exchange"
import { hmacSha256Hex } from "../src/adapters/aster/signing-v1"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { parseConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey, renderLocalBotConfig } from "../src/sim/local-exchange/bot-config"
import { logLineText } from "../src/live/console-logger"
import { makeDeferredLogger } from "../src/live/deferred-logger"
import { runLive } from "../src/live/runner"

const args = process.argv.slice(2)
const floorMode = args.includes("--floor")
const heapMode = args.includes("--heap")
const gc = (globalThis as { gc?: () => void }).gc
if (heapMode && gc === undefined) {
  console.error("hedge-reaction --heap needs node's --expose-gc")
  process.exit(2)
}
const HEAP_SAMPLE_EVERY = 1000
const heapSamples: Array<{ readonly hedges: number; readonly heapMb: number }> = []
const sampleHeap = () => {
  gc!()
  heapSamples.push({ hedges: hedgeLeftAt.length, heapMb: Math.round(process.memoryUsage().heapUsed / 1e4) / 100 })
}

/** Least-squares slope of the heap over the last third of the samples, in KB per cycle (two hedges). */
const heapGrowthKbPerCycle = (samples: ReadonlyArray<{ readonly hedges: number; readonly heapMb: number }>): number | null => {
  const last = samples.slice(Math.floor((samples.length * 2) / 3))
  if (last.length < 2) return null
  const xs = last.map((sample) => sample.hedges / 2)
  const mean = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0) / values.length
  const mx = mean(xs)
  const my = mean(last.map((sample) => sample.heapMb))
  const slope = last.reduce((acc, sample, i) => acc + (xs[i]! - mx) * (sample.heapMb - my), 0) / xs.reduce((acc, x) => acc + (x - mx) ** 2, 0)
  return Math.round(slope * 1000 * 100) / 100
}
const fills = Number(args.find((a) => !a.startsWith("--")) ?? 1000)

const fillArrivedAt: Array<number> = []
const hedgeLeftAt: Array<number> = []

/** --floor: the stand-in hedges' reaction times, by how they were sent */
const floorPlain: Array<number> = []
const floorEffect: Array<number> = []
const floorEffectTimer: Array<number> = []
const FLOOR_PATH = "/fapi/v1/hedgeloop-floor"
let asterOrigin: URL | undefined
let effectClient: HttpClient.HttpClient | undefined
let floorSeq = 0
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 })

/** The signed form body of a stand-in market order for the fill in `message`. */
const standInOrder = (message: string): string => {
  const fill = (JSON.parse(message) as { data?: { l?: unknown } }).data
  const body = `symbol=ASTERUSDT&side=BUY&type=MARKET&quantity=${String(fill?.l ?? "0")}&newClientOrderId=floor${++floorSeq}&recvWindow=5000&timestamp=${Date.now()}`
  return `${body}&signature=${hmacSha256Hex(DEFAULT_TEST_ACCOUNT.asterApiSecret, body)}`
}

const sendFloorPlain = (message: string, arrived: number) => {
  const request = http.request(
    { agent: keepAlive, method: "POST", host: asterOrigin!.hostname, port: asterOrigin!.port, path: FLOOR_PATH, headers: { "content-type": "application/x-www-form-urlencoded", "X-MBX-APIKEY": DEFAULT_TEST_ACCOUNT.asterApiKey } },
    (response) => response.resume()
  )
  request.on("error", () => {})
  request.end(standInOrder(message))
  floorPlain.push(performance.now() - arrived)
}

/** which list the client's tap below stamps the next stand-in request into */
let floorEffectTarget = floorEffect

const sendFloorEffect = (message: string, timeout: "Effect.timeout" | "timer") => {
  const request = HttpClientRequest.post(`${asterOrigin!.origin}${FLOOR_PATH}`).pipe(
    HttpClientRequest.setHeader("X-MBX-APIKEY", DEFAULT_TEST_ACCOUNT.asterApiKey),
    HttpClientRequest.bodyText(standInOrder(message), "application/x-www-form-urlencoded")
  )
  const exchange = effectClient!.execute(request).pipe(Effect.flatMap((response) => response.text), Effect.scoped)
  if (timeout === "Effect.timeout") {
    floorEffectTarget = floorEffect
    Effect.runFork(exchange.pipe(Effect.timeout(Duration.seconds(5)), Effect.ignore))
  } else {
    floorEffectTarget = floorEffectTimer
    const fiber = Effect.runFork(Effect.ignore(exchange))
    const timer = setTimeout(() => fiber.unsafeInterruptAsFork(fiber.id()), 5000)
    fiber.addObserver(() => clearTimeout(timer))
  }
}

/** The real WebSocket, with a first listener stamping Backpack fill messages as they arrive. */
const stampingSockets = Layer.effect(
  Socket.WebSocketConstructor,
  Effect.map(Socket.WebSocketConstructor, (make) => (url: string, protocols?: string | Array<string>) => {
    const socket = make(url, protocols)
    socket.addEventListener("message", (event: MessageEvent) => {
      const data = String(event.data)
      if (!data.includes('"orderFill"')) return
      const arrived = performance.now()
      fillArrivedAt.push(arrived)
      if (!floorMode) return
      const turn = fillArrivedAt.length % 3
      if (turn === 0) sendFloorPlain(data, arrived)
      else sendFloorEffect(data, turn === 1 ? "Effect.timeout" : "timer")
    })
    return socket
  })
).pipe(Layer.provide(NodeSocket.layerWebSocketConstructor))

/** The real HTTP client, stamping each Aster market order just before it is sent. */
const stampingHttp = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) => {
    const stamping = HttpClient.tapRequest(client, (request) =>
      Effect.sync(() => {
        // the form body carries the order; a market order is the only kind sent to Aster here
        if (request.method === "POST" && request.url.endsWith("/fapi/v1/order")) {
          hedgeLeftAt.push(performance.now())
          // after this turn: the hedge leaves first
          if (heapMode && hedgeLeftAt.length % HEAP_SAMPLE_EVERY === 0) setImmediate(sampleHeap)
        }
        else if (request.url.endsWith(FLOOR_PATH)) floorEffectTarget.push(performance.now() - fillArrivedAt[fillArrivedAt.length - 1]!)
      }))
    // as the adapters' venueHttpClient (src/adapters/common/rest.ts): no tracing
    effectClient = HttpClient.withTracerDisabledWhen(stamping, () => true)
    return stamping
  })
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

/** count, p50, p99 and max of reaction times in ms */
const summary = (times: ReadonlyArray<number>) => {
  const sorted = [...times].sort((a, b) => a - b)
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] }
}

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

// the strategy logs as under `npm run live` (Info, the live command's deferred lines and their format), into a file
const logFd = fs.openSync(path.join(dir, "run.log"), "w")
const logs = makeDeferredLogger(Logger.map(logLineText, (line) => void fs.writeSync(logFd, `${line}\n`)))
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
asterOrigin = new URL(urls.asterFutures)
const parsed = Either.getOrThrow(parseConfig(text, "bench"))
const config = {
  ...parsed,
  // thousands of back-to-back cycles pay fees enough to reach the default risk.max_loss
  ...(heapMode ? { risk: { ...parsed.risk, maxLoss: decimal("1000000") } } : {}),
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
  if (heapMode) {
    // no sample after the stop: the run's report is still held then
    return { fills: fillArrivedAt.length, outcome: result.outcome, seconds, cycles: Math.floor(hedgeLeftAt.length / 2), heapSamples, heapGrowthKbPerCycle: heapGrowthKbPerCycle(heapSamples) }
  }
  if (floorMode) {
    return {
      fills: fillArrivedAt.length,
      outcome: result.outcome,
      seconds,
      plainNodeHttp: summary(floorPlain),
      effectHttpClient: summary(floorEffect),
      effectHttpClientTimerTimeout: summary(floorEffectTimer)
    }
  }
  // each hedge answers the latest fill that arrived before it
  const reactions: Array<number> = []
  let f = 0
  for (const left of hedgeLeftAt) {
    while (f + 1 < fillArrivedAt.length && fillArrivedAt[f + 1]! <= left) f += 1
    const arrived = fillArrivedAt[f]
    if (arrived !== undefined && arrived <= left) reactions.push(left - arrived)
  }
  const { count, p50Ms, p99Ms, maxMs } = summary(reactions)
  return { fills: count, outcome: result.outcome, seconds, hedgeReactionP50Ms: p50Ms, hedgeReactionP99Ms: p99Ms, maxMs }
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
