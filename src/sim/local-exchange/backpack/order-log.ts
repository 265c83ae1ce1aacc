/**
 * The orders each account placed through the Backpack protocol, newest first: the LocalVenue
 * answers for one order at a time, and the order history lists them from here.
 */

/** Orders remembered per account (the venue's history pages stop at 1000 anyway). */
const KEEP = 10_000

export class OrderLog {
  private readonly byAccount = new Map<string, Array<string>>()
  private anonymous = 0

  add(account: string, orderId: string): void {
    const ids = this.byAccount.get(account) ?? []
    ids.unshift(orderId)
    if (ids.length > KEEP) ids.pop()
    this.byAccount.set(account, ids)
  }

  /** Newest first. */
  ids(account: string): ReadonlyArray<string> {
    return this.byAccount.get(account) ?? []
  }

  /** A client id for an order sent without one (the LocalVenue wants one; never numeric). */
  anonymousClientId(): string {
    return `anonymous-${++this.anonymous}`
  }
}
