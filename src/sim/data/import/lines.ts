/**
 * Line-by-line reading of a recording in fixed-size chunks, so a large file never has to fit in memory.
 */
import * as fs from "node:fs"

/**
 * Calls f for every line (without line terminator), streaming the file in 1 MiB chunks.
 * `cutShort`: the last line, ending without a line end in a file whose other lines have one (a
 * file copied while its collector was writing it): its last field may be cut short.
 */
export const forEachLine = (file: string, f: (line: string, lineNo: number, cutShort: boolean) => void): void => {
  const fd = fs.openSync(file, "r")
  const buf = Buffer.allocUnsafe(1 << 20)
  const decoder = new TextDecoder("utf-8")
  let rest = ""
  let lineNo = 0
  const emit = (line: string, cutShort = false): void => {
    if (lineNo === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1)
    f(line.endsWith("\r") ? line.slice(0, -1) : line, ++lineNo, cutShort)
  }
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      const text = rest + decoder.decode(buf.subarray(0, n), { stream: true })
      let start = 0
      for (;;) {
        const nl = text.indexOf("\n", start)
        if (nl < 0) break
        emit(text.slice(start, nl))
        start = nl + 1
      }
      rest = text.slice(start)
    }
    rest += decoder.decode()
    if (rest.length > 0) emit(rest, lineNo > 0)
  } finally {
    fs.closeSync(fd)
  }
}
