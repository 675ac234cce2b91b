package io.pekkoraft.chaos.checker;

import io.pekkoraft.chaos.history.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns a history of events into the operations the checker orders: each invoke paired with its process's
 * next completion. A {@code fail} never took effect and is dropped; an {@code info}, or an invoke the history
 * ends before completing, becomes an operation of unknown outcome, except a read, which then tells nothing and
 * is dropped too. A history that breaks the conventions (two operations of one process in flight, an operation
 * after an info, a completion without its invoke) is refused with the event that breaks them.
 */
public final class Histories {

  private Histories() {}

  /** The operations of {@code events}, in invoke order, numbered from 0. */
  public static List<Operation> operations(List<Event> events) {
    Map<Integer, Event> pending = new HashMap<>();
    Set<Integer> ended = new HashSet<>();
    Map<Event, Event> completions = new IdentityHashMap<>();
    List<Event> invokes = new ArrayList<>();
    for (Event event : events) {
      int process = event.process();
      if (event.type() == Event.Type.INVOKE) {
        if (pending.containsKey(process)) {
          throw new IllegalArgumentException("process " + process + " invokes " + event + " while " + pending.get(process)
              + " is in flight");
        }
        if (ended.contains(process)) {
          throw new IllegalArgumentException("process " + process + " invokes " + event + " after an info: a process"
              + " whose operation has an unknown outcome must not issue more (use a new process id)");
        }
        pending.put(process, event);
        invokes.add(event);
        continue;
      }
      Event invoke = pending.remove(process);
      if (invoke == null) throw new IllegalArgumentException("completion without an invoke: " + event);
      if (!invoke.f().equals(event.f()) || !Objects.equals(invoke.key(), event.key())) {
        throw new IllegalArgumentException("completion " + event + " does not match its invoke " + invoke);
      }
      if (event.time() < invoke.time()) throw new IllegalArgumentException("completion before its invoke: " + event);
      if (event.type() == Event.Type.INFO) ended.add(process);
      completions.put(invoke, event);
    }

    List<Operation> operations = new ArrayList<>();
    for (Event invoke : invokes) {
      Event completion = completions.get(invoke);
      Event.Type outcome = completion == null ? Event.Type.INFO : completion.type();
      if (outcome == Event.Type.FAIL) continue;
      boolean unknown = outcome == Event.Type.INFO;
      if (unknown && invoke.f().equals("read")) continue;
      checkValues(invoke, completion, unknown);
      operations.add(new Operation(operations.size(), invoke.process(), invoke.f(), invoke.key(), invoke.value(),
          unknown ? null : completion.value(), unknown, invoke.time(), unknown ? Long.MAX_VALUE : completion.time()));
    }
    return operations;
  }

  /**
   * {@code events} with each cas that failed because it found another value ({@code fail} with the error
   * {@code "cas found <value>"}, {@code "cas found nothing"} for a key never written) turned into what it also
   * was: a read that saw that value, between the same invoke and completion. For a store whose failed cas read
   * the value at the point it took effect (the etcd workload's Txn: compare, else get, applied through the log),
   * so that the checker also places these reads. Other events are unchanged.
   */
  public static List<Event> failedCasAsReads(List<Event> events) {
    List<Event> out = new ArrayList<>(events);
    Map<Integer, Integer> pendingAt = new HashMap<>();
    for (int i = 0; i < out.size(); i++) {
      Event event = out.get(i);
      if (event.type() == Event.Type.INVOKE) {
        pendingAt.put(event.process(), i);
        continue;
      }
      Integer at = pendingAt.remove(event.process());
      if (at == null || event.type() != Event.Type.FAIL || !event.f().equals("cas") || event.error() == null
          || !event.error().startsWith(CAS_FOUND)) {
        continue;
      }
      String found = event.error().substring(CAS_FOUND.length()).trim();
      Long value;
      try {
        value = found.equals("nothing") ? null : Long.valueOf(found);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("a failed cas found a number or nothing, not '" + found + "': " + event);
      }
      Event invoke = out.get(at);
      out.set(at, new Event(invoke.process(), Event.Type.INVOKE, "read", invoke.key(), null, invoke.time(), null, invoke.id()));
      out.set(i, new Event(event.process(), Event.Type.OK, "read", event.key(), value, event.time(), null, event.id()));
    }
    return out;
  }

  private static final String CAS_FOUND = "cas found ";

  private static void checkValues(Event invoke, Event completion, boolean unknown) {
    switch (invoke.f()) {
      case "read" -> {
        if (completion.value() != null && !(completion.value() instanceof Long)) {
          throw new IllegalArgumentException("a read returns a number or null: " + completion);
        }
      }
      case "add", "write" -> {
        if (!(invoke.value() instanceof Long)) throw new IllegalArgumentException(invoke.f() + " needs a number: " + invoke);
      }
      case "cas" -> {
        if (!(invoke.value() instanceof List<?> pair) || pair.size() != 2) {
          throw new IllegalArgumentException("cas needs [expected, new]: " + invoke);
        }
      }
      default -> throw new IllegalArgumentException("unknown f \"" + invoke.f() + "\": " + invoke);
    }
  }

  /** The operations split by key (in invoke order within each), keys in order of first use. */
  public static Map<String, List<Operation>> byKey(List<Operation> operations) {
    Map<String, List<Operation>> keys = new LinkedHashMap<>();
    for (Operation op : operations) {
      List<Operation> ofKey = keys.computeIfAbsent(op.key() == null ? "" : op.key(), k -> new ArrayList<>());
      ofKey.add(op.withId(ofKey.size()));
    }
    return keys;
  }
}
