package io.pekkoraft.chaos.checker;

import io.pekkoraft.chaos.history.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The counter's adds one by one: each add carries an id, and the store records the id of every add it applies,
 * in order. Against that list, read after the faults, the history must show:
 * <ul>
 *   <li>no add applied twice (an id listed once at most): a retry was not applied again;
 *   <li>every acknowledged ({@code ok}) add applied: nothing acknowledged was lost;
 *   <li>no failed ({@code fail}) add applied: "not applied" was true;
 *   <li>no id applied that no add of the history carries;
 *   <li>with client sessions ({@code sessions}), every add of unknown outcome ({@code info}) completed at or
 *       after its deadline ({@code deadlineNanos} after its invoke): the client retried until the deadline
 *       instead of giving up sooner. An add still in flight when the history ends counts as unknown.
 * </ul>
 * Exact durability, {@code final == acknowledged}, follows when no add is left unknown.
 */
public final class AppliedAdds {

  /** What the check found; {@link #holds} when none of the lists has an entry. */
  public record Result(long acknowledged, long failed, long unknown, long unknownApplied, long applied,
      List<Long> appliedTwice, List<Long> acknowledgedLost, List<Long> failedApplied, List<Long> neverInvoked,
      List<String> unknownBeforeDeadline, boolean sessions) {

    public boolean holds() {
      return appliedTwice.isEmpty() && acknowledgedLost.isEmpty() && failedApplied.isEmpty() && neverInvoked.isEmpty()
          && unknownBeforeDeadline.isEmpty();
    }

    /** No add left unknown: the final value must equal the acknowledged adds exactly. */
    public boolean exact() {
      return unknown == 0;
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder(holds() ? "holds" : "VIOLATED");
      s.append(": ").append(applied).append(" adds applied; ").append(acknowledged).append(" acknowledged, ")
          .append(failed).append(" failed, ").append(unknown).append(" of unknown outcome (").append(unknownApplied)
          .append(" of them applied)");
      s.append(exact() ? "; none unknown, so exact: final == acknowledged" : "; not exact: " + unknown + " unknown");
      append(s, "applied twice", appliedTwice);
      append(s, "acknowledged but not applied", acknowledgedLost);
      append(s, "failed but applied", failedApplied);
      append(s, "applied but never invoked", neverInvoked);
      if (sessions) append(s, "unknown before their deadline (with sessions the client retries until it)", unknownBeforeDeadline);
      return s.toString();
    }

    private static void append(StringBuilder s, String what, List<?> found) {
      if (found.isEmpty()) return;
      s.append("; ").append(found.size()).append(' ').append(what).append(": ")
          .append(found.size() <= 10 ? found : found.subList(0, 10) + " ...");
    }
  }

  private AppliedAdds() {}

  /**
   * Checks the adds of {@code events} (each with an id) against {@code appliedIds}; with {@code sessions} also
   * that an add of unknown outcome ran to {@code deadlineNanos}.
   */
  public static Result check(List<Event> events, long[] appliedIds, boolean sessions, long deadlineNanos) {
    Map<Integer, Event> pending = new HashMap<>();
    Map<Long, Event.Type> outcome = new HashMap<>();
    List<String> early = new ArrayList<>();
    for (Event event : events) {
      if (!event.f().equals("add")) continue;
      if (event.id() == null) throw new IllegalArgumentException("an add without an id: " + event);
      if (event.type() == Event.Type.INVOKE) {
        pending.put(event.process(), event);
        outcome.put(event.id(), Event.Type.INFO); // until its completion says otherwise
        continue;
      }
      Event invoke = pending.remove(event.process());
      outcome.put(event.id(), event.type());
      if (event.type() == Event.Type.INFO && invoke != null && event.time() - invoke.time() < deadlineNanos) {
        early.add("id " + event.id() + " after " + (event.time() - invoke.time()) / 1_000_000 + " ms: " + event.error());
      }
    }
    Set<Long> seen = new LinkedHashSet<>();
    List<Long> twice = new ArrayList<>();
    List<Long> failedApplied = new ArrayList<>();
    List<Long> neverInvoked = new ArrayList<>();
    long unknownApplied = 0;
    for (long id : appliedIds) {
      if (!seen.add(id)) {
        twice.add(id);
        continue;
      }
      Event.Type type = outcome.get(id);
      if (type == null) neverInvoked.add(id);
      else if (type == Event.Type.FAIL) failedApplied.add(id);
      else if (type == Event.Type.INFO) unknownApplied++;
    }
    List<Long> lost = new ArrayList<>();
    long acknowledged = 0;
    long failed = 0;
    long unknown = 0;
    for (Map.Entry<Long, Event.Type> add : outcome.entrySet()) {
      switch (add.getValue()) {
        case OK -> {
          acknowledged++;
          if (!seen.contains(add.getKey())) lost.add(add.getKey());
        }
        case FAIL -> failed++;
        default -> unknown++;
      }
    }
    lost.sort(null);
    return new Result(acknowledged, failed, unknown, unknownApplied, appliedIds.length, twice, lost, failedApplied,
        neverInvoked, sessions ? early : List.of(), sessions);
  }
}
