/**
 * The local exchange's shared core: venue books (every expected number worked out by hand next to
 * it), the real-time tick feed, fault plans, accounts, the servers and the `exchange` command.
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { Effect, Either, Exit, Redacted, Scope } from "effect"
import nacl from "tweetnacl"
import { privateKeyToAccount } from "viem/accounts"
import { describe, expect, it } from "vitest"
import { parseConfig } from "../src/core/config/config"
import { type Decimal, decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { OrderUpdate } from "../src/core/domain/order"
import { instrumentOf } from "../src/sim/kernel"
import { DEFAULT_TEST_ACCOUNT, defaultAccounts, parseAccounts } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey, renderLocalBotConfig } from "../src/sim/local-exchange/bot-config"
import { type FaultPlan, makeFaults, parseFaultPlan } from "../src/sim/local-exchange/faults"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { makeTickReplay, scriptedMarket, startTickFeed } from "../src/sim/local-exchange/market-feed"
import { startLocalServers } from "../src/sim/local-exchange/server"
import type { HttpFault, LocalMarketEvent } from "../src/sim/local-exchange/types"
import { type LocalVenueOptions, makeLocalVenue } from "../src/sim/local-exchange/venue-book"
import { openTickFile } from "../src/sim/tickstore/reader"
import { createTickFile } from "../src/sim/tickstore/writer"
import { T0, tempDir, writeScript } from "./support/scripted-market"
import { localInstrument } from "./support/local-instrument"

const d = decimal
const s = (x: Decimal | undefined) => (x === undefined ? undefined : formatDecimal(x))
const HOUR = 3_600_000

// ---------------------------------------------------------------------------------------------
// Venue books driven by a scripted market and a hand-moved clock
// ---------------------------------------------------------------------------------------------

/** minimum notional 5 unless told */
const instrument = (venue: Instrument["venue"], overrides: Partial<Record<"minQty" | "minNotional", string>> = {}): Instrument =>
  localInstrument(venue, { minNotional: "5", ...overrides })

const setup = (venue: Instrument["venue"], balances: Record<string, string>, extra: Partial<LocalVenueOptions> & { minQty?: string } = {}) => {
  const clock = { now: T0 + 30 * 60_000 } // 2025-09-24T01:30:00Z
  const { minQty, ...rest } = extra
  const book = makeLocalVenue({
    instrument: instrument(venue, minQty !== undefined ? { minQty } : {}),
    priceScale: 4,
    qtyScale: 2,
    // Aster futures base tier; spot books below override them
    fees: { maker: d("0.0001"), taker: d("0.00035") },
    startingBalances: () => new Map(Object.entries(balances).map(([k, v]) => [k, d(v)])),
    ...(venue !== "aster-spot" ? { funding: { intervalHours: 4, rate: d("0.0001") } } : {}),
    clock: () => clock.now,
    ...rest
  })
  return { book, clock, market: scriptedMarket(book) }
}

const limit = (side: "buy" | "sell", price: string, qty: string, clientId = "", postOnly = true) =>
  ({ clientId, side, price: d(price), qty: d(qty), postOnly, timeInForce: "GTC" as const })

const balance = (balances: ReadonlyArray<{ asset: string; free: Decimal; locked: Decimal }>, asset: string) => {
  const b = balances.find((x) => x.asset === asset)
  return b === undefined ? undefined : { free: s(b.free), locked: s(b.locked) }
}

describe("venue book: accounts", () => {
  it("keeps each account's orders to itself; a client id is unique within an account", () => {
    const { book, market } = setup("aster-futures", { USDT: "10000" })
    market.quote("2.0000", "100", "2.0010", "100")
    const a = book.placeLimit("alice", limit("buy", "1.9990", "10", "c1"))
    expect(a.status).toBe("new")
    expect(a.rejectCode).toBeUndefined()
    expect(/^\d+$/.test(a.id)).toBe(true) // ids are decimal integers (both wire formats carry numbers)

    // bob sees nothing of alice's and cannot touch it
    expect(book.openOrders("bob")).toEqual([])
    expect(book.order("bob", { orderId: a.id })).toBeUndefined()
    expect(book.order("bob", { clientId: "c1" })).toBeUndefined()
    expect(book.cancel("bob", { orderId: a.id })).toBeUndefined()
    expect(book.order("alice", { orderId: a.id })?.status).toBe("new")

    // the same client id in another account is fine; twice in one account is not
    expect(book.placeLimit("bob", limit("buy", "1.9990", "10", "c1")).status).toBe("new")
    const dup = book.placeLimit("alice", limit("buy", "1.9980", "5", "c1"))
    expect(dup.status).toBe("rejected")
    expect(dup.rejectCode).toBe("duplicateClientId")
    expect(book.openOrders("alice").map((o) => o.id)).toEqual([a.id])
    expect(book.order("alice", { clientId: "c1" })?.id).toBe(a.id)

    // cancelled, its client id is free again on Aster ("unique among open orders"); a lookup finds the newest order
    expect(book.cancel("alice", { clientId: "c1" })?.status).toBe("cancelled")
    expect(book.cancel("alice", { clientId: "c1" })?.status).toBe("cancelled") // its final state, again
    expect(book.openOrders("alice")).toEqual([])
    const reused = book.placeLimit("alice", limit("buy", "1.9990", "10", "c1"))
    expect(reused.status).toBe("new")
    expect(book.order("alice", { clientId: "c1" })?.id).toBe(reused.id)
    expect(book.openOrders("bob")).toHaveLength(1)
  })

  it("rejects exactly where the engine does, with its codes", () => {
    const { book, market } = setup("aster-futures", { USDT: "10000" }, { minQty: "1" })
    // no quote yet: a market order has nothing to take
    expect(book.placeMarket("a", { clientId: "", side: "buy", qty: d("10") }).rejectCode).toBe("noLiquidity")
    market.quote("2.0000", "100", "2.0010", "100")
    expect(book.placeLimit("a", limit("buy", "1.99995", "10")).rejectCode).toBe("tick") // between ticks
    expect(book.placeLimit("a", limit("buy", "1.9990", "10.005")).rejectCode).toBe("step") // off the 0.01 step
    expect(book.placeLimit("a", limit("buy", "1.9990", "0.5")).rejectCode).toBe("minQty") // below 1
    expect(book.placeLimit("a", limit("buy", "1.9990", "2")).rejectCode).toBe("minNotional") // 3.998 < 5
    expect(book.placeMarket("a", { clientId: "", side: "sell", qty: d("2") }).rejectCode).toBe("minNotional") // 2 × bid 2.0000 = 4 < 5
    const crossing = book.placeLimit("a", limit("buy", "2.0010", "10"))
    expect(crossing.rejectCode).toBe("postOnly")
    expect(crossing.rejectReason).toMatch(/post-only/)
    // rejected orders are not kept: nothing open, no client id taken
    expect(book.openOrders("a")).toEqual([])
    expect(book.placeLimit("a", limit("buy", "1.9990", "10", "x")).status).toBe("new")
    // reduce-only on a flat position reduces nothing
    expect(book.placeMarket("a", { clientId: "", side: "sell", qty: d("10"), reduceOnly: true }).rejectCode).toBe("reduceOnly")
  })
})

