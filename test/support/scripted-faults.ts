/**
 * A fault plan scripted by the test: faults queued per HTTP route ("POST /api/v1/order") or per
 * stream (exact name or prefix), each used once, in order; everything else passes. It records
 * every route asked about, so a test can count requests.
 */
import { Effect } from "effect"
import type { Faults, HttpFault, SocketFault } from "../../src/sim/local-exchange/types"

export interface ScriptedFaults {
  readonly faults: Faults
  /** the next requests on `route` get these faults, one each */
  readonly http: (route: string, ...faults: ReadonlyArray<HttpFault>) => void
  /** the next messages on streams starting with `stream` get these faults, one each */
  readonly socket: (stream: string, ...faults: ReadonlyArray<SocketFault>) => void
  /** every request seen, as "METHOD /path" */
  readonly requests: ReadonlyArray<string>
  /** the stream of every outgoing message the plan was asked about */
  readonly messages: ReadonlyArray<string>
  readonly count: (route: string) => number
}

export const scriptedFaults = (): ScriptedFaults => {
  const httpPlan = new Map<string, Array<HttpFault>>()
  const socketPlan: Array<{ readonly stream: string; readonly fault: SocketFault }> = []
  const requests: Array<string> = []
  const messages: Array<string> = []
  return {
    faults: {
      http: (_venue, route) =>
        Effect.sync((): HttpFault => {
          requests.push(route)
          return httpPlan.get(route)?.shift() ?? { kind: "none" }
        }),
      socket: (_venue, stream) =>
        Effect.sync((): SocketFault => {
          messages.push(stream)
          const index = socketPlan.findIndex((entry) => stream.startsWith(entry.stream))
          if (index < 0) return { kind: "none" }
          const [entry] = socketPlan.splice(index, 1)
          return entry!.fault
        })
    },
    http: (route, ...faults) => void httpPlan.set(route, [...(httpPlan.get(route) ?? []), ...faults]),
    socket: (stream, ...faults) => void socketPlan.push(...faults.map((fault) => ({ stream, fault }))),
    requests,
    messages,
    count: (route) => requests.filter((r) => r === route).length
  }
}
