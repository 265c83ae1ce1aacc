// Node 20 workers ignore `--import tsx` in execArgv: register tsx here, then load the TypeScript worker.
import { register } from "tsx/esm/api"
import { workerData } from "node:worker_threads"

register()
await import(workerData.script)