describe("venue book: fills, fees, positions, balances", () => {
  it("charges maker and taker fees and reports fills, position and margin balances", () => {
    const { book, market } = setup("aster-futures", { USDT: "10000" })
    const updates: Array<OrderUpdate> = []
    book.onOrderUpdate("alice", (u) => updates.push(u))
    market.quote("2.0000", "100", "2.0010", "100")

    const sell = book.placeLimit("alice", limit("sell", "2.0050", "10", "s1"))
    expect(sell.status).toBe("new")
    // a taker buy through our price fills the whole order as maker
    market.trade("2.0060", "50", "buy")
    // fee = 2.0050 × 10 × 0.0001 = 0.002005
    const market1 = book.placeMarket("alice", { clientId: "m1", side: "buy", qty: d("4") })
    // the top ask (2.0010 × 100) covers 4: fee = 2.0010 × 4 × 0.00035 = 0.0028014
    expect(market1.status).toBe("filled")
    expect(s(market1.filledQuote)).toBe("8.004")

    const fills = book.fills("alice")
    expect(fills.map((f) => [f.side, s(f.price), s(f.qty), s(f.fee), f.feeAsset, f.liquidity])).toEqual([
      ["sell", "2.005", "10", "0.002005", "USDT", "maker"],
      ["buy", "2.001", "4", "0.0028014", "USDT", "taker"]
    ])
    expect(book.fills("bob")).toEqual([])
    expect(s(book.position("alice"))).toBe("-6")

    // the stream: accepted, then the fill, for each order (the fill carries the order's new state)
    expect(updates.map((u) => [u.order.clientId, u.order.status, s(u.order.filledQty), u.fill !== undefined])).toEqual([
      ["s1", "new", "0", false],
      ["s1", "filled", "10", true],
      ["m1", "new", "0", false],
      ["m1", "filled", "4", true]
    ])

    // FIFO: short 10 @ 2.0050, bought back 4 @ 2.0010 → realised (2.0050 − 2.0010) × 4 = 0.016
    // fees 0.002005 + 0.0028014 = 0.0048064 → wallet 10000.016 − 0.0048064 = 10000.0111936
    // mark = mid (2.0000 + 2.0010) / 2 = 2.0005; unrealised (2.0050 − 2.0005) × 6 = 0.027
    // equity 10000.0381936; initial margin |−6| × 2.0005 / 10 = 1.2003; available 9998.8378936
    const summary = book.accountSummary("alice")
    expect(s(summary.realizedPnl)).toBe("0.016")
    expect(s(summary.fees)).toBe("0.0048064")
    expect(s(summary.walletBalance)).toBe("10000.0111936")
    expect(s(summary.markPrice)).toBe("2.0005")
    expect(s(summary.unrealizedPnl)).toBe("0.027")
    expect(s(summary.equity)).toBe("10000.0381936")
    expect(s(summary.entryPrice)).toBe("2.005")
    expect(s(summary.initialMargin)).toBe("1.2003")
    expect(balance(book.balances("alice"), "USDT")).toEqual({ free: "9998.8378936", locked: "1.2003" })
    // an untouched account has its starting balance
    expect(balance(book.balances("bob"), "USDT")).toEqual({ free: "10000", locked: "0" })
  })

  it("announces an immediate-or-cancel remainder as expired after its fill", () => {
    const { book, market } = setup("aster-futures", { USDT: "10000" })
    const updates: Array<OrderUpdate> = []
    book.onOrderUpdate("a", (u) => updates.push(u))
    market.quote("2.0000", "100", "2.0010", "30")
    // a marketable IOC buy of 50 takes the 30 shown at 2.0010, the rest expires
    const ioc = book.placeLimit("a", { clientId: "i1", side: "buy", price: d("2.0020"), qty: d("50"), postOnly: false, timeInForce: "IOC" })
    expect([ioc.status, s(ioc.filledQty)]).toEqual(["expired", "30"])
    expect(updates.map((u) => [u.order.status, s(u.order.filledQty), u.fill?.liquidity])).toEqual([
      ["new", "0", undefined],
      ["partially-filled", "30", "taker"],
      ["expired", "30", undefined]
    ])
    expect(book.openOrders("a")).toEqual([])
  })

  it("spot: locks quote for buys and base for sells, and refuses what the account cannot pay", () => {
    const { book, market } = setup("aster-spot", { USDT: "100", ASTER: "5" }, { fees: { maker: d("0.00005"), taker: d("0.0004") } })
    market.quote("2.0000", "100", "2.0010", "100")
    // 40 × 1.9 = 76 (+ 0.0004 fee headroom = 76.0304 ≤ 100): accepted, 76 locked
    expect(book.placeLimit("a", limit("buy", "1.9000", "40")).status).toBe("new")
    expect(balance(book.balances("a"), "USDT")).toEqual({ free: "24", locked: "76" })
    // 13 × 1.9 = 24.7 (× 1.0004 = 24.70988) > 24 free
    const tooBig = book.placeLimit("a", limit("buy", "1.9000", "13"))
    expect(tooBig.rejectCode).toBe("insufficientBalance")
    expect(tooBig.rejectReason).toMatch(/USDT/)
    // 6 ASTER to sell, 5 held
    expect(book.placeLimit("a", limit("sell", "2.1000", "6")).rejectCode).toBe("insufficientBalance")
    expect(book.placeLimit("a", limit("sell", "2.1000", "5")).status).toBe("new")
    expect(balance(book.balances("a"), "ASTER")).toEqual({ free: "0", locked: "5" })
    // market buy 10 at the ask 2.0010: 20.01 + fee 20.01 × 0.0004 = 0.008004
    expect(book.placeMarket("a", { clientId: "", side: "buy", qty: d("10") }).status).toBe("filled")
    // USDT 100 − 20.01 − 0.008004 = 79.981996, of which 76 locked; ASTER 15, 5 locked
    expect(balance(book.balances("a"), "USDT")).toEqual({ free: "3.981996", locked: "76" })
    expect(balance(book.balances("a"), "ASTER")).toEqual({ free: "10", locked: "5" })
    expect(book.funding()).toBeUndefined()
  })

  it("'Pay fee in ASTER': fees in ASTER at 95 % of the rate, from the ASTER wallet while it holds enough, else in USDT", () => {
    // futures: the fee leaves the wallet's ASTER; the USDT wallet pays none
    const futures = setup("aster-futures", { USDT: "10000", ASTER: "0.003" }, { paysFeesInBase: (account) => account === "a" })
    futures.market.quote("2.0000", "100", "2.0010", "100")
    futures.book.placeMarket("a", { clientId: "m1", side: "buy", qty: d("4") })
    // 4 × 0.00035 × 0.95 = 0.00133 ASTER ≤ 0.003 held; the next one (0.00133 ≤ 0.00167) too; the third no longer fits
    futures.book.placeMarket("a", { clientId: "m2", side: "buy", qty: d("4") })
    futures.book.placeMarket("a", { clientId: "m3", side: "buy", qty: d("4") })
    expect(futures.book.fills("a").map((f) => [s(f.fee), f.feeAsset])).toEqual([["0.00133", "ASTER"], ["0.00133", "ASTER"], ["0.0028014", "USDT"]])
    expect(balance(futures.book.balances("a"), "ASTER")).toEqual({ free: "0.00034", locked: "0" })
    // wallet 10000 − 0.0028014 (the USDT fee only); 12 long at the 2.0005 mark: unrealised −0.006, margin 2.4006
    expect(s(futures.book.accountSummary("a").walletBalance)).toBe("9999.9971986")
    // the summary's fees are in USDT: 0.00133 ASTER × 2.001 twice, plus 0.0028014
    expect(s(futures.book.accountSummary("a").fees)).toBe("0.00812406")
    // an account without the setting pays in USDT
    futures.book.placeMarket("b", { clientId: "m1", side: "buy", qty: d("4") })
    expect(futures.book.fills("b").map((f) => f.feeAsset)).toEqual(["USDT"])

    // spot: the ASTER the fee takes (from the balance once the fill has settled) is ASTER the
    // account no longer holds
    const spot = setup("aster-spot", { USDT: "100", ASTER: "0" }, { fees: { maker: d("0.00005"), taker: d("0.0004") }, paysFeesInBase: () => true })
    spot.market.quote("2.0000", "100", "2.0010", "100")
    // the buy's fee comes out of the ASTER it bought: 10 × 0.0004 × 0.95 = 0.0038
    spot.book.placeMarket("a", { clientId: "b1", side: "buy", qty: d("10") })
    // selling 5 of the 9.9962 leaves enough to pay 5 × 0.0004 × 0.95 = 0.0019 ASTER
    spot.book.placeMarket("a", { clientId: "s1", side: "sell", qty: d("5") })
    expect(spot.book.fills("a").map((f) => [s(f.fee), f.feeAsset])).toEqual([["0.0038", "ASTER"], ["0.0019", "ASTER"]])
    // ASTER 10 − 0.0038 − 5 − 0.0019; USDT 100 − 20.01 + 5 × 2 (the bid)
    expect(balance(spot.book.balances("a"), "ASTER")).toEqual({ free: "4.9943", locked: "0" })
    expect(balance(spot.book.balances("a"), "USDT")).toEqual({ free: "89.99", locked: "0" })
    // and it cannot be sold again
    expect(spot.book.placeLimit("a", limit("sell", "2.1000", "5")).rejectCode).toBe("insufficientBalance")
    // selling 4.99 leaves 0.0043, enough for its 0.0018962; the next sale could pay no fee in ASTER
    // (test/local-aster-fees-reduce-only-and-wallet.test.ts: selling it all pays in USDT)
    spot.book.placeMarket("a", { clientId: "s2", side: "sell", qty: d("4.99") })
    expect(balance(spot.book.balances("a"), "ASTER")).toEqual({ free: "0.0024038", locked: "0" })
  })

  it("perps: refuses an order that raises the worst-case position past equity × leverage", () => {
    const { book, market } = setup("aster-futures", { USDT: "100" })
    market.quote("2.0000", "100", "2.0010", "100")
    // equity 100 × leverage 10 = 1000 of notional at the mark 2.0005
    expect(book.placeLimit("a", limit("buy", "1.9000", "499")).status).toBe("new") // 499 × 2.0005 = 998.2495
    // sells up to 499 do not raise max(|0 + 499|, |0 − sells|) = 499
    expect(book.placeLimit("a", limit("sell", "2.1000", "400")).status).toBe("new")
    expect(book.placeLimit("a", limit("sell", "2.1000", "99")).status).toBe("new")
    // 3 more (the smallest size above the 5 min notional) on either side: 502 × 2.0005 = 1004.251 > 1000
    expect(book.placeLimit("a", limit("buy", "1.9000", "3")).rejectCode).toBe("insufficientBalance")
    const sell = book.placeLimit("a", limit("sell", "2.1000", "3"))
    expect(sell.rejectCode).toBe("insufficientBalance")
    expect(sell.rejectReason).toMatch(/margin/)
    // initial margin 499 × 2.0005 / 10 = 99.82495
    expect(balance(book.balances("a"), "USDT")).toEqual({ free: "0.17505", locked: "99.82495" })
  })
})

