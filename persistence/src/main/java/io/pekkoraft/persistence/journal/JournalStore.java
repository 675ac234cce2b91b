package io.pekkoraft.persistence.journal;

import io.pekkoraft.persistence.journal.RecordBodies.MalformedBodyException;
import io.pekkoraft.persistence.journal.SegmentFormat.SegmentHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable journal without Pekko: one shared append-only log of segment files in one directory,
 * for every persistence id, so that one fsync covers every writer. {@link SegmentJournal} is the Pekko
 * Persistence plugin on top of it; the file format is in {@link SegmentFormat}.
 *
 * <p>{@link #append} and {@link #deleteTo} complete only after their record is fsynced (with
 * {@code fsync = on}). {@link #replay} and {@link #highestSequenceNr} see exactly the completed ones.
 * Thread-safe.
 */
public final class JournalStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JournalStore.class);
  /** Positions a replay copies from the index at a time. */
  private static final int REPLAY_CHUNK_RECORDS = 1024;
  /** Most bytes of adjacent records a replay reads with one read (a larger record is read alone). */
  private static final int REPLAY_READ_BYTES = 1 << 20;

  private final JournalSettings settings;
  private final JournalIndex index;
  private final ConcurrentSkipListMap<Long, Segment> segments;
  private final ReentrantReadWriteLock filesLock = new ReentrantReadWriteLock();
  private final GroupCommitWriter writer;
  private final FileChannel lockChannel;
  private volatile boolean closed;

  private JournalStore(JournalSettings settings, JournalIndex index, ConcurrentSkipListMap<Long, Segment> segments,
      FileChannel lockChannel, ChannelOpener opener, long nextBatch, FileChannel activeChannel) {
    this.settings = settings;
    this.index = index;
    this.segments = segments;
    this.lockChannel = lockChannel;
    this.writer = new GroupCommitWriter(settings, opener, index, segments, filesLock,
        segments.lastEntry().getValue(), activeChannel, nextBatch);
  }

  /** Opens (and on first use creates) the journal in {@code settings.dir()}. */
  public static JournalStore open(JournalSettings settings) throws IOException {
    return open(settings, ChannelOpener.DEFAULT);
  }

  /**
   * Opens the journal: checks the directory, locks it, scans every segment (cutting a torn tail of
   * the last one), rebuilds the index and starts the writer thread.
   *
   * @throws JournalStartException when the directory is missing, not writable or locked
   * @throws JournalCorruptedException when a segment is corrupt, missing or foreign
   */
  public static JournalStore open(JournalSettings settings, ChannelOpener opener) throws IOException {
    long started = System.nanoTime();
    Path dir = prepareDirectory(settings);
    FileChannel lockChannel = lock(settings, dir);
    FileChannel activeChannel = null;
    try {
      SegmentScanner.Result scan = SegmentScanner.scan(settings, opener);
      ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
      for (Segment s : scan.segments()) segments.put(s.number, s);
      if (segments.isEmpty()) {
        Path first = dir.resolve(SegmentFormat.fileName(1));
        try (FileChannel ch = opener.open(first, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
          SegmentScanner.writeFully(ch, SegmentFormat.encodeSegmentHeader(
              new SegmentHeader(SegmentFormat.VERSION, 0, 1, scan.nextBatch())), 0);
          ch.force(true);
        }
        fsyncDirectory(dir);
        segments.put(1L, new Segment(1, first, scan.nextBatch(), SegmentFormat.SEGMENT_HEADER_SIZE, false, opener));
      }
      Segment last = segments.lastEntry().getValue();
      activeChannel = opener.open(last.path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
      JournalStore store = new JournalStore(settings, scan.index(), segments, lockChannel, opener, scan.nextBatch(), activeChannel);
      store.writer.start();
      log.info("journal {}: opened {} segments, {} persistence ids, {} live records in {} ms",
          dir, segments.size(), scan.index().persistenceIds(), scan.index().liveRecords(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return store;
    } catch (IOException | RuntimeException e) {
      if (activeChannel != null) activeChannel.close();
      lockChannel.close();
      throw e;
    }
  }

  private static Path prepareDirectory(JournalSettings settings) {
    Path dir = settings.dir();
    String key = settings.key("dir") + " = " + dir;
    if (!Files.exists(dir)) {
      if (!settings.createDir()) {
        throw new JournalStartException("journal directory does not exist: " + key + " (and " + settings.key("create-dir")
            + " = off). A missing journal directory may mean a lost or unmounted volume: this node would forget its"
            + " Raft term and vote. Create it, or fix the path.");
      }
      try {
        Files.createDirectories(dir);
        log.info("journal: created directory {}", dir);
      } catch (IOException | SecurityException e) {
        throw new JournalStartException("cannot create journal directory " + key + ": " + e, e);
      }
    }
    if (!Files.isDirectory(dir)) throw new JournalStartException("journal directory is not a directory: " + key);
    if (!Files.isWritable(dir)) throw new JournalStartException("journal directory is not writable: " + key);
    return dir;
  }

  private static FileChannel lock(JournalSettings settings, Path dir) {
    Path lockFile = dir.resolve(SegmentFormat.LOCK_FILE);
    FileChannel ch;
    try {
      ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new JournalStartException("cannot open the lock file " + lockFile + " of " + settings.key("dir") + " = " + dir
          + ": " + e, e);
    }
    try {
      FileLock lock = ch.tryLock();
      if (lock == null) throw new OverlappingFileLockException();
      return ch;
    } catch (OverlappingFileLockException | IOException e) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // failing anyway
      }
      throw new JournalStartException("journal directory " + settings.key("dir") + " = " + dir
          + " is in use by another journal (lock " + lockFile + " is held); two writers would corrupt it");
    }
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Appends the events (one persistence id, consecutive sequence numbers) as one record: after a crash
   * all of them are there, or none. The future holds an exception, instead of failing, when the write
   * was refused before anything was written (too large, sequence number not above the highest); it
   * fails when writing or the fsync failed.
   */
  public CompletableFuture<Optional<Exception>> append(List<StoredEvent> events) {
    byte[] body;
    try {
      body = RecordBodies.encodeWrite(events);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(Optional.of(e));
    }
    long recordMax = settings.segmentSize() - SegmentFormat.SEGMENT_HEADER_SIZE - SegmentFormat.RECORD_HEADER_SIZE;
    if (body.length > recordMax) {
      return CompletableFuture.completedFuture(Optional.of(new IllegalArgumentException("an AtomicWrite of "
          + body.length + " bytes does not fit in a segment (" + settings.key("segment-size") + " = "
          + settings.segmentSize() + "); not written")));
    }
    StoredEvent first = events.get(0);
    return writer.append(new GroupCommitWriter.Append(first.persistenceId(), first.sequenceNr(),
        first.sequenceNr() + events.size() - 1, body));
  }

  /**
   * Deletes every event of the persistence id up to {@code toSequenceNr} (at most up to its highest):
   * a durable DELETE marker. The highest sequence number stays.
   */
  public CompletableFuture<Void> deleteTo(String persistenceId, long toSequenceNr) {
    return writer.delete(new GroupCommitWriter.Delete(persistenceId, toSequenceNr, -1));
  }

  /** The highest sequence number stored for the persistence id, also after deletes; 0 if none. */
  public long highestSequenceNr(String persistenceId) {
    return index.highestSequenceNr(persistenceId);
  }

  /**
   * Hands the stored, not deleted events of the persistence id with sequence numbers in
   * [fromSequenceNr, toSequenceNr] to {@code out} in order, at most {@code max} of them. Reads the
   * files (a chunk of positions at a time), and checks each record's CRC again.
   */
  public void replay(String persistenceId, long fromSequenceNr, long toSequenceNr, long max, Consumer<StoredEvent> out)
      throws IOException {
    if (closed) throw new IllegalStateException("journal at " + settings.dir() + " is closed");
    long next = Math.max(1, fromSequenceNr);
    long left = max;
    while (left > 0 && next <= toSequenceNr) {
      JournalIndex.Chunk chunk = index.chunk(persistenceId, next, toSequenceNr, REPLAY_CHUNK_RECORDS);
      if (chunk.count() == 0) return;
      filesLock.readLock().lock();
      try {
        int i = 0;
        while (i < chunk.count() && left > 0) {
          Segment segment = segments.get(chunk.segment(i));
          if (segment == null || segment.retired) { // deleted meanwhile
            i++;
            continue;
          }
          // Records written one after the other are read with one read.
          long runStart = chunk.offset(i);
          long runEnd = runStart + chunk.size()[i];
          int j = i + 1;
          while (j < chunk.count() && j - i < left && chunk.segment(j) == segment.number && chunk.offset(j) == runEnd
              && runEnd - runStart + chunk.size()[j] <= REPLAY_READ_BYTES) {
            runEnd += chunk.size()[j++];
          }
          ByteBuffer run = segment.read(runStart, (int) (runEnd - runStart));
          for (; i < j && left > 0; i++) {
            ByteBuffer record = run.slice((int) (chunk.offset(i) - runStart), chunk.size()[i]);
            for (StoredEvent e : decodeWrite(segment, chunk.offset(i), record)) {
              long seq = e.sequenceNr();
              if (seq < next || seq > toSequenceNr || seq <= chunk.deletedTo()) continue;
              out.accept(e);
              if (--left == 0) break;
            }
          }
          i = j;
        }
      } finally {
        filesLock.readLock().unlock();
      }
      long last = chunk.to()[chunk.count() - 1];
      if (last == Long.MAX_VALUE) return;
      next = last + 1;
    }
  }

  private static List<StoredEvent> decodeWrite(Segment segment, int offset, ByteBuffer record) throws IOException {
    int length = record.getInt(0);
    CRC32C crc = new CRC32C();
    crc.update(record.duplicate().position(SegmentFormat.RECORD_CRC_FROM));
    if (length != record.limit() - SegmentFormat.RECORD_HEADER_SIZE || (int) crc.getValue() != record.getInt(4)
        || record.get(16) != SegmentFormat.TYPE_WRITE) {
      throw new JournalCorruptedException(segment.path, offset, "record changed on disk since it was written or indexed"
          + " (CRC, length or type no longer match)");
    }
    try {
      return RecordBodies.decodeWrite(record.position(SegmentFormat.RECORD_HEADER_SIZE));
    } catch (MalformedBodyException e) {
      throw new JournalCorruptedException(segment.path, offset, "unreadable record body: " + e.getMessage());
    }
  }

  /** Number of segment files (for tests and tools). */
  int segmentCount() {
    return segments.size();
  }

  JournalSettings settings() {
    return settings;
  }

  /** Writes what is queued, stops the writer, closes the files and unlocks the directory. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    try {
      writer.close(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    filesLock.writeLock().lock();
    try {
      for (Segment s : segments.values()) s.closeReader();
    } finally {
      filesLock.writeLock().unlock();
    }
    try {
      lockChannel.close(); // releases the lock
    } catch (IOException e) {
      log.warn("journal {}: closing the lock file failed: {}", settings.dir(), e.toString());
    }
  }
}
