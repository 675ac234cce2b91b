package io.pekkoraft.chaos.checker;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A register that starts empty: {@code read} returns the value (null while never written), {@code write} sets
 * it, {@code cas [expected, new]} sets it to new if it holds expected. An acknowledged cas must have found its
 * expected value; one of unknown outcome changes the register only if it does (otherwise it is a no-op).
 * A cas that found another value completes with {@code fail} and never reaches the checker.
 */
public final class RegisterModel implements Model {

  @Override
  public Object initial() {
    return Optional.<Long>empty();
  }

  @Override
  public Object step(Object state, Operation op) {
    @SuppressWarnings("unchecked")
    Optional<Long> value = (Optional<Long>) state;
    switch (op.f()) {
      case "read":
        return op.unknown() || Objects.equals(value.orElse(null), op.output()) ? state : null;
      case "write":
        return Optional.of((Long) op.input());
      case "cas":
        List<?> pair = (List<?>) op.input();
        boolean matches = value.isPresent() && value.get().equals(pair.get(0));
        if (matches) return Optional.of((Long) pair.get(1));
        return op.unknown() ? state : null;
      default:
        throw new IllegalArgumentException("the register has read, write and cas, not " + op.f() + ": " + op);
    }
  }

  /** The value itself; the empty register a value the workload never writes. */
  @Override
  public long fingerprint(Object state) {
    Optional<?> value = (Optional<?>) state;
    return value.isPresent() ? (Long) value.get() : 0x8000_0000_0000_0001L;
  }
}
