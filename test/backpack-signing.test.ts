/**
 * Backpack request signing. Vector 1 is the reference's (docs' orderCancel string, signed with the
 * RFC 8032 §7.1 TEST 1 key: /work/shared/reference/backpack-api.md); vector 2 and the property
 * test check tweetnacl against node:crypto's ed25519, an independent implementation. Expected
 * strings are written out from the signing rule: instruction, query (alphabetical), body
 * (alphabetical), timestamp, window.
 */
import { Either, Redacted } from "effect"
import fc from "fast-check"
import * as crypto from "node:crypto"
import { describe, expect, it } from "vitest"
import {
  makeSigner,
  signedHeaders,
  signingString,
  subscribeSigningString,
  subscriptionSignature
} from "../src/adapters/backpack/signing"
import { authenticate, authenticateSubscription, verifySignature } from "../src/sim/local-exchange/backpack/auth"
import { testAccounts } from "./support/local-backpack"

/** RFC 8032 §7.1 TEST 1, as the reference gives it. */
const TEST1_SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
const TEST1_SECRET = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
const TEST1_PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
const REFERENCE_STRING = "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000"
const REFERENCE_SIGNATURE = "wLQaGPszkXrEWaIm6RsnVLJv70Uuw62SXxmdso6cadUmR0NWzFhfhvuCWMl+jbBNJ5gZRfCPjvXI29H7JeW6Ag=="

const signerOf = (secret: string, publicKey?: string) =>
  Either.getOrThrow(makeSigner(Redacted.make(secret), publicKey === undefined ? undefined : Redacted.make(publicKey)))

/** node:crypto's view of an ED25519 seed: PKCS#8 DER is a fixed 16-byte prefix and the seed. */
const nodeKey = (seed: Buffer) => crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" })
const nodeSign = (seed: Buffer, message: string) => crypto.sign(null, Buffer.from(message, "utf8"), nodeKey(seed)).toString("base64")
/** SPKI DER of an ED25519 public key ends with the 32 raw bytes. */
const nodePublic = (seed: Buffer) => (crypto.createPublicKey(nodeKey(seed)).export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("base64")

describe("the signed instruction string", () => {
  it("is the reference's orderCancel string, whatever order the body fields are given in", () => {
    expect(signingString({ instruction: "orderCancel", body: { symbol: "BTC_USDT", orderId: 28 }, timestamp: 1614550000000, window: 5000 })).toBe(REFERENCE_STRING)
    expect(signingString({ instruction: "orderCancel", body: { orderId: "28", symbol: "BTC_USDT" }, timestamp: 1614550000000, window: 5000 })).toBe(REFERENCE_STRING)
  })

  it("puts the query (alphabetical) before the body (alphabetical), and writes values as plain text", () => {
    const text = signingString({
      instruction: "orderHistoryQueryAll",
      query: [["symbol", "SOL_USDC"], ["limit", "10"]],
      body: { postOnly: true, clientId: 7, reduceOnly: false, price: "1.0050", note: "a b/c", absent: undefined, nothing: null },
      timestamp: 1,
      window: 60000
    })
    // booleans true/false, numbers as sent, strings unquoted and un-encoded, null/undefined left out
    expect(text).toBe("instruction=orderHistoryQueryAll&limit=10&symbol=SOL_USDC&clientId=7&note=a b/c&postOnly=true&price=1.0050&reduceOnly=false&timestamp=1&window=60000")
  })

  it("signs a batch as one instruction group per element, timestamp and window once", () => {
    const text = signingString({
      instruction: "orderExecute",
      body: [{ symbol: "SOL_USDC", side: "Bid", quantity: "1" }, { symbol: "SOL_USDC", side: "Ask", quantity: "2" }],
      timestamp: 5,
      window: 5000
    })
    expect(text).toBe("instruction=orderExecute&quantity=1&side=Bid&symbol=SOL_USDC&instruction=orderExecute&quantity=2&side=Ask&symbol=SOL_USDC&timestamp=5&window=5000")
  })

  it("signs a private subscription as instruction=subscribe", () => {
    expect(subscribeSigningString(1614550000000, 5000)).toBe("instruction=subscribe&timestamp=1614550000000&window=5000")
  })
})

describe("ED25519 signatures", () => {
  it("reproduce the reference vector with the RFC 8032 TEST 1 key", () => {
    expect(Buffer.from(TEST1_SEED_HEX, "hex").toString("base64")).toBe(TEST1_SECRET)
    const signer = signerOf(TEST1_SECRET, TEST1_PUBLIC)
    expect(signer.apiKey).toBe(TEST1_PUBLIC)
    expect(signer.sign(REFERENCE_STRING)).toBe(REFERENCE_SIGNATURE)
    expect(verifySignature(TEST1_PUBLIC, REFERENCE_STRING, REFERENCE_SIGNATURE)).toBe(true)
    expect(verifySignature(TEST1_PUBLIC, REFERENCE_STRING.replace("28", "29"), REFERENCE_SIGNATURE)).toBe(false)
  })

  it("agree with node:crypto on a second fixed key (an orderExecute)", () => {
    const seed = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256))
    const signer = signerOf(seed.toString("base64"))
    const message = signingString({
      instruction: "orderExecute",
      body: { symbol: "ASTER_USDC_PERP", side: "Ask", orderType: "Limit", price: "1.0050", quantity: "5", postOnly: true, timeInForce: "GTC", clientId: 4242 },
      timestamp: 1700000000000,
      window: 60000
    })
    expect(message).toBe("instruction=orderExecute&clientId=4242&orderType=Limit&postOnly=true&price=1.0050&quantity=5&side=Ask&symbol=ASTER_USDC_PERP&timeInForce=GTC&timestamp=1700000000000&window=60000")
    expect(signer.apiKey).toBe(nodePublic(seed))
    expect(signer.sign(message)).toBe(nodeSign(seed, message))
  })

  it("agree with node:crypto on any key and any request (property)", () => {
    const field = fc.oneof(fc.string(), fc.integer(), fc.boolean())
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => /^[a-zA-Z]+$/.test(k)), field, { maxKeys: 6 }),
        fc.integer({ min: 0, max: 2 ** 42 }),
        (seedBytes, body, timestamp) => {
          const seed = Buffer.from(seedBytes)
          const signer = signerOf(seed.toString("base64"))
          const message = signingString({ instruction: "orderExecute", body, timestamp, window: 5000 })
          const signature = signer.sign(message)
          return signature === nodeSign(seed, message) && verifySignature(signer.apiKey, message, signature)
        }
      ),
      { numRuns: 50 }
    )
  })

  it("give the four headers and the subscription array", () => {
    const signer = signerOf(TEST1_SECRET)
    const headers = signedHeaders(signer, { instruction: "orderCancel", body: { orderId: 28, symbol: "BTC_USDT" }, timestamp: 1614550000000, window: 5000 })
    expect(headers).toEqual({ "X-API-Key": TEST1_PUBLIC, "X-Signature": REFERENCE_SIGNATURE, "X-Timestamp": "1614550000000", "X-Window": "5000" })
    const [key, signature, timestamp, window] = subscriptionSignature(signer, 1614550000000, 5000)
    expect([key, timestamp, window]).toEqual([TEST1_PUBLIC, "1614550000000", "5000"])
    expect(signature).toBe(nodeSign(Buffer.from(TEST1_SEED_HEX, "hex"), "instruction=subscribe&timestamp=1614550000000&window=5000"))
  })
})

