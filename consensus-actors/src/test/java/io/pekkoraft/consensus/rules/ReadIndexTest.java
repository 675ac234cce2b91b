package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReadIndexTest {

  private static final Configuration THREE = Configuration.ofVoters(Set.of("a", "b", "c"));

  /** Records what the bookkeeping asks the leader to do, in order. */
  private static final class Recorder implements ReadIndex.Output<String> {
    final List<Long> rounds = new ArrayList<>();
    final List<String> served = new ArrayList<>();

    @Override
    public void heartbeatRound(long round) {
      rounds.add(round);
    }

    @Override
    public void serve(long readIndex, String query) {
      served.add(query + "@" + readIndex);
    }
  }

  private final Recorder out = new Recorder();
  private final ReadIndex<String> reads = new ReadIndex<>("a", out);

  @Test
  void aReadIsServedAtItsCommitIndexOnceAQuorumAnsweredItsRound() {
    // §6.4: the read records commit index 7 and starts round 1; one follower's answer makes a quorum with the leader.
    reads.read("q", 7, true, THREE);
    assertEquals(List.of(1L), out.rounds);
    assertEquals(List.of(), out.served);
    reads.acked("b", 1, THREE);
    assertEquals(List.of("q@7"), out.served);
    assertEquals(0, reads.roundInFlight());
    assertEquals(0, reads.waiting());
  }

  @Test
  void anAnswerToAnEarlierRoundConfirmsNothing() {
    // A heartbeat answer of round 0 (sent before the read) says nothing about leadership after the read arrived.
    reads.read("q", 7, true, THREE);
    reads.acked("b", 0, THREE);
    reads.acked("c", 0, THREE);
    assertEquals(List.of(), out.served);
    assertEquals(1, reads.roundInFlight());
  }

  @Test
  void readsWaitForAnEntryOfTheLeadersTermToCommit() {
    // §6.4: before its no-op commits the leader's commit index may be behind, so no round starts yet.
    reads.read("q", 3, false, THREE);
    assertEquals(List.of(), out.rounds);
    assertEquals(1, reads.waiting());
    reads.committed(5, THREE);
    assertEquals(List.of(1L), out.rounds);
    reads.acked("c", 1, THREE);
    assertEquals(List.of("q@5"), out.served); // the commit index of the moment the read started
  }

  @Test
  void readsArrivingDuringARoundShareTheNextOne() {
    // Reads waiting when a round starts share it; later ones share the next, started when the first is confirmed.
    reads.read("q1", 7, true, THREE);
    reads.read("q2", 8, true, THREE);
    reads.read("q3", 9, true, THREE);
    assertEquals(List.of(1L), out.rounds); // one round in flight at a time
    reads.acked("b", 1, THREE);
    assertEquals(List.of("q1@7"), out.served);
    assertEquals(List.of(1L, 2L), out.rounds);
    reads.acked("c", 2, THREE);
    assertEquals(List.of("q1@7", "q2@8", "q3@9"), out.served);
    assertEquals(List.of(1L, 2L), out.rounds);
  }

  @Test
  void aSingleVoterConfirmsItsOwnRoundAtOnce() {
    // With one voter the leader alone is a quorum: the read is served as soon as it starts.
    ReadIndex<String> alone = new ReadIndex<>("a", out);
    alone.read("q", 4, true, Configuration.ofVoters(Set.of("a")));
    assertEquals(List.of("q@4"), out.served);
    assertEquals(0, alone.roundInFlight());
  }

  @Test
  void answersOfLearnersOrStrangersDoNotMakeAQuorum() {
    // Only voters count: "x" is not in the configuration.
    reads.read("q", 7, true, THREE);
    reads.acked("x", 1, THREE);
    assertEquals(List.of(), out.served);
  }

  @Test
  void drainingHandsBackEveryWaitingReadAndForgetsThem() {
    // When leadership ends, every read not yet served is handed back (to be answered NotLeader), held ones first.
    reads.read("held", 2, false, THREE);
    reads.committed(3, THREE);
    reads.read("started", 3, true, THREE);
    reads.read("late", 3, false, THREE);
    assertEquals(List.of("late", "held", "started"), reads.drain());
    assertEquals(0, reads.waiting());
    assertEquals(List.of(), out.served);
  }
}
