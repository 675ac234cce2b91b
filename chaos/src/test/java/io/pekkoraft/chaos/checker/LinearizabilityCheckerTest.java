package io.pekkoraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories the checker must reject and histories it must accept, written as JSON lines in the form the runner
 * records, so that each test reads as the history it is about.
 */
class LinearizabilityCheckerTest {

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

  private static LinearizabilityChecker.Result counter(List<Event> events) {
    return new LinearizabilityChecker(new CounterModel()).check(Histories.operations(events));
  }

  private static boolean registerLinearizable(List<Event> events) {
    Map<String, LinearizabilityChecker.Result> results =
        new LinearizabilityChecker(new RegisterModel()).checkByKey(Histories.operations(events));
    return results.values().stream().allMatch(LinearizabilityChecker.Result::linearizable);
  }

  // ---- must be rejected ----

  @Test
  void aStaleReadAfterAnAcknowledgedWriteIsRejected() {
    LinearizabilityChecker.Result result = counter(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1,\"time\":20}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":30}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":0,\"time\":40}"));
    assertEquals(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE, result.verdict());
    assertTrue(result.explanation().contains("process 1 read -> 0"), result.explanation());
  }

  @Test
  void aStaleRegisterReadAfterAnAcknowledgedWriteIsRejected() {
    assertFalse(registerLinearizable(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":20}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":2,\"time\":30}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k\",\"value\":2,\"time\":40}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":50}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":1,\"time\":60}")));
  }

  @Test
  void twoSuccessfulCasFromTheSameValueAreRejected() {
    // Both find 0 and succeed, concurrently: only one of them can have found 0.
    assertFalse(registerLinearizable(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":0,\"time\":1}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k\",\"value\":0,\"time\":2}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,1],\"time\":10}",
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,2],\"time\":11}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,1],\"time\":20}",
        "{\"process\":2,\"type\":\"ok\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,2],\"time\":21}")));
  }

  @Test
  void aReadOfAValueNeverWrittenIsRejected() {
    assertFalse(registerLinearizable(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":10}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":11}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":3,\"time\":12}",
        "{\"process\":0,\"type\":\"info\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":20}")));
    assertEquals(LinearizabilityChecker.Verdict.NOT_LINEARIZABLE, counter(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":20}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":30}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":2,\"time\":40}")).verdict());
  }

  @Test
  void aFailedWriteThatIsReadIsRejected() {
    // fail means certainly not applied: nobody may see it.
    assertFalse(registerLinearizable(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":7,\"time\":10}",
        "{\"process\":0,\"type\":\"fail\",\"f\":\"write\",\"key\":\"k\",\"value\":7,\"time\":20,\"error\":\"not-leader\"}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":30}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":7,\"time\":40}")));
  }

  @Test
  void readsThatGoBackInTimeAreRejected() {
    // Two sequential reads around a concurrent add: 1 then 0 means the add was undone.
    assertFalse(counter(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":11}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":12}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":13}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":0,\"time\":14}",
        "{\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":20}")).linearizable());
  }

  @Test
  void anUnknownAddCannotTakeEffectBeforeItsInvoke() {
    assertFalse(counter(history(
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":1}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":2}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":20}")).linearizable());
  }

  // ---- must pass ----

  @Test
  void concurrentOperationsMayTakeEffectInEitherOrder() {
    assertTrue(counter(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":11}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":12}",
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":13}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1,\"time\":14}",
        "{\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":15}")).linearizable());
  }

  @Test
  void anUnknownAddMayTakeEffectLongAfterItsInfo() {
    // The add timed out; later reads see first 0, then 1: it took effect in between.
    assertTrue(counter(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":20,\"error\":\"timeout\"}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":30}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":0,\"time\":40}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":50}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1,\"time\":60}")).linearizable());
  }

  @Test
  void anUnknownOperationMayNeverTakeEffect() {
    assertTrue(registerLinearizable(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k\",\"value\":1,\"time\":20}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":[1,5],\"time\":30}",
        "{\"process\":1,\"type\":\"info\",\"f\":\"cas\",\"key\":\"k\",\"value\":[1,5],\"time\":40}",
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":3,\"time\":45}",
        "{\"process\":2,\"type\":\"info\",\"f\":\"write\",\"key\":\"k\",\"value\":3,\"time\":46}",
        "{\"process\":3,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":50}",
        "{\"process\":3,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":1,\"time\":60}")));
  }

  @Test
  void casChainsAndFailedCasPass() {
    assertTrue(registerLinearizable(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":2}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"k\",\"value\":0,\"time\":3}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"k\",\"value\":0,\"time\":4}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,1],\"time\":10}",
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,2],\"time\":11}",
        "{\"process\":1,\"type\":\"ok\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,1],\"time\":20}",
        "{\"process\":2,\"type\":\"fail\",\"f\":\"cas\",\"key\":\"k\",\"value\":[0,2],\"time\":21}",
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k\",\"value\":[1,2],\"time\":30}",
        "{\"process\":2,\"type\":\"ok\",\"f\":\"cas\",\"key\":\"k\",\"value\":[1,2],\"time\":31}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":40}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":2,\"time\":41}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"other\",\"value\":null,\"time\":42}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"other\",\"value\":null,\"time\":43}")));
  }

  @Test
  void manyUnknownAddsAreCheckedQuickly() {
    // 200 adds time out, then reads see every count from 0 to 200 in turn: each unknown add took effect late.
    List<String> lines = new ArrayList<>();
    long t = 0;
    for (int p = 0; p < 200; p++) {
      lines.add("{\"process\":" + p + ",\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":" + (++t) + "}");
      lines.add("{\"process\":" + p + ",\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":" + (++t) + "}");
    }
    for (int v = 0; v <= 200; v++) {
      lines.add("{\"process\":1000,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":" + (++t) + "}");
      lines.add("{\"process\":1000,\"type\":\"ok\",\"f\":\"read\",\"value\":" + v + ",\"time\":" + (++t) + "}");
    }
    LinearizabilityChecker checker = new LinearizabilityChecker(new CounterModel(), 5_000_000);
    assertTrue(checker.check(Histories.operations(history(lines.toArray(String[]::new)))).linearizable());
  }

  @Test
  void aLongConcurrentCounterHistoryFromASequentialExecutionPasses() {
    // A simulated atomic counter with 8 concurrent processes, 40,000 operations, some of unknown outcome:
    // linearizable by construction (each operation takes effect at a random instant inside its interval).
    List<Event> events = simulatedCounter(new Random(42), 8, 40_000, false);
    LinearizabilityChecker.Result result = counter(events);
    assertTrue(result.linearizable(), result.explanation());
  }

  @Test
  void theSameHistoryWithOneReadAlteredIsRejected() {
    List<Event> events = simulatedCounter(new Random(7), 6, 20_000, true);
    assertFalse(counter(events).linearizable());
  }

  /**
   * A history of an atomic counter: each process's operation takes effect at one instant between its invoke and
   * its completion (or, for an unknown outcome, at some instant after the invoke, or never).
   */
  private static List<Event> simulatedCounter(Random random, int processes, int operations, boolean corruptOneRead) {
    List<Event> events = new ArrayList<>();
    long value = 0;
    long time = 0;
    int[] processOf = new int[processes];
    Event[] inFlight = new Event[processes];
    int[] stage = new int[processes]; // 0 idle, 1 invoked, 2 took effect
    Object[] result = new Object[processes];
    List<long[]> lateUnknown = new ArrayList<>();
    for (int i = 0; i < processes; i++) processOf[i] = i;
    int nextProcess = processes;
    int done = 0;
    boolean corrupted = false;
    while (done < operations) {
      int slot = random.nextInt(processes);
      time += 1 + random.nextInt(3);
      if (!lateUnknown.isEmpty() && random.nextInt(20) == 0) {
        value += lateUnknown.remove(0)[0]; // an unknown add applied late
      }
      switch (stage[slot]) {
        case 0 -> {
          boolean add = random.nextBoolean();
          inFlight[slot] = Event.invoke(processOf[slot], add ? "add" : "read", null, add ? 1L : null, time);
          events.add(inFlight[slot]);
          stage[slot] = 1;
        }
        case 1 -> {
          Event invoke = inFlight[slot];
          if (invoke.f().equals("add")) {
            if (random.nextInt(10) == 0) {
              // unknown outcome: applied later, or never
              if (random.nextBoolean()) lateUnknown.add(new long[] {1});
              events.add(invoke.complete(Event.Type.INFO, 1L, time, "timeout"));
              processOf[slot] = nextProcess++;
              stage[slot] = 0;
              done++;
              continue;
            }
            value += 1;
            result[slot] = 1L;
          } else {
            long seen = value;
            if (corruptOneRead && !corrupted && done > operations / 2 && value > 3) {
              seen = value - 2;
              corrupted = true;
            }
            result[slot] = seen;
          }
          stage[slot] = 2;
        }
        default -> {
          events.add(inFlight[slot].complete(Event.Type.OK, result[slot], time, null));
          stage[slot] = 0;
          done++;
        }
      }
    }
    return events;
  }

  @Test
  void historiesThatBreakTheConventionsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Histories.operations(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":20}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":30}")));
    assertThrows(IllegalArgumentException.class, () -> Histories.operations(history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":30}")));
    assertThrows(IllegalArgumentException.class, () -> Histories.operations(history(
        "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1,\"time\":10}")));
    assertThrows(IllegalArgumentException.class, () -> HistoryReader.parse("{\"process\":0,\"type\":\"done\",\"f\":\"add\",\"value\":1,\"time\":1}"));
  }

  @Test
  void durabilityBoundsTheFinalValue() {
    List<Event> events = history(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":10}",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1,\"time\":20}",
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":11}",
        "{\"process\":1,\"type\":\"info\",\"f\":\"add\",\"value\":1,\"time\":21}",
        "{\"process\":2,\"type\":\"invoke\",\"f\":\"add\",\"value\":1,\"time\":12}",
        "{\"process\":2,\"type\":\"fail\",\"f\":\"add\",\"value\":1,\"time\":22}");
    assertFalse(CounterDurability.check(events, 0).holds(), "an acknowledged add was lost");
    assertTrue(CounterDurability.check(events, 1).holds());
    assertTrue(CounterDurability.check(events, 2).holds());
    assertFalse(CounterDurability.check(events, 3).holds(), "a failed add was applied");
  }
}
