// Signs Backpack requests off the thread that hedges (see off-thread-signer.ts). Plain JS: a
// worker thread gets no TypeScript loader on Node 20.
import { parentPort, workerData } from "node:worker_threads"
import nacl from "tweetnacl"

const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(Buffer.from(workerData.seed, "base64")))
const encoder = new TextEncoder()

parentPort.on("message", ({ id, message }) => {
  const signature = Buffer.from(nacl.sign.detached(encoder.encode(message), pair.secretKey)).toString("base64")
  parentPort.postMessage({ id, signature })
})
