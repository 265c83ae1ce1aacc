/**
 * A webhook endpoint on loopback for alert tests: records each request (path, headers, JSON body)
 * and answers as `answer` says for the n-th request (1-based): a status, a status later (a promise),
 * or "hang" (never answers).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly contentType: string | undefined
  readonly body: any
}

export interface WebhookServer {
  readonly url: string
  readonly received: Array<ReceivedRequest>
  /** resolves once `n` requests arrived (rejects after `ms`) */
  readonly waitFor: (n: number, ms?: number) => Promise<void>
  readonly close: () => Promise<void>
}

export const startWebhookServer = async (answer: (n: number) => number | "hang" | Promise<number> = () => 200, pathname = "/hooks/T0/B0/secret-token-123"): Promise<WebhookServer> => {
  const received: Array<ReceivedRequest> = []
  const hanging: Array<http.ServerResponse> = []
  const server = http.createServer((req, res) => {
    let text = ""
    req.on("data", (chunk) => (text += chunk))
    req.on("end", () => {
      received.push({ method: req.method ?? "", path: req.url ?? "", contentType: req.headers["content-type"], body: text === "" ? undefined : JSON.parse(text) })
      const status = answer(received.length)
      if (status === "hang") {
        hanging.push(res)
        return
      }
      void Promise.resolve(status).then((code) => {
        res.writeHead(code, { "content-type": "text/plain" })
        res.end(code < 300 ? "ok" : `refused (${code})`)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}${pathname}`,
    received,
    waitFor: async (n, ms = 10_000) => {
      const until = Date.now() + ms
      while (received.length < n) {
        if (Date.now() > until) throw new Error(`the webhook received ${received.length} request(s), expected ${n}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
