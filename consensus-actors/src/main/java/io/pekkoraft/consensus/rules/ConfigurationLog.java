package io.pekkoraft.consensus.rules;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Which configuration a server is in, as its log says (thesis §4.1): a configuration entry takes effect
 * as soon as it is appended, committed or not, and truncating it rolls back to the one before. Holds the
 * configuration in effect at the first index it still needs (the base, committed) and every configuration
 * entry after it, as (index, configuration); the latest of them is the server's configuration.
 *
 * <p>Index 0 is the bootstrap configuration ({@code pekko-raft.members}), which no log entry carries. A
 * committed configuration entry is never truncated: asked to, this throws (a broken invariant, like
 * truncating any committed entry). Entries before the compaction point are dropped, except the one in
 * effect there, so a snapshot can say which configuration it covers. Not thread-safe; a server owns one.
 */
public final class ConfigurationLog {

  /** Configuration entries by index; never empty: the first is the base. */
  private final TreeMap<Long, Configuration> entries = new TreeMap<>();
  private long commitIndex;

  /** Starts from {@code base}, in effect (and committed) from {@code baseIndex} on (0: the bootstrap). */
  public ConfigurationLog(long baseIndex, Configuration base) {
    if (baseIndex < 0) throw new IllegalArgumentException("configuration index " + baseIndex + " is negative");
    entries.put(baseIndex, java.util.Objects.requireNonNull(base, "base"));
    commitIndex = baseIndex;
  }

  /** The configuration in effect now: the latest one in the log, committed or not. */
  public Configuration latest() {
    return entries.lastEntry().getValue();
  }

  /** The index of the latest configuration entry (0: the bootstrap configuration). */
  public long latestIndex() {
    return entries.lastKey();
  }

  /** The latest committed configuration. */
  public Configuration committed() {
    return entries.floorEntry(commitIndex).getValue();
  }

  /** The index of the latest committed configuration (0: the bootstrap configuration). */
  public long committedIndex() {
    return entries.floorKey(commitIndex);
  }

  /** Is every configuration entry committed (no change in flight)? */
  public boolean latestCommitted() {
    return entries.lastKey() <= commitIndex;
  }

  /**
   * The configuration in effect at log {@code index}: that of the latest configuration entry at or before
   * it. {@code index} must not be before the base (what is compacted away is forgotten).
   */
  public Configuration at(long index) {
    return entries.get(indexAt(index));
  }

  /** The index of the configuration entry in effect at log {@code index}. */
  public long indexAt(long index) {
    Long key = entries.floorKey(index);
    if (key == null) {
      throw new IllegalArgumentException("the configuration at " + index + " is compacted away (known from "
          + entries.firstKey() + " on)");
    }
    return key;
  }

  /**
   * The index of the configuration entry since which {@code member} has been a member without a break, up
   * to the latest (the base's index when it was one there already), or -1 when it is not a member now.
   */
  public long memberSince(String member) {
    long since = -1;
    for (Map.Entry<Long, Configuration> e : entries.entrySet()) {
      if (!e.getValue().members().contains(member)) since = -1;
      else if (since == -1) since = e.getKey();
    }
    return since;
  }

  /** The configuration entries after the base, in index order (the uncommitted suffix among them). */
  public NavigableMap<Long, Configuration> entriesAfterBase() {
    return java.util.Collections.unmodifiableNavigableMap(entries.tailMap(entries.firstKey(), false));
  }

  /** A configuration entry at {@code index} was appended to the log: it is in effect from now on. */
  public void onAppend(long index, Configuration config) {
    java.util.Objects.requireNonNull(config, "config");
    if (index <= entries.lastKey()) {
      throw new IllegalStateException("configuration entry appended at " + index + " but the log already holds one at "
          + entries.lastKey() + ": a log is truncated before an index is written again");
    }
    entries.put(index, config);
  }

  /**
   * The log was truncated from {@code fromIndex} on: configuration entries there are gone, and the one
   * before them is in effect again. Returns true when the configuration in effect changed.
   */
  public boolean onTruncate(long fromIndex) {
    Map.Entry<Long, Configuration> last = entries.lastEntry();
    if (last.getKey() < fromIndex) return false;
    Long firstGone = entries.ceilingKey(fromIndex);
    if (firstGone <= commitIndex) {
      throw new IllegalStateException("truncating the log from " + fromIndex + " would remove the committed"
          + " configuration entry at " + firstGone + " (commit index " + commitIndex + ")");
    }
    entries.tailMap(fromIndex, true).clear();
    return true;
  }

  /** The commit index rose to {@code index}: configuration entries up to it are committed. */
  public void onCommit(long index) {
    if (index > commitIndex) commitIndex = index;
  }

  /**
   * The log is compacted up to {@code index}: forget the configuration entries before the one in effect
   * there, which becomes the base.
   */
  public void onCompact(long index) {
    long keep = indexAt(index);
    entries.headMap(keep, false).clear();
  }

  /**
   * A snapshot up to {@code index}, committed, replaces the log up to there: {@code config}, from the
   * configuration entry at {@code configIndex} (at most index), is the base; the entries after index stay.
   */
  public void onSnapshot(long index, long configIndex, Configuration config) {
    java.util.Objects.requireNonNull(config, "config");
    if (configIndex > index) {
      throw new IllegalArgumentException("a snapshot up to " + index + " cannot carry the configuration of index "
          + configIndex);
    }
    entries.headMap(index, true).clear();
    entries.put(configIndex, config);
    onCommit(index);
  }

  @Override
  public String toString() {
    return "ConfigurationLog" + entries + " committed to " + commitIndex;
  }
}
