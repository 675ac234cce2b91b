package io.pekkoraft.persistence.journal;

import io.pekkoraft.persistence.journal.RecordBodies.MalformedBodyException;
import io.pekkoraft.persistence.journal.RecordBodies.Summary;
import io.pekkoraft.persistence.journal.SegmentFormat.HeaderCheck;
import io.pekkoraft.persistence.journal.SegmentFormat.Invalid;
import io.pekkoraft.persistence.journal.SegmentFormat.SegmentHeader;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: reads every segment in order, checks every record, rebuilds the {@link JournalIndex}, and
 * cuts a torn write off the tail of the last segment.
 *
 * <p>What it accepts and what stops the journal:
 *
 * <ul>
 *   <li>a file that is not a segment (name or magic), a gap in the segment numbers, a bad header: stop;
 *   <li>a bad record (length, CRC) in any segment but the last: stop, naming the file and offset;
 *   <li>in the last segment, a bad record is a torn write when no valid record of a later batch follows
 *       it (a later batch is only written after this one's fsync): the unfinished batch is cut off,
 *       with a WARN naming the file and the bytes dropped. Otherwise: stop;
 *   <li>a last segment that ends inside a batch (its last record is missing entirely) loses that
 *       unfinished batch the same way; any other segment that does so: stop.
 * </ul>
 */
final class SegmentScanner {

  private static final Logger log = LoggerFactory.getLogger(SegmentScanner.class);
  private static final int WINDOW_BYTES = 4 << 20;

  record Result(List<Segment> segments, JournalIndex index, long nextBatch) {}

  private record Scanned(Summary summary, int offset, int size, long batch) {}

  private final JournalSettings settings;
  private final ChannelOpener opener;
  private final JournalIndex index = new JournalIndex();

  private SegmentScanner(JournalSettings settings, ChannelOpener opener) {
    this.settings = settings;
    this.opener = opener;
  }

  /** Scans {@code settings.dir()}; creates no segment (an empty directory gives no segments). */
  static Result scan(JournalSettings settings, ChannelOpener opener) throws IOException {
    return new SegmentScanner(settings, opener).run();
  }

  private Result run() throws IOException {
    TreeMap<Long, Path> files = listSegments(settings.dir());
    List<Segment> segments = new ArrayList<>();
    long nextBatch = -1; // the batch number the next batch must carry; -1 when not known
    long previous = -1;
    for (Map.Entry<Long, Path> file : files.entrySet()) {
      if (previous >= 0 && file.getKey() != previous + 1) {
        Path missing = settings.dir().resolve(SegmentFormat.fileName(previous + 1));
        throw new JournalCorruptedException(missing, -1, "segment file is missing: the directory has "
            + SegmentFormat.fileName(previous) + " and then " + file.getValue().getFileName());
      }
      previous = file.getKey();
      boolean last = file.getKey().equals(files.lastKey());
      Segment segment = scanSegment(file.getKey(), file.getValue(), last, nextBatch);
      nextBatch = segment.retired ? -1 : nextBatchAfter;
      segments.add(segment);
    }
    Map<Long, Segment> byNumber = new TreeMap<>();
    for (Segment s : segments) byNumber.put(s.number, s);
    index.forEachSegmentUse(n -> byNumber.get(n).liveWrites++, n -> byNumber.get(n).markers++);
    return new Result(segments, index, nextBatch < 0 ? 1 : nextBatch);
  }

  private static TreeMap<Long, Path> listSegments(Path dir) throws IOException {
    TreeMap<Long, Path> files = new TreeMap<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (name.equals(SegmentFormat.LOCK_FILE)) continue;
        long number = SegmentFormat.parseFileName(name);
        if (number < 0 || !Files.isRegularFile(p)) {
          throw new JournalCorruptedException(p, -1, "not a journal segment (segments are files named like "
              + SegmentFormat.fileName(1) + "); the journal directory must hold nothing but the journal");
        }
        files.put(number, p);
      }
    }
    return files;
  }

  /** Set by {@link #scanSegment}: the batch number the next batch after this segment must carry. */
  private long nextBatchAfter;

  private Segment scanSegment(long number, Path path, boolean last, long expectedFirstBatch) throws IOException {
    try (FileChannel ch = opener.open(path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
      long size = ch.size();
      byte[] headerBytes = new byte[(int) Math.min(size, SegmentFormat.SEGMENT_HEADER_SIZE)];
      readFully(ch, ByteBuffer.wrap(headerBytes), 0);
      if (last && (size < SegmentFormat.SEGMENT_HEADER_SIZE && (allZero(headerBytes) || startsLikeAHeader(headerBytes))
          || size == SegmentFormat.SEGMENT_HEADER_SIZE && allZero(headerBytes))) {
        // A crash while the segment was being created: it holds no record, so nothing is lost.
        long firstBatch = expectedFirstBatch < 0 ? 1 : expectedFirstBatch;
        log.warn("journal segment {}: incomplete header ({} bytes, a crash while it was created); rewrote it, no record was lost",
            path, size);
        ch.truncate(0);
        writeFully(ch, SegmentFormat.encodeSegmentHeader(new SegmentHeader(SegmentFormat.VERSION, 0, number, firstBatch)), 0);
        ch.force(true);
        nextBatchAfter = firstBatch;
        return new Segment(number, path, firstBatch, SegmentFormat.SEGMENT_HEADER_SIZE, false, opener);
      }
      HeaderCheck check = SegmentFormat.decodeSegmentHeader(headerBytes);
      if (check.problem() != null) throw new JournalCorruptedException(path, 0, check.problem());
      SegmentHeader header = check.header();
      if (header.segment() != number) {
        throw new JournalCorruptedException(path, 16, "header says segment " + header.segment() + " but the file name says " + number);
      }
      if (header.retired()) {
        if (last) throw new JournalCorruptedException(path, 12, "the last segment is marked retired; the writer never retires it");
        if (size > SegmentFormat.SEGMENT_HEADER_SIZE) {
          // A crash between marking it retired and cutting it: its records are all dead.
          ch.truncate(SegmentFormat.SEGMENT_HEADER_SIZE);
          ch.force(true);
          log.info("journal segment {}: finished cutting a retired segment to its header", path);
        }
        return new Segment(number, path, header.firstBatch(), SegmentFormat.SEGMENT_HEADER_SIZE, true, opener);
      }
      if (expectedFirstBatch >= 0 && header.firstBatch() != expectedFirstBatch) {
        throw new JournalCorruptedException(path, 24, "first batch number " + header.firstBatch()
            + " does not follow the previous segment (expected " + expectedFirstBatch + ")");
      }
      long end = scanRecords(ch, number, path, size, last, header.firstBatch());
      if (end < size) {
        ch.truncate(end);
        ch.force(true);
      }
      return new Segment(number, path, header.firstBatch(), end, false, opener);
    }
  }

  /** Indexes the records of one segment and returns where its valid data ends. */
  private long scanRecords(FileChannel ch, long number, Path path, long size, boolean last, long firstBatch)
      throws IOException {
    Window w = new Window(ch, size);
    List<Scanned> open = new ArrayList<>(); // records of the batch not yet closed by its last record
    long completeEnd = SegmentFormat.SEGMENT_HEADER_SIZE; // end of the last complete batch
    long expect = firstBatch; // batch number of a record that starts a new batch
    long pos = SegmentFormat.SEGMENT_HEADER_SIZE;
    while (pos < size) {
      int idx = w.ensure(pos, (int) Math.min(SegmentFormat.RECORD_HEADER_SIZE, size - pos));
      int length = SegmentFormat.recordLength(w.buf, idx, size - pos);
      int problem = length;
      if (length >= 0) {
        idx = w.ensure(pos, SegmentFormat.RECORD_HEADER_SIZE + length);
        problem = SegmentFormat.verifyRecord(w.buf, idx, length);
      }
      long batchOfThis = open.isEmpty() ? expect : open.get(0).batch();
      if (problem == Invalid.UNKNOWN_TYPE || (problem < 0 && !last)) {
        throw new JournalCorruptedException(path, pos, Invalid.describe(problem));
      }
      if (problem < 0) {
        checkNothingLaterFollows(w, path, pos, size, batchOfThis, problem);
        warnTorn(path, size, completeEnd, Invalid.describe(problem) + " at byte offset " + pos);
        nextBatchAfter = expect;
        return completeEnd;
      }
      long batch = SegmentFormat.batchOf(w.buf, idx);
      if (batch != batchOfThis) {
        throw new JournalCorruptedException(path, pos, "record of batch " + batch + " where batch " + batchOfThis + " was expected");
      }
      byte type = SegmentFormat.typeOf(w.buf, idx);
      Summary summary;
      try {
        summary = RecordBodies.summary(w.buf, idx + SegmentFormat.RECORD_HEADER_SIZE, length, type);
      } catch (MalformedBodyException e) {
        throw new JournalCorruptedException(path, pos, "record with a valid CRC but an unreadable body: " + e.getMessage());
      }
      int recordSize = SegmentFormat.RECORD_HEADER_SIZE + length;
      open.add(new Scanned(summary, (int) pos, recordSize, batch));
      pos += recordSize;
      if (SegmentFormat.lastInBatch(w.buf, idx)) {
        for (Scanned r : open) addToIndex(r, number, path);
        open.clear();
        completeEnd = pos;
        expect = batch + 1;
      }
    }
    if (!open.isEmpty()) {
      if (!last) {
        throw new JournalCorruptedException(path, pos, "segment ends inside batch " + open.get(0).batch()
            + " (its records from offset " + open.get(0).offset() + " on lack the batch's last record)");
      }
      warnTorn(path, size, completeEnd, "the file ends inside batch " + open.get(0).batch() + " at byte offset " + pos);
    }
    nextBatchAfter = expect;
    return completeEnd;
  }

  /**
   * A bad record at {@code pos} of the last segment is a torn write only if no valid record of a later
   * batch follows it: batch N+1 is written only after batch N was fsynced and acknowledged.
   */
  private static void checkNothingLaterFollows(Window w, Path path, long pos, long size, long batchOfBad, int problem)
      throws IOException {
    for (long p = pos + 1; p + SegmentFormat.RECORD_HEADER_SIZE <= size; p++) {
      int idx = w.ensure(p, SegmentFormat.RECORD_HEADER_SIZE);
      int length = SegmentFormat.recordLength(w.buf, idx, size - p);
      if (length < 0 || !SegmentFormat.knownTypeAndFlags(w.buf, idx)) continue;
      if (SegmentFormat.batchOf(w.buf, idx) <= batchOfBad) continue;
      idx = w.ensure(p, SegmentFormat.RECORD_HEADER_SIZE + length);
      if (SegmentFormat.verifyRecord(w.buf, idx, length) == 0) {
        throw new JournalCorruptedException(path, pos, Invalid.describe(problem) + ", and a valid record of the later batch "
            + SegmentFormat.batchOf(w.buf, idx) + " follows at byte offset " + p
            + ", so this record had been acknowledged: this is not a torn write");
      }
    }
  }

  private static void warnTorn(Path path, long size, long cut, String reason) {
    log.warn("journal segment {}: torn write at the tail ({}); cut the file from {} to {} bytes, dropping {} bytes"
            + " of a batch whose fsync had not completed (never acknowledged)",
        path, reason, size, cut, size - cut);
  }

  private void addToIndex(Scanned r, long segment, Path path) throws JournalCorruptedException {
    Summary s = r.summary();
    try {
      if (s.type() == SegmentFormat.TYPE_WRITE) {
        index.addWrite(s.persistenceId(), s.fromSequenceNr(), s.toSequenceNr(), segment, r.offset(), r.size());
      } else {
        index.applyDelete(s.persistenceId(), s.toSequenceNr(), segment, n -> {});
      }
    } catch (IllegalStateException e) {
      throw new JournalCorruptedException(path, r.offset(), e.getMessage());
    }
  }

  /** The bytes begin with the magic, or with as much of it as there are bytes. */
  private static boolean startsLikeAHeader(byte[] bytes) {
    for (int i = 0; i < Math.min(bytes.length, SegmentFormat.MAGIC.length); i++) {
      if (bytes[i] != SegmentFormat.MAGIC[i]) return false;
    }
    return true;
  }

  private static boolean allZero(byte[] bytes) {
    for (byte b : bytes) if (b != 0) return false;
    return true;
  }

  /** Reads the buffer's remaining bytes from the file at {@code position}. */
  static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long p = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, p);
      if (n < 0) throw new EOFException("end of file at " + p);
      p += n;
    }
  }

  /** Writes the buffer's remaining bytes to the file at {@code position}. */
  static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long p = position;
    while (buf.hasRemaining()) p += ch.write(buf, p);
  }

  /** A window of the file in memory, refilled as the scan moves on. */
  private static final class Window {
    private final FileChannel ch;
    private final long size;
    ByteBuffer buf = ByteBuffer.allocate(0);
    private long start;

    Window(FileChannel ch, long size) {
      this.ch = ch;
      this.size = size;
    }

    /** Makes bytes [pos, pos + n) of the file available in {@link #buf}; returns the index of pos. */
    int ensure(long pos, int n) throws IOException {
      if (pos >= start && pos + n <= start + buf.limit()) return (int) (pos - start);
      if (buf.capacity() < n || buf.capacity() < WINDOW_BYTES && buf.capacity() < size) {
        buf = ByteBuffer.allocate((int) Math.max(n, Math.min(WINDOW_BYTES, size)));
      }
      buf.clear().limit((int) Math.min(buf.capacity(), size - pos));
      readFully(ch, buf, pos);
      buf.flip();
      start = pos;
      return 0;
    }
  }
}
