package io.pekkoraft.chaos.checker;

/**
 * One operation of a history, its invoke and completion paired: what the checker orders.
 *
 * @param id position among the operations handed to the checker, in invoke order
 * @param process the client process that ran it
 * @param f add, read, write or cas
 * @param key the key, null for the counter
 * @param input the invoke's value (the delta, the value written, {@code [expected, new]}; null for a read)
 * @param output the ok completion's value (what a read saw); unused when {@code unknown}
 * @param unknown completed with {@code info} (or never): it may have taken effect at any time after its
 *     invoke, or never
 * @param invokeTime when it was invoked, in nanoseconds
 * @param completeTime when it completed; {@link Long#MAX_VALUE} when {@code unknown}
 */
public record Operation(int id, int process, String f, String key, Object input, Object output, boolean unknown,
    long invokeTime, long completeTime) {

  /** This operation under another id (the checker numbers each key's operations from 0). */
  Operation withId(int newId) {
    return new Operation(newId, process, f, key, input, output, unknown, invokeTime, completeTime);
  }

  @Override
  public String toString() {
    String value = unknown ? String.valueOf(input) + " -> ?" : f.equals("read") ? "-> " + output : String.valueOf(input);
    return "process " + process + " " + f + (key == null ? "" : " " + key) + " " + value + " [" + invokeTime + " .. "
        + (unknown ? "unknown" : completeTime) + " ns]";
  }
}
