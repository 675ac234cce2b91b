package io.pekkoraft.chaos.runner;

import io.pekkoraft.chaos.kv.KvStateMachine;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operations the clients choose, and how each maps to a request of the key-value store.
 *
 * <ul>
 *   <li>counter: one key; half adds of 1, each with an id of its own that the store records when it applies
 *       it, half reads. The final value then bounds the adds of unknown outcome, and the applied ids tell which
 *       took effect, and whether one took effect twice.
 *   <li>register: read, write and cas in equal shares, values 0-4, on a sliding set of keys: each key gets about
 *       {@link #OPS_PER_KEY} operations from all clients, three keys at a time, so that each key's history (the
 *       checker's unit) stays short while the run goes on.
 * </ul>
 */
final class Workload {

  /** The key of the counter workload in the store (the history leaves it out). */
  static final String COUNTER_KEY = "counter";
  static final int OPS_PER_KEY = 100;
  private static final int KEYS_AT_ONCE = 3;
  private static final int VALUES = 5;

  /** One operation to perform: its history form (with its id, null for all but the counter's adds) and its request. */
  record Op(String f, String key, Object value, Long id, KvStateMachine.Command command, KvStateMachine.Read query) {}

  private final ChaosOptions.Workload kind;
  private final AtomicLong issued = new AtomicLong();

  Workload(ChaosOptions.Workload kind) {
    this.kind = kind;
  }

  Op next(Random random) {
    long n = issued.getAndIncrement();
    if (kind == ChaosOptions.Workload.COUNTER) {
      // Each add has its own id (the number of the operation), which the store records when it applies it.
      return random.nextBoolean()
          ? new Op("add", null, 1L, n + 1, new KvStateMachine.AddUnique(COUNTER_KEY, 1, n + 1), null)
          : read(null, COUNTER_KEY);
    }
    String key = "r" + ((n / (OPS_PER_KEY * KEYS_AT_ONCE)) * KEYS_AT_ONCE + random.nextInt(KEYS_AT_ONCE));
    return switch (random.nextInt(3)) {
      case 0 -> read(key, key);
      case 1 -> {
        long v = random.nextInt(VALUES);
        yield new Op("write", key, v, null, new KvStateMachine.Write(key, v), null);
      }
      default -> {
        long expected = random.nextInt(VALUES);
        long next = random.nextInt(VALUES);
        yield new Op("cas", key, List.of(expected, next), null, new KvStateMachine.Cas(key, expected, next), null);
      }
    };
  }

  /** A read of {@code storeKey}; {@code historyKey} is how the history names it (null for the counter). */
  static Op read(String historyKey, String storeKey) {
    return new Op("read", historyKey, null, null, null, new KvStateMachine.Read(storeKey));
  }

  /** The history value of an acknowledged operation, from the store's result. */
  static Object okValue(Op op, KvStateMachine.Result result) {
    if (!op.f().equals("read")) return op.value();
    if (op.key() == null) return result.value() == null ? 0L : result.value(); // the counter starts at 0
    return result.value();
  }
}
