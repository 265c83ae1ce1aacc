/**
 * The bounded memories a run of weeks keeps (ids sent, orders seen, fills counted): a Map that
 * holds only its newest entries. A Map iterates in insertion order, so its oldest come first.
 */

/** Sets `key` to `value` as the newest entry of `map`, then forgets the oldest beyond `capacity`. */
export const setNewest = <K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void => {
  map.delete(key)
  map.set(key, value)
  for (const oldest of map.keys()) {
    if (map.size <= capacity) return
    map.delete(oldest)
  }
}
