package io.pekkoraft.chaos.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;

/**
 * One line of a history, in the form Jepsen uses: a client process {@code invoke}s an operation, and later the
 * same process completes it with {@code ok} (it took effect, and {@code value} is its result), {@code fail} (it
 * certainly did not take effect) or {@code info} (unknown: it may take effect at any time after the invoke, or
 * never).
 *
 * @param process the client process; one operation at a time per process, and none after an {@code info}
 * @param type invoke, ok, fail or info
 * @param f add, read, write or cas
 * @param key the key (register workload); null for the counter, and then left out of the JSON
 * @param value a {@code Long}, null (a read not completed yet, or of a key never written), or for cas the
 *     list {@code [expected, new]}
 * @param time nanoseconds since the run started (one monotonic clock for all processes)
 * @param error why a fail or info happened; null otherwise, and then left out of the JSON
 * @param id the operation's own id, on its invoke and completion: the counter's adds carry one, which the store
 *     records when it applies the add, so that the checker can tell which adds took effect and whether one
 *     took effect twice; null otherwise, and then left out of the JSON
 */
@JsonPropertyOrder({"process", "type", "f", "key", "value", "time", "error", "id"})
public record Event(
    int process,
    Type type,
    String f,
    @JsonInclude(JsonInclude.Include.NON_NULL) String key,
    @JsonInclude(JsonInclude.Include.ALWAYS) Object value,
    long time,
    @JsonInclude(JsonInclude.Include.NON_NULL) String error,
    @JsonInclude(JsonInclude.Include.NON_NULL) Long id) {

  /** The four event types, written in lower case. */
  public enum Type {
    @JsonProperty("invoke") INVOKE,
    @JsonProperty("ok") OK,
    @JsonProperty("fail") FAIL,
    @JsonProperty("info") INFO
  }

  public Event {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
    if (value != null && !(value instanceof Long) && !(value instanceof List<?>)) {
      throw new IllegalArgumentException("value must be a Long, a list [expected, new] or null, not " + value);
    }
  }

  /** An event without an operation id. */
  public Event(int process, Type type, String f, String key, Object value, long time, String error) {
    this(process, type, f, key, value, time, error, null);
  }

  public static Event invoke(int process, String f, String key, Object value, long time) {
    return invoke(process, f, key, value, time, null);
  }

  /** An invoke of the operation {@code id} (null: none). */
  public static Event invoke(int process, String f, String key, Object value, long time, Long id) {
    return new Event(process, Type.INVOKE, f, key, value, time, null, id);
  }

  /** The completion of {@code invoke} by the same process, with {@code type} and {@code value}. */
  public Event complete(Type completion, Object result, long at, String why) {
    if (completion == Type.INVOKE) throw new IllegalArgumentException("a completion is ok, fail or info");
    return new Event(process, completion, f, key, result, at, why, id);
  }
}
