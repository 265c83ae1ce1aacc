/** Runs around every test file (vitest `setupFiles`). */
import { afterAll } from "vitest"
import { removeTempRoot } from "./support/scripted-market"

afterAll(removeTempRoot)
