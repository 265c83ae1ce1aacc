/**
 * A REST proxy in front of a local venue that forwards every request, and passes the answer to
 * `path` through `rewrite` (a venue answering garbage, or holding an order the local venue does
 * not model). Adapters take their WebSocket URL separately, straight to the venue.
 */
import { Effect } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export const rewritingProxy = (target: string, path: string, rewrite: (body: string) => string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly server: http.Server }>((resume) => {
      const server = http.createServer((req, res) => {
        const upstream = http.request(`${target}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (answer) => {
          if ((req.url ?? "").split("?")[0] !== path) {
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
            return
          }
          const chunks: Array<Buffer> = []
          answer.on("data", (chunk: Buffer) => chunks.push(chunk))
          answer.on("end", () => {
            const text = rewrite(Buffer.concat(chunks).toString("utf8"))
            res.writeHead(answer.statusCode ?? 502, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
            res.end(text)
          })
        })
        upstream.on("error", () => {
          res.writeHead(502)
          res.end()
        })
        req.pipe(upstream)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )
