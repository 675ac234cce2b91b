package io.pekkoraft.persistence.journal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Where each persistence id's records are: for every WRITE record still needed, its sequence range and
 * its position (segment, offset, size), in sequence order; and the persistence id's highest sequence
 * number, deletedTo and the segment of its latest DELETE marker. Positions only, never the events: a
 * million records take about 30 MB. Rebuilt on start by scanning the segments.
 *
 * <p>Changed by the writer thread only, after the records are durable; read by replays. Every method
 * is synchronized and short; replays copy a chunk of positions and read the files outside the lock.
 */
final class JournalIndex {

  /** The records of one persistence id. Entries [head, tail) are live, in sequence order. */
  private static final class Log {
    long highest;
    long deletedTo;
    long markerSegment = -1;
    long[] from = new long[2];
    long[] to = new long[2];
    /** segment number << 32 | offset in the segment */
    long[] where = new long[2];
    int[] size = new int[2];
    int head;
    int tail;

    int count() {
      return tail - head;
    }

    void add(long f, long t, long w, int s) {
      if (tail == from.length) {
        if (head > from.length / 2) {
          compact();
        } else {
          int n = from.length * 2;
          from = Arrays.copyOf(from, n);
          to = Arrays.copyOf(to, n);
          where = Arrays.copyOf(where, n);
          size = Arrays.copyOf(size, n);
        }
      }
      from[tail] = f;
      to[tail] = t;
      where[tail] = w;
      size[tail] = s;
      tail++;
    }

    private void compact() {
      int n = count();
      System.arraycopy(from, head, from, 0, n);
      System.arraycopy(to, head, to, 0, n);
      System.arraycopy(where, head, where, 0, n);
      System.arraycopy(size, head, size, 0, n);
      head = 0;
      tail = n;
    }

    /** First live entry whose range ends at or after seq. */
    int firstEndingAtOrAfter(long seq) {
      int lo = head;
      int hi = tail;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (to[mid] < seq) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
  }

  /** A copy of some positions of one persistence id, for a replay to read without holding the lock. */
  record Chunk(long deletedTo, int count, long[] from, long[] to, long[] where, int[] size) {
    long segment(int i) {
      return where[i] >>> 32;
    }

    int offset(int i) {
      return (int) where[i];
    }
  }

  private final Map<String, Log> logs = new HashMap<>();
  private long entries;

  static long where(long segment, int offset) {
    return (segment << 32) | (offset & 0xFFFFFFFFL);
  }

  /** Highest sequence number stored for the persistence id (also after deletes), 0 if none. */
  synchronized long highestSequenceNr(String persistenceId) {
    Log log = logs.get(persistenceId);
    return log == null ? 0 : log.highest;
  }

  synchronized long deletedTo(String persistenceId) {
    Log log = logs.get(persistenceId);
    return log == null ? 0 : log.deletedTo;
  }

  synchronized long markerSegment(String persistenceId) {
    Log log = logs.get(persistenceId);
    return log == null ? -1 : log.markerSegment;
  }

  /** Up to {@code max} records that hold events in [fromSeq, toSeq] not yet deleted. */
  synchronized Chunk chunk(String persistenceId, long fromSeq, long toSeq, int max) {
    Log log = logs.get(persistenceId);
    if (log == null) return new Chunk(0, 0, null, null, null, null);
    long start = Math.max(fromSeq, log.deletedTo + 1);
    int i = log.firstEndingAtOrAfter(start);
    int n = 0;
    while (i + n < log.tail && n < max && log.from[i + n] <= toSeq) n++;
    return new Chunk(
        log.deletedTo,
        n,
        Arrays.copyOfRange(log.from, i, i + n),
        Arrays.copyOfRange(log.to, i, i + n),
        Arrays.copyOfRange(log.where, i, i + n),
        Arrays.copyOfRange(log.size, i, i + n));
  }

  /**
   * Records a durable WRITE record. Sequence numbers only go up: the writer rejects anything else
   * before it is written, and the start-up scan treats it as corruption.
   */
  synchronized void addWrite(String persistenceId, long fromSeq, long toSeq, long segment, int offset, int size) {
    Log log = logs.computeIfAbsent(persistenceId, k -> new Log());
    if (fromSeq <= log.highest || toSeq < fromSeq) {
      throw new IllegalStateException("sequence numbers of " + persistenceId + " go back: " + fromSeq + ".." + toSeq
          + " after " + log.highest);
    }
    log.add(fromSeq, toSeq, where(segment, offset), size);
    log.highest = toSeq;
    entries++;
  }

  /**
   * Records a durable DELETE marker in {@code segment}: drops every entry that is now wholly deleted
   * (telling {@code removedFrom} each one's segment) and returns the segment of the marker it replaces
   * (-1 if none).
   */
  synchronized long applyDelete(String persistenceId, long toSeq, long segment, LongConsumer removedFrom) {
    Log log = logs.computeIfAbsent(persistenceId, k -> new Log());
    if (toSeq > log.deletedTo) {
      log.deletedTo = toSeq;
      while (log.head < log.tail && log.to[log.head] <= toSeq) {
        removedFrom.accept(log.where[log.head] >>> 32);
        log.head++;
        entries--;
      }
      if (log.head == log.tail) {
        log.head = 0;
        log.tail = 0;
      }
    }
    log.highest = Math.max(log.highest, toSeq);
    long previous = log.markerSegment;
    log.markerSegment = segment;
    return previous;
  }

  /** Persistence ids whose latest DELETE marker is in the segment, with their deletedTo. */
  synchronized Map<String, Long> markersIn(long segment) {
    Map<String, Long> found = new LinkedHashMap<>();
    logs.forEach((pid, log) -> {
      if (log.markerSegment == segment) found.put(pid, log.deletedTo);
    });
    return found;
  }

  /** Calls {@code live} with the segment of every live entry and {@code marker} with every marker's. */
  synchronized void forEachSegmentUse(LongConsumer live, LongConsumer marker) {
    for (Log log : logs.values()) {
      for (int i = log.head; i < log.tail; i++) live.accept(log.where[i] >>> 32);
      if (log.markerSegment >= 0) marker.accept(log.markerSegment);
    }
  }

  synchronized int persistenceIds() {
    return logs.size();
  }

  synchronized long liveRecords() {
    return entries;
  }
}
