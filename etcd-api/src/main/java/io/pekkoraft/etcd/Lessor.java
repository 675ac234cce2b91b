package io.pekkoraft.etcd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * When leases expire: the deadlines the leader keeps on its monotonic clock, as etcd's lessor does. Pure (the
 * time is an argument of every call, in nanoseconds of {@code System.nanoTime} or a test's clock), so that its
 * rules are tested without waiting; {@link LessorActor} drives it. The store never sees a clock: an expired lease
 * is revoked by a {@code LeaseExpire} the leader proposes through the log, applied only in the term it leads.
 *
 * <ul>
 *   <li>Only the leader keeps deadlines. {@link #promote} starts them from the store's leases: each lease gets its
 *       full TTL plus the {@code extension} (the election delay) from now, because the new leader cannot know how
 *       long ago the old one last renewed it; so a lease that was kept alive never expires because of a leader
 *       change (etcd's {@code Promote(extend)}). {@link #demote} forgets them all.</li>
 *   <li>A grant the leader applies starts a full TTL from now; a revoke forgets the lease.</li>
 *   <li>{@link #renew} (a keep-alive) sets the deadline to now + TTL and answers the TTL; an unknown lease, or one
 *       whose deadline has passed (its revocation is on its way), answers 0, as etcd answers TTL 0 for a lease
 *       that is gone.</li>
 *   <li>{@link #expired} names each lease past its deadline once, for the leader to propose its revocation; if
 *       the revocation has not been applied {@code retryNanos} later (lost with a leader change, say), it is
 *       named again.</li>
 * </ul>
 */
final class Lessor {

  /** A lease's TTL and deadline; {@code revokeAskedAt} is when its revocation was last proposed, or null. */
  private static final class Deadline {
    final long ttlSeconds;
    long deadlineNanos;
    Long revokeAskedAt;

    Deadline(long ttlSeconds, long deadlineNanos) {
      this.ttlSeconds = ttlSeconds;
      this.deadlineNanos = deadlineNanos;
    }
  }

  private final long retryNanos;
  private final TreeMap<Long, Deadline> deadlines = new TreeMap<>();
  private boolean leading;

  /** @param retryNanos how long a proposed revocation may take to be applied before it is proposed again */
  Lessor(long retryNanos) {
    if (retryNanos <= 0) throw new IllegalArgumentException("retryNanos must be positive, got " + retryNanos);
    this.retryNanos = retryNanos;
  }

  boolean leading() {
    return leading;
  }

  /**
   * This member leads now, and its store holds {@code leases} (id to TTL in seconds): each gets now + TTL +
   * {@code extensionNanos}.
   */
  void promote(Map<Long, Long> leases, long extensionNanos, long now) {
    leading = true;
    deadlines.clear();
    leases.forEach((id, ttl) -> deadlines.put(id, new Deadline(ttl, now + seconds(ttl) + extensionNanos)));
  }

  /** This member no longer leads: it keeps no deadline, expires nothing and renews nothing. */
  void demote() {
    leading = false;
    deadlines.clear();
  }

  /** The leader applied the grant of lease {@code id}: its full TTL starts now. */
  void granted(long id, long ttlSeconds, long now) {
    if (leading) deadlines.put(id, new Deadline(ttlSeconds, now + seconds(ttlSeconds)));
  }

  /** The leader applied the revocation of lease {@code id} (by a client, or because it expired). */
  void revoked(long id) {
    deadlines.remove(id);
  }

  /** Whether the leader keeps a deadline for lease {@code id}. */
  boolean knows(long id) {
    return deadlines.containsKey(id);
  }

  /**
   * A keep-alive of lease {@code id}: its deadline becomes now + TTL and the TTL is answered; 0 for a lease
   * unknown here or already past its deadline (etcd's answer for a lease that is gone).
   */
  long renew(long id, long now) {
    if (!leading) throw new IllegalStateException("a keep-alive of lease " + id + " reached a lessor that does not lead");
    Deadline d = deadlines.get(id);
    if (d == null || d.deadlineNanos <= now) return 0;
    d.deadlineNanos = now + seconds(d.ttlSeconds);
    return d.ttlSeconds;
  }

  /** The whole seconds left before lease {@code id} expires (0 once past), or -1 when no deadline is kept. */
  long remainingSeconds(long id, long now) {
    Deadline d = deadlines.get(id);
    if (d == null) return -1;
    return Math.max(0, (d.deadlineNanos - now) / 1_000_000_000L);
  }

  /**
   * The leases past their deadline whose revocation is to be proposed now: each one once, and again after
   * {@code retryNanos} while it is still known (its revocation was not applied). Nothing unless leading.
   */
  List<Long> expired(long now) {
    List<Long> due = new ArrayList<>();
    if (!leading) return due;
    deadlines.forEach((id, d) -> {
      if (d.deadlineNanos <= now && (d.revokeAskedAt == null || now - d.revokeAskedAt >= retryNanos)) {
        d.revokeAskedAt = now;
        due.add(id);
      }
    });
    return due;
  }

  /** Seconds as nanoseconds, capped at about 60 years (etcd's largest TTL is longer), so no sum overflows. */
  private static long seconds(long s) {
    return Math.min(s, 2_000_000_000L) * 1_000_000_000L;
  }
}
