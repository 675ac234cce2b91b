package io.pekkoraft.samples.counter;

import io.pekkoraft.consensus.StateMachine;

/**
 * The replicated state of the sample: one number. Every node holds a Counter and applies the same
 * increments in the same order, so all of them count the same.
 *
 * <p>Like every {@link StateMachine}, it is deterministic: the result depends only on the value and the
 * command, never on the clock, the node or randomness.
 */
public final class Counter implements StateMachine<Counter.Increment, Counter.GetValue, Long> {

  /** Adds {@code delta}; the result is the new value. */
  public record Increment(long delta) {}

  /** Reads the value. */
  public enum GetValue {
    INSTANCE
  }

  private long value;

  @Override
  public Long apply(Increment command) {
    // An overflow throws before anything changes, as a refused command must: every node refuses it alike.
    value = Math.addExact(value, command.delta());
    return value;
  }

  @Override
  public Long query(GetValue query) {
    return value;
  }

  /** The whole state is one long; Kryo serializes it without registration. */
  @Override
  public Object snapshot() {
    return value;
  }

  @Override
  public void restore(Object snapshot) {
    value = (Long) snapshot;
  }
}
