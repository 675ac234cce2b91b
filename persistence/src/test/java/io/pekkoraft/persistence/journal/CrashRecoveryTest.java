package io.pekkoraft.persistence.journal;

import static io.pekkoraft.persistence.journal.JournalTestSupport.appendAndWait;
import static io.pekkoraft.persistence.journal.JournalTestSupport.copyDirectory;
import static io.pekkoraft.persistence.journal.JournalTestSupport.events;
import static io.pekkoraft.persistence.journal.JournalTestSupport.lastSegment;
import static io.pekkoraft.persistence.journal.JournalTestSupport.range;
import static io.pekkoraft.persistence.journal.JournalTestSupport.replayAll;
import static io.pekkoraft.persistence.journal.JournalTestSupport.segmentFiles;
import static io.pekkoraft.persistence.journal.JournalTestSupport.seqs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.testing.CapturedLog;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a crash, or a damaged disk, leaves in the directory, and what the journal makes of it at start:
 * a torn tail of the last segment is cut with a WARN; everything else stops the start, naming the file
 * and the byte offset.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashRecoveryTest {

  /** Five records of 256-byte events, each its own batch; returns the end offset of each record. */
  private static List<Long> writeFive(Path dir) throws IOException {
    List<Long> ends = new ArrayList<>();
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      for (int i = 1; i <= 5; i++) {
        appendAndWait(store, events("p", i, 1, 256));
        ends.add(Files.size(lastSegment(dir)));
      }
    }
    return ends;
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x01);
    }
  }

  private static JournalCorruptedException startFails(Path dir) {
    return assertThrows(JournalCorruptedException.class, () -> JournalStore.open(JournalSettings.defaults(dir)).close());
  }

  @Test
  void aTornLastRecordIsCutAtEveryByteOffset(@TempDir Path tmp) throws Exception {
    // A crash may stop the last write after any of its bytes: for every such length, the journal starts,
    // keeps every record before it, drops the torn one with a WARN naming the file and the bytes, and
    // takes new writes where it cut.
    Path original = tmp.resolve("original");
    List<Long> ends = writeFive(original);
    long lastStart = ends.get(3);
    long lastEnd = ends.get(4);
    byte[] intact = Files.readAllBytes(lastSegment(original));
    for (long cut = lastStart; cut < lastEnd; cut++) {
      Path copy = tmp.resolve("cut-" + cut);
      copyDirectory(original, copy);
      Path segment = lastSegment(copy);
      truncate(segment, cut);
      try (CapturedLog log = new CapturedLog(SegmentScanner.class);
          JournalStore store = JournalStore.open(JournalSettings.defaults(copy))) {
        assertEquals(range(1, 4), seqs(replayAll(store, "p")), "cut at " + cut);
        assertEquals(4, store.highestSequenceNr("p"));
        if (cut == lastStart) {
          assertEquals(List.of(), log.warnings(), "a cut between records tears nothing");
        } else {
          assertEquals(1, log.warnings().size(), "cut at " + cut + ": " + log.warnings());
          String warning = log.warnings().get(0);
          assertTrue(warning.contains(segment.toString()), warning);
          assertTrue(warning.contains("dropping " + (cut - lastStart) + " bytes"), warning);
        }
        assertEquals(lastStart, Files.size(segment));
        appendAndWait(store, events("p", 5, 1, 256));
      }
      assertArrayEquals(intact, Files.readAllBytes(segment), "the rewritten record is the original one again");
      for (Path f : JournalTestSupport.segmentFiles(copy)) Files.delete(f);
    }
  }

  @Test
  void aBadCrcInTheLastRecordIsCutWhenNothingFollowsIt(@TempDir Path dir) throws Exception {
    // A last record that fails its CRC, with nothing valid behind it, is a torn write: cut, with a WARN.
    List<Long> ends = writeFive(dir);
    flipByte(lastSegment(dir), ends.get(4) - 10);
    try (CapturedLog log = new CapturedLog(SegmentScanner.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(range(1, 4), seqs(replayAll(store, "p")));
      assertEquals(1, log.warnings().size());
      assertTrue(log.warnings().get(0).contains("record CRC mismatch at byte offset " + ends.get(3)), log.warnings().get(0));
    }
  }

  @Test
  void aBadCrcInAMiddleRecordStopsTheStart(@TempDir Path dir) throws Exception {
    // A bad record with acknowledged records behind it is corruption, not a torn write: the journal does
    // not start, and says which file and which byte offset.
    List<Long> ends = writeFive(dir);
    flipByte(lastSegment(dir), ends.get(2) - 10);
    JournalCorruptedException e = startFails(dir);
    assertEquals(lastSegment(dir), e.file());
    assertEquals(ends.get(1), e.offset());
    assertTrue(e.getMessage().contains(lastSegment(dir) + " is corrupt at byte offset " + ends.get(1)), e.getMessage());
    assertTrue(e.getMessage().contains("later batch"), e.getMessage());
    assertEquals(ends.get(4), Files.size(lastSegment(dir)), "nothing was cut");
  }

  @Test
  void aBadCrcInAnEarlierSegmentStopsTheStart(@TempDir Path dir) throws Exception {
    // Segments before the last were complete and fsynced when the next one began: any bad record in them,
    // even their final one, stops the start.
    JournalSettings settings = JournalSettings.defaults(dir).withSegmentSize(4096);
    try (JournalStore store = JournalStore.open(settings)) {
      for (int i = 1; i <= 40; i++) appendAndWait(store, events("p", i, 1, 300));
    }
    Path first = segmentFiles(dir).get(0);
    long size = Files.size(first);
    flipByte(first, size - 5);
    JournalCorruptedException e = assertThrows(JournalCorruptedException.class, () -> JournalStore.open(settings));
    assertEquals(first, e.file());
    assertTrue(e.offset() > SegmentFormat.SEGMENT_HEADER_SIZE && e.offset() < size, e.getMessage());
    assertTrue(e.getMessage().contains("record CRC mismatch"), e.getMessage());
  }

  @Test
  void aTornBatchIsCutWholeEvenWhenALaterRecordOfItReachedTheDisk(@TempDir Path dir) throws Exception {
    // Pages of an unfinished batch may reach the disk in any order: a bad record followed only by records
    // of its own batch is a torn write, and the whole batch (never acknowledged) is cut.
    CraftedSegment s = new CraftedSegment(1, 1);
    s.write(1, true, "p", 1);
    s.write(2, false, "p", 2);
    int bad = s.write(2, false, "p", 3);
    s.write(2, true, "p", 4);
    s.corrupt(bad);
    Path file = s.writeTo(dir);
    try (CapturedLog log = new CapturedLog(SegmentScanner.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(List.of(1L), seqs(replayAll(store, "p")));
      assertEquals(s.offsetOf(1), Files.size(file));
      assertTrue(log.warnings().get(0).contains("at byte offset " + s.offsetOf(bad)), log.warnings().get(0));
      appendAndWait(store, events("p", 2, 1, 10));
    }
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(List.of(1L, 2L), seqs(replayAll(store, "p")));
    }
  }

  @Test
  void aBadRecordFollowedByALaterBatchStopsTheStart(@TempDir Path dir) throws Exception {
    // Batch 3 is written only after batch 2 was fsynced: a bad record of batch 2 before it is corruption.
    CraftedSegment s = new CraftedSegment(1, 1);
    s.write(1, true, "p", 1);
    s.write(2, false, "p", 2);
    int bad = s.write(2, true, "p", 3);
    s.write(3, true, "p", 4);
    s.corrupt(bad);
    Path file = s.writeTo(dir);
    JournalCorruptedException e = startFails(dir);
    assertEquals(file, e.file());
    assertEquals(s.offsetOf(bad), e.offset());
  }

  @Test
  void aLastSegmentEndingInsideABatchLosesThatBatch(@TempDir Path dir) throws Exception {
    // The batch's last record never reached the disk: the batch was never acknowledged, so it is cut.
    CraftedSegment s = new CraftedSegment(1, 1);
    s.write(1, true, "p", 1);
    s.write(2, false, "p", 2);
    s.write(2, false, "p", 3);
    s.writeTo(dir);
    try (CapturedLog log = new CapturedLog(SegmentScanner.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(List.of(1L), seqs(replayAll(store, "p")));
      assertTrue(log.warnings().get(0).contains("ends inside batch 2"), log.warnings().get(0));
    }
  }

  @Test
  void anEarlierSegmentEndingInsideABatchStopsTheStart(@TempDir Path dir) throws Exception {
    // A batch never spans segments, and a segment is closed only after its last batch: if one ends inside
    // a batch, records are missing.
    CraftedSegment first = new CraftedSegment(1, 1);
    first.write(1, true, "p", 1);
    first.write(2, false, "p", 2);
    Path file = first.writeTo(dir);
    CraftedSegment second = new CraftedSegment(2, 3);
    second.write(3, true, "p", 3);
    second.writeTo(dir);
    JournalCorruptedException e = startFails(dir);
    assertEquals(file, e.file());
    assertEquals(Files.size(file), e.offset());
  }

  @Test
  void aFileThatIsNotASegmentStopsTheStart(@TempDir Path dir) throws Exception {
    // The journal directory holds the journal only: a stray file is named, never ignored or deleted.
    writeFive(dir);
    Path stray = dir.resolve("notes.txt");
    Files.writeString(stray, "hello");
    JournalCorruptedException e = startFails(dir);
    assertEquals(stray, e.file());
    assertTrue(e.getMessage().contains("not a journal segment"), e.getMessage());
    assertTrue(Files.exists(stray));
  }

  @Test
  void aSegmentWithTheWrongMagicStopsTheStart(@TempDir Path dir) throws Exception {
    // A file named like a segment that does not start with the segment magic is not ours.
    writeFive(dir);
    Path impostor = dir.resolve(SegmentFormat.fileName(2));
    Files.write(impostor, "this is not a journal segment at all, sorry".getBytes(StandardCharsets.US_ASCII));
    JournalCorruptedException e = startFails(dir);
    assertEquals(impostor, e.file());
    assertEquals(0, e.offset());
    assertTrue(e.getMessage().contains("wrong magic"), e.getMessage());
  }

  @Test
  void aMissingSegmentStopsTheStart(@TempDir Path dir) throws Exception {
    // A gap in the segment numbers means lost records: the start fails, naming the missing file.
    JournalSettings settings = JournalSettings.defaults(dir).withSegmentSize(4096);
    try (JournalStore store = JournalStore.open(settings)) {
      for (int i = 1; i <= 40; i++) appendAndWait(store, events("p", i, 1, 300));
    }
    List<Path> files = segmentFiles(dir);
    assertTrue(files.size() >= 3, "segments: " + files);
    Files.delete(files.get(1));
    JournalCorruptedException e = assertThrows(JournalCorruptedException.class, () -> JournalStore.open(settings));
    assertEquals(files.get(1), e.file());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void anIncompleteHeaderOfANewLastSegmentIsRewritten(@TempDir Path dir) throws Exception {
    // A crash while a new segment was being created leaves a header-less file; it holds no record, so the
    // journal writes its header again (with a WARN) and goes on.
    writeFive(dir);
    Path partial = dir.resolve(SegmentFormat.fileName(2));
    Files.write(partial, new byte[] {'P', 'K', 'R'});
    try (CapturedLog log = new CapturedLog(SegmentScanner.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(range(1, 5), seqs(replayAll(store, "p")));
      assertTrue(log.warnings().get(0).contains("incomplete header"), log.warnings().toString());
      appendAndWait(store, events("p", 6, 1, 10));
    }
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(range(1, 6), seqs(replayAll(store, "p")));
      ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(partial), 0, SegmentFormat.SEGMENT_HEADER_SIZE);
      assertEquals(2, header.getLong(16));
    }
  }
}
