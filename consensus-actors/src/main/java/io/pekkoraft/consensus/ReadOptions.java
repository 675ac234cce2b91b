package io.pekkoraft.consensus;

/**
 * A read's consistency, with the bound of a STALE read. {@code group.read(query, ReadConsistency.LEASE)}
 * needs none of this; a bounded stale read is {@code group.read(query, ReadOptions.staleWithin(100))} or,
 * to read your own writes on any node, {@code group.read(query, ReadOptions.staleFrom(appliedIndex))} with
 * the index a command's {@code Applied} answer carried.
 *
 * @param maxLagEntries a STALE read is refused when the node's applied index is more than this many
 *     entries behind the commit index it knows; {@link #UNBOUNDED} for no bound
 * @param minIndex a STALE read is refused when the node has not applied this index yet; 0 for no bound
 */
public record ReadOptions(ReadConsistency consistency, long maxLagEntries, long minIndex) {

  /** No bound on the lag. */
  public static final long UNBOUNDED = -1;

  public ReadOptions {
    if (consistency == null) throw new IllegalArgumentException("a read needs a consistency");
    if (maxLagEntries < UNBOUNDED) throw new IllegalArgumentException("maxLagEntries must be -1 (unbounded) or at least 0");
    if (minIndex < 0) throw new IllegalArgumentException("minIndex must be 0 (none) or positive");
    if (consistency != ReadConsistency.STALE && (maxLagEntries != UNBOUNDED || minIndex != 0)) {
      throw new IllegalArgumentException("only a STALE read takes a bound; " + consistency + " reads are fresh");
    }
  }

  /** {@code consistency} without a bound. */
  public static ReadOptions of(ReadConsistency consistency) {
    return new ReadOptions(consistency, UNBOUNDED, 0);
  }

  /** A STALE read, refused by a node that knows of more than {@code maxLagEntries} committed entries it has not applied. */
  public static ReadOptions staleWithin(long maxLagEntries) {
    if (maxLagEntries < 0) throw new IllegalArgumentException("maxLagEntries must be at least 0");
    return new ReadOptions(ReadConsistency.STALE, maxLagEntries, 0);
  }

  /** A STALE read, refused by a node that has not applied index {@code minIndex} yet (like Ratis' sendStaleRead). */
  public static ReadOptions staleFrom(long minIndex) {
    if (minIndex < 1) throw new IllegalArgumentException("minIndex must be at least 1");
    return new ReadOptions(ReadConsistency.STALE, UNBOUNDED, minIndex);
  }

  /** Has this read a bound? */
  public boolean bounded() {
    return maxLagEntries != UNBOUNDED || minIndex != 0;
  }
}
