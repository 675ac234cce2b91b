package io.pekkoraft.etcd.kv;

import com.google.protobuf.ByteString;
import java.util.Collections;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * A lease as data: its id, the TTL it was granted with, the log time of its grant and the keys attached to it
 * (kept by {@link MvccStore}: a Put with the lease attaches its key, a Put without it or a delete detaches it).
 * When a lease expires is not decided here: the leader proposes a revocation through the log.
 */
public final class Lease {

  private final long id;
  private final long ttlSeconds;
  private final long grantedAtMillis;
  private final TreeSet<ByteString> keys = new TreeSet<>(ByteString.unsignedLexicographicalComparator());

  Lease(long id, long ttlSeconds, long grantedAtMillis) {
    this.id = id;
    this.ttlSeconds = ttlSeconds;
    this.grantedAtMillis = grantedAtMillis;
  }

  public long id() {
    return id;
  }

  public long ttlSeconds() {
    return ttlSeconds;
  }

  /** The log time ({@code AppliedEntry.logTimeMillis}) of the entry that granted it. */
  public long grantedAtMillis() {
    return grantedAtMillis;
  }

  /** The keys attached, in key order (a read-only view of the store's set). */
  public NavigableSet<ByteString> keys() {
    return Collections.unmodifiableNavigableSet(keys);
  }

  TreeSet<ByteString> mutableKeys() {
    return keys;
  }
}
