package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ClientTallyTest {

  @Test
  void aReplyThatDoesNotIncreaseIsAnOrderViolation() {
    ClientTally t = new ClientTally();
    t.reply(5, 1, true);
    t.reply(9, 1, true);
    t.reply(9, 1, true); // equal: the register did not grow for this client
    t.reply(3, 1, false); // lower, in the warm-up: still a violation
    t.reply(4, 1, true);

    assertEquals(2, t.orderViolations());
    assertEquals(5, t.acknowledged());
  }

  @Test
  void aReadThatGoesBackIsAnOrderViolationAnEqualOneIsNot() {
    ClientTally t = new ClientTally();
    t.read(5, 1, true);
    t.read(5, 2, true); // no write in between: the same value
    t.read(4, 3, false); // went back, in the warm-up: still counted
    t.read(6, 4, true);

    assertEquals(1, t.orderViolations());
    assertEquals(0, t.acknowledged());
    assertArrayEquals(new long[] {1, 2, 4}, t.latenciesNanos());
  }

  @Test
  void onlyRepliesInsideTheWindowAreMeasured() {
    ClientTally t = new ClientTally();
    t.reply(1, 11, false);
    t.reply(2, 22, true);
    t.reply(3, 33, true);
    t.reply(4, 44, false);

    assertArrayEquals(new long[] {22, 33}, t.latenciesNanos());
    assertEquals(4, t.acknowledged());
  }

  @Test
  void manyRepliesAreAllKept() {
    ClientTally t = new ClientTally();
    for (int i = 1; i <= 5000; i++) t.reply(i, i, true);
    assertEquals(5000, t.latenciesNanos().length);
    assertEquals(5000, t.latenciesNanos()[4999]);
    assertEquals(0, t.orderViolations());
  }

  @Test
  void errorsCountInTheWindowAndUnknownOutcomesAlways() {
    ClientTally t = new ClientTally();
    t.error(true, true);
    t.error(false, true);
    t.error(true, false);

    assertEquals(2, t.errors());
    assertEquals(2, t.unknownOutcome());
    assertEquals(0, t.acknowledged());
  }
}
