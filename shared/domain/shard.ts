/** Stable shard of an id (FNV-1a 32-bit), so a customer always lands in the same index partition. */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * A stable uniform draw in [0, 1) from a key: FNV-1a, then MurmurHash3's 32-bit finalizer (fmix32) so that keys
 * differing in one character give unrelated draws (FNV-1a alone leaves related keys correlated). Pure and the same
 * on every machine; not cryptographic.
 */
export function uniformOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
