package io.pekkoraft.chaos.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateClockTest {

  @Test
  void runsAtItsRateFromWhenItWasMade() {
    AtomicLong real = new AtomicLong(5_000);
    RateClock slow = new RateClock(real::get, 0.5);
    assertEquals(5_000, slow.getAsLong());
    real.addAndGet(1_000_000_000L);
    assertEquals(5_000 + 500_000_000L, slow.getAsLong(), "half a second measured in a second");
    RateClock fast = new RateClock(real::get, 2);
    real.addAndGet(1_000);
    assertEquals(1_000_005_000L + 2_000, fast.getAsLong());
  }

  @Test
  void refusesARateThatIsNotPositive() {
    assertThrows(IllegalArgumentException.class, () -> new RateClock(System::nanoTime, 0));
    assertThrows(IllegalArgumentException.class, () -> new RateClock(System::nanoTime, Double.NaN));
  }
}
