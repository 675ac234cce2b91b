package io.pekkoraft.chaos.checker;

import io.pekkoraft.chaos.history.Event;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Nothing acknowledged was lost: with increments of 1, the counter's final value counts every acknowledged add
 * and some of those of unknown outcome, so {@code acknowledged <= final <= acknowledged + unknown}.
 */
public final class CounterDurability {

  /** The tally of the adds, the final value, and whether it holds. */
  public record Result(long acknowledged, long unknown, long failed, long finalValue, boolean holds) {
    @Override
    public String toString() {
      return (holds ? "holds" : "VIOLATED") + ": final value " + finalValue + ", " + acknowledged
          + " acknowledged adds, " + unknown + " of unknown outcome (" + failed + " failed), so the final value must lie in ["
          + acknowledged + ", " + (acknowledged + unknown) + "]";
    }
  }

  private CounterDurability() {}

  /** Counts the adds of {@code events} (each must add 1) and compares with {@code finalValue}. */
  public static Result check(List<Event> events, long finalValue) {
    Map<Integer, Event> pending = new HashMap<>();
    long acknowledged = 0;
    long unknown = 0;
    long failed = 0;
    for (Event event : events) {
      if (!event.f().equals("add")) continue;
      if (event.type() == Event.Type.INVOKE) {
        if (!Long.valueOf(1).equals(event.value())) {
          throw new IllegalArgumentException("the durability check counts increments of 1: " + event);
        }
        pending.put(event.process(), event);
        continue;
      }
      pending.remove(event.process());
      switch (event.type()) {
        case OK -> acknowledged++;
        case INFO -> unknown++;
        case FAIL -> failed++;
        default -> throw new IllegalStateException();
      }
    }
    unknown += pending.size(); // invoked, never completed
    boolean holds = acknowledged <= finalValue && finalValue <= acknowledged + unknown;
    return new Result(acknowledged, unknown, failed, finalValue, holds);
  }
}
