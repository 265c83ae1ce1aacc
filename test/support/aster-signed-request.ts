/**
 * A signed V1 request to an Aster server, as a trader's own tool would send it (what the adapter
 * never sends, such as switching the account's position mode), timed by the venue's clock.
 */
import { Redacted } from "effect"
import { asterPath } from "../../src/adapters/aster/client"
import { API_KEY_HEADER, signV1 } from "../../src/adapters/aster/signing-v1"

export const asterSignedRequest = async (
  baseUrl: string,
  credentials: { readonly apiKey: string; readonly apiSecret: string },
  method: "GET" | "POST",
  name: string,
  params: ReadonlyArray<readonly [string, string]>
): Promise<{ readonly status: number; readonly body: unknown }> => {
  const { serverTime } = await (await fetch(`${baseUrl}${asterPath("futures", "v1", "time")}`)).json() as { serverTime: number }
  const signed = signV1(Redacted.make(credentials.apiSecret), params, { timestamp: serverTime, recvWindow: 5000 }).signed
  const url = `${baseUrl}${asterPath("futures", "v1", name)}`
  const response = method === "GET"
    ? await fetch(`${url}?${signed}`, { headers: { [API_KEY_HEADER]: credentials.apiKey } })
    : await fetch(url, { method, body: signed, headers: { [API_KEY_HEADER]: credentials.apiKey, "content-type": "application/x-www-form-urlencoded" } })
  return { status: response.status, body: await response.json() as unknown }
}
