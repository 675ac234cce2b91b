package io.pekkoraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.chaos.checker.WatchChecker.AckedWrite;
import io.pekkoraft.chaos.checker.WatchChecker.Watch;
import io.pekkoraft.chaos.checker.WatchChecker.WatchEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The etcd workload's watch check, on hand-made histories: a watch that saw every revision of its keys once and
 * in order passes; a gap, a duplicate, a reordering, a wrong value, a watch that stopped short, and a reference
 * log without an acknowledged write each fail with a message that says which.
 */
class WatchCheckerTest {

  private static final String KV = "/chaos/kv/";

  /** Revisions 2..7: puts of the registers, and one lease key put and deleted (outside the watched prefix). */
  private static final List<WatchEvent> REFERENCE = List.of(
      new WatchEvent(2, KV + "r0", "PUT", "1"),
      new WatchEvent(3, "/chaos/lease/0-0", "PUT", "held"),
      new WatchEvent(4, KV + "r1", "PUT", "3"),
      new WatchEvent(5, KV + "r0", "PUT", "4"),
      new WatchEvent(6, "/chaos/lease/0-0", "DELETE", null),
      new WatchEvent(7, KV + "r1", "PUT", "0"));

  private static final List<AckedWrite> ACKED = List.of(new AckedWrite(2, KV + "r0", "1"), new AckedWrite(5, KV + "r0", "4"));

  private static List<WatchEvent> kvEvents() {
    return REFERENCE.stream().filter(e -> e.key().startsWith(KV)).toList();
  }

  private static WatchChecker.Result check(List<WatchEvent> seen) {
    return WatchChecker.check(REFERENCE, 7, ACKED, List.of(new Watch("watch-0", KV, 1, seen, 0)));
  }

  @Test
  void aWatchThatSawEveryRevisionOfItsKeysOnceAndInOrderPasses() {
    WatchChecker.Result result = check(kvEvents());
    assertTrue(result.holds(), result.toString());
    assertTrue(result.summary().contains("4 events seen"), result.summary());
  }

  @Test
  void eventsAfterTheFinalRevisionAreNotCompared() {
    List<WatchEvent> seen = new ArrayList<>(kvEvents());
    seen.add(new WatchEvent(8, KV + "r2", "PUT", "2")); // a late write, after the final reads
    assertTrue(check(seen).holds(), check(seen).toString());
  }

  @Test
  void aGapIsAViolation() {
    List<WatchEvent> seen = new ArrayList<>(kvEvents());
    seen.remove(1); // revision 4 missed
    WatchChecker.Result result = check(seen);
    assertFalse(result.holds());
    assertEquals("watch-0: a gap: WatchEvent[revision=4, key=/chaos/kv/r1, type=PUT, value=3] missed, next seen "
        + "WatchEvent[revision=5, key=/chaos/kv/r0, type=PUT, value=4]", result.violations().get(0));
  }

  @Test
  void aRevisionSeenTwiceIsAViolation() {
    List<WatchEvent> seen = new ArrayList<>(kvEvents());
    seen.add(2, seen.get(1)); // revision 4 again, as a resumed watch that restarted from its last revision, not + 1
    WatchChecker.Result result = check(seen);
    assertFalse(result.holds());
    assertEquals("watch-0: revision 4 twice (event 3)", result.violations().get(0));
  }

  @Test
  void eventsOutOfOrderAreAViolation() {
    List<WatchEvent> seen = new ArrayList<>(kvEvents());
    WatchEvent third = seen.remove(2);
    seen.add(1, third); // 2, 5, 4, 7
    WatchChecker.Result result = check(seen);
    assertFalse(result.holds());
    assertEquals("watch-0: revision 4 after 5 (event 3)", result.violations().get(0));
  }

  @Test
  void anEventWithAnotherValueThanTheLogsIsAViolation() {
    List<WatchEvent> seen = new ArrayList<>(kvEvents());
    seen.set(2, new WatchEvent(5, KV + "r0", "PUT", "2"));
    WatchChecker.Result result = check(seen);
    assertFalse(result.holds());
    assertTrue(result.violations().get(0).startsWith("watch-0: saw WatchEvent[revision=5, key=/chaos/kv/r0, type=PUT, value=2]"
        + " where the log has WatchEvent[revision=5, key=/chaos/kv/r0, type=PUT, value=4]"), result.violations().get(0));
  }

  @Test
  void aWatchThatStoppedShortOfTheFinalRevisionIsAViolation() {
    WatchChecker.Result result = check(kvEvents().subList(0, 3));
    assertFalse(result.holds());
    assertEquals("watch-0: missed revisions from 7 on (1 events; it saw 3 of 4)", result.violations().get(0));
  }

  @Test
  void aReferenceLogWithoutAnAcknowledgedWriteIsAViolation() {
    List<AckedWrite> acked = List.of(new AckedWrite(5, KV + "r0", "3")); // acknowledged at 5, but the log has 4 there
    WatchChecker.Result result = WatchChecker.check(REFERENCE, 7, acked, List.of(new Watch("watch-0", KV, 1, kvEvents(), 0)));
    assertFalse(result.holds());
    assertTrue(result.violations().get(0).startsWith("the acknowledged write of 3 to /chaos/kv/r0 at revision 5 is not in the"
        + " reference log"), result.violations().get(0));
  }

  @Test
  void aReferenceLogWithAMissingRevisionIsAViolation() {
    List<WatchEvent> reference = new ArrayList<>(REFERENCE);
    reference.remove(1);
    WatchChecker.Result result = WatchChecker.check(reference, 7, ACKED, List.of());
    assertFalse(result.holds());
    assertEquals("the reference log has revision 4 where 3 was due", result.violations().get(0));
  }
}
