package io.pekkoraft.consensus.impl;

import java.util.Arrays;

/**
 * Where in the journal (by sequence number) the entries of the log are, closely enough to read any of
 * them back without replaying the whole journal, in memory that grows with the log's bytes divided by
 * {@link #MARK_BYTES}, not with its entries.
 *
 * <p>A mark (firstIndex, seqNr) records an EntriesAppended event whose first entry is at firstIndex. Since
 * entries are only ever appended at the end of the log, when that event was written nothing at or after
 * firstIndex was in the log: the entry now at any index i &ge; firstIndex was written by that event or a
 * later one. So replaying from the latest mark at or before i, applying appends and truncations in
 * order, finds the entry at i. Marks are taken every {@link #MARK_BYTES} of entries or
 * {@link #MARK_EVENTS} events, and at the first append after a truncation or a compaction; a truncation
 * drops the marks it cut.
 *
 * <p>Truncations (and snapshots that replaced the whole log) are also kept, with their sequence number:
 * a read that stopped at some event must not return an entry a later event removed.
 */
final class JournalPositions {

  static final long MARK_BYTES = 256 * 1024;
  static final int MARK_EVENTS = 256;

  /** Pairs of longs in the order added; the oldest can be dropped. */
  private static final class Pairs {
    long[] a = new long[16];
    long[] b = new long[16];
    int size;

    void add(long x, long y) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
        b = Arrays.copyOf(b, size * 2);
      }
      a[size] = x;
      b[size] = y;
      size++;
    }

    void dropFirst(int n) {
      System.arraycopy(a, n, a, 0, size - n);
      System.arraycopy(b, n, b, 0, size - n);
      size -= n;
    }
  }

  /** Marks: a = first index of the event, b = its sequence number. */
  private final Pairs marks = new Pairs();
  /** Truncations: a = sequence number, b = the first index removed. */
  private final Pairs cuts = new Pairs();
  private long bytesSinceMark;
  private int eventsSinceMark;
  private boolean markNext = true;

  /** Event {@code seq} appended entries from {@code firstIndex} on, {@code bytes} of them. */
  void onAppend(long seq, long firstIndex, long bytes) {
    if (markNext || bytesSinceMark >= MARK_BYTES || eventsSinceMark >= MARK_EVENTS) {
      marks.add(firstIndex, seq);
      bytesSinceMark = 0;
      eventsSinceMark = 0;
      markNext = false;
    }
    bytesSinceMark += bytes;
    eventsSinceMark++;
  }

  /** Event {@code seq} removed the entries from {@code fromIndex} on. */
  void onTruncate(long seq, long fromIndex) {
    while (marks.size > 0 && marks.a[marks.size - 1] >= fromIndex) marks.size--;
    cuts.add(seq, fromIndex);
    markNext = true;
  }

  /**
   * The log was compacted up to {@code index}: marks no read can need any more go. When the snapshot
   * replaced the whole log ({@code replaced}), every entry after index is gone as by a truncation.
   */
  void onCompact(long seq, long index, boolean replaced) {
    if (replaced) {
      onTruncate(seq, index + 1);
      marks.size = 0;
    }
    int keep = latestMarkAtOrBefore(index + 1);
    if (keep > 0) marks.dropFirst(keep);
    markNext = true; // the next compaction can then cut the journal up to this one's point
    long oldest = marks.size > 0 ? marks.b[0] : seq;
    int drop = 0;
    while (drop < cuts.size && cuts.a[drop] < oldest) drop++;
    if (drop > 0) cuts.dropFirst(drop);
  }

  /** Position of the latest mark whose first index is at most {@code index}; 0 when none is. */
  private int latestMarkAtOrBefore(long index) {
    int lo = 0;
    int hi = marks.size - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (marks.a[mid] <= index) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return Math.max(found, 0);
  }

  /**
   * The sequence number to replay from to find the entry at {@code index}, or -1 when no mark is at or
   * before it (the entry is not in the journal's part of the log).
   */
  long replayFrom(long index) {
    if (marks.size == 0 || marks.a[0] > index) return -1;
    return marks.b[latestMarkAtOrBefore(index)];
  }

  /** The lowest index that an event after {@code seq} truncated from; Long.MAX_VALUE when none did. */
  long truncatedAfter(long seq) {
    long lowest = Long.MAX_VALUE;
    for (int k = cuts.size - 1; k >= 0 && cuts.a[k] > seq; k--) lowest = Math.min(lowest, cuts.b[k]);
    return lowest;
  }

  /** How many marks are kept (for tests and diagnostics). */
  int marks() {
    return marks.size;
  }
}
