import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { generateSample, SAMPLE_INSTRUMENTS } from "../src/sim/data/generate"
import { openTickFile, type TickFile } from "../src/sim/tickstore/reader"
import { TickKind } from "../src/sim/tickstore/types"

let dir = ""
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-gen-"))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Hash of the tick sequence (all columns of all blocks) plus the first `keep` ticks' timestamps. */
const fingerprint = (f: TickFile, keep = 0) => {
  const h = createHash("sha256")
  const first: Array<number> = []
  for (const b of f.blocks()) {
    for (const a of [b.ts, b.kind, b.instrument, b.p1, b.q1, b.p2, b.q2]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    for (let i = 0; i < b.n && first.length < keep; i++) first.push(b.ts[i]!, b.kind[i]!, b.instrument[i]!, b.p1[i]!, b.q1[i]!, b.p2[i]!, b.q2[i]!)
  }
  return { hash: h.digest("hex"), first }
}

const gen = (name: string, options: Parameters<typeof generateSample>[1]) => {
  const file = path.join(dir, name)
  const summary = generateSample(file, options)
  return { file, summary, f: openTickFile(file) }
}

describe("gen-data", () => {
  it("is deterministic: same seed ⇒ identical ticks, funding and depth; another seed ⇒ different", () => {
    const a = gen("a.db", { seed: 42, hours: 1 })
    const b = gen("b.db", { seed: 42, hours: 1 })
    const c = gen("c.db", { seed: 43, hours: 1 })
    expect(a.summary.ticks).toBeGreaterThan(10_000)
    expect(fingerprint(a.f).hash).toBe(fingerprint(b.f).hash)
    expect(a.f.funding).toEqual(b.f.funding)
    expect(a.f.depth(7)).toEqual(b.f.depth(7))
    expect(fingerprint(a.f).hash).not.toBe(fingerprint(c.f).hash)
    expect(a.f.funding).not.toEqual(c.f.funding)
    for (const x of [a, b, c]) x.f.close()
  })

  it("targetTicks stops after exactly that many ticks and yields a prefix of the unlimited run", () => {
    const full = gen("full.db", { seed: 7, hours: 0.5 })
    const cut = gen("cut.db", { seed: 7, targetTicks: 1000 })
    expect(cut.summary.ticks).toBe(1000)
    expect(cut.f.tickCount).toBe(1000)
    expect(fingerprint(cut.f, 1000).first).toEqual(fingerprint(full.f, 1000).first)
    full.f.close()
    cut.f.close()
  })

  it("writes the default sample's metadata, instruments, funding schedule and depth", () => {
    const { f, summary } = gen("default.db", { seed: 42, createdAt: "2025-01-01T00:00:00.000Z" })
    expect(f.meta.synthetic).toBe(true)
    expect(f.meta.source).toBe("gen-data seed 42")
    expect(f.meta.proxy).toEqual([])
    expect(f.meta.createdAt).toBe("2025-01-01T00:00:00.000Z")
    expect(JSON.stringify(f.meta.notes.assumptions)).toMatch(/backpack ASTER_USDC_PERP filters assumed/)
    expect(f.instruments).toEqual(SAMPLE_INSTRUMENTS.map((i, idx) => ({ idx, ...i })))
    expect(f.instruments.map((i) => `${i.venue}:${i.symbol}:${i.minNotional}`)).toEqual(["backpack:ASTER_USDC_PERP:0", "aster-futures:ASTERUSDT:5"])

    const start = Date.UTC(2025, 8, 24) * 1000
    const hour = 3_600_000_000
    expect(f.firstTs).toBeGreaterThanOrEqual(start)
    expect(f.lastTs).toBeLessThanOrEqual(start + 6 * hour)
    // backpack hourly 01:00…06:00, aster 4-hourly at 04:00 (00:00 is the start: no quote yet)
    expect(f.funding.filter((x) => x.instrumentIdx === 0).map((x) => x.ts)).toEqual([1, 2, 3, 4, 5, 6].map((h) => start + h * hour))
    expect(f.funding.filter((x) => x.instrumentIdx === 1).map((x) => x.ts)).toEqual([start + 4 * hour])
    for (const x of f.funding) {
      expect(x.rate).toMatch(/^-?0(\.\d{1,6})?$/)
      expect(Math.abs(Number(x.rate))).toBeLessThanOrEqual(0.0002)
      expect(x.markPrice).toMatch(/^\d\.\d{1,5}$/)
    }
    expect(f.depthCount).toBe(360)
    expect(summary.ticks).toBe(f.tickCount)

    // market sanity: ordered, quotes not crossed, backpack wider, trades at the venue's own touch
    const bid = [0, 0]
    const ask = [0, 0]
    const spreadSum = [0, 0]
    const quotes = [0, 0]
    const trades = [0, 0]
    let prev = -Infinity
    let problems = 0
    let depthChecked = 0
    for (const b of f.blocks())
      for (let i = 0; i < b.n; i++) {
        const v = b.instrument[i]!
        if (b.ts[i]! < prev) problems++
        prev = b.ts[i]!
        const k = b.kind[i]!
        if (k === TickKind.Quote) {
          if (!(b.p1[i]! < b.p2[i]! && b.q1[i]! > 0 && b.q2[i]! > 0)) problems++
          bid[v] = b.p1[i]!
          ask[v] = b.p2[i]!
          spreadSum[v]! += b.p2[i]! - b.p1[i]!
          quotes[v]!++
        } else if (k === TickKind.TradeBuy || k === TickKind.TradeSell) {
          if (b.p1[i] !== (k === TickKind.TradeBuy ? ask[v] : bid[v]) || !(b.q1[i]! >= 1)) problems++
          trades[v]!++
        } else if (depthChecked++ < 5) {
          expect(v).toBe(1)
          const d = f.depth(b.p1[i]!)
          expect(d.bids.length).toBe(10)
          expect(d.asks.length).toBe(10)
          expect([d.bids[0]![0], d.asks[0]![0]]).toEqual([bid[1], ask[1]])
        }
      }
    expect(problems).toBe(0)
    expect(Math.min(...trades)).toBeGreaterThan(1000)
    expect(spreadSum[0]! / quotes[0]!).toBeGreaterThan(spreadSum[1]! / quotes[1]!)
    // several ticks per second overall, and the default file stays small
    expect(f.tickCount / (6 * 3600)).toBeGreaterThan(2)
    expect(fs.statSync(path.join(dir, "default.db")).size).toBeLessThan(15_000_000)
    f.close()
  })

  // (its speed is the bench's to measure: it generates 10M ticks the same way)
  it("generates a million ticks at a high tick rate, all of them readable in time order", () => {
    const { f, summary } = gen("fast.db", { seed: 1, targetTicks: 1_000_000, ticksPerSecond: 500 })
    expect(summary.ticks).toBe(1_000_000)
    let read = 0
    let last = Number.NEGATIVE_INFINITY
    let ordered = true
    for (const b of f.blocks()) {
      for (let i = 0; i < b.n; i++) {
        if (b.ts[i]! < last) ordered = false
        last = b.ts[i]!
      }
      read += b.n
    }
    expect([f.tickCount, read, ordered]).toEqual([1_000_000, 1_000_000, true])
    f.close()
  })

  it("refuses a folder as the file to write, saying so", () => {
    const folder = fs.mkdtempSync(path.join(dir, "folder-"))
    // Was: Node's own "rm returned EISDIR" came through
    expect(() => generateSample(folder, { seed: 1, targetTicks: 10 })).toThrow(`${folder}: is a folder; give the tick file's own path`)
    expect(fs.statSync(folder).isDirectory()).toBe(true)
  })
})
