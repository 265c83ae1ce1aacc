/** How times (ms since epoch) are written in messages meant for a person: ISO 8601 UTC, whole seconds without ".000". */
export const utcTime = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z")