describe("venue book: the largest order an account can afford", () => {
  it("perps: where its own margin check starts refusing, on each side, open orders counted", () => {
    const { book, market } = setup("aster-futures", { USDT: "100" })
    market.quote("2.0000", "100", "2.0010", "100")
    // equity 100 × leverage 10 = 1000 of notional at the mark 2.0005: 499.87 × 2.0005 = 999.989935,
    // 499.88 × 2.0005 = 1000.00994
    expect(s(book.maxOrderQty("a", "buy", d("1.9000")))).toBe("499.87")
    expect(s(book.maxOrderQty("a", "sell", d("2.1000")))).toBe("499.87")
    expect(book.placeLimit("a", limit("buy", "1.9000", "499.88")).rejectCode).toBe("insufficientBalance")
    expect(book.placeLimit("a", limit("buy", "1.9000", "400")).status).toBe("new")
    // a worst case of 400 long: 99.87 more buys; sells up to 499.87 short
    expect(s(book.maxOrderQty("a", "buy", d("1.9000")))).toBe("99.87")
    expect(s(book.maxOrderQty("a", "sell", d("2.1000")))).toBe("499.87")
    expect(book.placeLimit("a", limit("buy", "1.9000", "99.88")).rejectCode).toBe("insufficientBalance")
    expect(book.placeLimit("a", limit("buy", "1.9000", "99.87")).status).toBe("new")
    expect(s(book.maxOrderQty("a", "buy", d("1.9000")))).toBe("0")
  })

  it("spot: the quote a buy needs with the higher fee, the base a sell needs", () => {
    const { book, market } = setup("aster-spot", { USDT: "100", ASTER: "5" }, { fees: { maker: d("0.00005"), taker: d("0.0004") } })
    market.quote("2.0000", "100", "2.0010", "100")
    // 52.61 × 1.9 × 1.0004 = 99.9989836 ≤ 100 < 52.62 × 1.9 × 1.0004 = 100.0179912
    expect(s(book.maxOrderQty("a", "buy", d("1.9000")))).toBe("52.61")
    expect(book.placeLimit("a", limit("buy", "1.9000", "52.62")).rejectCode).toBe("insufficientBalance")
    expect(book.placeLimit("a", limit("buy", "1.9000", "52.61")).status).toBe("new")
    expect(s(book.maxOrderQty("a", "sell", d("2.1000")))).toBe("5")
  })
})

