package io.pekkoraft.persistence.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * One segment file. Readers share {@link #read}; only the writer thread writes, through its own
 * channel, and only the writer changes the counters.
 */
final class Segment {

  final long number;
  final Path path;
  final long firstBatch;
  private final ChannelOpener opener;
  private volatile FileChannel readChannel;

  /** Bytes in the file that are durable and valid; the next record goes here (writer thread). */
  volatile long end;
  /** WRITE records of this segment still needed by the index (writer thread). */
  int liveWrites;
  /** Persistence ids whose latest DELETE marker is in this segment (writer thread). */
  int markers;
  /** Every record in it was dead; the file is cut to its header, or gone (writer thread). */
  volatile boolean retired;
  /** Its markers were queued to be written again in the active segment (writer thread). */
  boolean carryRequested;

  Segment(long number, Path path, long firstBatch, long end, boolean retired, ChannelOpener opener) {
    this.number = number;
    this.path = path;
    this.firstBatch = firstBatch;
    this.end = end;
    this.retired = retired;
    this.opener = opener;
  }

  boolean hasRecords() {
    return end > SegmentFormat.SEGMENT_HEADER_SIZE;
  }

  /**
   * Reads {@code size} bytes at {@code offset}. A reader interrupted in the middle of a read closes a
   * FileChannel for every thread; the next read then opens it again instead of failing forever.
   */
  ByteBuffer read(long offset, int size) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(size);
    for (int attempt = 0; ; attempt++) {
      try {
        buf.clear();
        FileChannel ch = readChannel();
        while (buf.hasRemaining()) {
          if (ch.read(buf, offset + buf.position()) < 0) {
            throw new JournalCorruptedException(path, offset + buf.position(), "file ends inside an indexed record");
          }
        }
        return buf.flip();
      } catch (ClosedChannelException e) {
        if (retired || attempt > 0) throw e;
        reopen();
      }
    }
  }

  private FileChannel readChannel() throws IOException {
    FileChannel ch = readChannel;
    if (ch == null) {
      synchronized (this) {
        if (readChannel == null) readChannel = opener.open(path, Set.of(StandardOpenOption.READ));
        ch = readChannel;
      }
    }
    return ch;
  }

  private synchronized void reopen() throws IOException {
    if (readChannel != null && readChannel.isOpen()) return;
    readChannel = opener.open(path, Set.of(StandardOpenOption.READ));
  }

  synchronized void closeReader() {
    FileChannel ch = readChannel;
    readChannel = null;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing was written through it
      }
    }
  }

  @Override
  public String toString() {
    return path.getFileName() + "(end=" + end + ", live=" + liveWrites + ", markers=" + markers
        + (retired ? ", retired" : "") + ")";
  }
}
