package io.pekkoraft.persistence.journal;

import static io.pekkoraft.persistence.journal.JournalTestSupport.lastSegment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.persistence.testing.CapturedLog;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting the journal: its configuration, its directory, and what a persistent actor sees when the
 * journal finds a torn tail or cannot start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JournalStartTest {

  private static Config pluginConfig(Path dir, String extra) {
    return ConfigFactory.parseString(extra)
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withFallback(ConfigFactory.load())
        .getConfig("pekko-raft.journal");
  }

  private static Config systemConfig(Path dir, String extra) {
    return ConfigFactory.parseString(extra + "\n"
            + "pekko.persistence.journal.plugin = \"pekko-raft.journal\"\n"
            + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
            + "pekko.loglevel = WARNING\n"
            + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
            + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
            + "pekko.actor.serialize-messages = off\n")
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(dir.toString()))
        .withFallback(ConfigFactory.load());
  }

  @Test
  void theDefaultsOfReferenceConfAreTheDocumentedOnes(@TempDir Path dir) {
    // reference.conf: 64 MiB segments, fsync on, directory created on first use.
    JournalSettings s = JournalSettings.fromConfig(pluginConfig(dir, ""), "pekko-raft.journal");
    assertEquals(64L << 20, s.segmentSize());
    assertTrue(s.fsync());
    assertTrue(s.createDir());
    assertEquals(4 << 20, s.batchBytesMax());
    assertEquals(100_000, s.pendingWritesMax());
    assertEquals(JournalSettings.defaults(dir), s);
    Config fresh = ConfigFactory.load().getConfig("pekko-raft.journal");
    assertEquals("pekko-raft-journal", fresh.getString("dir"));
    assertEquals(SegmentJournal.class.getName(), fresh.getString("class"));
  }

  @Test
  void aBadSegmentSizeIsNamedByItsKey(@TempDir Path dir) {
    // A value out of range stops the start and names the key.
    JournalStartException e = assertThrows(JournalStartException.class,
        () -> JournalSettings.fromConfig(pluginConfig(dir, "pekko-raft.journal.segment-size = 1 KiB"), "pekko-raft.journal"));
    assertTrue(e.getMessage().contains("pekko-raft.journal.segment-size = 1024"), e.getMessage());
  }

  @Test
  void aMissingDirectoryIsCreatedUnlessCreateDirIsOff(@TempDir Path tmp) throws Exception {
    // With create-dir = off a missing directory stops the start, naming the key and the path; by
    // default it is created.
    Path missing = tmp.resolve("a/b/journal");
    JournalStartException e = assertThrows(JournalStartException.class,
        () -> JournalStore.open(JournalSettings.defaults(missing).withCreateDir(false)));
    assertTrue(e.getMessage().contains("pekko-raft.journal.dir = " + missing), e.getMessage());
    assertTrue(e.getMessage().contains("pekko-raft.journal.create-dir = off"), e.getMessage());
    assertFalse(Files.exists(missing));
    try (JournalStore store = JournalStore.open(JournalSettings.defaults(missing))) {
      assertTrue(Files.isDirectory(missing));
      assertEquals(0, store.highestSequenceNr("anyone"));
    }
  }

  @Test
  void aDirectoryThatCannotBeCreatedStopsTheStart(@TempDir Path tmp) throws Exception {
    // A path below a regular file can never be a directory: the error names the key and the path.
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    Path impossible = file.resolve("journal");
    JournalStartException e = assertThrows(JournalStartException.class,
        () -> JournalStore.open(JournalSettings.defaults(impossible)));
    assertTrue(e.getMessage().contains("cannot create journal directory pekko-raft.journal.dir = " + impossible), e.getMessage());
    JournalStartException notDir = assertThrows(JournalStartException.class,
        () -> JournalStore.open(JournalSettings.defaults(file)));
    assertTrue(notDir.getMessage().contains("is not a directory: pekko-raft.journal.dir = " + file), notDir.getMessage());
  }

  @Test
  void aDirectoryInUseByAnotherJournalStopsTheStart(@TempDir Path dir) throws Exception {
    // Two journals on one directory would interleave their writes: the second one does not start.
    try (JournalStore first = JournalStore.open(JournalSettings.defaults(dir))) {
      assertEquals(0, first.highestSequenceNr("anyone"));
      JournalStartException e = assertThrows(JournalStartException.class,
          () -> JournalStore.open(JournalSettings.defaults(dir)));
      assertTrue(e.getMessage().contains("in use by another journal"), e.getMessage());
    }
    JournalStore.open(JournalSettings.defaults(dir)).close(); // released on close
  }

  @Test
  void aPersistentActorRecoversAllButATornLastEvent(@TempDir Path dir) throws Exception {
    // Under Pekko: after a crash in the middle of the last write, the actor recovers every earlier event,
    // and the journal logs which file it cut and by how many bytes.
    ActorTestKit first = ActorTestKit.create("torn1", systemConfig(dir, ""));
    try {
      TestProbe<List<String>> replies = first.createTestProbe();
      ActorRef<EventLogBehavior.Command> actor = first.spawn(EventLogBehavior.create("torn"));
      for (String e : List.of("a", "b", "c")) {
        actor.tell(new EventLogBehavior.Append(e, replies.ref()));
        replies.receiveMessage(Duration.ofSeconds(10));
      }
    } finally {
      first.shutdownTestKit();
    }
    Path segment = lastSegment(dir);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 7);
    }
    try (CapturedLog log = new CapturedLog(SegmentScanner.class)) {
      ActorTestKit second = ActorTestKit.create("torn2", systemConfig(dir, ""));
      try {
        TestProbe<List<String>> replies = second.createTestProbe();
        ActorRef<EventLogBehavior.Command> actor = second.spawn(EventLogBehavior.create("torn"));
        actor.tell(new EventLogBehavior.Append("d", replies.ref()));
        assertEquals(List.of("a", "b", "d"), replies.receiveMessage(Duration.ofSeconds(10)));
        assertEquals(1, log.warnings().size(), log.warnings().toString());
        assertTrue(log.warnings().get(0).contains(segment.toString()), log.warnings().get(0));
      } finally {
        second.shutdownTestKit();
      }
    }
  }

  @Test
  void aJournalThatCannotStartFailsThePersistentActorAndLogsWhy(@TempDir Path dir) throws Exception {
    // Under Pekko: a corrupt journal stops its plugin actor at start, with an error naming the file and
    // the offset; a persistent actor then fails its recovery instead of starting empty.
    Files.writeString(dir.resolve("stray.txt"), "not a segment");
    try (CapturedLog supervisor = new CapturedLog("org.apache.pekko.actor.OneForOneStrategy");
        CapturedLog actorLog = new CapturedLog(EventLogBehavior.class)) {
      ActorTestKit kit = ActorTestKit.create("corrupt", systemConfig(dir, "pekko-raft.journal.recovery-event-timeout = 1s"));
      try {
        TestProbe<List<String>> replies = kit.createTestProbe();
        ActorRef<EventLogBehavior.Command> actor = kit.spawn(EventLogBehavior.create("p"));
        actor.tell(new EventLogBehavior.Append("a", replies.ref()));
        replies.expectTerminated(actor, Duration.ofSeconds(10));
        String logged = supervisor.everything();
        assertTrue(logged.contains("journal file " + dir.resolve("stray.txt") + " is corrupt: not a journal segment"), logged);
        assertTrue(actorLog.everything().contains("Exception during recovery"), actorLog.everything());
      } finally {
        kit.shutdownTestKit();
      }
    }
  }
}
