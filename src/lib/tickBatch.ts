/**
 * Gathers the keys asked for in the same tick and loads them with one call
 * on the next, so that a walk asking for many items at once (the stored
 * dependencies of versions, the stored evidence of versions) costs one
 * statement per burst rather than one per item. Each key is loaded once;
 * a failed load rejects the callers of that burst and is not kept.
 */
export function tickBatch<K, V>(load: (keys: K[]) => Promise<Map<K, V>>): (key: K) => Promise<V | undefined> {
  const known = new Map<K, Promise<V | undefined>>();
  let batch: { keys: K[]; read: Promise<Map<K, V>> } | undefined;
  return key => {
    let pending = known.get(key);
    if (!pending) {
      if (!batch) {
        const keys: K[] = [];
        const read = Promise.resolve().then(() => {
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
