package io.pekkoraft.persistence.journal;

import io.pekkoraft.persistence.journal.SegmentFormat.SegmentHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes. It blocks on its queue; when woken it takes everything queued (up to
 * {@code batch-bytes-max}), writes it as one batch with one positional write, makes it durable with
 * one {@code FileChannel.force(false)} (fdatasync), and only then updates the index and completes the
 * futures of every write in the batch. Writes of all persistence ids share the fsync.
 *
 * <p>A batch never spans two segments: when it does not fit in the active segment, a new segment is
 * created first. When the write or the fsync fails, every write of the batch fails (nothing is
 * acknowledged that was not stored), the active segment is cut back to its last durable byte, and the
 * next batch is tried afresh: the writer never wedges. If even the cut fails, it is tried again before
 * the next batch, and the batch fails until it succeeds.
 *
 * <p>After a batch with deletes (or a new segment), segments whose records are all dead are retired:
 * the oldest are deleted, others are cut to their header and marked, until they become the oldest.
 * A segment whose only live records are DELETE markers gets those markers written again in the
 * active segment first.
 */
final class GroupCommitWriter {

  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  /** Something for the writer to do. */
  abstract static sealed class Op permits Append, Delete, Stop {}

  static final class Append extends Op {
    final String persistenceId;
    final long fromSequenceNr;
    final long toSequenceNr;
    final byte[] body;
    final CompletableFuture<Optional<Exception>> done = new CompletableFuture<>();

    Append(String persistenceId, long fromSequenceNr, long toSequenceNr, byte[] body) {
      this.persistenceId = persistenceId;
      this.fromSequenceNr = fromSequenceNr;
      this.toSequenceNr = toSequenceNr;
      this.body = body;
    }
  }

  static final class Delete extends Op {
    final String persistenceId;
    final long toSequenceNr;
    /** -1 for a user's delete; else the segment whose marker this one writes again (no future). */
    final long carryFrom;
    final CompletableFuture<Void> done;
    final int bodySize;
    long effective;
    byte[] body;

    Delete(String persistenceId, long toSequenceNr, long carryFrom) {
      this.persistenceId = persistenceId;
      this.toSequenceNr = toSequenceNr;
      this.carryFrom = carryFrom;
      this.done = carryFrom < 0 ? new CompletableFuture<>() : null;
      this.bodySize = 4 + persistenceId.getBytes(StandardCharsets.UTF_8).length + 8;
    }
  }

  static final class Stop extends Op {}

  private static final Stop STOP = new Stop();

  private final JournalSettings settings;
  private final ChannelOpener opener;
  private final JournalIndex index;
  private final ConcurrentSkipListMap<Long, Segment> segments;
  private final ReadWriteLock filesLock;
  private final LinkedBlockingQueue<Op> queue;
  private final ArrayDeque<Op> pending = new ArrayDeque<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile Throwable died;

  // Writer thread only from here on.
  private Segment active;
  private FileChannel activeChannel;
  private long nextBatch;
  private boolean broken;
  private boolean markersWritten;
  private ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
  private final List<Op> batch = new ArrayList<>();
  private int[] offsets = new int[64];
  private final Map<String, Long> batchHighest = new HashMap<>();
  private final Map<String, Long> batchDeletedTo = new HashMap<>();