describe("venue book: funding and depth", () => {
  it("reports the next funding time on the venue's interval and settles positions there", () => {
    const { book, clock, market } = setup("aster-futures", { USDT: "10000" })
    const hourly = setup("backpack", { USDC: "10000" }, { funding: { intervalHours: 1, rate: d("0.0000125") } })
    expect(book.funding()).toBeUndefined() // no price yet
    market.quote("2.0000", "100", "2.0010", "100")
    hourly.market.quote("2.0000", "100", "2.0010", "100")
    // 01:30 UTC: the next 4-hourly funding is at 04:00, the next hourly one at 02:00
    expect(book.funding()).toEqual({ markPrice: d("2.0005"), indexPrice: d("2.0005"), rate: d("0.0001"), nextFundingTime: T0 + 3 * HOUR, intervalHours: 4 })
    expect(hourly.book.funding()?.nextFundingTime).toBe(T0 + HOUR)

    market.fundingRate("0.0002")
    expect(s(book.funding()?.rate)).toBe("0.0002")
    book.placeMarket("long", { clientId: "", side: "buy", qty: d("10") })
    book.placeMarket("short", { clientId: "", side: "sell", qty: d("10") })
    clock.now = T0 + 3 * HOUR - 1
    expect(book.fundingPayments("long")).toEqual([])
    clock.now = T0 + 3 * HOUR
    // long 10 pays 10 × 2.0005 × 0.0002 = 0.004001; the short receives it; flat accounts nothing
    expect(book.fundingPayments("long").map((p) => [p.ts, s(p.amount), s(p.markPrice), s(p.rate)])).toEqual([[T0 + 3 * HOUR, "-0.004001", "2.0005", "0.0002"]])
    expect(book.fundingPayments("short").map((p) => s(p.amount))).toEqual(["0.004001"])
    expect(book.fundingPayments("flat")).toEqual([])
    expect(book.funding()?.nextFundingTime).toBe(T0 + 7 * HOUR)
    expect(s(book.accountSummary("long").funding)).toBe("-0.004001")
  })

  it("serves depth from the latest fresh snapshot under the live top of book", () => {
    const { book, clock, market } = setup("aster-futures", { USDT: "10000" })
    market.quote("2.0000", "0", "2.0010", "30")
    market.depth([["2.0000", "80"], ["1.9990", "50"], ["1.9980", "20"]], [["2.0010", "30"], ["2.0020", "40"]])
    const depth = book.depth(2)
    // size 0 (unknown) shows the assumed top size (1000); the snapshot's levels follow the live top
    expect(depth.bids.map(([p, q]) => [s(p), s(q)])).toEqual([["2", "1000"], ["1.999", "50"]])
    expect(depth.asks.map(([p, q]) => [s(p), s(q)])).toEqual([["2.001", "30"], ["2.002", "40"]])
    clock.now += 6000 // a snapshot older than 5 s is no longer trusted
    expect(book.depth(5).bids).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------
// The tick feed
// ---------------------------------------------------------------------------------------------

const feedScript = () =>
  writeScript(
    [
      { t: 0, venue: "bp", quote: ["2.0000", "100", "2.0010", "100"] },
      { t: 0, venue: "as", quote: ["2.0002", "100", "2.0008", "100"] },
      { t: 500, venue: "bp", quote: ["2.0001", "100", "2.0011", "100"] },
      { t: 1000, venue: "as", quote: ["2.0003", "100", "2.0009", "100"] },
      { t: 1200, venue: "bp", trade: ["2.0200", "20", "buy"] },
      { t: 1500, venue: "bp", quote: ["2.0150", "100", "2.0210", "100"] },
      { t: 2000, venue: "as", quote: ["2.0150", "100", "2.0160", "100"] }
    ],
    { funding: [{ t: 30 * 60_000, venue: "as", rate: "0.0002", mark: "2" }, { t: 90 * 60_000, venue: "as", rate: "0.0003", mark: "2" }] }
  )

const booksFor = (dbPath: string, clock: () => number) => {
  const file = openTickFile(dbPath)
  const make = (idx: number) => {
    const stored = file.instruments[idx]!
    return makeLocalVenue({
      instrument: instrumentOf(stored),
      priceScale: stored.priceScale,
      qtyScale: stored.qtyScale,
      fees: { maker: d("0.0002"), taker: d("0.0005") },
      startingBalances: () => new Map([["USDC", d("1000")], ["USDT", d("1000")]]),
      funding: { intervalHours: 1, rate: d("0.00001") },
      clock
    })
  }
  return { file, bp: make(0), as: make(1) }
}

describe("tick feed", () => {
  it("replays a file in real time at a speed factor, without blocking, and fills resting orders", async () => {
    const { file, bp, as } = booksFor(feedScript(), Date.now)
    try {
      // resting before the feed starts: the replayed taker buy at 2.0200 trades through it
      const order = bp.placeLimit("alice", limit("sell", "2.0100", "5", "r1"))
      expect(order.status).toBe("new")
      const events: Array<LocalMarketEvent & { readonly receivedAt: number }> = []
      bp.onMarket((e) => events.push({ ...e, receivedAt: Date.now() }))
      as.onMarket((e) => events.push({ ...e, receivedAt: Date.now() }))

      const started = Date.now()
      let timerTicks = 0
      const timer = setInterval(() => void (timerTicks += 1), 5)
      const status = await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function*() {
            // 2 s of file at 20× = 100 ms of wall clock
            const feed = yield* startTickFeed({ file, targets: [{ instrumentIdx: 0, sink: bp.feed }, { instrumentIdx: 1, sink: as.feed }], speed: 20, sliceMs: 5 })
            while (!feed.status().ended) yield* Effect.sleep("5 millis")
            return feed.status()
          })
        )
      )
      clearInterval(timer)
      const elapsed = Date.now() - started
      expect(status).toMatchObject({ ended: true, ticks: 7, loops: 0 })
      expect(elapsed).toBeGreaterThanOrEqual(95)
      expect(elapsed).toBeLessThan(3000)
      expect(timerTicks).toBeGreaterThan(2) // the event loop kept turning

      // ticks are stamped on the wall clock: first to last = 2000 ms / 20 = 100 ms, never early
      expect(events.map((e) => e.kind)).toEqual(["quote", "quote", "quote", "quote", "trade", "quote", "quote"])
      expect(events[events.length - 1]!.ts - events[0]!.ts).toBe(100)
      for (const e of events) expect(e.receivedAt).toBeGreaterThanOrEqual(e.ts)

      expect(bp.order("alice", { clientId: "r1" })?.status).toBe("filled")
      expect(bp.fills("alice").map((f) => [s(f.price), s(f.qty), f.liquidity])).toEqual([["2.01", "5", "maker"]])
      expect(s(bp.ticker()?.bid)).toBe("2.015")
      expect(s(bp.ticker()?.last)).toBe("2.02")
      expect(s(as.ticker()?.ask)).toBe("2.016")
      expect(s(as.ticker()?.last)).toBe("2.0155") // no trade on that venue: the mid
    } finally {
      file.close()
    }
  })

  it("maps file time onto the clock, loops, and caps each slice", () => {
    const clock = { now: 1_000_000 }
    const { file, bp, as } = booksFor(feedScript(), () => clock.now)
    try {
      const replay = makeTickReplay({ file, targets: [{ instrumentIdx: 0, sink: bp.feed }, { instrumentIdx: 1, sink: as.feed }], loop: true, clock: () => clock.now, maxTicksPerSlice: 3 })
      expect(replay.status().ticks).toBe(0)
      clock.now += 1000 // file times 0, 0, 500, 1000 are due
      expect(replay.advance(clock.now)).toBe(true) // 3 per slice: more were due
      expect(replay.advance(clock.now)).toBe(false)
      expect(replay.status().ticks).toBe(4)
      // before the first funding row is reached its rate is the one in force
      expect(s(as.funding()?.rate)).toBe("0.0002")
      // the file is 2 s long; a loop restarts 1 s of file time after its last tick, at 3 s
      clock.now += 2000
      while (replay.advance(clock.now));
      expect(replay.status()).toMatchObject({ loops: 1, ticks: 9, ended: false })
      expect(s(bp.ticker()?.bid)).toBe("2") // the first quote again
    } finally {
      file.close()
    }
  })

  it("switches to the next funding row's rate once the file passes a row", () => {
    const clock = { now: 5_000_000 }
    const db = writeScript(
      [
        { t: 0, venue: "as", quote: ["2.0000", "100", "2.0010", "100"] },
        { t: 100 * 60_000, venue: "as", quote: ["2.0000", "100", "2.0010", "100"] }
      ],
      { funding: [{ t: 30 * 60_000, venue: "as", rate: "0.0002", mark: "2" }, { t: 90 * 60_000, venue: "as", rate: "-0.0003", mark: "2" }] }
    )
    const { file, as } = booksFor(db, () => clock.now)
    try {
      const replay = makeTickReplay({ file, targets: [{ instrumentIdx: 1, sink: as.feed }], speed: 60, clock: () => clock.now })
      replay.advance(clock.now)
      expect(s(as.funding()?.rate)).toBe("0.0002")
      clock.now += 31_000 // 31 min of file at 60×
      replay.advance(clock.now)
      expect(s(as.funding()?.rate)).toBe("-0.0003")
      clock.now += 80_000
      replay.advance(clock.now)
      expect(replay.status().ended).toBe(true)
      expect(s(as.funding()?.rate)).toBe("-0.0003") // the last row's rate stays in force
    } finally {
      file.close()
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Fault plans
// ---------------------------------------------------------------------------------------------

const plan = (text: string): FaultPlan => Either.getOrThrowWith(parseFaultPlan(text, "test plan"), (e) => new Error(e.message))

type Injector = ReturnType<typeof makeFaults>
const decisions = (faults: Injector, requests: ReadonlyArray<readonly [Parameters<Injector["http"]>[0], string]>) =>
  Effect.runSync(Effect.forEach(requests, ([venue, route]) => faults.http(venue, route)))

describe("fault plans", () => {
  const random = `
seed: 7
http:
  - route: "POST /fapi/v1/order"
    probability: 0.3
    fault: { kind: status, status: 503 }
`
  const orders = Array.from({ length: 200 }, () => ["aster-futures", "POST /fapi/v1/order"] as const)

  it("is deterministic for a seed", () => {
    const first = decisions(makeFaults(plan(random)), orders).map((f) => f.kind)
    const second = decisions(makeFaults(plan(random)), orders).map((f) => f.kind)
    const other = decisions(makeFaults(plan(random.replace("seed: 7", "seed: 8"))), orders).map((f) => f.kind)
    expect(second).toEqual(first)
    expect(other).not.toEqual(first)
    const fired = first.filter((k) => k === "status").length
    expect(fired).toBeGreaterThan(30) // 30 % of 200 = 60, give or take
    expect(fired).toBeLessThan(90)
  })

  it("matches venue, method and path; every-Nth counts only matching requests; times caps a rule", () => {
    const faults = makeFaults(plan(`
http:
  - route: "POST /fapi/v1/order"
    venue: aster
    every: 3
    fault: { kind: status, status: 502 }
  - route: "/api/v1/*"
    times: 2
    fault: { kind: delay, ms: 250 }
  - route: "*"
    venue: backpack
    probability: 1
    fault: { kind: rateLimit, retryAfterSeconds: 2 }
`))
    const kinds = (fs: ReadonlyArray<HttpFault>) =>
      fs.map((f) => (f.kind === "status" ? `status ${f.status}` : f.kind === "delay" ? `delay ${f.ms}` : f.kind === "rateLimit" ? `429 ${f.retryAfterSeconds}` : f.kind))
    expect(kinds(decisions(faults, [
      ["aster-futures", "POST /fapi/v1/order"],
      ["aster-futures", "GET /fapi/v1/order"], // another method: not counted
      ["aster-spot", "POST /fapi/v1/order"],
      ["aster-futures", "POST /fapi/v1/order"], // the 3rd matching one
      ["backpack", "POST /fapi/v1/order"] // not an aster venue: falls to the backpack rule
    ]))).toEqual(["none", "none", "none", "status 502", "429 2"])
    expect(kinds(decisions(faults, [
      ["aster-spot", "GET /api/v1/depth"],
      ["aster-spot", "DELETE /api/v1/order"],
      ["aster-spot", "GET /api/v1/depth"] // times: 2 reached
    ]))).toEqual(["delay 250", "delay 250", "none"])
  })

  it("can be changed at runtime and keeps a history", () => {
    const faults = makeFaults()
    expect(Effect.runSync(faults.http("backpack", "GET /api/v1/depth"))).toEqual({ kind: "none" })
    Effect.runSync(faults.addHttp({ route: "GET /api/v1/depth", fault: { kind: "timeout" } }))
    Effect.runSync(faults.addSocket({ stream: "*depth*", venue: "backpack", fault: { kind: "drop" } }))
    expect(Effect.runSync(faults.http("backpack", "GET /api/v1/depth"))).toEqual({ kind: "timeout" })
    expect(Effect.runSync(faults.socket("backpack", "depth.ASTER_USDC_PERP"))).toEqual({ kind: "drop" })
    expect(Effect.runSync(faults.socket("aster-futures", "asterusdt@depth"))).toEqual({ kind: "none" })
    expect(Effect.runSync(faults.history).map((h) => [h.venue, h.target, h.fault.kind])).toEqual([
      ["backpack", "GET /api/v1/depth", "timeout"],
      ["backpack", "depth.ASTER_USDC_PERP", "drop"]
    ])
    Effect.runSync(faults.clear)
    expect(Effect.runSync(faults.http("backpack", "GET /api/v1/depth"))).toEqual({ kind: "none" })
    Effect.runSync(faults.setPlan(plan(`{"http":[{"route":"*","fault":"malformed"}],"socket":[{"stream":"*","every":2,"fault":"duplicate"}]}`)))
    expect(Effect.runSync(faults.http("aster-spot", "GET /api/v1/ticker/bookTicker"))).toEqual({ kind: "malformed" })
    expect(Effect.runSync(Effect.forEach([1, 2, 3, 4], () => faults.socket("backpack", "x"))).map((f) => f.kind)).toEqual(["none", "duplicate", "none", "duplicate"])
  })

  it("refuses a bad plan with one line per problem, naming the key", () => {
    const result = parseFaultPlan(`
http:
  - route: "POST /fapi/v1/order"
    probabilty: 0.5
    fault: { kind: status, status: 501 }
  - route: "fetch it"
    fault: { kind: delay }
  - route: "*"
    probability: 2
    fault: { kind: explode }
  - route: "*"
    every: 2
    probability: 0.5
    fault: timeout
socket:
  - stream: "x"
    fault: delay
`, "plan.yaml")
    expect(Either.isLeft(result)).toBe(true)
    const message = Either.isLeft(result) ? result.left.message : ""
    expect(message.split("\n")).toEqual([
      "invalid fault plan plan.yaml:",
      "  - http.0.probabilty: unknown key (check its spelling and section)",
      "  - http.0.fault.status: expected one of 500, 502, 503, 504, got 501",
      `  - http.1.route: expected a route "METHOD /path" such as "POST /fapi/v1/order" ("*" matches anything, the method may be left out), got "fetch it"`,
      "  - http.1.fault.ms: missing (required)",
      "  - http.2.probability: expected a probability between 0 and 1, got 2",
      `  - http.2.fault.kind: expected one of "delay", "status", "rateLimit", "timeout", "malformed", "reject", got "explode"`,
      "  - http.3.every: give either probability or every, not both",
      `  - socket.0.fault: expected a WebSocket fault: a mapping with kind one of "drop", "duplicate", "disconnect", "malformed", "reorder" (or just "drop", "duplicate", "disconnect", "malformed", "reorder"), got "delay"`
    ])
    expect(Either.isLeft(parseFaultPlan("http: [", "broken.yaml"))).toBe(true)
    expect(Either.isLeft(parseFaultPlan("[]", "list.json"))).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

describe("accounts", () => {
  it("has a documented default test account whose V3 addresses match their documented private keys", () => {
    const accounts = defaultAccounts()
    expect(accounts.asterV1(DEFAULT_TEST_ACCOUNT.asterApiKey)).toEqual({ account: "test", secret: DEFAULT_TEST_ACCOUNT.asterApiSecret })
    expect(accounts.asterV1("someone-else")).toBeUndefined()
    // addresses compare in any case
    expect(accounts.asterV3(DEFAULT_TEST_ACCOUNT.asterUser.toLowerCase(), `0x${DEFAULT_TEST_ACCOUNT.asterSigner.slice(2).toUpperCase()}`)).toEqual({ account: "test" })
    expect(accounts.asterV3(DEFAULT_TEST_ACCOUNT.asterSigner, DEFAULT_TEST_ACCOUNT.asterUser)).toBeUndefined()
    expect(privateKeyToAccount(DEFAULT_TEST_ACCOUNT.asterSignerPrivateKey).address).toBe(DEFAULT_TEST_ACCOUNT.asterSigner)
    expect(privateKeyToAccount(DEFAULT_TEST_ACCOUNT.asterUserPrivateKey).address).toBe(DEFAULT_TEST_ACCOUNT.asterUser)
    const key = generateBackpackTestKey().publicKeyB64
    expect(accounts.backpack(key)).toEqual({ account: key })
    expect([...accounts.startingBalances("anyone")].map(([a, v]) => [a, s(v)])).toEqual([["USDC", "10000"], ["USDT", "10000"], ["ASTER", "1000"]])
  })

  it("decodes an accounts file: V1 and V3 pairs, balances over the defaults, Backpack keys", () => {
    const bpKey = generateBackpackTestKey().publicKeyB64
    const result = parseAccounts(`
default_balances: { USDT: 50, USDC: "60" }
default_account: false
aster:
  - account: alice
    api_key: alice-key
    api_secret: alice-secret
    user: "0x${"a".repeat(40)}"
    signer: "0x${"b".repeat(40)}"
    balances: { USDT: "500.5", ASTER: 3 }
  - api_key: bob-key
    api_secret: bob-secret
backpack:
  - public_key: "${bpKey}"
    balances: { USDC: 7 }
`, "accounts.yaml")
    const accounts = Either.getOrThrowWith(result, (e) => new Error(e.message))
    expect(accounts.asterV1(DEFAULT_TEST_ACCOUNT.asterApiKey)).toBeUndefined() // default_account: false
    expect(accounts.asterV1("alice-key")).toEqual({ account: "alice", secret: "alice-secret" })
    expect(accounts.asterV3(`0x${"A".repeat(40)}`, `0x${"b".repeat(40)}`)).toEqual({ account: "alice" }) // same account as V1
    expect(accounts.asterV1("bob-key")).toEqual({ account: "bob-key", secret: "bob-secret" }) // unnamed: the key names it
    const balances = (account: string) => Object.fromEntries([...accounts.startingBalances(account)].map(([a, v]) => [a, s(v)]))
    expect(balances("alice")).toEqual({ USDT: "500.5", USDC: "60", ASTER: "3" })
    expect(balances("bob-key")).toEqual({ USDT: "50", USDC: "60" })
    expect(balances(bpKey)).toEqual({ USDT: "50", USDC: "7" })
    expect(balances("unlisted-backpack-key")).toEqual({ USDT: "50", USDC: "60" })
    expect(accounts.aster.map((a) => a.account)).toEqual(["alice", "bob-key"])
    expect(JSON.stringify(accounts.aster)).not.toMatch(/secret/) // the printable list carries no secrets
  })

  it("refuses a bad accounts file, naming the key", () => {
    const problems = (text: string) => {
      const r = parseAccounts(text, "acc.yaml")
      return Either.isLeft(r) ? r.left.message.split("\n").slice(1) : []
    }
    expect(problems(`
aster:
  - api_key: k
  - user: "0x12"
    signer: "0x${"b".repeat(40)}"
  - api_key: k2
    api_secret: s
    balances: { USDC: abc }
backpack:
  - public_key: "abc"
`)).toEqual([
      "  - aster.0.api_secret: missing: a V1 account needs both api_key and api_secret",
      `  - aster.1.user: expected an address 0x followed by 40 hex digits, got "0x12"`,
      `  - aster.2.balances.USDC: expected a decimal number such as "10" or "0.25", got "abc"`,
      `  - backpack.0.public_key: expected an ED25519 public key: base64 of 32 bytes (44 characters), got "abc"`
    ])
    expect(problems(`{ "aster": [{ "api_key": "k", "api_secret": "s", "balances": { "usdt": 3 } }] }`)).toEqual([
      `  - aster.0.balances.usdt: expected an asset name in capitals such as "USDT", got "usdt"`
    ])
    expect(problems(`{ "aster": [{ "api_key": "${DEFAULT_TEST_ACCOUNT.asterApiKey}", "api_secret": "x" }] }`)).toEqual([
      "  - aster.0.api_key: this API key is already used by another entry"
    ])
    expect(problems(`aster: [{ user: "0x${"c".repeat(40)}" }]`)).toEqual(["  - aster.0.signer: missing: a V3 account needs both user and signer"])
  })
})

// ---------------------------------------------------------------------------------------------
// Servers, the config they hand out, and the command
// ---------------------------------------------------------------------------------------------

const serverScript = () =>
  writeScript([
    { t: 0, venue: "bp", quote: ["2.0000", "100", "2.0010", "100"] },
    { t: 0, venue: "as", quote: ["2.0002", "100", "2.0008", "100"] },
    { t: 60_000, venue: "as", quote: ["2.0002", "100", "2.0008", "100"] }
  ])

/** A raw WebSocket handshake (node:http, no client library) and the text frames that follow. */
const openSocket = (url: string) =>
  new Promise<{ readonly status: number; readonly texts: Array<string>; readonly close: () => void }>((resolve, reject) => {
    const request = http.request(url.replace(/^ws/, "http"), {
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64") }
    })
    request.on("upgrade", (response, socket) => {
      const texts: Array<string> = []
      let buffer = Buffer.alloc(0)
      socket.on("data", (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk])
        // unmasked server frames: FIN|opcode, then a 7-bit length (126 = 16-bit length follows)
        while (buffer.length >= 2) {
          const short = buffer[1]! & 0x7f
          const [length, start] = short === 126 ? [buffer.readUInt16BE(2), 4] : [short, 2]
          if (buffer.length < start + length) break
          if ((buffer[0]! & 0x0f) === 1) texts.push(buffer.subarray(start, start + length).toString("utf8"))
          buffer = buffer.subarray(start + length)
        }
      })
      socket.on("error", () => {})
      resolve({ status: response.statusCode ?? 0, texts, close: () => socket.destroy() })
    })
    request.on("response", (response) => resolve({ status: response.statusCode ?? 0, texts: [], close: () => response.destroy() }))
    request.on("error", reject)
    request.end()
  })

const getJson = async (url: string) => {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe("local exchange servers", () => {
  it("start on ephemeral loopback ports, answer HTTP on both and stop when the scope closes", async () => {
    const scope = Effect.runSync(Scope.make())
    const running = await Effect.runPromise(Scope.extend(startLocalExchange({ dbPath: serverScript(), portBackpack: 0, portAster: 0, portAsterSpot: 0 }), scope))
    const { urls } = running
    expect(urls.backpack).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(urls.asterFutures).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(urls.asterSpot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    // one host per venue, streams at the root of their host as on the real fstream/sstream hosts
    expect(urls.asterFuturesWs).toBe(urls.asterFutures.replace("http", "ws"))
    expect(urls.asterSpotWs).toBe(urls.asterSpot.replace("http", "ws"))
    expect(new Set([urls.backpack, urls.asterFutures, urls.asterSpot]).size).toBe(3)

    const bp = await getJson(`${urls.backpack}/__local/health`)
    expect(bp.status).toBe(200)
    expect(bp.body).toMatchObject({ ok: true, family: "backpack", venues: [{ venue: "backpack", symbol: "ASTER_USDC_PERP", quoted: true }] })
    expect((await getJson(`${urls.asterFutures}/__local/health`)).body).toMatchObject({ family: "aster-futures", venues: [{ venue: "aster-futures", symbol: "ASTERUSDT" }] })
    expect((await getJson(`${urls.asterSpot}/__local/health`)).body).toMatchObject({ family: "aster-spot", venues: [{ venue: "aster-spot", symbol: "ASTERUSDT" }] })
    expect(running.warnings).toEqual([expect.stringMatching(/no aster-spot ticks: the aster-futures ASTERUSDT recording stands in/)])
    expect((await fetch(`${urls.asterFutures}/no/such/route`)).status).toBe(404)

    // the venues' own routes at the root of their port
    expect((await getJson(`${urls.backpack}/api/v1/time`)).status).toBe(200)
    expect((await getJson(`${urls.asterFutures}/fapi/v1/time`)).body).toHaveProperty("serverTime")
    expect((await getJson(`${urls.asterSpot}/api/v1/time`)).body).toHaveProperty("serverTime")
    const bookTicker = async (url: string) => (await getJson(url)).body
    running.venues.asterSpot.feed.quote(Date.now() * 1000, 19000, 100, 21000, 100) // spot only: 1.9 / 2.1
    expect(await bookTicker(`${urls.asterSpot}/api/v1/ticker/bookTicker?symbol=ASTERUSDT`)).toMatchObject({ bidPrice: "1.9", askPrice: "2.1" })
    expect(await bookTicker(`${urls.asterFutures}/fapi/v1/ticker/bookTicker?symbol=ASTERUSDT`)).toMatchObject({ bidPrice: "2.0002" })

    // WebSockets at the root of each host
    const bpSocket = await openSocket(`${urls.backpackWs}/`)
    const futuresSocket = await openSocket(`${urls.asterFuturesWs}/ws/asterusdt@bookTicker`)
    const spotSocket = await openSocket(`${urls.asterSpotWs}/ws/asterusdt@bookTicker`)
    expect([bpSocket.status, futuresSocket.status, spotSocket.status]).toEqual([101, 101, 101])
    await new Promise((r) => setTimeout(r, 50))
    running.venues.asterSpot.feed.quote(Date.now() * 1000, 19100, 100, 20900, 100)
    const deadline = Date.now() + 2000
    while (spotSocket.texts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(spotSocket.texts.join("\n")).toContain("1.91")
    expect(futuresSocket.texts.join("\n")).not.toContain("1.91")

    // keep-alive connections and WebSockets are open: closing must not wait for them (the bound
    // detects a hang, whatever the machine's load; it is not a speed target)
    const closing = Date.now()
    await Effect.runPromise(Scope.close(scope, Exit.void))
    expect(Date.now() - closing).toBeLessThan(10_000)
    await expect(fetch(`${urls.backpack}/__local/health`)).rejects.toThrow()
    await expect(fetch(`${urls.asterFutures}/__local/health`)).rejects.toThrow()
    await expect(fetch(`${urls.asterSpot}/__local/health`)).rejects.toThrow()
  })

  it("listens on loopback only, and names what is missing", async () => {
    const venues = await Effect.runPromise(Effect.scoped(Effect.map(startLocalExchange({ dbPath: serverScript() }), (r) => r.venues)))
    const refused = await Effect.runPromise(Effect.flip(Effect.scoped(startLocalServers({ venues, faults: makeFaults(), accounts: defaultAccounts(), host: "0.0.0.0" }))))
    expect(refused.message).toMatch(/loopback only/)
    const busy = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const first = yield* startLocalServers({ venues, faults: makeFaults(), accounts: defaultAccounts() })
          const port = Number(new URL(first.backpack).port)
          return yield* Effect.flip(startLocalServers({ venues, faults: makeFaults(), accounts: defaultAccounts(), portBackpack: port }))
        })
      )
    )
    expect(busy.message).toMatch(/^cannot listen on 127\.0\.0\.1:\d+: the port is in use$/)
    const missing = await Effect.runPromise(Effect.flip(Effect.scoped(startLocalExchange({ dbPath: "no/such.db" }))))
    expect(missing.message).toMatch(/no\/such\.db: no such file/)
    // a recording of Aster alone: the maker venue has no market
    const asterOnly = path.join(tempDir(), "aster-only.db")
    const writer = createTickFile(asterOnly, { source: "test", synthetic: true, proxy: [], createdAt: new Date(0).toISOString(), notes: {} }, [
      { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "5", priceScale: 4, qtyScale: 2 }
    ])
    writer.appendQuote(0, T0 * 1000, 20002, 10000, 20008, 10000)
    writer.finish()
    const noBackpack = await Effect.runPromise(Effect.flip(Effect.scoped(startLocalExchange({ dbPath: asterOnly }))))
    expect(noBackpack.message).toBe(`${asterOnly} has no backpack ticks (it has aster-futures:ASTERUSDT)`)
  })

  it("writes a config that loads with parseConfig and resolves to the chosen variant", () => {
    for (const variant of ["futures", "spot"] as const) {
      const key = generateBackpackTestKey()
      const text = renderLocalBotConfig({
        variant,
        backpackUrl: "http://127.0.0.1:8701",
        asterUrl: "http://127.0.0.1:8702",
        backpackSymbol: "ASTER_USDC_PERP",
        asterSymbol: "ASTERUSDT",
        backpackKey: key,
        asterApiKey: DEFAULT_TEST_ACCOUNT.asterApiKey,
        asterApiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret,
        dataFile: "data/sample.db",
        createdAt: "2025-09-24T00:00:00.000Z"
      })
      const config = Either.getOrThrowWith(parseConfig(text, "written.yaml"), (e) => new Error(e.message))
      expect(config.hedge.venue).toBe(variant === "futures" ? "aster-futures" : "aster-spot")
      expect(config.maker.baseUrl).toBe("http://127.0.0.1:8701")
      expect(config.hedge.baseUrl).toBe("http://127.0.0.1:8702")
      expect(config.trade.betweenLegsSleepMs).toBe(variant === "futures" ? 60_000 : 20_000)
      // credentials the local exchange accepts: the default Aster account, a working ED25519 pair
      expect(defaultAccounts().asterV1(Redacted.value(config.hedge.apiKey))?.secret).toBe(Redacted.value(config.hedge.apiSecret))
      const seed = Buffer.from(Redacted.value(config.maker.secretKey), "base64")
      expect(seed).toHaveLength(32)
      expect(Buffer.from(nacl.sign.keyPair.fromSeed(seed).publicKey).toString("base64")).toBe(Redacted.value(config.maker.publicKey))
    }
  })
})

describe("exchange command", () => {
  it("prints its URLs, writes a spot config and stops cleanly on Ctrl+C", async () => {
    const out = path.join(tempDir(), "cfg", "local.yaml")
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/exchange.ts", serverScript(), "--port-backpack", "0", "--port-aster", "0", "--port-aster-spot", "0", "--speed", "5", "--write-config", out, "--variant", "spot"], {
      env: { ...process.env, NO_COLOR: "1" }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => void (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => void (stderr += String(chunk)))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    const deadline = Date.now() + 60_000
    while (!stdout.includes("Ctrl+C to stop") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50))
    expect(stdout).toContain("Ctrl+C to stop")
    const urls = [...stdout.matchAll(/http:\/\/127\.0\.0\.1:\d+/g)].map((m) => m[0])
    expect((await getJson(`${urls[0]}/__local/health`)).status).toBe(200)
    child.kill("SIGINT")
    expect(await exited).toBe(0)
    expect(stdout).toContain("local exchange stopped")
    expect(stdout).toMatch(/TEST key/)
    expect(stderr).toMatch(/no aster-spot ticks/)
    const config = Either.getOrThrowWith(parseConfig(fs.readFileSync(out, "utf8"), out), (e) => new Error(e.message))
    expect(config.hedge.venue).toBe("aster-spot")
    expect(config.maker.baseUrl).toBe(urls[0])
    // the written secret never reaches the terminal
    expect(stdout + stderr).not.toContain(Redacted.value(config.maker.secretKey))
  })

  it("refuses a bad fault plan with a one-line-per-problem message and a non-zero exit", () => {
    const plan = path.join(tempDir(), "faults.yaml")
    fs.writeFileSync(plan, "http:\n  - route: \"*\"\n    fault: { kind: delay }\n")
    return new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/exchange.ts", serverScript(), "--faults", plan, "--port-backpack", "0", "--port-aster", "0", "--port-aster-spot", "0"])
      let all = ""
      child.stdout.on("data", (c) => void (all += String(c)))
      child.stderr.on("data", (c) => void (all += String(c)))
      child.on("exit", (code) => {
        expect(code).toBe(1)
        expect(all).toMatch(/http\.0\.fault\.ms: missing/)
        expect(all).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)
        resolve()
      })
    })
  })
})
