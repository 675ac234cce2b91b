package io.pekkoraft.chaos.checker;

/**
 * A set of 64-bit fingerprints, open addressing with linear probing: at most three quarters full, so 8 to 11
 * bytes a member, where a set of objects would take ten times that. The checker remembers millions of explored
 * configurations this way.
 */
final class FingerprintSet {

  private long[] slots = new long[1 << 16];
  private int size;
  private boolean hasZero;

  /** Adds {@code fingerprint}; true if it was not there. */
  boolean add(long fingerprint) {
    if (fingerprint == 0) {
      boolean added = !hasZero;
      hasZero = true;
      if (added) size++;
      return added;
    }
    if (4L * (size + 1) > 3L * slots.length) grow();
    return insert(slots, fingerprint);
  }

  int size() {
    return size;
  }

  private boolean insert(long[] table, long fingerprint) {
    int mask = table.length - 1;
    int i = (int) mix(fingerprint) & mask;
    while (table[i] != 0) {
      if (table[i] == fingerprint) return false;
      i = (i + 1) & mask;
    }
    table[i] = fingerprint;
    if (table == slots) size++;
    return true;
  }

  private void grow() {
    long[] old = slots;
    long[] bigger = new long[old.length * 2];
    for (long f : old) {
      if (f != 0) insert(bigger, f);
    }
    slots = bigger;
  }

  /** SplitMix64's finalizer: every input bit affects every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