  GroupCommitWriter(JournalSettings settings, ChannelOpener opener, JournalIndex index,
      ConcurrentSkipListMap<Long, Segment> segments, ReadWriteLock filesLock, Segment active,
      FileChannel activeChannel, long nextBatch) {
    this.settings = settings;
    this.opener = opener;
    this.index = index;
    this.segments = segments;
    this.filesLock = filesLock;
    this.active = active;
    this.activeChannel = activeChannel;
    this.nextBatch = nextBatch;
    this.queue = new LinkedBlockingQueue<>(settings.pendingWritesMax());
    this.thread = new Thread(this::run, "pekko-raft-journal-writer[" + settings.dir().getFileName() + "]");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  CompletableFuture<Optional<Exception>> append(Append op) {
    submit(op, op.done);
    return op.done;
  }

  CompletableFuture<Void> delete(Delete op) {
    submit(op, op.done);
    return op.done;
  }

  private void submit(Op op, CompletableFuture<?> done) {
    if (closed) {
      done.completeExceptionally(closedException());
      return;
    }
    if (!queue.offer(op)) {
      done.completeExceptionally(new IOException("journal write queue is full (" + settings.key("pending-writes-max")
          + " = " + settings.pendingWritesMax() + "): the disk does not keep up with the writers"));
      return;
    }
    if (closed && queue.remove(op)) done.completeExceptionally(closedException());
  }

  private IllegalStateException closedException() {
    Throwable cause = died;
    return cause == null
        ? new IllegalStateException("journal at " + settings.dir() + " is closed")
        : new IllegalStateException("journal writer at " + settings.dir() + " died: " + cause, cause);
  }

  /** Writes everything queued before it, then stops the thread (waits at most the timeout). */
  void close(long timeout, TimeUnit unit) throws InterruptedException {
    closed = true;
    if (thread.isAlive() && !queue.offer(STOP, timeout, unit)) {
      log.warn("journal writer at {}: queue stays full, stopping it unfinished", settings.dir());
      thread.interrupt();
    }
    thread.join(unit.toMillis(timeout));
    if (thread.isAlive()) {
      log.warn("journal writer at {} did not stop within {} {}", settings.dir(), timeout, unit);
      thread.interrupt();
      thread.join(unit.toMillis(timeout));
    }
    if (thread.isAlive()) return; // stuck in the disk: leave its state alone
    failAll(pending);
    List<Op> left = new ArrayList<>();
    queue.drainTo(left);
    failAll(left);
    closeQuietly(activeChannel);
  }

  private void failAll(Iterable<Op> ops) {
    for (Op op : ops) {
      if (op instanceof Append a) a.done.completeExceptionally(closedException());
      else if (op instanceof Delete d && d.done != null) d.done.completeExceptionally(closedException());
    }
  }

  private void run() {
    try {
      retireDeadSegments();
      while (true) {
        Op first = pending.pollFirst();
        if (first == null) first = queue.take();
        if (first == STOP) break;
        writeBatch(first);
      }
    } catch (InterruptedException e) {
      log.warn("journal writer at {} interrupted, stopping", settings.dir());
    } catch (Throwable t) {
      died = t;
      closed = true;
      log.error("journal writer at {} died; every later write fails", settings.dir(), t);
      for (Op op : batch) failOne(op, t);
      failAll(pending);
      List<Op> left = new ArrayList<>();
      queue.drainTo(left);
      failAll(left);
    }
  }

  private void writeBatch(Op first) {
    batch.clear();
    batchHighest.clear();
    batchDeletedTo.clear();
    long base = active.end; // where the batch's first record goes
    boolean roll = false;
    int bytes = 0;
    int records = 0;
    Op op = first;
    while (op != null) {
      if (op == STOP) {
        pending.addFirst(op);
        break;
      }
      int size = SegmentFormat.RECORD_HEADER_SIZE
          + (op instanceof Append a ? a.body.length : ((Delete) op).bodySize);
      if (records > 0 && (bytes + size > settings.batchBytesMax() || base + bytes + size > settings.segmentSize())) {
        pending.addFirst(op);
        break;
      }
      if (prepare(op)) {
        if (records == 0 && base + size > settings.segmentSize() && active.hasRecords()) {
          roll = true;
          base = SegmentFormat.SEGMENT_HEADER_SIZE;
        }
        if (records == offsets.length) offsets = Arrays.copyOf(offsets, records * 2);
        offsets[records++] = bytes;
        bytes += size;
      }
      batch.add(op);
      op = pending.pollFirst();
      if (op == null) op = queue.poll();
    }
    if (records > 0) {
      try {
        if (broken) repair();
        if (roll) roll();
        fill(bytes, records);
        SegmentScanner.writeFully(activeChannel, buffer, active.end);
        if (settings.fsync()) activeChannel.force(false);
      } catch (IOException e) {
        onWriteFailure(e, records, bytes);
        return;
      }
    }
    long start = active.end;
    if (records > 0) {
      active.end = start + bytes;
      nextBatch++;
    }
    markersWritten = false;
    List<Delete> deletes = applyAndComplete(start);
    if (markersWritten || roll) retireDeadSegments();
    for (Delete d : deletes) d.done.complete(null);
  }

  /** Decides what an op writes; true when it writes a record, false when it has completed or is a no-op. */
  private boolean prepare(Op op) {
    if (op instanceof Append a) {
      long highest = batchHighest.getOrDefault(a.persistenceId, -1L);
      if (highest < 0) highest = index.highestSequenceNr(a.persistenceId);
      if (a.fromSequenceNr <= highest) {
        a.done.complete(Optional.of(new IllegalArgumentException("sequence number " + a.fromSequenceNr + " of "
            + a.persistenceId + " is not above the highest stored one, " + highest + "; not written")));
        return false;
      }
      batchHighest.put(a.persistenceId, a.toSequenceNr);
      return true;
    }
    Delete d = (Delete) op;
    long highest = batchHighest.getOrDefault(d.persistenceId, -1L);
    if (highest < 0) highest = index.highestSequenceNr(d.persistenceId);
    long deletedTo = batchDeletedTo.getOrDefault(d.persistenceId, -1L);
    boolean markerInBatch = deletedTo >= 0;
    if (!markerInBatch) deletedTo = index.deletedTo(d.persistenceId);
    if (d.carryFrom >= 0) {
      if (markerInBatch || index.markerSegment(d.persistenceId) != d.carryFrom) return false;
      d.effective = deletedTo;
    } else {
      d.effective = Math.min(d.toSequenceNr, highest);
      if (d.effective <= deletedTo) return false;
    }
    d.body = RecordBodies.encodeDelete(d.persistenceId, d.effective);
    batchDeletedTo.put(d.persistenceId, d.effective);
    return true;
  }

  private boolean hasRecord(Op op) {
    return op instanceof Append a ? !a.done.isDone() : ((Delete) op).body != null;
  }

  private void fill(int bytes, int records) {
    if (buffer.capacity() < bytes) {
      buffer = ByteBuffer.allocate(Math.max(bytes, Math.min(settings.batchBytesMax(), buffer.capacity() * 2)));
    }
    buffer.clear();
    int written = 0;
    for (Op op : batch) {
      if (!hasRecord(op)) continue;
      written++;
      byte flags = written == records ? SegmentFormat.FLAG_LAST_IN_BATCH : 0;
      if (op instanceof Append a) SegmentFormat.putRecord(buffer, nextBatch, SegmentFormat.TYPE_WRITE, flags, a.body);
      else SegmentFormat.putRecord(buffer, nextBatch, SegmentFormat.TYPE_DELETE, flags, ((Delete) op).body);
    }
    buffer.flip();
  }

  /**
   * Updates the index with the durable batch at {@code start} and completes its appends; returns its
   * user deletes, to be completed once the segments they freed are retired.
   */
  private List<Delete> applyAndComplete(long start) {
    List<Delete> deletes = new ArrayList<>();
    int i = 0;
    for (Op op : batch) {
      if (op instanceof Append a) {
        if (a.done.isDone()) continue; // rejected
        int size = SegmentFormat.RECORD_HEADER_SIZE + a.body.length;
        index.addWrite(a.persistenceId, a.fromSequenceNr, a.toSequenceNr, active.number, (int) (start + offsets[i++]), size);
        active.liveWrites++;
        a.done.complete(Optional.empty());
      } else {
        Delete d = (Delete) op;
        if (d.body != null) {
          i++;
          long previous = index.applyDelete(d.persistenceId, d.effective, active.number, n -> {
            Segment s = segments.get(n);
            if (s != null) s.liveWrites--;
          });
          if (previous >= 0) {
            Segment s = segments.get(previous);
            if (s != null) s.markers--;
          }
          active.markers++;
          markersWritten = true;
        }
        if (d.done != null) deletes.add(d);
      }
    }
    batch.clear();
    return deletes;
  }

  private void onWriteFailure(IOException e, int records, int bytes) {
    log.error("journal {}: writing {} records ({} bytes) to {} failed; those writes fail and nothing of them is"
        + " acknowledged: {}", settings.dir(), records, bytes, active.path.getFileName(), e.toString());
    for (Op op : batch) failOne(op, e);
    batch.clear();
    try {
      repair();
    } catch (IOException again) {
      broken = true;
      log.error("journal {}: cannot cut {} back to its last durable byte {} ({}); will retry before the next write",
          settings.dir(), active.path.getFileName(), active.end, again.toString());
    }
  }

  private void failOne(Op op, Throwable cause) {
    if (op instanceof Append a) {
      a.done.completeExceptionally(cause);
    } else if (op instanceof Delete d) {
      if (d.done != null) {
        d.done.completeExceptionally(cause);
      } else {
        Segment from = segments.get(d.carryFrom);
        if (from != null) from.carryRequested = false; // asked again at the next retirement pass
      }
    }
  }

  /** Cuts the active segment back to its last durable byte, dropping whatever a failed batch left. */
  private void repair() throws IOException {
    if (activeChannel == null || !activeChannel.isOpen()) {
      activeChannel = opener.open(active.path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
    }
    if (activeChannel.size() != active.end) activeChannel.truncate(active.end);
    activeChannel.force(true);
    broken = false;
  }

  /** Starts the next segment; the current one is complete and durable (every batch was fsynced). */
  private void roll() throws IOException {
    long number = active.number + 1;
    Path path = settings.dir().resolve(SegmentFormat.fileName(number));
    FileChannel ch = opener.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.READ, StandardOpenOption.WRITE));
    try {
      SegmentScanner.writeFully(ch,
          SegmentFormat.encodeSegmentHeader(new SegmentHeader(SegmentFormat.VERSION, 0, number, nextBatch)), 0);
      if (settings.fsync()) {
        ch.force(true);
        JournalStore.fsyncDirectory(settings.dir());
      }
    } catch (IOException e) {
      closeQuietly(ch);
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // the next roll truncates it; a restart sees an incomplete last segment and rewrites it
      }
      throw e;
    }
    Segment next = new Segment(number, path, nextBatch, SegmentFormat.SEGMENT_HEADER_SIZE, false, opener);
    closeQuietly(activeChannel);
    segments.put(number, next);
    active = next;
    activeChannel = ch;
  }

  /** Retires segments whose records are all dead; see the class comment. */
  private void retireDeadSegments() {
    for (Segment s : segments.values()) {
      if (s == active || s.retired || s.liveWrites > 0) continue;
      if (s.markers > 0) {
        if (!s.carryRequested) {
          index.markersIn(s.number).keySet().forEach(pid -> pending.addLast(new Delete(pid, 0, s.number)));
          s.carryRequested = true;
        }
        continue;
      }
      retire(s);
    }
    boolean removed = false;
    while (!segments.isEmpty()) {
      Segment oldest = segments.firstEntry().getValue();
      if (!oldest.retired || oldest == active) break;
      filesLock.writeLock().lock();
      try {
        Files.deleteIfExists(oldest.path);
        segments.remove(oldest.number);
        removed = true;
      } catch (IOException e) {
        log.warn("journal {}: cannot delete retired segment {} ({}); will retry", settings.dir(), oldest.path, e.toString());
        break;
      } finally {
        filesLock.writeLock().unlock();
      }
    }
    if (removed) {
      try {
        JournalStore.fsyncDirectory(settings.dir());
      } catch (IOException e) {
        log.warn("journal {}: fsync of the directory after deleting segments failed: {}", settings.dir(), e.toString());
      }
    }
  }

  private void retire(Segment s) {
    filesLock.writeLock().lock();
    try {
      s.closeReader();
      if (s.number != segments.firstKey()) {
        try (FileChannel ch = opener.open(s.path, Set.of(StandardOpenOption.WRITE))) {
          SegmentScanner.writeFully(ch, SegmentFormat.encodeSegmentHeader(new SegmentHeader(
              SegmentFormat.VERSION, SegmentFormat.FLAG_RETIRED, s.number, s.firstBatch)), 0);
          ch.force(true);
          ch.truncate(SegmentFormat.SEGMENT_HEADER_SIZE);
          ch.force(true);
        }
      }
      s.end = SegmentFormat.SEGMENT_HEADER_SIZE;
      s.retired = true; // the oldest is deleted by the caller
      log.debug("journal {}: retired segment {}", settings.dir(), s.path.getFileName());
    } catch (IOException e) {
      log.warn("journal {}: cannot retire segment {} ({}); will retry", settings.dir(), s.path, e.toString());
    } finally {
      filesLock.writeLock().unlock();
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing after the data was forced; nothing is lost
    }
  }
}
