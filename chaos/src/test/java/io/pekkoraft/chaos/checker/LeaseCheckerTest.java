package io.pekkoraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.chaos.checker.LeaseChecker.Ack;
import io.pekkoraft.chaos.checker.LeaseChecker.Gone;
import io.pekkoraft.chaos.checker.LeaseChecker.Lease;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The etcd workload's lease check, on hand-made records (times in seconds since the run's start, as nanoseconds):
 * a lease seen gone only after its last acknowledged keep-alive's TTL ran out passes; one seen gone within it fails,
 * also when the acknowledgement came late (a paused member) and counts from when the keep-alive was sent.
 */
class LeaseCheckerTest {

  private static long s(double seconds) {
    return Math.round(seconds * 1e9);
  }

  /** Granted at 1.0 s (TTL 4), kept alive at 2.3 and 3.6 s: held until 7.6 s at least. */
  private static List<Ack> acks() {
    return List.of(new Ack(s(1.0), s(1.1), 4), new Ack(s(2.3), s(2.35), 4), new Ack(s(3.6), s(3.62), 4));
  }

  @Test
  void aLeaseGoneAfterItsLastKeepAlivesTtlPasses() {
    LeaseChecker.Result result = LeaseChecker.check(List.of(new Lease(0x1f, "/chaos/lease/0-0", acks(),
        List.of(new Gone(s(7.5), s(7.7), "its key was missing")))));
    assertTrue(result.holds(), result.toString());
    assertEquals("1 leases, 3 acknowledged grants and keep-alives, 1 seen gone", result.summary());
  }

  @Test
  void aLeaseNeverSeenGonePasses() {
    assertTrue(LeaseChecker.check(List.of(new Lease(0x1f, "/chaos/lease/0-0", acks(), List.of()))).holds());
  }

  @Test
  void aLeaseGoneWithinTheTtlOfAnAcknowledgedKeepAliveIsAViolation() {
    LeaseChecker.Result result = LeaseChecker.check(List.of(new Lease(0x1f, "/chaos/lease/0-0", acks(),
        List.of(new Gone(s(6.0), s(6.2), "its key was missing")))));
    assertFalse(result.holds());
    assertEquals("lease 1f (key /chaos/lease/0-0) gone (its key was missing, answered at 6.200 s) while the keep-alive sent"
        + " at 3.600 s, acknowledged at 3.620 s with TTL 4 s, holds it until 7.600 s", result.violations().get(0));
  }

  @Test
  void aKeepAliveAcknowledgedAfterTheLeaseWasSeenGoneStillCountsFromWhenItWasSent() {
    // A member paused after applying the keep-alive sent at 5.0 s: its acknowledgement arrives at 9.0 s, after a
    // Get at 7.8 s found the key missing. The lease was renewed at 5.0 s or later, so it must live until 9.0 s.
    List<Ack> acks = List.of(new Ack(s(1.0), s(1.1), 4), new Ack(s(5.0), s(9.0), 4));
    LeaseChecker.Result result = LeaseChecker.check(List.of(new Lease(0x2a, "/chaos/lease/1-0", acks,
        List.of(new Gone(s(7.7), s(7.8), "its key was missing")))));
    assertFalse(result.holds());
    assertTrue(result.violations().get(0).contains("holds it until 9.000 s"), result.violations().get(0));
  }

  @Test
  void aLateAcknowledgementDoesNotExtendTheLeaseBeyondItsSendingTimePlusTtl() {
    // The same late acknowledgement, with the key found missing at 9.5 s: past 5.0 + 4 s, no violation.
    List<Ack> acks = List.of(new Ack(s(1.0), s(1.1), 4), new Ack(s(5.0), s(9.0), 4));
    assertTrue(LeaseChecker.check(List.of(new Lease(0x2a, "/chaos/lease/1-0", acks,
        List.of(new Gone(s(9.3), s(9.5), "keep-alive answered TTL 0"))))).holds());
  }
}
