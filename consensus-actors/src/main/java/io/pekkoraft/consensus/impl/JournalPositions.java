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

  private long[] markIndex = new long[16];
  private long[] markSeq = new long[16];
  private int marks;
  private long bytesSinceMark;
  private int eventsSinceMark;
  private boolean markNext = true;

  private long[] cutSeq = new long[4];
  private long[] cutFrom = new long[4];
  private int cuts;

  JournalPositions copy() {
    JournalPositions c = new JournalPositions();
    c.markIndex = Arrays.copyOf(markIndex, Math.max(16, marks));
    c.markSeq = Arrays.copyOf(markSeq, Math.max(16, marks));
    c.marks = marks;
    c.bytesSinceMark = bytesSinceMark;
    c.eventsSinceMark = eventsSinceMark;
    c.markNext = markNext;
    c.cutSeq = Arrays.copyOf(cutSeq, Math.max(4, cuts));
    c.cutFrom = Arrays.copyOf(cutFrom, Math.max(4, cuts));
    c.cuts = cuts;
    return c;
  }

  /** Event {@code seq} appended entries from {@code firstIndex} on, {@code bytes} of them. */
  void onAppend(long seq, long firstIndex, long bytes) {
    if (markNext || bytesSinceMark >= MARK_BYTES || eventsSinceMark >= MARK_EVENTS) {
      if (marks == markIndex.length) {
        markIndex = Arrays.copyOf(markIndex, marks * 2);
        markSeq = Arrays.copyOf(markSeq, marks * 2);
      }
      markIndex[marks] = firstIndex;
      markSeq[marks] = seq;
      marks++;
      bytesSinceMark = 0;
      eventsSinceMark = 0;
      markNext = false;
    }
    bytesSinceMark += bytes;
    eventsSinceMark++;
  }

  /** Event {@code seq} removed the entries from {@code fromIndex} on. */
  void onTruncate(long seq, long fromIndex) {
    while (marks > 0 && markIndex[marks - 1] >= fromIndex) marks--;
    if (cuts == cutSeq.length) {
      cutSeq = Arrays.copyOf(cutSeq, cuts * 2);
      cutFrom = Arrays.copyOf(cutFrom, cuts * 2);
    }
    cutSeq[cuts] = seq;
    cutFrom[cuts] = fromIndex;
    cuts++;
    markNext = true;
  }

  /**
   * The log was compacted up to {@code index}: marks no read can need any more go. When the snapshot
   * replaced the whole log ({@code replaced}), every entry after index is gone as by a truncation.
   */
  void onCompact(long seq, long index, boolean replaced) {
    if (replaced) {
      onTruncate(seq, index + 1);
      marks = 0;
    }
    int keep = latestMarkAtOrBefore(index + 1);
    if (keep > 0) {
      System.arraycopy(markIndex, keep, markIndex, 0, marks - keep);
      System.arraycopy(markSeq, keep, markSeq, 0, marks - keep);
      marks -= keep;
    }
    markNext = true; // the next compaction can then cut the journal up to this one's point
    long oldest = marks > 0 ? markSeq[0] : seq;
    int drop = 0;
    while (drop < cuts && cutSeq[drop] < oldest) drop++;
    if (drop > 0) {
      System.arraycopy(cutSeq, drop, cutSeq, 0, cuts - drop);
      System.arraycopy(cutFrom, drop, cutFrom, 0, cuts - drop);
      cuts -= drop;
    }
  }

  /** Position of the latest mark whose first index is at most {@code index}; 0 when none is. */
  private int latestMarkAtOrBefore(long index) {
    int lo = 0;
    int hi = marks - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (markIndex[mid] <= index) {
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
    if (marks == 0 || markIndex[0] > index) return -1;
    return markSeq[latestMarkAtOrBefore(index)];
  }

  /** The lowest index that an event after {@code seq} truncated from; Long.MAX_VALUE when none did. */
  long truncatedAfter(long seq) {
    long lowest = Long.MAX_VALUE;
    for (int k = cuts - 1; k >= 0 && cutSeq[k] > seq; k--) lowest = Math.min(lowest, cutFrom[k]);
    return lowest;
  }

  int marks() {
    return marks;
  }
}
