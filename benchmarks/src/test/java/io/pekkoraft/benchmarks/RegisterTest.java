package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RegisterTest {

  @Test
  void aCommandIsABigEndianIncrementOfOneThenTheClientsFiller() {
    byte[] payload = Register.command(3, 256).payload();

    assertEquals(256, payload.length);
    assertEquals(1L, ByteBuffer.wrap(payload, 0, 8).getLong());
    byte[] filler = new byte[248];
    new Random(3 * 7919L + 1).nextBytes(filler);
    assertArrayEquals(filler, Arrays.copyOfRange(payload, 8, 256));
  }

  @Test
  void applyAddsTheIncrementAndAnswersTheNewValue() {
    Register register = new Register();
    assertEquals(1L, register.apply(Register.command(0, 256)));
    assertEquals(2L, register.apply(Register.command(1, 8)));
    byte[] minusFive = ByteBuffer.allocate(16).putLong(-5).array();
    assertEquals(-3L, register.apply(new Register.Add(minusFive)));
    assertEquals(-3L, register.query(Register.Get.INSTANCE));
  }

  @Test
  void tooShortACommandIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Register.command(0, 7));
    assertThrows(IllegalArgumentException.class, () -> new Register.Add(new byte[7]));
  }

  @Test
  void failoverMedianOfOddAndEvenCounts() {
    assertEquals(3.0, FailoverPhase.median(List.of(9.0, 1.0, 3.0)));
    assertEquals(2.5, FailoverPhase.median(List.of(4.0, 1.0, 3.0, 2.0)));
  }
}
