package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.rules.ReplicationProgress.State;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplicationProgressTest {

  private static void assertInvariant(ReplicationProgress p) {
    assertTrue(p.matchIndex() < p.nextIndex(), "matchIndex < nextIndex broken: " + p);
  }

  /** A progress already in REPLICATE with everything up to {@code match} acknowledged. */
  private static ReplicationProgress replicating(long match, int window) {
    ReplicationProgress p = new ReplicationProgress(match + 1, window);
    p.onSuccess(0, match);
    return p;
  }

  @Test
  void aNewProgressProbesFromTheLeadersNextIndex() {
    // §5.3: a new leader starts with nextIndex = its lastIndex + 1, matchIndex 0, and probes.
    ReplicationProgress p = new ReplicationProgress(11, 8);
    assertEquals(State.PROBE, p.state());
    assertEquals(11, p.nextIndex());
    assertEquals(0, p.matchIndex());
    assertEquals(0, p.inflightCount());
    assertTrue(p.canSend());
  }

  @Test
  void aWindowBelowOneIsRefused() {
    // Pipelining needs room for at least one batch in flight.
    assertThrows(IllegalArgumentException.class, () -> new ReplicationProgress(1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ReplicationProgress(1, -3));
  }

  @Test
  void probeAllowsOneBatchInFlight() {
    // In PROBE the leader does not know where the logs match, so it sends one batch and waits.
    ReplicationProgress p = new ReplicationProgress(11, 8);
    p.onSent(1, 10);
    assertEquals(1, p.inflightCount());
    assertFalse(p.canSend());
  }

  @Test
  void replicateAllowsTheWholeWindow() {
    // In REPLICATE the leader pipelines up to windowMax batches, and no more.
    ReplicationProgress p = replicating(10, 3);
    assertEquals(State.REPLICATE, p.state());
    p.onSent(1, 12);
    assertTrue(p.canSend());
    p.onSent(2, 14);
    assertTrue(p.canSend());
    p.onSent(3, 16);
    assertFalse(p.canSend());
    assertEquals(3, p.inflightCount());
  }

  @Test
  void aWindowOfOneTurnsPipeliningOff() {
    // With window 1 even REPLICATE waits for each answer.
    ReplicationProgress p = replicating(10, 1);
    p.onSent(1, 12);
    assertFalse(p.canSend());
  }

  @Test
  void onSentAdvancesNextIndexOptimistically() {
    // Each sent batch moves nextIndex past its last entry, so the next batch follows it.
    ReplicationProgress p = replicating(10, 8);
    p.onSent(1, 15);
    assertEquals(16, p.nextIndex());
    p.onSent(2, 20);
    assertEquals(21, p.nextIndex());
    assertEquals(10, p.matchIndex());
  }

  @Test
  void anEmptyBatchDoesNotMoveNextIndexBack() {
    // A heartbeat (no entries, lastIndex = prevLogIndex) or an older batch never lowers nextIndex.
    ReplicationProgress p = replicating(10, 8);
    p.onSent(1, 15);
    p.onSent(2, 10);
    assertEquals(16, p.nextIndex());
  }

  @Test
  void onSuccessFreesTheWindowUpToSeqAndAdvancesMatch() {
    // An acknowledgement of batch `seq` frees it and every earlier batch, and raises matchIndex.
    ReplicationProgress p = replicating(10, 4);
    p.onSent(1, 12);
    p.onSent(2, 14);
    p.onSent(3, 16);
    p.onSent(4, 18);
    assertFalse(p.canSend());
    assertTrue(p.onSuccess(2, 14));
    assertEquals(14, p.matchIndex());
    assertEquals(2, p.inflightCount());
    assertTrue(p.canSend());
    assertEquals(19, p.nextIndex());
    assertTrue(p.onSuccess(4, 18));
    assertEquals(0, p.inflightCount());
    assertEquals(18, p.matchIndex());
    assertEquals(19, p.nextIndex());
  }

  @Test
  void aProbeSuccessSwitchesToReplicate() {
    // Once the follower accepted a probe, the leader knows where the logs match and starts pipelining.
    ReplicationProgress p = new ReplicationProgress(11, 8);
    p.onSent(1, 10);
    assertTrue(p.onSuccess(1, 10));
    assertEquals(State.REPLICATE, p.state());
    assertEquals(10, p.matchIndex());
    assertEquals(11, p.nextIndex());
    assertTrue(p.canSend());
  }

  @Test
  void aStaleSuccessNeverLowersMatchIndex() {
    // A delayed acknowledgement of an earlier batch leaves matchIndex where it is and reports no advance.
    ReplicationProgress p = replicating(10, 8);
    p.onSent(1, 12);
    p.onSent(2, 14);
    assertTrue(p.onSuccess(2, 14));
    assertFalse(p.onSuccess(1, 12));
    assertEquals(14, p.matchIndex());
    assertInvariant(p);
  }

  @Test
  void aSuccessBeyondNextIndexPullsNextIndexAlong() {
    // If the follower reports more than we thought we sent, nextIndex moves to matchIndex + 1.
    ReplicationProgress p = new ReplicationProgress(5, 8);
    assertTrue(p.onSuccess(1, 9));
    assertEquals(9, p.matchIndex());
    assertEquals(10, p.nextIndex());
  }

  @Test
  void onRejectProbesFromTheHint() {
    // A rejection drops everything in flight, returns to PROBE and continues from the conflict hint.
    ReplicationProgress p = new ReplicationProgress(21, 8);
    p.onSent(1, 20);
    p.onReject(8);
    assertEquals(State.PROBE, p.state());
    assertEquals(8, p.nextIndex());
    assertEquals(0, p.inflightCount());
    assertTrue(p.canSend());
  }

  @Test
  void onRejectNeverGoesBelowMatchIndexPlusOne() {
    // A stale or wrong hint cannot send nextIndex to or below what the follower already matched.
    ReplicationProgress p = replicating(10, 8);
    p.onSent(1, 15);
    p.onReject(3);
    assertEquals(11, p.nextIndex());
    assertEquals(10, p.matchIndex());
    p.onReject(10);
    assertEquals(11, p.nextIndex());
    p.onReject(11);
    assertEquals(11, p.nextIndex());
    assertInvariant(p);
  }

  @Test
  void onRejectFromReplicateClearsTheWindow() {
    // A rejection in the middle of a pipeline forgets all batches in flight and allows only one probe.
    ReplicationProgress p = replicating(10, 4);
    p.onSent(1, 12);
    p.onSent(2, 14);
    p.onSent(3, 16);
    p.onReject(11);
    assertEquals(0, p.inflightCount());
    assertEquals(State.PROBE, p.state());
    p.onSent(4, 12);
    assertFalse(p.canSend());
  }

  @Test
  void onTimeoutResendsFromTheMatchPoint() {
    // Lost messages: forget what was in flight, probe again from matchIndex + 1.
    ReplicationProgress p = replicating(10, 4);
    p.onSent(1, 12);
    p.onSent(2, 14);
    p.onTimeout();
    assertEquals(State.PROBE, p.state());
    assertEquals(0, p.inflightCount());
    assertEquals(11, p.nextIndex());
    assertEquals(10, p.matchIndex());
    assertTrue(p.canSend());
  }

  @Test
  void onTimeoutOfAFreshProgressGoesToIndexOne() {
    // Without any acknowledgement yet the match point is 0, so a timeout resends from index 1.
    ReplicationProgress p = new ReplicationProgress(11, 8);
    p.onSent(1, 10);
    p.onTimeout();
    assertEquals(1, p.nextIndex());
  }

  @Test
  void theInvariantHoldsUnderRandomEvents() {
    // Whatever order sends, acknowledgements, rejections and timeouts come in, matchIndex < nextIndex holds.
    Random random = new Random(42);
    for (int run = 0; run < 200; run++) {
      long leaderLast = 50;
      ReplicationProgress p = new ReplicationProgress(leaderLast + 1, 1 + random.nextInt(5));
      long seq = 0;
      long followerLast = random.nextInt(51);
      for (int step = 0; step < 200; step++) {
        switch (random.nextInt(4)) {
          case 0 -> {
            if (p.canSend() && p.nextIndex() <= leaderLast + 1) {
              long last = Math.min(leaderLast, p.nextIndex() - 1 + random.nextInt(5));
              p.onSent(++seq, last);
            }
          }
          case 1 -> {
            long match = Math.max(p.matchIndex(), Math.min(followerLast, p.nextIndex() - 1));
            p.onSuccess(seq, match);
            followerLast = Math.max(followerLast, match);
          }
          case 2 -> p.onReject(1 + random.nextInt((int) leaderLast + 1));
          default -> p.onTimeout();
        }
        assertInvariant(p);
        assertTrue(p.inflightCount() >= 0);
      }
    }
  }

  @Test
  void toStringShowsTheState() {
    // The diagnostic string names the state, matchIndex, nextIndex and the window in use.
    ReplicationProgress p = replicating(10, 4);
    p.onSent(1, 12);
    assertEquals("REPLICATE match=10 next=13 inflight=1", p.toString());
  }

  @Test
  void anInstalledSnapshotMovesMatchAndNextPastItAndProbes() {
    // After InstallSnapshot the follower matches up to the snapshot's index; nothing older is in flight.
    ReplicationProgress p = new ReplicationProgress(1, 4);
    p.onSent(1, 10);
    p.onSnapshotInstalled(500);
    org.junit.jupiter.api.Assertions.assertEquals(500, p.matchIndex());
    org.junit.jupiter.api.Assertions.assertEquals(501, p.nextIndex());
    org.junit.jupiter.api.Assertions.assertEquals(0, p.inflightCount());
    org.junit.jupiter.api.Assertions.assertEquals(ReplicationProgress.State.PROBE, p.state());
    p.onSnapshotInstalled(100); // a late answer about an older snapshot never moves match back
    org.junit.jupiter.api.Assertions.assertEquals(500, p.matchIndex());
  }
}
