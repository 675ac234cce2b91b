package io.pekkoraft.chaos.kv;

import io.pekkoraft.consensus.StateMachine;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A small replicated key-value store of numbers, the state the chaos workloads run against: the counter
 * workload adds to one key ({@link AddUnique}), the register workload reads, writes and compare-and-sets many
 * keys. A key never written has no value ({@code null}); an add counts it as 0.
 *
 * <p>Deterministic like every {@link StateMachine}: the result depends only on the state and the command. It
 * snapshots its whole state, so the chaos runs exercise log compaction and InstallSnapshot too.
 */
public final class KvStateMachine implements StateMachine<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> {

  /** What changes the store. */
  public sealed interface Command permits Add, AddUnique, Write, Cas {
    String key();
  }

  /** Adds {@code delta} to the key's value (absent counts as 0); the result is the new value. */
  public record Add(String key, long delta) implements Command {}

  /**
   * Adds {@code delta} like {@link Add}, and records {@code id} (unique per add) in the key's list of applied
   * ids. An add applied a second time is applied again, as any non-idempotent command would be, and its id
   * appears twice in the list: a double apply becomes visible to the checker.
   */
  public record AddUnique(String key, long delta, long id) implements Command {}

  /** Sets the key's value; the result is that value. */
  public record Write(String key, long value) implements Command {}

  /**
   * Sets the key to {@code newValue} if and only if it holds {@code expected} now; the result says whether it
   * did, and carries the value the key has afterwards.
   */
  public record Cas(String key, long expected, long newValue) implements Command {}

  /**
   * Reads the key's value; with {@code idsFrom >= 0} also a page of the ids of the {@link AddUnique}s applied
   * to it, in the order applied, from that position.
   */
  public record Read(String key, long idsFrom) {
    public Read(String key) {
      this(key, -1);
    }
  }

  /**
   * The answer to every command and query: the key's value afterwards ({@code null}: never written), and for
   * a {@link Cas} whether it changed it (true for everything else). A {@link Read} of ids also carries
   * {@code ids}, at most {@link #IDS_PAGE} of them, and {@code idsTotal}, how many the list holds; otherwise
   * null and 0.
   */
  public record Result(Long value, boolean applied, long[] ids, long idsTotal) {
    public Result(Long value, boolean applied) {
      this(value, applied, null, 0);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Result r && java.util.Objects.equals(value, r.value) && applied == r.applied
          && Arrays.equals(ids, r.ids) && idsTotal == r.idsTotal;
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(value, applied, Arrays.hashCode(ids), idsTotal);
    }

    @Override
    public String toString() {
      return "Result[value=" + value + ", applied=" + applied + (ids == null ? "" : ", " + ids.length + " of " + idsTotal + " ids") + "]";
    }
  }

  /** What a snapshot holds: the values, and per key the ids of the {@link AddUnique}s applied, in order. */
  public record Snapshot(HashMap<String, Long> values, HashMap<String, long[]> appliedIds) {}

  /** Most ids in one answer: 50,000 ids are 400 KB, well within a remote message's frame. */
  public static final int IDS_PAGE = 50_000;

  private final Map<String, Long> values = new HashMap<>();
  private final Map<String, IdList> appliedIds = new HashMap<>();

  @Override
  public Result apply(Command command) {
    if (command instanceof Add add) {
      // An overflow throws before anything changes: every node refuses the command alike.
      long next = Math.addExact(values.getOrDefault(add.key(), 0L), add.delta());
      values.put(add.key(), next);
      return new Result(next, true);
    }
    if (command instanceof AddUnique add) {
      long next = Math.addExact(values.getOrDefault(add.key(), 0L), add.delta());
      values.put(add.key(), next);
      appliedIds.computeIfAbsent(add.key(), k -> new IdList()).add(add.id());
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
    Long value = values.get(query.key());
    if (query.idsFrom() < 0) return new Result(value, true);
    IdList ids = appliedIds.getOrDefault(query.key(), new IdList());
    int from = (int) Math.min(query.idsFrom(), ids.size);
    int to = Math.min(ids.size, from + IDS_PAGE);
    return new Result(value, true, Arrays.copyOfRange(ids.ids, from, to), ids.size);
  }

  /** Copies of the values and of the id lists (HashMap, long[]: the persistence module registers them). */
  @Override
  public Object snapshot() {
    HashMap<String, long[]> ids = new HashMap<>();
    appliedIds.forEach((key, list) -> ids.put(key, Arrays.copyOf(list.ids, list.size)));
    return new Snapshot(new HashMap<>(values), ids);
  }

  @Override
  public void restore(Object snapshot) {
    if (!(snapshot instanceof Snapshot s)) {
      throw new IllegalArgumentException("a key-value snapshot is a KvStateMachine.Snapshot, not " + snapshot);
    }
    values.clear();
    values.putAll(s.values());
    appliedIds.clear();
    s.appliedIds().forEach((key, ids) -> {
      IdList list = new IdList();
      for (long id : ids) list.add(id);
      appliedIds.put(key, list);
    });
  }

  /** A growable list of longs. */
  private static final class IdList {
    long[] ids = new long[16];
    int size;

    void add(long id) {
      if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
      ids[size++] = id;
    }
  }
}
