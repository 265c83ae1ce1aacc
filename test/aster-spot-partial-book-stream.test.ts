/**
 * Aster spot's partial-book stream, as a spot recording with --depth reads it: the stream name
 * spot serves, and the payload in the shape the spot docs print.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Socket from "@effect/platform/Socket"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Schema } from "effect"
import { PartialDepthEvent } from "../src/adapters/aster/schemas"
import { formatDecimal } from "../src/core/domain/decimal"
import { localAster, v1Auth } from "./support/local-aster-server"

/** every WebSocket URL the adapter opens, in order */
const opened: Array<string> = []
const RecordingSockets = Layer.effect(
  Socket.WebSocketConstructor,
  Effect.map(Socket.WebSocketConstructor, (make) => (url: string, protocols?: string | Array<string>) => {
    opened.push(url)
    return make(url, protocols)
  })
).pipe(Layer.provide(NodeSocket.layerWebSocketConstructor))

const Live = Layer.mergeAll(NodeHttpClient.layerUndici, RecordingSockets)

/**
 * The spot partial-book payload as the Aster spot docs print it (V1 spot "Limited depth
 * information"; aster-api.md §11.3: "sample uses keys bids/asks"): depthUpdate fields, no
 * `lastUpdateId`, levels under `bids` / `asks`.
 */
const spotPartialDepth = {
  e: "depthUpdate",
  E: 123456789,
  T: 123456788,
  s: "ASTERUSDT",
  U: 100,
  u: 120,
  pu: 99,
  bids: [["1.9990", "10"]],
  asks: [["2.0010", "100"]]
}

const waitFor = <A>(read: () => A | undefined, ms: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const value = read()
      if (value !== undefined) return value
      yield* Effect.sleep(Duration.millis(25))
    }
    return read()
  })

describe("Aster spot market streams (recordings with --depth)", () => {
  // Was: spot was asked for `asterusdt@depth10@500ms`, a speed only futures serves (spot: its
  // 1000 ms default or 100 ms): a spot recording with --depth held no Aster book. The local
  // exchange accepted the futures speed on spot too, which hid it.
  it.scopedLive("asks spot for a partial-book stream name spot serves (@depth10 or @depth10@100ms)", () =>
    Effect.gen(function*() {
      opened.length = 0
      yield* localAster("spot", v1Auth(), { marketDataOnly: true, tickerFromStream: true, depthStream: true, marketStreamReadyTimeout: "200 millis" })
      const market = yield* waitFor(() => opened.find((url) => url.includes("/stream?streams=")), 3000)
      expect(market).toBeDefined()
      const names = new URL(market!).searchParams.get("streams")!.split("/")
      const depth = names.filter((n) => n.includes("@depth"))
      expect(depth).toHaveLength(1)
      expect(["asterusdt@depth10", "asterusdt@depth10@100ms"]).toContain(depth[0])
    }).pipe(Effect.provide(Live)))

  // Was: the documented spot payload ({e:"depthUpdate",E,T,s,U,u,pu,bids,asks}, no lastUpdateId)
  // read as neither branch of PartialDepthEvent and was dropped without a word; the local exchange
  // sent spot books in the REST shape, which hid it.
  it("a spot partial book in the documented shape decodes (levels under bids / asks, no lastUpdateId)", () => {
    const decoded = Schema.decodeUnknownEither(PartialDepthEvent)(spotPartialDepth)
    expect(Either.isRight(decoded)).toBe(true)
    if (Either.isLeft(decoded)) return
    const d = decoded.right
    const levels = "bids" in d ? { bids: d.bids, asks: d.asks } : { bids: d.b, asks: d.a }
    expect(levels.bids.map(([p, q]) => [formatDecimal(p), formatDecimal(q)])).toEqual([["1.999", "10"]])
    expect(levels.asks.map(([p, q]) => [formatDecimal(p), formatDecimal(q)])).toEqual([["2.001", "100"]])
  })
})
