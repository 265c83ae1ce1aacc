/**
 * Request signing against the references, computed independently of the adapters
 * (node:crypto for ED25519 and HMAC, @noble/hashes keccak + @noble/curves secp256k1 for EIP-712),
 * then compared with what the adapters produce and with the bytes they actually put on the wire
 * (a real node:http server, the live runner's undici HttpClient).
 *
 * References: /work/shared/reference/backpack-api.md §"Authentication (ED25519)", §"WebSocket";
 * /work/shared/reference/aster-api.md §3.1, §3.2, "V3 test vectors".
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { keccak_256 } from "@noble/hashes/sha3"
import { secp256k1 } from "@noble/curves/secp256k1"
import { Effect, Either, Redacted } from "effect"
import * as crypto from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeAsterClient } from "../src/adapters/aster/client"
import { asterOptionsFromConfig } from "../src/adapters/aster/exchange"
import { signV1 } from "../src/adapters/aster/signing-v1"
import { signV3, signV3Message, v3Digest } from "../src/adapters/aster/signing-v3"
import { makeBackpackClient } from "../src/adapters/backpack/client"
import { makeSigner, signingString, subscribeSigningString } from "../src/adapters/backpack/signing"
import { parseConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import * as YAML from "yaml"
import { baseConfigObject } from "./support/config"

// -------------------------------------------------------------------------------------------------
// independent primitives
// -------------------------------------------------------------------------------------------------

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")
const edPrivate = (seed: Buffer) => crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" })
const edSign = (seed: Buffer, message: string) => crypto.sign(null, Buffer.from(message, "utf8"), edPrivate(seed)).toString("base64")
const edVerify = (publicB64: string, message: string, signatureB64: string) =>
  crypto.verify(
    null,
    Buffer.from(message, "utf8"),
    crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(publicB64, "base64")]), format: "der", type: "spki" }),
    Buffer.from(signatureB64, "base64")
  )
const hmac = (secret: string, message: string) => crypto.createHmac("sha256", secret).update(message, "utf8").digest("hex")

const kec = (data: Uint8Array | string) => keccak_256(typeof data === "string" ? new TextEncoder().encode(data) : data)
const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`
const word = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex")
const addressWord = (address: string) => Buffer.concat([Buffer.alloc(12), Buffer.from(address.slice(2), "hex")])

/** EIP-712 by hand: domain (name, version, chainId, verifyingContract) and Message { string msg }. */
const eip712 = (msg: string, chainId: number) => {
  const domainType = kec("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
  const domainSeparator = kec(Buffer.concat([domainType, kec("AsterSignTransaction"), kec("1"), word(BigInt(chainId)), addressWord("0x0000000000000000000000000000000000000000")]))
  const structHash = kec(Buffer.concat([kec("Message(string msg)"), kec(msg)]))
  const digest = kec(Buffer.concat([Buffer.from([0x19, 0x01]), domainSeparator, structHash]))
  return { domainSeparator: hex(domainSeparator), digest }
}
const secpSign = (digest: Uint8Array, privateKeyHex: string) => {
  const sig = secp256k1.sign(digest, privateKeyHex.slice(2))
  return `${hex(sig.toCompactRawBytes())}${(27 + sig.recovery).toString(16)}`
}
const secpRecover = (digest: Uint8Array, signatureHex: string): string => {
  const raw = Buffer.from(signatureHex.slice(2), "hex")
  const sig = secp256k1.Signature.fromCompact(raw.subarray(0, 64)).addRecoveryBit(raw[64]! - 27)
  const pub = sig.recoverPublicKey(digest).toRawBytes(false)
  return hex(kec(pub.subarray(1)).subarray(12))
}

// -------------------------------------------------------------------------------------------------
// a real HTTP server recording the raw bytes each request carried
// -------------------------------------------------------------------------------------------------

interface Seen {
  readonly method: string
  readonly path: string
  readonly rawQuery: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

const startServer = async (answer: (seen: Seen) => unknown) => {
  const seen: Array<Seen> = []
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const url = req.url ?? "/"
      const q = url.indexOf("?")
      const entry: Seen = {
        method: req.method ?? "",
        path: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? "" : url.slice(q + 1),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8")
      }
      seen.push(entry)
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(answer(entry)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return { seen, baseUrl: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

// =================================================================================================
// Backpack
// =================================================================================================

/** RFC 8032 §7.1 TEST 1, as backpack-api.md gives it. */
const BP_SEED = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex")
const BP_SECRET = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
const BP_PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
const BP_STRING = "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000"
const BP_SIGNATURE = "wLQaGPszkXrEWaIm6RsnVLJv70Uuw62SXxmdso6cadUmR0NWzFhfhvuCWMl+jbBNJ5gZRfCPjvXI29H7JeW6Ag=="

/** backpack-api.md §"Instructions by endpoint (signed)". */
const INSTRUCTIONS: Record<string, string> = {
  "GET /api/v1/capital": "balanceQuery",
  "GET /api/v1/order": "orderQuery",
  "POST /api/v1/order": "orderExecute",
  "DELETE /api/v1/order": "orderCancel",
  "GET /api/v1/orders": "orderQueryAll",
  "GET /api/v1/position": "positionQuery",
  "GET /api/v1/account/limits/order": "maxOrderQuantity",
  "GET /wapi/v1/history/fills": "fillHistoryQueryAll",
  "GET /wapi/v1/history/funding": "fundingHistoryQueryAll",
  "GET /wapi/v1/history/orders": "orderHistoryQueryAll"
}

/**
 * The reference's rule, applied to what the server received: "instruction=<instruction> then
 * &key=value for each query parameter in alphabetical order, then &key=value for each body field in
 * alphabetical order, then &timestamp=<ms>&window=<ms>. Values are written as plain text".
 */
const backpackExpectedString = (seen: Seen): string => {
  const instruction = INSTRUCTIONS[`${seen.method} ${seen.path}`]
  if (instruction === undefined) throw new Error(`no instruction for ${seen.method} ${seen.path}`)
  const query = [...new URLSearchParams(seen.rawQuery)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`)
  const body = seen.body === "" ? {} : (JSON.parse(seen.body) as Record<string, unknown>)
  const fields = Object.keys(body).sort().filter((k) => body[k] !== null).map((k) => `${k}=${String(body[k])}`)
  return [`instruction=${instruction}`, ...query, ...fields, `timestamp=${seen.headers["x-timestamp"]}`, `window=${seen.headers["x-window"]}`].join("&")
}

describe("Backpack ED25519 (backpack-api.md §Authentication)", () => {
  it("the published vector: docs' orderCancel string and the RFC 8032 TEST 1 signature, independently and through the adapter", () => {
    // independent: node:crypto reproduces the reference's key pair and signature
    expect(BP_SEED.toString("base64")).toBe(BP_SECRET)
    expect((crypto.createPublicKey(edPrivate(BP_SEED)).export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("base64")).toBe(BP_PUBLIC)
    expect(edSign(BP_SEED, BP_STRING)).toBe(BP_SIGNATURE)
    // the adapter
    expect(signingString({ instruction: "orderCancel", body: { orderId: "28", symbol: "BTC_USDT" }, timestamp: 1614550000000, window: 5000 })).toBe(BP_STRING)
    const signer = Either.getOrThrow(makeSigner(Redacted.make(BP_SECRET), Redacted.make(BP_PUBLIC)))
    expect(signer.apiKey).toBe(BP_PUBLIC)
    expect(signer.sign(BP_STRING)).toBe(BP_SIGNATURE)
  })

  it("the private-stream subscription string: instruction=subscribe&timestamp=<ms>&window=<ms>", () => {
    expect(subscribeSigningString(1614550000000, 5000)).toBe("instruction=subscribe&timestamp=1614550000000&window=5000")
  })

  describe("on the wire (real HTTP server, undici client, off-thread signer)", () => {
    const now = Date.now()
    let server: Awaited<ReturnType<typeof startServer>>
    beforeAll(async () => {
      server = await startServer((seen) => {
        const order = {
          id: "112233",
          clientId: 7,
          symbol: "SOL_USDC_PERP",
          side: "Bid",
          orderType: "Limit",
          quantity: "1.5",
          executedQuantity: "0",
          executedQuoteQuantity: "0",
          price: "100.25",
          timeInForce: "GTC",
          postOnly: true,
          status: "New",
          createdAt: now
        }
        switch (`${seen.method} ${seen.path}`) {
          case "GET /api/v1/time":
            return now
          case "GET /api/v1/market":
            return {
              symbol: "SOL_USDC_PERP",
              baseSymbol: "SOL",
              quoteSymbol: "USDC",
              marketType: "PERP",
              filters: { price: { minPrice: "0.01", tickSize: "0.01" }, quantity: { minQuantity: "0.01", stepSize: "0.01" } }
            }
          case "POST /api/v1/order":
          case "DELETE /api/v1/order":
          case "GET /api/v1/order":
            return order
          case "GET /api/v1/orders":
            return [order]
          case "GET /api/v1/position":
            return []
          case "GET /api/v1/capital":
            return {}
          case "GET /api/v1/account/limits/order":
            return { symbol: "SOL_USDC_PERP", side: "Bid", maxOrderQuantity: "3" }
          case "GET /wapi/v1/history/fills":
          case "GET /wapi/v1/history/funding":
            return []
          default:
            return {}
        }
      })
    })
    afterAll(() => server.close())

    it("every signed request verifies against the string the reference builds from what was sent", async () => {
      const subscription = await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function*() {
            const client = yield* makeBackpackClient({
              baseUrl: server.baseUrl,
              symbol: "SOL_USDC_PERP",
              publicKey: Redacted.make(BP_PUBLIC),
              secretKey: Redacted.make(BP_SECRET),
              windowMs: 5000
            })
            yield* client.placeLimit({ side: "buy", price: decimal("100.25"), qty: decimal("1.5"), postOnly: true, timeInForce: "GTC", clientId: "hl-m12" })
            yield* client.cancel("112233")
            yield* client.openOrders
            yield* client.queryOrder({ clientId: "hl-m12" })
            yield* client.fills({ orderId: "112233", fromMs: now - 60_000 })
            yield* client.positionQty
            yield* client.balances
            yield* client.maxOrderQty("sell", decimal("100.5"))
            yield* client.fundingPayments(now - 3_600_000)
            return yield* client.subscriptionSignature
          })
        ).pipe(Effect.provide(NodeHttpClient.layerUndici))
      )
      const signed = server.seen.filter((s) => s.headers["x-signature"] !== undefined)
      expect(signed.map((s) => `${s.method} ${s.path}`).sort()).toEqual([
        "DELETE /api/v1/order",
        "GET /api/v1/account/limits/order",
        "GET /api/v1/capital",
        "GET /api/v1/order",
        "GET /api/v1/orders",
        "GET /api/v1/position",
        "GET /wapi/v1/history/fills",
        "GET /wapi/v1/history/funding",
        "POST /api/v1/order"
      ])
      for (const s of signed) {
        expect(s.headers["x-api-key"]).toBe(BP_PUBLIC)
        // X-Timestamp in ms since epoch, X-Window 5000 (the official client always sends 5000)
        expect(s.headers["x-timestamp"]).toMatch(/^\d{13}$/)
        expect(Math.abs(Number(s.headers["x-timestamp"]) - now)).toBeLessThan(60_000)
        expect(s.headers["x-window"]).toBe("5000")
        const text = backpackExpectedString(s)
        expect(edVerify(BP_PUBLIC, text, String(s.headers["x-signature"])), `${s.method} ${s.path}: ${text}`).toBe(true)
        // and ED25519 is deterministic: the exact signature node:crypto gives
        expect(s.headers["x-signature"]).toBe(edSign(BP_SEED, text))
      }
      // the execute body as sent: clientId a uint32 number, postOnly a boolean, decimals as strings
      const execute = signed.find((s) => s.method === "POST")!
      const body = JSON.parse(execute.body) as Record<string, unknown>
      expect(typeof body["clientId"]).toBe("number")
      expect(body["postOnly"]).toBe(true)
      expect(body["price"]).toBe("100.25")
      expect(execute.headers["content-type"]).toContain("application/json")

      // WebSocket: "signature": [<api key b64>, <signature b64>, "<timestamp ms>", "<window ms>"],
      // signing instruction=subscribe&timestamp=<ms>&window=<ms>
      const [key, signature, timestamp, window] = subscription
      expect(key).toBe(BP_PUBLIC)
      expect(timestamp).toMatch(/^\d{13}$/)
      expect(window).toBe("5000")
      expect(signature).toBe(edSign(BP_SEED, `instruction=subscribe&timestamp=${timestamp}&window=${window}`))
    })
  })
})

// =================================================================================================
// Aster V1 (HMAC-SHA256)
// =================================================================================================

describe("Aster V1 HMAC (aster-api.md §3.1)", () => {
  const futures = {
    secret: "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9",
    message: "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943",
    signature: "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
  }
  const spot = {
    secret: "fdde510a2b71fa43a43bff3e3cf7819c8c66df34633d338050f4f59664b3b313",
    message: "symbol=BNBUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5&price=1.1&recvWindow=5000&timestamp=1756187806000",
    signature: "e09169bf6c02ec4b29fa1bdc3a967f92c8c6cfcde0551ba1d477b2d3cf4c51b0"
  }

  it("the futures and spot doc vectors, with node:crypto and through signV1", () => {
    expect(hmac(futures.secret, futures.message)).toBe(futures.signature)
    expect(hmac(spot.secret, spot.message)).toBe(spot.signature)
    // "the correct HMAC is 30baaf0f…" for the mixed query+body case (doc error: it reprints example 1's)
    expect(hmac(futures.secret, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC" + "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943"))
      .toBe("30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4")
    const f = signV1(Redacted.make(futures.secret), [["symbol", "BTCUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["quantity", "1"], ["price", "9000"], ["timeInForce", "GTC"]], {
      timestamp: 1591702613943,
      recvWindow: 5000
    })
    expect(f.signed).toBe(`${futures.message}&signature=${futures.signature}`)
    const s = signV1(Redacted.make(spot.secret), [["symbol", "BNBUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["timeInForce", "GTC"], ["quantity", "5"], ["price", "1.1"]], {
      timestamp: 1756187806000,
      recvWindow: 5000
    })
    expect(s.signed).toBe(`${spot.message}&signature=${spot.signature}`)
  })
})

// =================================================================================================
// Aster V3 (EIP-712)
// =================================================================================================

const V3_KEY = "0x4fd0a42218f3eae43a6ce26d22544e986139a01e5b34a62db53757ffca81bae1"
const V3_USER = "0x63DD5aCC6b1aa0f563956C0e534DD30B6dcF7C4e" as const
const V3_SIGNER = "0x21cF8Ae13Bb72632562c6Fff438652Ba1a151bb0" as const
const V3_MSG =
  "symbol=ASTERUSDT&type=LIMIT&side=BUY&timeInForce=GTC&quantity=20&price=0.5&nonce=1748310859508867&user=0x63DD5aCC6b1aa0f563956C0e534DD30B6dcF7C4e&signer=0x21cF8Ae13Bb72632562c6Fff438652Ba1a151bb0"

describe("Aster V3 EIP-712 (aster-api.md §3.2, V3 test vectors)", () => {
  it("the locally computed EIP-712 vector, by hand (keccak + secp256k1) and through the adapter, chain ids 1666 and 714", async () => {
    const main = eip712(V3_MSG, 1666)
    expect(main.domainSeparator).toBe("0xa95d0a7a6f3f17fcebb0c2336645385ce79cde7523f71ab147fdb7f15e9f37f9")
    expect(hex(main.digest)).toBe("0x214122039b686e20a15baab91d368d354cf8c88067cb8b0e96e9018d8b08a625")
    const mainSig = "0x0a56c5923ebf3524475c5f631940ec4c0e41dbd300ad28198d1915d8f3ca49ce26fd1aeb8b0c3079133595da0de38322ae7e860e0c76d032c4a491d27c1430b01c"
    expect(secpSign(main.digest, V3_KEY)).toBe(mainSig)
    expect(secpRecover(main.digest, mainSig)).toBe(V3_SIGNER.toLowerCase())
    const test = eip712(V3_MSG, 714)
    expect(hex(test.digest)).toBe("0xd0a3cddc3992449300d5b6fa97e441d66d0f950a032b0707455996c29d8477c5")
    const testSig = "0xf91e000376f360c1661cf0fbc79a816e915dce485c616bd49c5e35c6cbc5ba5042ccf75a2bffd282676dbf698087a73982bfd1491a993eeedc276f6827c94a8c1c"
    expect(secpSign(test.digest, V3_KEY)).toBe(testSig)

    // the adapter
    expect(await Effect.runPromise(v3Digest(V3_MSG))).toBe(hex(main.digest))
    expect(await Effect.runPromise(v3Digest(V3_MSG, 714))).toBe(hex(test.digest))
    expect(await Effect.runPromise(signV3Message(Redacted.make(V3_KEY), V3_MSG))).toBe(mainSig)
    expect(await Effect.runPromise(signV3Message(Redacted.make(V3_KEY), V3_MSG, 714))).toBe(testSig)
    const signed = await Effect.runPromise(
      signV3(
        { user: V3_USER, signer: V3_SIGNER, signerPrivateKey: Redacted.make(V3_KEY) },
        [["symbol", "ASTERUSDT"], ["type", "LIMIT"], ["side", "BUY"], ["timeInForce", "GTC"], ["quantity", "20"], ["price", "0.5"]],
        "1748310859508867"
      )
    )
    expect(signed.signed).toBe(`${V3_MSG}&signature=${mainSig}`)
  })

  it("the legacy V3 vector (kept for reference): ABI(json, user, signer, nonce) → keccak → personal_sign", () => {
    const json =
      `{"positionSide":"BOTH","price":"0.28694","quantity":"190","recvWindow":"50000","side":"BUY","symbol":"SANDUSDT","timeInForce":"GTC","timestamp":"1749545309665","type":"LIMIT"}`
    const jsonBytes = Buffer.from(json, "utf8")
    const padded = Buffer.concat([jsonBytes, Buffer.alloc((32 - (jsonBytes.length % 32)) % 32)])
    const encoded = Buffer.concat([word(128n), addressWord(V3_USER), addressWord(V3_SIGNER), word(1748310859508867n), word(BigInt(jsonBytes.length)), padded])
    const inner = kec(encoded)
    expect(hex(inner)).toBe("0x9e0273fc91323f5cdbcb00c358be3dee2854afb2d3e4c68497364a2f27a377fc")
    const personal = kec(Buffer.concat([Buffer.from("\x19Ethereum Signed Message:\n32", "utf8"), inner]))
    expect(secpSign(personal, V3_KEY)).toBe(
      "0x0337dd720a21543b80ff861cd3c26646b75b3a6a4b5d45805d4c1d6ad6fc33e65f0722778dd97525466560c69fbddbe6874eb4ed6f5fa7e576e486d9b5da67f31b"
    )
  })
})

// =================================================================================================
// Aster on the wire: what is signed is exactly what is sent (V1 and V3, GET / POST / DELETE / PUT)
// =================================================================================================

describe("Aster signed requests on the wire (real HTTP server, undici client)", () => {
  const now = Date.now()
  let server: Awaited<ReturnType<typeof startServer>>
  const order = {
    symbol: "ASTERUSDT",
    orderId: 42,
    clientOrderId: "hl:m1/a.b_c-d",
    price: "0.5",
    origQty: "20",
    executedQty: "0",
    cumQuote: "0",
    status: "NEW",
    timeInForce: "GTC",
    type: "LIMIT",
    side: "BUY",
    updateTime: now
  }
  beforeAll(async () => {
    server = await startServer((seen) => {
      const name = seen.path.split("/").slice(3).join("/")
      if (name === "time") return { serverTime: now }
      if (name === "order") return order
      if (name === "openOrders") return [order]
      if (name === "listenKey") return seen.method === "POST" ? { listenKey: "lk1" } : {}
      return {}
    })
  })
  afterAll(() => server.close())

  const exercise = (auth: Parameters<typeof makeAsterClient>[0]["auth"]) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const client = yield* makeAsterClient({ venue: "aster-futures", baseUrl: server.baseUrl, auth })
        yield* client.newOrder({ symbol: "ASTERUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "20", price: "0.5", clientId: "hl:m1/a.b_c-d" })
        yield* client.queryOrder("ASTERUSDT", { clientId: "hl:m1/a.b_c-d" })
        yield* client.cancelOrder("ASTERUSDT", { orderId: "42" })
        yield* client.openOrders("ASTERUSDT")
        yield* client.createListenKey
        yield* client.keepAliveListenKey("lk1")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
    )

  /** The parameter string of a request as received: the query for GET, the form body otherwise. */
  const received = (s: Seen) => (s.method === "GET" ? s.rawQuery : s.body)
  const splitSig = (raw: string) => {
    const m = /&signature=([^&]*)$/.exec(raw)
    return m ? { unsigned: raw.slice(0, m.index), signature: m[1]! } : { unsigned: raw, signature: undefined }
  }

  it("V1: HMAC-SHA256 over the exact bytes sent, signature last, timestamp in ms", async () => {
    const before = server.seen.length
    const secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
    await exercise({ kind: "v1", apiKey: Redacted.make("key-1"), apiSecret: Redacted.make(secret) })
    const requests = server.seen.slice(before).filter((s) => !s.path.endsWith("/time"))
    expect(requests.length).toBeGreaterThanOrEqual(6)
    for (const s of requests) {
      expect(s.headers["x-mbx-apikey"]).toBe("key-1")
      if (s.path.endsWith("/listenKey")) continue // USER_STREAM: API key only in V1
      const { unsigned, signature } = splitSig(received(s))
      expect(signature, `${s.method} ${s.path}`).toBeDefined()
      expect(signature).toBe(hmac(secret, unsigned))
      const params = new URLSearchParams(unsigned)
      expect(params.get("timestamp")).toMatch(/^\d{13}$/)
      expect(params.get("recvWindow")).toBe("5000")
      if (s.method !== "GET") expect(s.headers["content-type"]).toContain("application/x-www-form-urlencoded")
    }
    const placed = requests.find((s) => s.method === "POST" && s.path.endsWith("/order"))!
    expect(new URLSearchParams(splitSig(placed.body).unsigned).get("newClientOrderId")).toBe("hl:m1/a.b_c-d")
  })

  it("V3: msg is the exact parameter string sent; the EIP-712 signature (chain 1666) recovers to the agent; nonce in µs; no timestamp", async () => {
    const before = server.seen.length
    await exercise({ kind: "v3", user: V3_USER, signer: V3_SIGNER, signerPrivateKey: Redacted.make(V3_KEY) })
    const requests = server.seen.slice(before).filter((s) => !s.path.endsWith("/time"))
    expect(requests.length).toBeGreaterThanOrEqual(6)
    for (const s of requests) {
      expect(s.path.startsWith("/fapi/v3/")).toBe(true)
      const { unsigned, signature } = splitSig(received(s))
      expect(signature, `${s.method} ${s.path}`).toMatch(/^0x[0-9a-f]{130}$/)
      expect(secpRecover(eip712(unsigned, 1666).digest, signature!), `${s.method} ${s.path}: ${unsigned}`).toBe(V3_SIGNER.toLowerCase())
      expect(signature).toBe(secpSign(eip712(unsigned, 1666).digest, V3_KEY))
      const params = new URLSearchParams(unsigned)
      expect(params.get("user")).toBe(V3_USER)
      expect(params.get("signer")).toBe(V3_SIGNER)
      // "nonce: current time in microseconds", "must be within 10 s of server time"
      expect(params.get("nonce")).toMatch(/^\d{16}$/)
      expect(Math.abs(Number(params.get("nonce")) / 1000 - now)).toBeLessThan(10_000)
      // "No timestamp/recvWindow in V3"
      expect(params.has("timestamp")).toBe(false)
      expect(params.has("recvWindow")).toBe(false)
      expect(s.headers["x-mbx-apikey"]).toBeUndefined()
    }
  })
})

// =================================================================================================
// FINDING: the EIP-712 domain chain id does not follow the Aster network the bot talks to
// =================================================================================================

// the local exchange checks signatures with the adapters' own functions: only these tests can catch a signing bug
describe("Aster V3 domain chain id vs the configured network", () => {
  /**
   * aster-api.md §3.2: "domain: name = "AsterSignTransaction", version = "1", chainId = 1666
   * (mainnet; testnet docs use 714)"; V3 test vectors: "with chainId 714 (testnet): digest
   * 0xd0a3cddc…". The hosts table (§2) lists the testnet REST host https://fapi.asterdex-testnet.com.
   * A config pointed at that host with V3 credentials and no aster.chain_id must sign in the
   * testnet's domain (714): in mainnet's (1666) the testnet can only answer -1022 INVALID_SIGNATURE.
   */
  it("a testnet base_url with V3 credentials does not sign in the mainnet (1666) domain", async () => {
    const text = YAML.stringify({
      ...baseConfigObject(),
      aster: { base_url: "https://fapi.asterdex-testnet.com", symbol: "ASTERUSDT", user: V3_USER, signer: V3_SIGNER, signer_private_key: V3_KEY }
    })
    const parsed = parseConfig(text, "testnet.yaml")
    if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
    const auth = asterOptionsFromConfig(parsed.right.hedge).auth
    expect(auth.kind).toBe("v3")
    if (auth.kind !== "v3") return
    expect(auth.chainId).toBe(714)
    const params: ReadonlyArray<readonly [string, string]> = [["symbol", "ASTERUSDT"], ["type", "LIMIT"], ["side", "BUY"], ["timeInForce", "GTC"], ["quantity", "20"], ["price", "0.5"]]
    const signed = await Effect.runPromise(signV3(auth, params, "1748310859508867"))
    expect(signed.signed).toBe(`${V3_MSG}&signature=${signed.signature}`)
    // the testnet verifies in its own domain (chain id 714)
    expect(secpRecover(eip712(V3_MSG, 714).digest, signed.signature)).toBe(V3_SIGNER.toLowerCase())
  })
})
