package io.pekkoraft.chaos.checker;

/** A counter starting at 0: {@code add} adds its value, {@code read} returns the sum so far. */
public final class CounterModel implements Model {

  @Override
  public Object initial() {
    return 0L;
  }

  @Override
  public Object step(Object state, Operation op) {
    long value = (Long) state;
    return switch (op.f()) {
      case "add" -> value + (Long) op.input();
      case "read" -> op.unknown() || Long.valueOf(value).equals(op.output()) ? state : null;
      default -> throw new IllegalArgumentException("the counter has add and read, not " + op.f() + ": " + op);
    };
  }
}
