package io.pekkoraft.consensus.rules;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's lease (thesis §6.4.1), the whole arithmetic in one place.
 *
 * <p>A follower that answers a heartbeat refuses to help elect anyone else for election-timeout-min after
 * it received it (check-quorum's leader contact, thesis §4.2.3), and it received it after the leader sent
 * it. So once a quorum answered a heartbeat round, no other leader can exist until the round's send time
 * plus election-timeout-min, measured on the followers' clocks. The leader measures on its own clock, which
 * may run at another rate: it subtracts a clock-drift margin. The lease therefore starts when a round is
 * <em>sent</em> (never when it is answered), ends at {@code sent + electionTimeoutMin - margin}, and is
 * extended only by a later round a quorum answered.
 *
 * <p>The lease ends at once when the leader steps down or starts handing leadership over: a transfer
 * makes the target campaign with {@code transfer = true}, which voters grant although they still hear
 * from us. Pure: the leader tells it the times (monotonic nanoseconds) and answers; it says whether the
 * lease holds.
 */
public final class LeaderLease {

  private final String selfId;
  /** electionTimeoutMin - clock-drift margin, in nanoseconds; positive. */
  private final long durationNanos;
  /** When each round not yet confirmed was sent, by round. */
  private final TreeMap<Long, Long> sentAt = new TreeMap<>();
  /** The highest round each peer answered. */
  private final Map<String, Long> roundAcked = new HashMap<>();
  private long latestRound;
  /** The lease holds while the clock is before this (Long.MIN_VALUE: no lease). */
  private long expiresAt = Long.MIN_VALUE;
  private boolean ended;

  /**
   * @param electionTimeoutMinNanos the followers' minimum election timeout (their leader contact lasts as long)
   * @param clockDriftMarginNanos how much shorter than that the lease is, for clocks running at different rates
   */
  public LeaderLease(String selfId, long electionTimeoutMinNanos, long clockDriftMarginNanos) {
    if (clockDriftMarginNanos < 0 || clockDriftMarginNanos >= electionTimeoutMinNanos) {
      throw new IllegalArgumentException("the clock-drift margin (" + clockDriftMarginNanos + " ns) must be at least 0"
          + " and below election-timeout-min (" + electionTimeoutMinNanos + " ns)");
    }
    this.selfId = selfId;
    this.durationNanos = electionTimeoutMinNanos - clockDriftMarginNanos;
  }

  /** How long a lease lasts from the send time of the round that confirmed it. */
  public long durationNanos() {
    return durationNanos;
  }

  /** Heartbeat round {@code round} is being sent now ({@code nowNanos}); rounds only grow. */
  public void roundSent(long round, long nowNanos) {
    if (round <= latestRound) {
      throw new IllegalStateException("heartbeat round " + round + " sent after round " + latestRound);
    }
    latestRound = round;
    sentAt.put(round, nowNanos);
  }

  /**
   * {@code peer} answered a heartbeat carrying round {@code round}: extend the lease to the send time of the
   * highest round a quorum answered (our own answer to every round we sent is implied).
   */
  public void acked(String peer, long round, Configuration config) {
    if (ended) return;
    roundAcked.merge(peer, round, Math::max);
    long confirmed = Quorum.quorumIndex(config,
        id -> id.equals(selfId) ? latestRound : roundAcked.getOrDefault(id, 0L));
    Long sent = sentAt.get(confirmed);
    if (sent == null) return; // 0, or a round confirmed before
    expiresAt = Math.max(expiresAt, sent + durationNanos);
    sentAt.headMap(confirmed, true).clear();
  }

  /** Does the lease hold at {@code nowNanos}? */
  public boolean holds(long nowNanos) {
    return !ended && expiresAt != Long.MIN_VALUE && nowNanos - expiresAt < 0;
  }

  /** Step-down or leadership transfer: the lease is over, and no later answer extends it. */
  public void end() {
    ended = true;
    expiresAt = Long.MIN_VALUE;
  }

  /** A leadership transfer ended with us still leading: answers to later rounds may extend a lease again. */
  public void resume() {
    ended = false;
  }
}
