import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // removes the temp files each test file wrote
    setupFiles: ["test/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // at least two test files at once, where vitest would run one on a 2-core machine: the longest
    // files run the bot and the local exchange as child processes that mostly wait on timers and
    // sockets, so two at once share the cores well (the suite at 0d5a88b: 616 s one at a time, 483 s two)
    maxWorkers: Math.max(2, availableParallelism() - 1)
  }
})
