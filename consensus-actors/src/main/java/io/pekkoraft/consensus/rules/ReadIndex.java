package io.pekkoraft.consensus.rules;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's ReadIndex bookkeeping (thesis §6.4), as etcd keeps it in {@code read_only.go}: a read
 * records the commit index when it arrives, and is served once a quorum has answered a heartbeat round
 * that started after it. All reads waiting when a round starts share it; reads that arrive meanwhile wait
 * for the next round, which starts as soon as one is confirmed. Until an entry of the leader's own term
 * has committed (its no-op), the commit index may be behind, so reads wait for that first.
 *
 * <p>Pure: the leader tells it what happened (a read, its term's first commit, a heartbeat answer) and it
 * says, through {@link Output}, which heartbeat rounds to send and which reads to serve.
 *
 * @param <Q> a read request
 */
public final class ReadIndex<Q> {

  /** What the leader does on this bookkeeping's behalf. */
  public interface Output<Q> {
    /** Send a heartbeat of {@code round} to every follower now. */
    void heartbeatRound(long round);

    /** {@code query} is confirmed: serve it once the state machine has applied up to {@code readIndex}. */
    void serve(long readIndex, Q query);
  }

  private record Pending<Q>(long readIndex, Q query, long round) {}

  private final String selfId;
  private final Output<Q> out;
  private final ArrayDeque<Q> awaitingTermCommit = new ArrayDeque<>();
  private final ArrayDeque<Pending<Q>> pending = new ArrayDeque<>();
  /** The highest round each follower answered. */
  private final Map<String, Long> roundAcked = new HashMap<>();
  private long round;
  /** The round whose heartbeats are out, 0 when none. */
  private long roundInFlight;

  /** Bookkeeping of leader {@code selfId}, whose answer to its own heartbeat round is implied. */
  public ReadIndex(String selfId, Output<Q> out) {
    this.selfId = selfId;
    this.out = out;
  }

  /** How many reads wait: for the term's first commit, or for their round. */
  public int waiting() {
    return awaitingTermCommit.size() + pending.size();
  }

  /** The round whose heartbeats are out, 0 when none (a new replicator must send it too). */
  public long roundInFlight() {
    return roundInFlight;
  }

  /**
   * A read arrives. {@code termCommitted}: an entry of the leader's current term has committed, so
   * {@code commitIndex} is at least the index of every entry any earlier leader committed.
   */
  public void read(Q query, long commitIndex, boolean termCommitted, Configuration config) {
    if (termCommitted) {
      start(query, commitIndex, config);
    } else {
      awaitingTermCommit.add(query);
    }
  }

  /** The commit index advanced to {@code commitIndex}, an entry of the leader's term: start the reads held for it. */
  public void committed(long commitIndex, Configuration config) {
    while (!awaitingTermCommit.isEmpty()) start(awaitingTermCommit.poll(), commitIndex, config);
  }

  /** {@code peer} answered the heartbeat of {@code round}: serve the reads it confirms, if a quorum answered. */
  public void acked(String peer, long round, Configuration config) {
    roundAcked.merge(peer, round, Math::max);
    confirm(config);
  }

  /**
   * Start a heartbeat round now unless one is out: a leader holding a lease ({@link LeaderLease}) renews it
   * with rounds even when no read waits. The round confirms whatever reads join it.
   */
  public void keepAlive(Configuration config) {
    if (roundInFlight == 0) startRound(config);
  }

  /** Leadership ended: every read still waiting, in arrival order of their queue (held ones first); none is left. */
  public List<Q> drain() {
    List<Q> reads = new ArrayList<>(awaitingTermCommit);
    for (Pending<Q> p : pending) reads.add(p.query());
    awaitingTermCommit.clear();
    pending.clear();
    return reads;
  }

  private void start(Q query, long commitIndex, Configuration config) {
    pending.add(new Pending<>(commitIndex, query, round + 1));
    if (roundInFlight == 0) startRound(config);
  }

  private void startRound(Configuration config) {
    round++;
    roundInFlight = round;
    out.heartbeatRound(round);
    confirm(config);
  }

  /** Serve every read of the round in flight once a quorum answered it; then start the next round. */
  private void confirm(Configuration config) {
    if (roundInFlight == 0) return;
    Set<String> acked = new HashSet<>();
    acked.add(selfId);
    roundAcked.forEach((peer, r) -> {
      if (r >= roundInFlight) acked.add(peer);
    });
    if (!Quorum.isQuorum(config, acked)) return;
    while (!pending.isEmpty() && pending.peek().round() <= roundInFlight) {
      Pending<Q> read = pending.poll();
      out.serve(read.readIndex(), read.query());
    }
    roundInFlight = 0;
    if (!pending.isEmpty()) startRound(config);
  }
}
