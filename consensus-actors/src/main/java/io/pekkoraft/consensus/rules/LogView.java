package io.pekkoraft.consensus.rules;

import io.pekkoraft.persistence.LogEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Raft log of one node as it is held in memory: every index from {@code firstIndex} to
 * {@link #lastIndex()} with its term, and the entries themselves only for a tail of it. Indexes start at
 * 1. The entries before {@code firstIndex} are covered by a snapshot; the term of its last entry
 * ({@code snapshotTerm}, at index firstIndex - 1) still answers log-matching checks. Without a snapshot,
 * index 0 is the empty log's sentinel with term 0.
 *
 * <p>Terms are kept as runs (the first index of each term), so log matching, conflict hints and the
 * commit rule work for any index at a cost that grows with the number of terms, not of entries. The
 * entries are kept from {@link #tailStart()} on, at most {@code maxTailBytes} of them (always the last
 * one): older entries are dropped from memory once they are durable ({@link #markDurable}), and whoever
 * needs them reads them back from the journal. With no bound (the default) every entry stays.
 *
 * <p>Broken invariants (a gap, a term going down, truncating committed entries) throw
 * {@link IllegalStateException}: the node must stop, not carry on with a damaged log.
 */
public final class LogView {

  /** No bound on the bytes of entries held. */
  public static final long UNBOUNDED = Long.MAX_VALUE;

  private long firstIndex = 1;
  private long snapshotTerm;
  private long lastIndex;

  /** runStart[k] is the first index of a run of entries of term runTerm[k]; runs [0, runs) are live, in order. */
  private long[] runStart = new long[4];
  private long[] runTerm = new long[4];
  private int runs;

  /** Entries held in memory: [tailHead, tail.size()) hold indexes tailStart to lastIndex. */
  private final ArrayList<LogEntry> tail = new ArrayList<>();
  private int tailHead;
  private long tailStart = 1;
  private long bytes;
  private final long maxTailBytes;
  /** Entries up to here are durable and may leave memory. */
  private long durableTo;

  public LogView() {
    this(0, 0, UNBOUNDED);
  }

  public LogView(List<LogEntry> recovered) {
    this(0, 0, recovered);
  }

  /** A log that starts after a snapshot covering indexes up to {@code snapshotIndex} (term {@code snapshotTerm}). */
  public LogView(long snapshotIndex, long snapshotTerm, List<LogEntry> entriesAfter) {
    this(snapshotIndex, snapshotTerm, UNBOUNDED);
    for (LogEntry e : entriesAfter) append(e);
  }

  /**
   * An empty log after a snapshot at {@code snapshotIndex} that holds at most {@code maxTailBytes} of
   * durable entries in memory (0: none but what is not durable yet).
   */
  public LogView(long snapshotIndex, long snapshotTerm, long maxTailBytes) {
    if (snapshotIndex < 0 || (snapshotIndex == 0) != (snapshotTerm == 0)) {
      throw new IllegalArgumentException("bad snapshot position " + snapshotIndex + "@" + snapshotTerm);
    }
    if (maxTailBytes < 0) throw new IllegalArgumentException("maxTailBytes must not be negative: " + maxTailBytes);
    this.firstIndex = snapshotIndex + 1;
    this.snapshotTerm = snapshotTerm;
    this.lastIndex = snapshotIndex;
    this.tailStart = snapshotIndex + 1;
    this.maxTailBytes = maxTailBytes;
  }

  /** A copy of this log's positions, terms and held entries, with its own bound on memory. */
  public LogView copy(long maxTailBytes) {
    LogView c = new LogView(snapshotIndex(), snapshotTerm, maxTailBytes);
    c.runStart = Arrays.copyOf(runStart, Math.max(4, runs));
    c.runTerm = Arrays.copyOf(runTerm, Math.max(4, runs));
    c.runs = runs;
    c.lastIndex = lastIndex;
    c.tailStart = tailStart;
    c.tail.addAll(tail.subList(tailHead, tail.size()));
    c.bytes = bytes;
    c.durableTo = durableTo;
    c.evict();
    return c;
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
    if (index <= lastIndex && termAt(index) == term) {
      dropTailBefore(index + 1);
      int k = runIndex(index); // the run holding index: it now starts after the snapshot
      System.arraycopy(runStart, k, runStart, 0, runs - k);
      System.arraycopy(runTerm, k, runTerm, 0, runs - k);
      runs -= k;
      runStart[0] = index + 1;
      if (index == lastIndex) runs = 0;
      else if (runs > 1 && runStart[1] == index + 1) removeFirstRun();
    } else {
      clearTail(index + 1);
      runs = 0;
      lastIndex = index;
    }
    firstIndex = index + 1;
    snapshotTerm = term;
    durableTo = Math.min(Math.max(durableTo, index), lastIndex);
  }

  private void removeFirstRun() {
    System.arraycopy(runStart, 1, runStart, 0, runs - 1);
    System.arraycopy(runTerm, 1, runTerm, 0, runs - 1);
    runs--;
  }

  public long firstIndex() {
    return firstIndex;
  }

  public long lastIndex() {
    return lastIndex;
  }

  public long lastTerm() {
    return termAt(lastIndex);
  }

  /** How many entries the log holds after its snapshot (in memory or not). */
  public long size() {
    return lastIndex - snapshotIndex();
  }

  /** The first index whose entry is held in memory; {@link #lastIndex()} + 1 when none is. */
  public long tailStart() {
    return tailStart;
  }

  /** Whether the entry at {@code index} is in the log and held in memory. */
  public boolean holds(long index) {
    return index >= tailStart && index <= lastIndex;
  }

  /** Payload bytes of the entries held in memory, for diagnostics and limits. */
  public long bytes() {
    return bytes;
  }

  /** Everything up to {@code index} is durable: it may leave memory when the bound says so. */
  public void markDurable(long index) {
    if (index > durableTo) {
      durableTo = Math.min(index, lastIndex);
      evict();
    }
  }

  private void evict() {
    while (bytes > maxTailBytes && tailStart <= durableTo && tailStart < lastIndex) dropOldest();
    reclaim();
  }

  private void dropTailBefore(long index) {
    while (tailStart < index && tailStart <= lastIndex) dropOldest();
    reclaim();
  }

  /** The oldest entry held leaves memory. */
  private void dropOldest() {
    bytes -= tail.set(tailHead++, null).sizeBytes();
    tailStart++;
  }

  /** Gives the slots of entries that left back, once they are more than half of the list. */
  private void reclaim() {
    if (tailHead > 1024 && tailHead > tail.size() / 2) {
      tail.subList(0, tailHead).clear();
      tailHead = 0;
    }
  }

  private void clearTail(long nextIndex) {
    tail.clear();
    tailHead = 0;
    bytes = 0;
    tailStart = nextIndex;
  }

  /** The position in the run arrays of the run holding {@code index} (which must be in the log). */
  private int runIndex(long index) {
    int lo = 0;
    int hi = runs - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (runStart[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The term of the entry at {@code index}: the snapshot's term for its last index (0 for index 0 of an
   * empty log), -1 when the index is not in the log (past the end, or compacted into the snapshot).
   */
  public long termAt(long index) {
    if (index == firstIndex - 1) return snapshotTerm;
    if (index < firstIndex || index > lastIndex) return -1;
    return runTerm[runIndex(index)];
  }

  /** The entry at {@code index}, which must be held in memory ({@link #holds}). */
  public LogEntry entry(long index) {
    if (index < tailStart || index > lastIndex) {
      throw new IndexOutOfBoundsException("index " + index + " outside [" + tailStart + ", " + lastIndex + "]"
          + (index >= firstIndex && index < tailStart ? " held in memory (it is in the journal)" : ""));
    }
    return tail.get(tailHead + (int) (index - tailStart));
  }

  /** Log Matching (§5.3): does our log contain an entry at {@code index} whose term is {@code term}? */
  public boolean matches(long index, long term) {
    return termAt(index) == term;
  }

  public void append(LogEntry entry) {
    if (entry.index() != lastIndex + 1) {
      throw new IllegalStateException("log gap: appending index " + entry.index() + " after " + lastIndex);
    }
    long last = lastTerm();
    if (entry.term() < last) {
      throw new IllegalStateException(
          "term went down in the log: entry " + entry.index() + " has term " + entry.term() + " after term " + last);
    }
    if (runs == 0 || entry.term() != runTerm[runs - 1]) {
      if (runs == runStart.length) {
        runStart = Arrays.copyOf(runStart, runs * 2);
        runTerm = Arrays.copyOf(runTerm, runs * 2);
      }
      runStart[runs] = entry.index();
      runTerm[runs] = entry.term();
      runs++;
    }
    tail.add(entry);
    bytes += entry.sizeBytes();
    lastIndex = entry.index();
    if (bytes > maxTailBytes) evict();
  }

  public void appendAll(List<LogEntry> batch) {
    for (LogEntry e : batch) append(e);
  }

  /** Remove the entries from {@code index} on. The caller guarantees none of them is committed. */
  public void truncateFrom(long index) {
    if (index < firstIndex || index > lastIndex) {
      throw new IllegalStateException("truncate from " + index + " outside [" + firstIndex + ", " + lastIndex + "]");
    }
    if (index <= tailStart) {
      clearTail(index);
    } else {
      for (long i = lastIndex; i >= index; i--) bytes -= tail.remove(tail.size() - 1).sizeBytes();
    }
    while (runs > 0 && runStart[runs - 1] >= index) runs--;
    lastIndex = index - 1;
    durableTo = Math.min(durableTo, lastIndex);
  }

  /**
   * Up to {@code maxEntries} entries from {@code from}, stopping before {@code maxBytes} is exceeded
   * (but always at least one entry, so a single large entry still moves). Empty when {@code from} is past
   * the end. The entries must be held in memory. The returned list is an immutable copy.
   */
  public List<LogEntry> slice(long from, int maxEntries, long maxBytes) {
    if (from < tailStart) {
      throw new IllegalArgumentException("slice from " + from + " before the first index held in memory " + tailStart
          + " (first index " + firstIndex + ")");
    }
    if (from > lastIndex) return List.of();
    return batch(tail, tailHead + (int) (from - tailStart), maxEntries, maxBytes);
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
    if (index < firstIndex || index > lastIndex) return index;
    return Math.max(firstIndex, runStart[runIndex(index)]);
  }

  /** The last index holding an entry of {@code term}, or -1 when the log has none. */
  public long lastIndexOfTerm(long term) {
    for (int k = runs - 1; k >= 0; k--) {
      if (runTerm[k] == term) return k == runs - 1 ? lastIndex : runStart[k + 1] - 1;
      if (runTerm[k] < term) return -1;
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
    return Math.max(1, Math.min(next, lastIndex + 1));
  }

  /** The entries from {@code from} to {@code to}, both included and held in memory, as an immutable copy. */
  public List<LogEntry> range(long from, long to) {
    if (from > to) return List.of();
    if (from < tailStart || to > lastIndex) {
      throw new IndexOutOfBoundsException("range [" + from + ", " + to + "] outside [" + tailStart + ", " + lastIndex
          + "] held in memory (first index " + firstIndex + ")");
    }
    int start = tailHead + (int) (from - tailStart);
    return List.copyOf(tail.subList(start, start + (int) (to - from + 1)));
  }
}