describe("keys", () => {
  it("refuses a secret that is not the base64 of 32 bytes, and a public key of another secret, naming neither", () => {
    for (const secret of ["", "not base64!", Buffer.alloc(31).toString("base64"), Buffer.alloc(64).toString("base64")]) {
      const result = makeSigner(Redacted.make(secret))
      expect(Either.isLeft(result)).toBe(true)
    }
    const mismatch = makeSigner(Redacted.make(TEST1_SECRET), Redacted.make(Buffer.alloc(32, 3).toString("base64")))
    expect(Either.isLeft(mismatch)).toBe(true)
    if (Either.isLeft(mismatch)) {
      expect(mismatch.left.message).toContain("does not belong")
      expect(mismatch.left.message).not.toContain(TEST1_SECRET)
    }
  })

  it("verification is false on garbage instead of throwing", () => {
    expect(verifySignature("short", REFERENCE_STRING, REFERENCE_SIGNATURE)).toBe(false)
    expect(verifySignature(TEST1_PUBLIC, REFERENCE_STRING, "!!")).toBe(false)
    expect(verifySignature(TEST1_PUBLIC, REFERENCE_STRING, Buffer.alloc(63).toString("base64"))).toBe(false)
  })
})

describe("the local venue's check of a signed request", () => {
  const signer = signerOf(TEST1_SECRET)
  const now = 1614550001000
  const lower = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  const request = (timestamp: number, body: Record<string, string | number>) => ({
    headers: lower(signedHeaders(signer, { instruction: "orderCancel", body, timestamp, window: 5000 })),
    instruction: "orderCancel",
    body
  })

  it("accepts the venue's format and makes the API key the account", () => {
    const result = authenticate(testAccounts, now, request(1614550000000, { orderId: 28, symbol: "BTC_USDT" }))
    expect(result).toEqual(Either.right({ account: `bp:${TEST1_PUBLIC}` }))
  })

  it("refuses a changed body with INVALID_SIGNATURE, an old timestamp as expired, missing headers as UNAUTHORIZED", () => {
    const signed = request(1614550000000, { orderId: 28, symbol: "BTC_USDT" })
    expect(authenticate(testAccounts, now, { ...signed, body: { orderId: 29, symbol: "BTC_USDT" } })).toEqual(
      Either.left({ status: 401, body: { code: "INVALID_SIGNATURE", message: "Invalid signature" } })
    )
    expect(authenticate(testAccounts, now + 10_000, signed)).toEqual(Either.left({ status: 400, body: { code: "INVALID_CLIENT_REQUEST", message: "Request has expired" } }))
    expect(authenticate(testAccounts, now, { ...signed, headers: {} })).toMatchObject(Either.left({ status: 401, body: { code: "UNAUTHORIZED" } }))
    const wide = { ...signed, headers: { ...signed.headers, "x-window": "60001" } }
    expect(authenticate(testAccounts, now, wide)).toMatchObject(Either.left({ status: 400, body: { code: "INVALID_CLIENT_REQUEST" } }))
  })

  it("checks private subscriptions the same way", () => {
    expect(authenticateSubscription(testAccounts, now, subscriptionSignature(signer, 1614550000000, 5000))).toEqual(Either.right({ account: `bp:${TEST1_PUBLIC}` }))
    const [key, , ts, window] = subscriptionSignature(signer, 1614550000000, 5000)
    expect(authenticateSubscription(testAccounts, now, [key, REFERENCE_SIGNATURE, ts, window])).toMatchObject(Either.left({ body: { code: "INVALID_SIGNATURE" } }))
    expect(authenticateSubscription(testAccounts, now, undefined)).toMatchObject(Either.left({ status: 401 }))
  })
})
