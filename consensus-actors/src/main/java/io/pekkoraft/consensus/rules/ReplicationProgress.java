package io.pekkoraft.consensus.rules;

import java.util.ArrayDeque;

/**
 * What the leader knows of one follower's log, and the window of AppendEntries in flight to it.
 *
 * <p>Invariant: {@code matchIndex < nextIndex}. In {@link State#PROBE} the leader does not know where the
 * follower's log matches, so it sends one batch at a time and waits; in {@link State#REPLICATE} it
 * pipelines up to {@code windowMax} batches, advancing nextIndex optimistically as it sends.
 */
public final class ReplicationProgress {

  public enum State {
    PROBE,
    REPLICATE
  }

  private record InFlight(long seq, long lastIndex) {}

  private final int windowMax;
  private final ArrayDeque<InFlight> inflight = new ArrayDeque<>();
  private State state = State.PROBE;
  private long nextIndex;
  private long matchIndex;

  public ReplicationProgress(long nextIndex, int windowMax) {
    if (windowMax < 1) throw new IllegalArgumentException("window must be at least 1, got " + windowMax);
    this.nextIndex = nextIndex;
    this.windowMax = windowMax;
  }

  public State state() {
    return state;
  }

  public long nextIndex() {
    return nextIndex;
  }

  public long matchIndex() {
    return matchIndex;
  }

  public int inflightCount() {
    return inflight.size();
  }

  /** May another batch be sent now? Probing allows one in flight; replicating, the whole window. */
  public boolean canSend() {
    return inflight.size() < (state == State.PROBE ? 1 : windowMax);
  }

  /** A batch carrying entries up to {@code lastIndex} was sent with sequence number {@code seq}. */
  public void onSent(long seq, long lastIndex) {
    inflight.addLast(new InFlight(seq, lastIndex));
    nextIndex = Math.max(nextIndex, lastIndex + 1);
    checkInvariant();
  }

  /**
   * The follower stored everything up to {@code followerMatch}. Returns true when matchIndex advanced.
   * Batches up to {@code seq} are no longer in flight.
   */
  public boolean onSuccess(long seq, long followerMatch) {
    while (!inflight.isEmpty() && inflight.peekFirst().seq() <= seq) inflight.removeFirst();
    boolean advanced = followerMatch > matchIndex;
    if (advanced) matchIndex = followerMatch;
    if (nextIndex <= matchIndex) nextIndex = matchIndex + 1;
    state = State.REPLICATE;
    checkInvariant();
    return advanced;
  }

  /**
   * The follower's log did not match at the batch's prevLogIndex. Start probing from {@code newNext}
   * (computed from the follower's conflict hint), never going back to or below what it already matched.
   */
  public void onReject(long newNext) {
    inflight.clear();
    state = State.PROBE;
    nextIndex = Math.max(matchIndex + 1, newNext);
    checkInvariant();
  }

  /** No answer came for the batches in flight (lost messages): send again from the match point. */
  public void onTimeout() {
    inflight.clear();
    state = State.PROBE;
    nextIndex = matchIndex + 1;
  }

  /**
   * The follower installed a snapshot covering the log up to {@code index}: it matches up to there, and
   * replication goes on from the next index, probing.
   */
  public void onSnapshotInstalled(long index) {
    inflight.clear();
    state = State.PROBE;
    matchIndex = Math.max(matchIndex, index);
    nextIndex = matchIndex + 1;
  }

  private void checkInvariant() {
    if (matchIndex >= nextIndex) {
      throw new IllegalStateException("progress invariant broken: matchIndex " + matchIndex + " >= nextIndex " + nextIndex);
    }
  }

  @Override
  public String toString() {
    return state + " match=" + matchIndex + " next=" + nextIndex + " inflight=" + inflight.size();
  }
}
