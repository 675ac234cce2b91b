package io.pekkoraft.persistence.journal;

import static io.pekkoraft.persistence.journal.JournalTestSupport.appendAndWait;
import static io.pekkoraft.persistence.journal.JournalTestSupport.event;
import static io.pekkoraft.persistence.journal.JournalTestSupport.events;
import static io.pekkoraft.persistence.journal.JournalTestSupport.range;
import static io.pekkoraft.persistence.journal.JournalTestSupport.replayAll;
import static io.pekkoraft.persistence.journal.JournalTestSupport.segmentFiles;
import static io.pekkoraft.persistence.journal.JournalTestSupport.seqs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The store under the plugin: group commit, acknowledgement after fsync, limits, segment removal. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JournalStoreTest {

  @Test
  void storesEventsFieldByField(@TempDir Path dir) throws Exception {
    // Every field of a stored event, metadata included, comes back as written, also after a restart.
    StoredEvent withMeta = new StoredEvent("p", 1, 123L, "w", "adapter", 7, "man", new byte[] {1, 2, 3},
        9, "meta-man", new byte[] {4, 5});
    StoredEvent plain = StoredEvent.of("p", 2, 456L, "w2", "", 8, "", new byte[0]);
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      appendAndWait(store, List.of(withMeta, plain));
    }
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      List<StoredEvent> back = replayAll(store, "p");
      assertEquals(2, back.size());
      StoredEvent a = back.get(0);
      assertEquals(List.of("p", 1L, 123L, "w", "adapter", 7, "man", 9, "meta-man"),
          List.of(a.persistenceId(), a.sequenceNr(), a.timestamp(), a.writerUuid(), a.adapterManifest(),
              a.serializerId(), a.serializerManifest(), a.metadataSerializerId(), a.metadataManifest()));
      assertArrayEquals(new byte[] {1, 2, 3}, a.payload());
      assertArrayEquals(new byte[] {4, 5}, a.metadataBytes());
      StoredEvent b = back.get(1);
      assertFalse(b.hasMetadata());
      assertEquals(List.of(2L, 456L, "w2", 8), List.of(b.sequenceNr(), b.timestamp(), b.writerUuid(), b.serializerId()));
      assertEquals(0, b.payload().length);
    }
  }

  @Test
  void writesAreAcknowledgedOnlyAfterTheirFsyncAndShareIt(@TempDir Path dir) throws Exception {
    // While the writer waits in an fsync, nothing that fsync covers is acknowledged; then everything that
    // queued meanwhile is written with ONE more fsync, and at every acknowledgement all written bytes were
    // forced. The writer thread is the one that acknowledges, so while the test holds it in an fsync the
    // acknowledgements cannot move: "not acknowledged yet" is checked without waiting for anything.
    FaultyDisk disk = new FaultyDisk();
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir), disk)) {
      int forcesBefore = disk.forces.get();
      CountDownLatch firstFsync = new CountDownLatch(1);
      disk.forceGate = firstFsync;
      AtomicBoolean ackBeforeFsync = new AtomicBoolean();
      List<CompletableFuture<Optional<Exception>>> acks = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        CompletableFuture<Optional<Exception>> ack = store.append(List.of(event("pid-" + (i % 7), i / 7 + 1, 256)));
        // The bytes this write's acknowledgement stands for: for the first, what the writer holds in its fsync
        // now; for the others, everything, since nothing is written after them.
        long mine = i == 0 ? awaitWriterAtGate(disk) : -1;
        ack.thenRun(() -> {
          long covered = mine >= 0 ? mine : disk.written.get();
          if (disk.forced.get() < covered) ackBeforeFsync.set(true);
        });
        acks.add(ack);
      }
      assertTrue(acks.stream().noneMatch(CompletableFuture::isDone), "acknowledged while the first fsync was held");

      // Release the first fsync and hold the next one, which covers the 99 that queued behind it.
      CountDownLatch secondFsync = new CountDownLatch(1);
      disk.forceGate = secondFsync;
      firstFsync.countDown();
      assertEquals(Optional.empty(), acks.get(0).get(10, TimeUnit.SECONDS));
      disk.awaitWriterAtGate(); // it left the first gate before acknowledging, so this is the second
      assertTrue(acks.subList(1, 100).stream().noneMatch(CompletableFuture::isDone),
          "acknowledged while the second fsync was held");

      disk.forceGate = null;
      secondFsync.countDown();
      for (CompletableFuture<Optional<Exception>> ack : acks) assertEquals(Optional.empty(), ack.get(10, TimeUnit.SECONDS));
      assertFalse(ackBeforeFsync.get(), "an acknowledgement came before its bytes were forced");
      assertEquals(2, disk.forces.get() - forcesBefore, "the first write alone, then the 99 that queued behind it");
      for (int p = 0; p < 7; p++) assertEquals(p < 2 ? 15 : 14, store.highestSequenceNr("pid-" + p));
    }
  }

  private static long awaitWriterAtGate(FaultyDisk disk) throws InterruptedException {
    disk.awaitWriterAtGate();
    return disk.written.get();
  }

  @Test
  void refusesASequenceNumberThatIsNotAboveTheHighest(@TempDir Path dir) throws Exception {
    // The log of a persistence id only grows: a write at or below its highest sequence number is rejected.
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      appendAndWait(store, events("p", 1, 3, 10));
      Optional<Exception> again = store.append(events("p", 3, 2, 10)).get(10, TimeUnit.SECONDS);
      assertTrue(again.isPresent());
      assertTrue(again.get().getMessage().contains("not above the highest stored one, 3"), again.get().getMessage());
      appendAndWait(store, events("p", 5, 1, 10)); // a gap is fine (rejected writes use up numbers)
      assertEquals(List.of(1L, 2L, 3L, 5L), seqs(replayAll(store, "p")));
    }
  }

  @Test
  void rejectsAnAtomicWriteLargerThanASegment(@TempDir Path dir) throws Exception {
    // A record must fit in one segment; a larger one is rejected before anything is written.
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir).withSegmentSize(4096))) {
      Optional<Exception> outcome = store.append(events("p", 1, 1, 5000)).get(10, TimeUnit.SECONDS);
      assertTrue(outcome.isPresent());
      assertTrue(outcome.get().getMessage().contains("segment-size"), outcome.get().getMessage());
      appendAndWait(store, events("p", 2, 1, 3000));
      assertEquals(List.of(2L), seqs(replayAll(store, "p")));
    }
  }

  @Test
  void aFullQueueFailsNewWritesAtOnce(@TempDir Path dir) throws Exception {
    // With the writer stuck in a slow fsync and the queue full, a new write fails at once, naming the key.
    FaultyDisk disk = new FaultyDisk();
    JournalSettings settings = new JournalSettings("test.journal", dir, true, 1 << 20, true, 1 << 20, 2);
    try (JournalStore store = JournalStore.open(settings, disk)) {
      CountDownLatch gate = new CountDownLatch(1);
      disk.forceGate = gate;
      CompletableFuture<Optional<Exception>> first = store.append(events("p", 1, 1, 10));
      disk.awaitWriterAtGate(); // the writer took it and waits in the fsync
      CompletableFuture<Optional<Exception>> second = store.append(events("p", 2, 1, 10));
      CompletableFuture<Optional<Exception>> third = store.append(events("p", 3, 1, 10));
      CompletableFuture<Optional<Exception>> fourth = store.append(events("p", 4, 1, 10));
      ExecutionException full = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> fourth.get(1, TimeUnit.SECONDS));
      assertTrue(full.getCause().getMessage().contains("test.journal.pending-writes-max = 2"), full.getCause().getMessage());
      disk.forceGate = null;
      gate.countDown();
      for (var f : List.of(first, second, third)) assertEquals(Optional.empty(), f.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void deletedSegmentsLeaveTheDisk(@TempDir Path dir) throws Exception {
    // Once every record of a segment is deleted or superseded, the segment is gone from disk: a log that
    // is written and deleted behind forever stays a few segments long, and its state survives a restart.
    JournalSettings settings = JournalSettings.defaults(dir).withSegmentSize(4096);
    try (JournalStore store = JournalStore.open(settings)) {
      appendAndWait(store, events("quiet", 1, 1, 100)); // deleted once, then never written again
      store.deleteTo("quiet", 1).get(10, TimeUnit.SECONDS);
      for (int i = 1; i <= 400; i++) {
        appendAndWait(store, events("busy", i, 1, 300));
        if (i % 10 == 0) store.deleteTo("busy", i - 5).get(10, TimeUnit.SECONDS);
      }
      assertTrue(segmentFiles(dir).size() <= 3, "segments on disk: " + segmentFiles(dir));
      assertEquals(range(396, 400), seqs(replayAll(store, "busy")));
    }
    try (JournalStore store = JournalStore.open(settings)) {
      assertEquals(range(396, 400), seqs(replayAll(store, "busy")));
      assertEquals(400, store.highestSequenceNr("busy"));
      assertEquals(List.of(), replayAll(store, "quiet"));
      assertEquals(1, store.highestSequenceNr("quiet"));
    }
  }

  @Test
  void aSegmentStillNeededByOneRecordStaysWhileNewerDeadOnesAreCut(@TempDir Path dir) throws Exception {
    // A live record in the oldest segment keeps that file; the dead segments after it are cut to their
    // header (kept, so that the numbering has no gap) and deleted once the oldest goes.
    JournalSettings settings = JournalSettings.defaults(dir).withSegmentSize(4096);
    try (JournalStore store = JournalStore.open(settings)) {
      appendAndWait(store, events("keeper", 1, 1, 100));
      for (int i = 1; i <= 60; i++) appendAndWait(store, events("busy", i, 1, 300));
      store.deleteTo("busy", 60).get(10, TimeUnit.SECONDS);
      List<Path> files = segmentFiles(dir);
      assertTrue(files.size() > 3, "segments: " + files);
      assertTrue(Files.size(files.get(0)) > SegmentFormat.SEGMENT_HEADER_SIZE, "the keeper's segment stays whole");
      for (Path middle : files.subList(1, files.size() - 1)) {
        assertEquals(SegmentFormat.SEGMENT_HEADER_SIZE, Files.size(middle), middle + " was cut to its header");
      }
    }
    try (JournalStore store = JournalStore.open(settings)) { // retired segments are valid at start
      assertEquals(List.of(1L), seqs(replayAll(store, "keeper")));
      assertEquals(60, store.highestSequenceNr("busy"));
      store.deleteTo("keeper", 1).get(10, TimeUnit.SECONDS);
      assertEquals(1, segmentFiles(dir).size(), "segments: " + segmentFiles(dir));
    }
    try (JournalStore store = JournalStore.open(settings)) {
      assertEquals(1, store.highestSequenceNr("keeper"));
      assertEquals(60, store.highestSequenceNr("busy"));
      appendAndWait(store, events("busy", 61, 1, 10));
      assertEquals(List.of(61L), seqs(replayAll(store, "busy")));
    }
  }

  @Test
  void closeWritesWhatIsQueued(@TempDir Path dir) throws Exception {
    // Writes accepted before close are written (and acknowledged) before the journal stops.
    List<CompletableFuture<Optional<Exception>>> acks = new ArrayList<>();
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      for (int i = 1; i <= 200; i++) acks.add(store.append(events("p", i, 1, 64)));
    }
    for (var ack : acks) assertEquals(Optional.empty(), ack.get(1, TimeUnit.SECONDS));
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(range(1, 200), seqs(replayAll(store, "p")));
    }
  }
}
