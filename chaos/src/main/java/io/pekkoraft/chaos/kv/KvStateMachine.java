package io.pekkoraft.chaos.kv;

import io.pekkoraft.consensus.StateMachine;
import java.util.HashMap;
import java.util.Map;

/**
 * A small replicated key-value store of numbers, the state the chaos workloads run against: the counter
 * workload adds to one key, the register workload reads, writes and compare-and-sets many keys. A key never
 * written has no value ({@code null}); {@link Add} counts it as 0.
 *
 * <p>Deterministic like every {@link StateMachine}: the result depends only on the map and the command. It
 * snapshots its whole map, so the chaos runs exercise log compaction and InstallSnapshot too.
 */
public final class KvStateMachine implements StateMachine<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> {

  /** What changes the store. */
  public sealed interface Command permits Add, Write, Cas {
    String key();
  }

  /** Adds {@code delta} to the key's value (absent counts as 0); the result is the new value. */
  public record Add(String key, long delta) implements Command {}

  /** Sets the key's value; the result is that value. */
  public record Write(String key, long value) implements Command {}

  /**
   * Sets the key to {@code newValue} if and only if it holds {@code expected} now; the result says whether it
   * did, and carries the value the key has afterwards.
   */
  public record Cas(String key, long expected, long newValue) implements Command {}

  /** Reads the key's value. */
  public record Read(String key) {}

  /**
   * The answer to every command and query: the key's value afterwards ({@code null}: never written), and for
   * a {@link Cas} whether it changed it (true for everything else).
   */
  public record Result(Long value, boolean applied) {}

  private final Map<String, Long> values = new HashMap<>();

  @Override
  public Result apply(Command command) {
    if (command instanceof Add add) {
      // An overflow throws before anything changes: every node refuses the command alike.
      long next = Math.addExact(values.getOrDefault(add.key(), 0L), add.delta());
      values.put(add.key(), next);
      return new Result(next, true);
    }
    if (command instanceof Write write) {
      values.put(write.key(), write.value());
      return new Result(write.value(), true);
    }
    Cas cas = (Cas) command;
    Long current = values.get(cas.key());
    if (current == null || current != cas.expected()) return new Result(current, false);
    values.put(cas.key(), cas.newValue());
    return new Result(cas.newValue(), true);
  }

  @Override
  public Result query(Read query) {
    return new Result(values.get(query.key()), true);
  }

  /** The whole map, copied: a HashMap of String to Long, which the persistence module registers with Kryo. */
  @Override
  public Object snapshot() {
    return new HashMap<>(values);
  }

  @Override
  public void restore(Object snapshot) {
    if (!(snapshot instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("a key-value snapshot is a map, not " + snapshot);
    }
    values.clear();
    for (Map.Entry<?, ?> entry : map.entrySet()) values.put((String) entry.getKey(), (Long) entry.getValue());
  }
}
