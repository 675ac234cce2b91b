package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaderLeaseTest {

  private static final long MS = 1_000_000L;
  private static final Configuration THREE = Configuration.ofVoters(Set.of("a", "b", "c"));

  /** Leader "a": election-timeout-min 1000 ms, margin 100 ms. */
  private static LeaderLease lease() {
    return new LeaderLease("a", 1000 * MS, 100 * MS);
  }

  @Test
  void theLeaseRunsFromWhenTheRoundWasSentNotWhenItWasAnswered() {
    // Followers received the round after it was sent; counting from the answer would outlast their promise.
    LeaderLease l = lease();
    l.roundSent(1, 0);
    assertFalse(l.holds(0), "no quorum answered yet");
    l.acked("b", 1, THREE); // answered at 400 ms: a and b are a quorum of three
    assertTrue(l.holds(899 * MS));
    assertFalse(l.holds(900 * MS), "1000 ms - 100 ms of margin from the send at 0");
  }

  @Test
  void onlyARoundAQuorumAnsweredExtendsIt() {
    LeaderLease l = lease();
    l.roundSent(1, 0);
    l.acked("b", 1, THREE);
    l.roundSent(2, 500 * MS);
    l.acked("b", 0, THREE); // an older answer changes nothing
    assertFalse(l.holds(950 * MS));
    l.acked("c", 2, THREE);
    assertTrue(l.holds(1399 * MS));
    assertFalse(l.holds(1400 * MS));
  }

  @Test
  void aJointConfigurationNeedsBothQuorums() {
    LeaderLease l = lease();
    Configuration joint = new Configuration(Set.of("a", "b", "c"), Set.of("a", "x", "y"), Set.of());
    l.roundSent(1, 0);
    l.acked("b", 1, joint);
    assertFalse(l.holds(1), "the outgoing voters have not answered");
    l.acked("x", 1, joint);
    assertTrue(l.holds(1));
  }

  @Test
  void theLeaseEndsAtOnceAndNoLaterAnswerExtendsItUntilResumed() {
    // Step-down and leadership transfer end it: the transfer's target is elected while followers still hear from us.
    LeaderLease l = lease();
    l.roundSent(1, 0);
    l.acked("b", 1, THREE);
    l.end();
    assertFalse(l.holds(1));
    l.roundSent(2, 10 * MS);
    l.acked("b", 2, THREE);
    assertFalse(l.holds(20 * MS), "answers during a transfer do not bring it back");
    l.resume();
    l.roundSent(3, 30 * MS);
    l.acked("c", 3, THREE);
    assertTrue(l.holds(40 * MS));
  }

  @Test
  void theMarginMustLeaveALease() {
    assertThrows(IllegalArgumentException.class, () -> new LeaderLease("a", 1000 * MS, 1000 * MS));
    assertThrows(IllegalArgumentException.class, () -> new LeaderLease("a", 1000 * MS, -1));
    assertEquals(900 * MS, lease().durationNanos());
  }
}
