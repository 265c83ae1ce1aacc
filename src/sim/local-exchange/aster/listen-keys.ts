/**
 * Aster's listenKeys: one active key per account, valid 60 minutes after its creation or last
 * keep-alive; a `POST` on an account with an active key returns that key and extends it.
 */
import { randomBytes } from "node:crypto"

export const LISTEN_KEY_TTL_MS = 60 * 60_000

interface Entry {
  readonly account: string
  expiresAt: number
}

export class ListenKeys {
  private readonly byKey = new Map<string, Entry>()

  constructor(private readonly now: () => number, private readonly ttlMs: number = LISTEN_KEY_TTL_MS) {}

  open(account: string): string {
    const active = this.activeOf(account)
    if (active !== undefined) {
      this.byKey.get(active)!.expiresAt = this.now() + this.ttlMs
      return active
    }
    const key = randomBytes(32).toString("hex")
    this.byKey.set(key, { account, expiresAt: this.now() + this.ttlMs })
    return key
  }

  /** extends the key (futures: the account's active key when none is named); false if unknown */
  keepAlive(account: string, key: string | undefined): boolean {
    const k = key ?? this.activeOf(account)
    const entry = k === undefined ? undefined : this.byKey.get(k)
    if (entry === undefined || entry.account !== account || entry.expiresAt <= this.now()) return false
    entry.expiresAt = this.now() + this.ttlMs
    return true
  }

  close(account: string, key: string | undefined): boolean {
    const k = key ?? this.activeOf(account)
    const entry = k === undefined ? undefined : this.byKey.get(k)
    if (k === undefined || entry === undefined || entry.account !== account) return false
    this.byKey.delete(k)
    return true
  }

  /** the account of a valid key */
  accountOf(key: string): string | undefined {
    const entry = this.byKey.get(key)
    return entry !== undefined && entry.expiresAt > this.now() ? entry.account : undefined
  }

  private activeOf(account: string): string | undefined {
    for (const [key, entry] of this.byKey) if (entry.account === account && entry.expiresAt > this.now()) return key
    return undefined
  }
}
