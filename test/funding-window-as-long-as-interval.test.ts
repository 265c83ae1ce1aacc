/**
 * A funding window (trade.stop_before_funding_minutes) as long as the time between funding times
 * (Backpack funds hourly): each wait ends inside the next window, and no cycle could ever start.
 */
import { describe, expect, it } from "vitest"
import { FIRST_TRADE, quotes, scriptedBacktest } from "./support/scripted-backtest"

const HOUR = 3_600_000
const hourlyFunding = [1, 2, 3, 4, 5].map((h) => ({ t: h * HOUR, venue: "bp" as const, rate: "0.0001", mark: "2" }))
const fourHours = [...quotes(0, 4 * 3600), FIRST_TRADE]

describe("a funding window as long as the funding interval", () => {
  // Was: the guard waited out one funding time after another, logging each, and the run sat
  // there trading nothing for as long as it ran
  it("ends the run, naming the key and the funding times, instead of waiting forever", async () => {
    const { report, log } = await scriptedBacktest(fourHours, { trade: { max_cycles: 1, stop_before_funding_minutes: 60 } }, undefined, { funding: hourlyFunding })
    expect(report.run.outcome).toBe("failed")
    expect(report.run.message).toMatch(/trade\.stop_before_funding_minutes 60 is as long as the time between funding times \(02:00, 03:00, 04:00 UTC, 60 minutes apart\): no cycle can ever start; set it below 60/)
    expect(report.fills).toEqual([])
    // it waited out the first windows as it should before concluding
    expect(log.match(/within 60 minutes of funding: waiting until/g)?.length).toBe(2)
  })

  it("a shorter window lets the cycle start", async () => {
    const { report } = await scriptedBacktest(fourHours, { trade: { max_cycles: 1, stop_before_funding_minutes: 5 } }, undefined, { funding: hourlyFunding })
    expect(report.run.outcome).not.toBe("failed")
    expect([report.cycles.count, report.cycles.makerOrders > 0]).toEqual([1, true])
  })
})
