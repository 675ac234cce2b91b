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

  /** Adds commute with each other and with reads, and can happen in any state. */
  @Override
  public boolean commutes(Operation op) {
    return op.f().equals("add");
  }

  /** An add moves the counter towards a read's value only if that lies in the add's direction. */
  @Override
  public boolean mayHelp(Object state, Operation unknown, Operation blocked) {
    if (!blocked.f().equals("read") || !(blocked.output() instanceof Long seen)) return false;
    long delta = (Long) unknown.input();
    long value = (Long) state;
    return delta > 0 ? seen > value : delta < 0 && seen < value;
  }

  /** The value itself: distinct values, distinct bits. */
  @Override
  public long fingerprint(Object state) {
    return (Long) state;
  }
}
