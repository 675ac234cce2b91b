package io.pekkoraft.samples.lock;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The resource the lock protects: a small key-value storage service that every write reaches with the fencing
 * token of the writer's lock holding. It remembers the highest token it has seen and rejects a write carrying
 * an older one, {@link StaleToken}: that writer's holding was superseded by a later acquisition, whose holder
 * has written already, whatever the stale writer believes about its lease (it may have been paused, by a
 * garbage collection or a stopped VM, past its lease, and wake up still "holding" the lock). A write with the
 * highest token, or a higher one, is accepted.
 *
 * <p>The check must be in the resource: no lock service can stop a client that was paused between checking
 * its lease and writing (Martin Kleppmann, "How to do distributed locking", 2016). In the sample the storage is
 * an object in this JVM; a real one is a separate service, or a database that compares the token in the same
 * transaction as the write. Thread-safe.
 */
public final class FencedStorage {

  /** What a write answers. */
  public sealed interface WriteResult permits Written, StaleToken {}

  /** The write was applied: {@code key} holds the value now. */
  public record Written(String key, long token) implements WriteResult {}

  /** The write was rejected, nothing changed: {@code token} is older than {@code highestSeen}. */
  public record StaleToken(String key, long token, long highestSeen) implements WriteResult {}

  private final Map<String, String> values = new TreeMap<>();
  private long highestToken;

  /** Writes {@code value} under {@code key} if {@code token} is not older than any token seen before. */
  public synchronized WriteResult write(String key, String value, long token) {
    if (token <= 0) throw new IllegalArgumentException("a fencing token is a log index, at least 1: " + token);
    if (token < highestToken) return new StaleToken(key, token, highestToken);
    highestToken = token;
    values.put(key, value);
    return new Written(key, token);
  }

  public synchronized Optional<String> read(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** The highest fencing token a write carried; 0 before the first. */
  public synchronized long highestToken() {
    return highestToken;
  }
}
