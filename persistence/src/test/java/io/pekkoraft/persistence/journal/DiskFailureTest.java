package io.pekkoraft.persistence.journal;

import static io.pekkoraft.persistence.journal.JournalTestSupport.appendAndWait;
import static io.pekkoraft.persistence.journal.JournalTestSupport.events;
import static io.pekkoraft.persistence.journal.JournalTestSupport.lastSegment;
import static io.pekkoraft.persistence.journal.JournalTestSupport.range;
import static io.pekkoraft.persistence.journal.JournalTestSupport.replayAll;
import static io.pekkoraft.persistence.journal.JournalTestSupport.segmentFiles;
import static io.pekkoraft.persistence.journal.JournalTestSupport.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.persistence.testing.CapturedLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fails (full, I/O error): the writes of the failing batch fail and are not stored, and
 * the journal takes writes again as soon as the disk does; it never wedges.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiskFailureTest {

  @AfterEach
  void healSharedDisk() {
    FaultyDisk.SHARED.heal();
  }

  private static Throwable failureOf(CompletableFuture<Optional<Exception>> write) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> write.get(10, TimeUnit.SECONDS));
    return e.getCause();
  }

  /** Restarts on the real disk and checks that the start finds nothing torn and the expected events. */
  private static void assertCleanRestart(Path dir, List<Long> expected) throws IOException {
    try (CapturedLog log = new CapturedLog(SegmentScanner.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(expected, seqs(replayAll(store, "p")));
      assertEquals(List.of(), log.warnings(), "the failed batch was cut while running, not at the restart");
    }
  }

  @Test
  void aFailedWriteIsNeitherAcknowledgedNorStored(@TempDir Path dir) throws Exception {
    // Half a batch lands, then "disk full": the write fails, its bytes are cut off, and once the disk has
    // room the same sequence number is written again.
    FaultyDisk disk = new FaultyDisk();
    try (CapturedLog log = new CapturedLog(GroupCommitWriter.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir), disk)) {
      appendAndWait(store, events("p", 1, 1, 100));
      disk.failWrites = true;
      Throwable failure = failureOf(store.append(events("p", 2, 1, 100)));
      assertTrue(failure.getMessage().contains("No space left on device"), failure.toString());
      assertTrue(log.errors().get(0).contains("nothing of them is acknowledged"), log.errors().toString());
      assertEquals(1, store.highestSequenceNr("p"));
      disk.heal();
      appendAndWait(store, events("p", 2, 1, 100));
      assertEquals(range(1, 2), seqs(replayAll(store, "p")));
    }
    assertCleanRestart(dir, range(1, 2));
  }

  @Test
  void aFailedFsyncIsNeitherAcknowledgedNorStored(@TempDir Path dir) throws Exception {
    // The write went to the page cache but the fsync failed: not acknowledged, and cut off the file.
    FaultyDisk disk = new FaultyDisk();
    try (CapturedLog log = new CapturedLog(GroupCommitWriter.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir), disk)) {
      appendAndWait(store, events("p", 1, 1, 100));
      disk.failForce = true;
      failureOf(store.append(events("p", 2, 1, 100)));
      failureOf(store.append(events("p", 3, 1, 100)));
      assertEquals(2, log.errors().stream().filter(l -> l.contains("nothing of them is acknowledged")).count(),
          log.errors().toString());
      disk.heal();
      appendAndWait(store, events("p", 2, 1, 100));
      assertEquals(range(1, 2), seqs(replayAll(store, "p")));
    }
    assertCleanRestart(dir, range(1, 2));
  }

  @Test
  void whenTheCutFailsTooWritesFailUntilTheDiskRecovers(@TempDir Path dir) throws Exception {
    // The failed batch's bytes cannot even be cut: every later batch first retries the cut, and fails
    // while it cannot; when the disk recovers, the cut and the next write succeed.
    FaultyDisk disk = new FaultyDisk();
    try (CapturedLog log = new CapturedLog(GroupCommitWriter.class);
        JournalStore store = JournalStore.open(JournalSettings.defaults(dir), disk)) {
      appendAndWait(store, events("p", 1, 1, 100));
      disk.failWrites = true;
      disk.failTruncate = true;
      failureOf(store.append(events("p", 2, 1, 100)));
      disk.failWrites = false;
      Throwable stillBroken = failureOf(store.append(events("p", 2, 1, 100)));
      assertTrue(stillBroken.getMessage().contains("No space left"), stillBroken.toString());
      assertTrue(log.errors().stream().anyMatch(l -> l.contains("will retry before the next write")), log.errors().toString());
      disk.heal();
      appendAndWait(store, events("p", 2, 1, 100));
      appendAndWait(store, events("p", 3, 1, 100));
    }
    assertCleanRestart(dir, range(1, 3));
  }

  @Test
  void aFailedStartOfANewSegmentIsRetried(@TempDir Path dir) throws Exception {
    // Creating the next segment fails (its header cannot be written): the write fails, the half-made file
    // is removed, and the next write creates the segment and goes on, with no gap in the numbering.
    FaultyDisk disk = new FaultyDisk();
    JournalSettings settings = JournalSettings.defaults(dir).withSegmentSize(4096);
    int recordSize = SegmentFormat.RECORD_HEADER_SIZE + RecordBodies.encodeWrite(events("p", 1, 1, 500)).length;
    long seq = 1;
    try (CapturedLog log = new CapturedLog(GroupCommitWriter.class);
        JournalStore store = JournalStore.open(settings, disk)) {
      while (settings.segmentSize() - Files.size(lastSegment(dir)) >= recordSize) {
        appendAndWait(store, events("p", seq++, 1, 500));
      }
      disk.failWrites = true;
      failureOf(store.append(events("p", seq, 1, 500)));
      assertEquals(1, log.errors().size(), log.errors().toString());
      disk.heal();
      assertEquals(1, segmentFiles(dir).size());
      appendAndWait(store, events("p", seq, 1, 500));
      assertEquals(2, segmentFiles(dir).size());
    }
    try (JournalStore store = JournalStore.open(settings)) {
      assertEquals(seq, store.highestSequenceNr("p"));
      assertEquals(range(1, seq), seqs(replayAll(store, "p")));
    }
  }

  @Test
  void aPersistentActorWhoseWriteFailsStopsAndItsSuccessorWritesAgain(@TempDir Path dir) {
    // Under Pekko: the persist that failed stops the actor (it is never told its event is stored); after
    // the disk recovers, a new incarnation recovers what was stored and persists again.
    Config config = ConfigFactory.parseString(
            "pekko.persistence.journal.plugin = \"pekko-raft.journal\"\n"
                + "pekko-raft.journal.class = \"" + FaultInjectingJournal.class.getName() + "\"\n"
                + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
                + "pekko.loglevel = OFF\n"
                + "pekko.actor.serialize-messages = off\n")
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withFallback(ConfigFactory.load());
    ActorTestKit kit = ActorTestKit.create("disk-failure", config);
    try (CapturedLog log = new CapturedLog(GroupCommitWriter.class);
        CapturedLog actorLog = new CapturedLog(EventLogBehavior.class)) {
      TestProbe<List<String>> replies = kit.createTestProbe();
      ActorRef<EventLogBehavior.Command> first = kit.spawn(EventLogBehavior.create("p"));
      first.tell(new EventLogBehavior.Append("a", replies.ref()));
      assertEquals(List.of("a"), replies.receiveMessage(Duration.ofSeconds(10)));
      FaultyDisk.SHARED.failWrites = true;
      first.tell(new EventLogBehavior.Append("b", replies.ref()));
      replies.expectTerminated(first, Duration.ofSeconds(10));
      assertEquals(1, log.errors().size(), log.errors().toString());
      FaultyDisk.SHARED.heal();
      ActorRef<EventLogBehavior.Command> second = kit.spawn(EventLogBehavior.create("p"));
      second.tell(new EventLogBehavior.Append("c", replies.ref()));
      assertEquals(List.of("a", "c"), replies.receiveMessage(Duration.ofSeconds(10)));
      assertTrue(actorLog.errors().get(0).contains("Failed to persist event"), actorLog.errors().toString());
    } finally {
      kit.shutdownTestKit();
    }
  }
}
