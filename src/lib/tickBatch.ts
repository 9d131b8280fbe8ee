/**
 * Gathers the keys asked for in one turn of the event loop and loads them
 * with one call when it ends (`setImmediate`), so that a walk asking for
 * many items at once (the stored dependencies of versions, the stored
 * evidence of versions) costs one statement per burst rather than one per
 * item. A turn, not a microtask: the answers of several upstream requests
 * that arrive together are handled in separate callbacks of one turn, and
 * their asks share the load. Each key is loaded once; a failed load
 * rejects the callers of that burst and is not kept.
 */
export function tickBatch<K, V>(load: (keys: K[]) => Promise<Map<K, V>>): (key: K) => Promise<V | undefined> {
  const known = new Map<K, Promise<V | undefined>>();
  let batch: { keys: K[]; read: Promise<Map<K, V>> } | undefined;
  return key => {
    let pending = known.get(key);
    if (!pending) {
      if (!batch) {
        const keys: K[] = [];
        const read = new Promise<void>(resolve => setImmediate(resolve)).then(() => {
          batch = undefined;
          return load(keys);
        });
        batch = { keys, read };
      }
      batch.keys.push(key);
      pending = batch.read.then(byKey => byKey.get(key));
      pending.catch(() => known.delete(key));
      known.set(key, pending);
    }
    return pending;
  };
}
