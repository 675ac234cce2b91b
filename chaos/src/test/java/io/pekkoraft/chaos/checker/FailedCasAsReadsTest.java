package io.pekkoraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The etcd workload's failed CAS is a read of the value it found: checked as one, a failed CAS that found a value
 * the register could not hold makes the history non-linearizable, where as a plain failure it was left out.
 */
class FailedCasAsReadsTest {

  private static List<Event> history(String... lines) {
    List<Event> events = new ArrayList<>();
    for (String line : lines) {
      try {
        events.add(HistoryReader.parse(line));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return events;
  }

  private static LinearizabilityChecker.Verdict verdict(List<Event> events) {
    boolean linearizable = new LinearizabilityChecker(new RegisterModel()).checkByKey(Histories.operations(events)).values()
        .stream().allMatch(LinearizabilityChecker.Result::linearizable);
    return linearizable ? LinearizabilityChecker.Verdict.LINEARIZABLE : LinearizabilityChecker.Verdict.NOT_LINEARIZABLE;
  }

  /** r0 is written 1 (acknowledged), then a cas [2, 4] fails having found 3, a value nobody wrote. */
  private static final List<Event> FOUND_A_VALUE_NOBODY_WROTE = history(
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"r0\",\"value\":1,\"time\":10}",
      "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"r0\",\"value\":1,\"time\":20}",
      "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"r0\",\"value\":[2,4],\"time\":30}",
      "{\"process\":1,\"type\":\"fail\",\"f\":\"cas\",\"key\":\"r0\",\"value\":[2,4],\"time\":40,\"error\":\"cas found 3\"}");

  @Test
  void aFailedCasThatFoundAValueNobodyWroteIsNotLinearizableOnceReadAsARead() {
    assertEquals(LinearizabilityChecker.Verdict.LINEARIZABLE, verdict(FOUND_A_VALUE_NOBODY_WROTE));
    assertEquals(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE, verdict(Histories.failedCasAsReads(FOUND_A_VALUE_NOBODY_WROTE)));
  }

  @Test
  void aFailedCasThatFoundTheValueWrittenIsALinearizableRead() {
    List<Event> events = history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"r0\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"r0\",\"value\":1,\"time\":20}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"r1\",\"value\":[2,4],\"time\":25}",
        "{\"process\":1,\"type\":\"fail\",\"f\":\"cas\",\"key\":\"r1\",\"value\":[2,4],\"time\":28,\"error\":\"cas found nothing\"}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"r0\",\"value\":[2,4],\"time\":30}",
        "{\"process\":1,\"type\":\"fail\",\"f\":\"cas\",\"key\":\"r0\",\"value\":[2,4],\"time\":40,\"error\":\"cas found 1\"}");
    List<Event> converted = Histories.failedCasAsReads(events);
    assertEquals(new Event(1, Event.Type.OK, "read", "r0", 1L, 40, null), converted.get(5));
    assertEquals(new Event(1, Event.Type.OK, "read", "r1", null, 28, null), converted.get(3));
    assertEquals(LinearizabilityChecker.Verdict.LINEARIZABLE, verdict(converted));
  }

  @Test
  void aFailedCasThatFoundNoNumberIsRefused() {
    List<Event> events = history(
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"r0\",\"value\":[2,4],\"time\":30}",
        "{\"process\":1,\"type\":\"fail\",\"f\":\"cas\",\"key\":\"r0\",\"value\":[2,4],\"time\":40,\"error\":\"cas found x\"}");
    assertThrows(IllegalArgumentException.class, () -> Histories.failedCasAsReads(events));
  }
}
