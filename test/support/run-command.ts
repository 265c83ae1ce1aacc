/**
 * Runs a child process to its end without blocking the test's thread. A `spawnSync` holds the
 * worker's event loop for as long as the child runs: several in one test (tsx commands, a few
 * seconds each on a busy machine) kept vitest's own worker-to-runner messages unanswered past their
 * 60 s timeout, and CI failed with "Timeout calling onTaskUpdate" although every test passed.
 */
import { spawn } from "node:child_process"

export interface CommandResult {
  /** The exit code; null when a signal ended the child. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly all: string
}

/** `node ARGS`, its output collected; never rejects for a non-zero exit. */
export const runNode = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CommandResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, all: stdout + stderr }))
  })

/** One of the project's commands as a user runs it: `node --import tsx SCRIPT ARGS`. */
export const runCommand = (script: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CommandResult> =>
  runNode(["--import", "tsx", script, ...args], env)
