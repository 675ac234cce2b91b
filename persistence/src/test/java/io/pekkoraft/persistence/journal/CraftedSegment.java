package io.pekkoraft.persistence.journal;

import io.pekkoraft.persistence.journal.SegmentFormat.SegmentHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a segment file record by record with chosen batch numbers and flags, to build on disk the
 * states a crash can leave (a batch whose last record is missing, a bad record inside a batch...).
 */
final class CraftedSegment {

  private final long number;
  private final long firstBatch;
  private final List<byte[]> records = new ArrayList<>();

  CraftedSegment(long number, long firstBatch) {
    this.number = number;
    this.firstBatch = firstBatch;
  }

  /** A WRITE record of one event, the last of its batch or not; returns its index. */
  int write(long batch, boolean lastInBatch, String pid, long seq) {
    byte[] body = RecordBodies.encodeWrite(List.of(JournalTestSupport.event(pid, seq, 40)));
    ByteBuffer b = ByteBuffer.allocate(SegmentFormat.RECORD_HEADER_SIZE + body.length);
    SegmentFormat.putRecord(b, batch, SegmentFormat.TYPE_WRITE, lastInBatch ? SegmentFormat.FLAG_LAST_IN_BATCH : 0, body);
    records.add(b.array());
    return records.size() - 1;
  }

  /** Flips one bit in the body of record {@code index}, so that its CRC fails. */
  void corrupt(int index) {
    records.get(index)[SegmentFormat.RECORD_HEADER_SIZE + 3] ^= 0x10;
  }

  /** Byte offset of record {@code index} in the file. */
  long offsetOf(int index) {
    long offset = SegmentFormat.SEGMENT_HEADER_SIZE;
    for (int i = 0; i < index; i++) offset += records.get(i).length;
    return offset;
  }

  Path writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(SegmentFormat.fileName(number));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(SegmentFormat.encodeSegmentHeader(new SegmentHeader(SegmentFormat.VERSION, 0, number, firstBatch)));
      for (byte[] r : records) ch.write(ByteBuffer.wrap(r));
    }
    return file;
  }
}
