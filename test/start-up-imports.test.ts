/**
 * Keeps the commands' start-up short (README, Layout): under tsx each module loaded costs about
 * 1 ms, so src never imports the @effect/platform(-node) package indexes (they load the cluster,
 * RPC and SQL modules too) and loads viem only on first use (Aster V3 credentials).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const sources = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    return entry.isDirectory() ? sources(file) : entry.name.endsWith(".ts") ? [file] : []
  })

/** `import … from "…"` statements, one string each (they may span lines) */
const importsOf = (text: string): Array<string> => text.match(/^import\s[^;]*?\sfrom\s+"[^"]+"/gms) ?? []

describe("start-up imports", () => {
  const files = sources("src")

  it("reads the sources", () => {
    expect(files.length).toBeGreaterThan(50)
    expect(files.some((file) => importsOf(fs.readFileSync(file, "utf8")).some((line) => line.includes('"@effect/platform/HttpClient"')))).toBe(true)
  })

  it("src imports @effect/platform and @effect/platform-node module by module, and viem's types only", () => {
    const offending = files.flatMap((file) =>
      importsOf(fs.readFileSync(file, "utf8"))
        .filter((line) => /from\s+"@effect\/platform(-node)?"$/.test(line) || (/from\s+"viem(\/[^"]*)?"$/.test(line) && !/^import\s+type\s/.test(line)))
        .map((line) => `${file}: ${line.replace(/\s+/g, " ")}`)
    )
    expect(offending).toEqual([])
  })
})
