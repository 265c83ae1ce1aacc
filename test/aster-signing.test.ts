/**
 * Aster request signing against the published vectors (reference §3.1, §3.2): the V1 HMAC examples
 * of the futures and spot docs (including the mixed query + body case the docs get wrong), the V3
 * EIP-712 vector (chain ids 1666 and 714), recovery of the signer, and the server-side checks.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import fc from "fast-check"
import { domainSeparator } from "viem"
import { queryString } from "../src/adapters/common/rest"
import { hmacSha256Hex, receivedTotalParams, signV1, splitSignature, timestampAccepted, verifyV1 } from "../src/adapters/aster/signing-v1"
import { domainOf, makeNonceSource, recoverV3Signer, sameAddress, signV3, signV3Message, TESTNET_CHAIN_ID, v3Digest, validateV3Credentials } from "../src/adapters/aster/signing-v3"
import { NonceMemory } from "../src/sim/local-exchange/aster/auth"

describe("V1 HMAC-SHA256 (reference §3.1)", () => {
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

  it("reproduces the futures and spot doc signatures", () => {
    expect(hmacSha256Hex(futures.secret, futures.message)).toBe(futures.signature)
    expect(hmacSha256Hex(spot.secret, spot.message)).toBe(spot.signature)
  })

  it("signs the parameters in the order sent, recvWindow and timestamp last, signature appended", () => {
    const signed = signV1(
      Redacted.make(futures.secret),
      [["symbol", "BTCUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["quantity", "1"], ["price", "9000"], ["timeInForce", "GTC"]],
      { timestamp: 1591702613943, recvWindow: 5000 }
    )
    expect(signed.signature).toBe(futures.signature)
    expect(signed.signed).toBe(`${futures.message}&signature=${futures.signature}`)
    const spotSigned = signV1(
      Redacted.make(spot.secret),
      [["symbol", "BNBUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["timeInForce", "GTC"], ["quantity", "5"], ["price", "1.1"]],
      { timestamp: 1756187806000, recvWindow: 5000 }
    )
    expect(spotSigned.signature).toBe(spot.signature)
  })

  it("mixed query and body: totalParams is the two concatenated without '&' (the doc prints the wrong signature)", () => {
    const query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
    const body = "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943"
    const mixed = "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4"
    expect(hmacSha256Hex(futures.secret, query + body)).toBe(mixed)
    const received = receivedTotalParams(query, `${body}&signature=${mixed}`)
    expect(received).toEqual({ totalParams: query + body, signature: mixed })
    expect(verifyV1(futures.secret, received.totalParams, received.signature!)).toBe(true)
    // the doc's signature for this case is example 1's, which does not verify
    expect(verifyV1(futures.secret, received.totalParams, futures.signature)).toBe(false)
  })

  it("verifies case-insensitively and refuses any change", () => {
    expect(verifyV1(futures.secret, futures.message, futures.signature.toUpperCase())).toBe(true)
    expect(verifyV1(futures.secret, futures.message.replace("price=9000", "price=9001"), futures.signature)).toBe(false)
    expect(verifyV1("another-secret", futures.message, futures.signature)).toBe(false)
    expect(verifyV1(futures.secret, futures.message, "not-hex")).toBe(false)
  })

  it("takes the signature only when it is the last parameter", () => {
    expect(splitSignature("a=1&signature=abc")).toEqual({ unsigned: "a=1", signature: "abc" })
    expect(splitSignature("signature=abc")).toEqual({ unsigned: "", signature: "abc" })
    expect(splitSignature("signature=abc&a=1")).toEqual({ unsigned: "signature=abc&a=1", signature: undefined })
  })

  it("property: whatever the parameters, a signature verifies and a changed message does not", () => {
    const pair = fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }))
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 8 }), fc.string({ minLength: 1, maxLength: 64 }), fc.nat(), (params, secret, timestamp) => {
        const signed = signV1(Redacted.make(secret), params, { timestamp, recvWindow: 5000 })
        const received = receivedTotalParams("", signed.signed)
        expect(received.totalParams).toBe(queryString(signed.pairs))
        expect(verifyV1(secret, received.totalParams, received.signature!)).toBe(true)
        expect(verifyV1(secret, `${received.totalParams}x`, received.signature!)).toBe(false)
      })
    )
  })

  it("applies the timing rule: timestamp < serverTime + 1000 and serverTime − timestamp ≤ recvWindow", () => {
    const server = 1_000_000
    expect(timestampAccepted(server + 999, 5000, server)).toBe("ok")
    expect(timestampAccepted(server + 1000, 5000, server)).toBe("ahead")
    expect(timestampAccepted(server - 5000, 5000, server)).toBe("ok")
    expect(timestampAccepted(server - 5001, 5000, server)).toBe("stale")
  })
})

describe("V3 EIP-712 agent signing (reference §3.2)", () => {
  const privateKey = Redacted.make("0x4fd0a42218f3eae43a6ce26d22544e986139a01e5b34a62db53757ffca81bae1")
  const user = "0x63DD5aCC6b1aa0f563956C0e534DD30B6dcF7C4e" as const
  const signer = "0x21cF8Ae13Bb72632562c6Fff438652Ba1a151bb0" as const
  const msg =
    "symbol=ASTERUSDT&type=LIMIT&side=BUY&timeInForce=GTC&quantity=20&price=0.5&nonce=1748310859508867&user=0x63DD5aCC6b1aa0f563956C0e534DD30B6dcF7C4e&signer=0x21cF8Ae13Bb72632562c6Fff438652Ba1a151bb0"
  const mainnet = {
    domainSeparator: "0xa95d0a7a6f3f17fcebb0c2336645385ce79cde7523f71ab147fdb7f15e9f37f9",
    digest: "0x214122039b686e20a15baab91d368d354cf8c88067cb8b0e96e9018d8b08a625",
    signature:
      "0x0a56c5923ebf3524475c5f631940ec4c0e41dbd300ad28198d1915d8f3ca49ce26fd1aeb8b0c3079133595da0de38322ae7e860e0c76d032c4a491d27c1430b01c"
  }
  const testnet = {
    digest: "0xd0a3cddc3992449300d5b6fa97e441d66d0f950a032b0707455996c29d8477c5",
    signature:
      "0xf91e000376f360c1661cf0fbc79a816e915dce485c616bd49c5e35c6cbc5ba5042ccf75a2bffd282676dbf698087a73982bfd1491a993eeedc276f6827c94a8c1c"
  }

  it.effect("has the vector's domain separator and digest (chain id 1666, and 714 on testnet)", () =>
    Effect.gen(function*() {
      expect(domainSeparator({ domain: domainOf(1666) })).toBe(mainnet.domainSeparator)
      expect(yield* v3Digest(msg)).toBe(mainnet.digest)
      expect(yield* v3Digest(msg, TESTNET_CHAIN_ID)).toBe(testnet.digest)
    }))

  it.effect("reproduces the vector's signatures", () =>
    Effect.gen(function*() {
      expect(yield* signV3Message(privateKey, msg)).toBe(mainnet.signature)
      expect(yield* signV3Message(privateKey, msg, TESTNET_CHAIN_ID)).toBe(testnet.signature)
    }))

  it.effect("signs the parameter string as sent: business parameters, nonce, user, signer, then signature", () =>
    Effect.gen(function*() {
      const signed = yield* signV3(
        { user, signer, signerPrivateKey: privateKey },
        [["symbol", "ASTERUSDT"], ["type", "LIMIT"], ["side", "BUY"], ["timeInForce", "GTC"], ["quantity", "20"], ["price", "0.5"]],
        "1748310859508867"
      )
      expect(signed.signed).toBe(`${msg}&signature=${mainnet.signature}`)
    }))

  it.effect("the server recovers the signer; a changed message or another chain id does not", () =>
    Effect.gen(function*() {
      expect(Option.getOrThrow(yield* recoverV3Signer(msg, mainnet.signature))).toBe(signer)
      const tampered = yield* recoverV3Signer(msg.replace("quantity=20", "quantity=21"), mainnet.signature)
      expect(Option.isSome(tampered) && tampered.value === signer).toBe(false)
      const otherChain = yield* recoverV3Signer(msg, testnet.signature)
      expect(Option.isSome(otherChain) && otherChain.value === signer).toBe(false)
      expect(Option.isNone(yield* recoverV3Signer(msg, "0x1234"))).toBe(true)
    }))

  it.effect("an address matches itself in any letter case; another address or a non-address does not", () =>
    Effect.gen(function*() {
      expect(yield* sameAddress(signer.toLowerCase(), signer)).toBe(true)
      expect(yield* sameAddress(signer, signer.toUpperCase().replace("0X", "0x"))).toBe(true)
      expect(yield* sameAddress(signer, user)).toBe(false)
      expect(yield* sameAddress(signer, signer.slice(0, -1))).toBe(false)
      expect(yield* sameAddress("not an address", "not an address")).toBe(false)
    }))

  it.effect("checks the agent key belongs to the signer, without showing the key", () =>
    Effect.gen(function*() {
      expect((yield* validateV3Credentials({ user, signer, signerPrivateKey: privateKey })).signer).toBe(signer)
      const wrongKey = Redacted.make(`0x${"22".repeat(32)}`)
      const error = yield* Effect.flip(validateV3Credentials({ user, signer, signerPrivateKey: wrongKey }))
      expect(error.message).toContain("not to signer")
      expect(error.message).not.toContain("2222222222")
    }))

  it.effect("nonces are microseconds of the venue clock, unique and increasing", () =>
    Effect.gen(function*() {
      let clock = 1_748_310_859_508
      const next = yield* makeNonceSource(Effect.sync(() => clock))
      const a = BigInt(yield* next)
      const b = BigInt(yield* next)
      expect(a).toBe(1_748_310_859_508_000n)
      expect(b).toBe(a + 1n)
      clock += 2
      expect(BigInt(yield* next)).toBe(1_748_310_859_510_000n)
      // a small step back keeps them increasing; a resync far back is followed
      clock -= 1
      expect(BigInt(yield* next)).toBe(1_748_310_859_510_001n)
      clock -= 60_000
      expect(BigInt(yield* next)).toBe(BigInt(clock) * 1000n)
    }))

  it("the venue's nonce rules: within 10 s, unused, not below the oldest of the last 100", () => {
    const memory = new NonceMemory()
    const now = 1_700_000_000_000
    const at = (ms: number) => BigInt(ms) * 1000n
    expect(Option.isNone(memory.admit(user, at(now), now))).toBe(true)
    expect(Option.getOrThrow(memory.admit(user, at(now), now))).toBe("Nonce already used")
    expect(Option.getOrThrow(memory.admit(user, at(now - 10_001), now))).toBe("Nonce Expired")
    expect(Option.getOrThrow(memory.admit(user, at(now + 10_001), now))).toBe("Nonce Expired")
    for (let i = 1; i < 100; i++) expect(Option.isNone(memory.admit(user, at(now) + BigInt(i), now))).toBe(true)
    // full: one below the oldest is expired, a new one evicts the oldest
    expect(Option.getOrThrow(memory.admit(user, at(now) - 1n, now))).toBe("Nonce Expired")
    expect(Option.isNone(memory.admit(user, at(now) + 500n, now))).toBe(true)
    // the oldest (at(now)) was evicted: now below the oldest kept, it is expired, no longer "used";
    // the next oldest is still kept
    expect(Option.getOrThrow(memory.admit(user, at(now), now))).toBe("Nonce Expired")
    expect(Option.getOrThrow(memory.admit(user, at(now) + 1n, now))).toBe("Nonce already used")
  })
})
