package io.pekkoraft.consensus.rules;

import io.pekkoraft.persistence.LogEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory Raft log of one node: entries from {@code firstIndex} to {@link #lastIndex()}. Indexes
 * start at 1. The entries before {@code firstIndex} are covered by a snapshot; the term of its last
 * entry ({@code snapshotTerm}, at index firstIndex - 1) still answers log-matching checks. Without a
 * snapshot, index 0 is the empty log's sentinel with term 0.
 *
 * <p>Broken invariants (a gap, a term going down, truncating committed entries) throw
 * {@link IllegalStateException}: the node must stop, not carry on with a damaged log.
 */
public final class LogView {

  private final ArrayList<LogEntry> entries = new ArrayList<>();
  private long firstIndex = 1;
  private long snapshotTerm;
  private long bytes;

  public LogView() {}

  public LogView(List<LogEntry> recovered) {
    this(0, 0, recovered);
  }

  /** A log that starts after a snapshot covering indexes up to {@code snapshotIndex} (term {@code snapshotTerm}). */
  public LogView(long snapshotIndex, long snapshotTerm, List<LogEntry> entriesAfter) {
    if (snapshotIndex < 0 || (snapshotIndex == 0) != (snapshotTerm == 0)) {
      throw new IllegalArgumentException("bad snapshot position " + snapshotIndex + "@" + snapshotTerm);
    }
    this.firstIndex = snapshotIndex + 1;
    this.snapshotTerm = snapshotTerm;
    for (LogEntry e : entriesAfter) append(e);
  }

  /** The last index covered by the snapshot the log starts after (0 when none). */
  public long snapshotIndex() {
    return firstIndex - 1;
  }

  public long snapshotTerm() {
    return snapshotTerm;
  }

  /**
   * Drop everything up to {@code index}, now covered by a snapshot whose last entry has {@code term}.
   * When our log holds that same entry, the entries after it stay (§7: "retain the log entries following
   * it"); otherwise the whole log is replaced by the snapshot.
   */
  public void compactTo(long index, long term) {
    if (index < snapshotIndex()) {
      throw new IllegalStateException("compacting to " + index + " behind the snapshot at " + snapshotIndex());
    }
    if (index <= lastIndex() && termAt(index) == term) {
      List<LogEntry> dropped = entries.subList(0, (int) (index - firstIndex + 1));
      for (LogEntry e : dropped) bytes -= e.sizeBytes();
      dropped.clear();
    } else {
      entries.clear();
      bytes = 0;
    }
    firstIndex = index + 1;
    snapshotTerm = term;
  }

  public long firstIndex() {
    return firstIndex;
  }

  public long lastIndex() {
    return firstIndex + entries.size() - 1;
  }

  public long lastTerm() {
    return termAt(lastIndex());
  }


  public int size() {
    return entries.size();
  }

  /** Total payload bytes held, for diagnostics and limits. */
  public long bytes() {
    return bytes;
  }

  /**
   * The term of the entry at {@code index}: the snapshot's term for its last index (0 for index 0 of an
   * empty log), -1 when the index is not in the log (past the end, or compacted into the snapshot).
   */
  public long termAt(long index) {
    if (index == firstIndex - 1) return snapshotTerm;
    if (index < firstIndex || index > lastIndex()) return -1;
    return entries.get((int) (index - firstIndex)).term();
  }

  public LogEntry entry(long index) {
    if (index < firstIndex || index > lastIndex()) {
      throw new IndexOutOfBoundsException("index " + index + " outside [" + firstIndex + ", " + lastIndex() + "]");
    }
    return entries.get((int) (index - firstIndex));
  }

  /** Log Matching (§5.3): does our log contain an entry at {@code index} whose term is {@code term}? */
  public boolean matches(long index, long term) {
    return termAt(index) == term;
  }

  public void append(LogEntry entry) {
    if (entry.index() != lastIndex() + 1) {
      throw new IllegalStateException("log gap: appending index " + entry.index() + " after " + lastIndex());
    }
    if (entry.term() < lastTerm()) {
      throw new IllegalStateException(
          "term went down in the log: entry " + entry.index() + " has term " + entry.term() + " after term " + lastTerm());
    }
    entries.add(entry);
    bytes += entry.sizeBytes();
  }

  public void appendAll(List<LogEntry> batch) {
    for (LogEntry e : batch) append(e);
  }

  /** Remove the entries from {@code index} on. The caller guarantees none of them is committed. */
  public void truncateFrom(long index) {
    if (index < firstIndex || index > lastIndex()) {
      throw new IllegalStateException("truncate from " + index + " outside [" + firstIndex + ", " + lastIndex() + "]");
    }
    for (long i = lastIndex(); i >= index; i--) {
      bytes -= entries.remove((int) (i - firstIndex)).sizeBytes();
    }
  }

  /**
   * Up to {@code maxEntries} entries from {@code from}, stopping before {@code maxBytes} is exceeded
   * (but always at least one entry, so a single large entry still moves). Empty when {@code from} is past
   * the end. The returned list is an immutable copy.
   */
  public List<LogEntry> slice(long from, int maxEntries, long maxBytes) {
    if (from < firstIndex) throw new IllegalArgumentException("slice from " + from + " before first index " + firstIndex);
    if (from > lastIndex()) return List.of();
    return batch(entries, (int) (from - firstIndex), maxEntries, maxBytes);
  }

  /**
   * The batch rule, for any run of entries: up to {@code maxEntries} of {@code source} from position
   * {@code from}, stopping before {@code maxBytes} is exceeded, but at least one entry. Immutable copy.
   */
  public static List<LogEntry> batch(List<LogEntry> source, int from, int maxEntries, long maxBytes) {
    List<LogEntry> out = new ArrayList<>();
    long size = 0;
    for (int i = from; i < source.size() && out.size() < maxEntries; i++) {
      LogEntry e = source.get(i);
      if (!out.isEmpty() && size + e.sizeBytes() > maxBytes) break;
      out.add(e);
      size += e.sizeBytes();
    }
    return List.copyOf(out);
  }

  /** The first index of the run of entries with the term of {@code index}: the follower's conflict hint. */
  public long firstIndexOfTermAt(long index) {
    long term = termAt(index);
    long i = index;
    while (i > firstIndex && termAt(i - 1) == term) i--;
    return i;
  }

  /** The last index holding an entry of {@code term}, or -1 when the log has none. */
  public long lastIndexOfTerm(long term) {
    for (long i = lastIndex(); i >= firstIndex; i--) {
      long t = termAt(i);
      if (t == term) return i;
      if (t < term) return -1;
    }
    return -1;
  }

  /**
   * What a follower must do with the entries of an AppendEntries whose (prevLogIndex, prevLogTerm)
   * already matched: the first index from which our log conflicts with theirs (to truncate), or -1, and
   * the entries that are new to us. Entries we already hold with the same term are skipped, so a
   * delayed or duplicated AppendEntries never truncates anything (§5.3, "if an existing entry conflicts
   * with a new one ... delete the existing entry and all that follow it").
   */
  public Merge merge(List<LogEntry> incoming) {
    for (int k = 0; k < incoming.size(); k++) {
      LogEntry e = incoming.get(k);
      long ours = termAt(e.index());
      if (ours == -1) return new Merge(-1, List.copyOf(incoming.subList(k, incoming.size())));
      if (ours != e.term()) return new Merge(e.index(), List.copyOf(incoming.subList(k, incoming.size())));
    }
    return new Merge(-1, List.of());
  }

  /** See {@link #merge}. */
  public record Merge(long truncateFrom, List<LogEntry> toAppend) {}

  /**
   * The leader's next index for a follower that rejected AppendEntries with a conflict hint (the extended
   * §5.3 optimization): skip the follower's whole conflicting term in one step.
   *
   * @param conflictTerm the term of the follower's entry at prevLogIndex, 0 when its log is too short
   * @param conflictIndex the first index of conflictTerm in the follower's log, or its lastIndex + 1
   */
  public long nextIndexAfterReject(long conflictTerm, long conflictIndex) {
    long next = conflictIndex;
    if (conflictTerm > 0) {
      long last = lastIndexOfTerm(conflictTerm);
      if (last != -1) next = last + 1;
    }
    // Not clamped to firstIndex: a next index inside the snapshot tells the leader to send the snapshot.
    return Math.max(1, Math.min(next, lastIndex() + 1));
  }

  /** The entries from {@code from} to {@code to}, both included, as an immutable copy. */
  public List<LogEntry> range(long from, long to) {
    if (from > to) return List.of();
    if (from < firstIndex || to > lastIndex()) {
      throw new IndexOutOfBoundsException("range [" + from + ", " + to + "] outside [" + firstIndex + ", " + lastIndex() + "]");
    }
    return List.copyOf(entries.subList((int) (from - firstIndex), (int) (to - firstIndex + 1)));
  }
}
