package io.pekkoraft.persistence.snapshot;

import static io.pekkoraft.persistence.snapshot.SnapshotClient.assertSnapshot;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.PLUGIN;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.assertSameRaftLogSnapshot;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.files;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.onlyFile;
import static io.pekkoraft.persistence.snapshot.SnapshotTestSupport.raftLogSnapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.persistence.RaftLogSnapshot;
import io.pekkoraft.persistence.testing.CapturedLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is particular to our file snapshot store: the Raft node's state through Kryo, its file names,
 * leftovers of a crashed save, and a persistent actor that recovers from a snapshot after its events were
 * deleted. The contract every store must keep runs on it in pekko-raft-testkit (FileSnapshotStoreContractTest).
 */
class FileSnapshotStoreTest {

  private final AtomicInteger ids = new AtomicInteger();
  private Path dir;
  private ActorSystem system;

  @BeforeEach
  void start(@TempDir Path dir) {
    this.dir = dir;
    this.system = startSystem(dir);
  }

  @AfterEach
  void stop() {
    if (system != null) TestKit.shutdownActorSystem(system);
  }

  private static ActorSystem startSystem(Path dir) {
    return SnapshotTestSupport.startSystem(SnapshotTestSupport.storeConfig(dir, ""));
  }

  private String newPersistenceId() {
    return getClass().getSimpleName() + "-" + ids.incrementAndGet();
  }

  @Test
  void raftLogSnapshotsGoThroughKryoAndSurviveARestart() {
    // The Raft node's state (Kryo, serializer 4242) comes back equal, field by field, after a restart;
    // next to it, a String of Pekko's own serializer.
    String raft = newPersistenceId();
    String plain = newPersistenceId();
    RaftLogSnapshot older = raftLogSnapshot(6, 3);
    RaftLogSnapshot younger = raftLogSnapshot(7, 50);
    SnapshotClient s = new SnapshotClient(system, PLUGIN);
    s.save(raft, 10, older);
    SnapshotMetadata saved = s.save(raft, 20, younger);
    SnapshotMetadata savedPlain = s.save(plain, 3, "plain state");
    TestKit.shutdownActorSystem(system);
    system = startSystem(dir);
    SnapshotClient after = new SnapshotClient(system, PLUGIN);
    var loaded = after.loadLatest(raft).orElseThrow();
    assertEquals(saved.sequenceNr(), loaded.metadata().sequenceNr());
    assertEquals(saved.timestamp(), loaded.metadata().timestamp());
    assertSameRaftLogSnapshot(younger, loaded.snapshot());
    assertSameRaftLogSnapshot(older, after.load(raft, SnapshotSelectionCriteria.create(19, Long.MAX_VALUE)).orElseThrow().snapshot());
    assertSnapshot(savedPlain, "plain state", after.loadLatest(plain));
  }

  @Test
  void aSaveLeavesOneFileNamedAfterItsMetadata() throws Exception {
    // One file per snapshot, named snapshot-<URL-encoded id>-<sequence nr>-<timestamp>.snap; no temporary file stays.
    SnapshotClient s = new SnapshotClient(system, PLUGIN);
    SnapshotMetadata m = s.save("Raft|group-1|node-2", 42, "state");
    assertEquals("snapshot-Raft%7Cgroup-1%7Cnode-2-42-" + m.timestamp() + ".snap", onlyFile(dir).getFileName().toString());
    s.delete(m);
    assertEquals(List.of(), files(dir));
  }

  @Test
  void theEmptyPersistenceIdIsReadBackLikeAnyOther() {
    // A save the store acknowledged is one it can read back: the empty id's file (snapshot--1-...) is
    // a snapshot, not a foreign file that would fail every load of every id.
    SnapshotClient s = new SnapshotClient(system, PLUGIN);
    SnapshotMetadata empty = s.save("", 1, "state of nobody");
    SnapshotMetadata other = s.save("p", 1, "state of p");
    assertSnapshot(empty, "state of nobody", s.loadLatest(""));
    assertSnapshot(other, "state of p", s.loadLatest("p"));
    s.delete("", SnapshotSelectionCriteria.latest());
    assertEquals(Optional.empty(), s.loadLatest(""));
    assertSnapshot(other, "state of p", s.loadLatest("p"));
  }

  @Test
  void aLeftoverTempFileOfACrashedSaveIsIgnoredAndRemoved() throws Exception {
    // A save cut short by a crash leaves snapshot-...snap.tmp, never acknowledged: loads skip it (the
    // older snapshot is the youngest one saved), remove it, and log which file they removed.
    String pid = newPersistenceId();
    SnapshotClient s = new SnapshotClient(system, PLUGIN);
    SnapshotMetadata saved = s.save(pid, 5, "whole");
    Path leftover = dir.resolve("snapshot-" + pid + "-9-" + (saved.timestamp() + 1) + ".snap.tmp");
    Files.write(leftover, "half a snap".getBytes(StandardCharsets.UTF_8));
    try (CapturedLog log = new CapturedLog(FileSnapshotStore.class.getName())) {
      assertSnapshot(saved, "whole", s.loadLatest(pid));
      assertFalse(Files.exists(leftover), "the leftover stays: " + files(dir));
      List<String> warnings = log.await(log::warnings, w -> !w.isEmpty(), SnapshotClient.TIMEOUT);
      assertEquals(1, warnings.size(), log.everything());
      assertTrue(warnings.get(0).contains(leftover.toString()), warnings.get(0));
    }
    assertSnapshot(saved, "whole", s.loadLatest(pid));
    assertEquals(1, files(dir).size());
  }

  @Test
  void worksWithFsyncOff(@TempDir Path other) {
    // fsync = off (tests, benchmarks) changes durability on power loss, not what is stored.
    ActorSystem unsynced = SnapshotTestSupport.startSystem(SnapshotTestSupport.storeConfig(other, PLUGIN + ".fsync = off"));
    try {
      SnapshotClient s = new SnapshotClient(unsynced, PLUGIN);
      SnapshotMetadata m = s.save("p", 1, "state");
      assertSnapshot(m, "state", s.loadLatest("p"));
      s.delete("p", SnapshotSelectionCriteria.latest());
      assertEquals(Optional.empty(), s.loadLatest("p"));
    } finally {
      TestKit.shutdownActorSystem(unsynced);
    }
  }

  @Test
  void aSnapshotHoldingAnActorRefIsSerializedWithPekkosTransportInformation(@TempDir Path other) {
    // A serializer that writes ActorRefs through Pekko's transport information (as Jackson's does) works
    // for snapshots as for events: the store sets it around the save and the load, and the ref comes
    // back equal, still reaching the same actor.
    ActorSystem refs = SnapshotTestSupport.startSystem(SnapshotTestSupport.storeConfig(other, RefHoldingSnapshot.CONFIG));
    try {
      TestKit owner = new TestKit(refs);
      SnapshotClient s = new SnapshotClient(refs, PLUGIN);
      RefHoldingSnapshot snapshot = new RefHoldingSnapshot(owner.getRef());
      SnapshotMetadata m = s.save("p", 1, snapshot);
      Optional<SelectedSnapshot> loaded = s.loadLatest("p");
      assertSnapshot(m, snapshot, loaded);
      ((RefHoldingSnapshot) loaded.orElseThrow().snapshot()).ref().tell("reached", org.apache.pekko.actor.ActorRef.noSender());
      owner.expectMsg(SnapshotClient.TIMEOUT, "reached");
    } finally {
      TestKit.shutdownActorSystem(refs);
    }
  }

  @Test
  void aPersistentActorRecoversFromItsSnapshotAfterItsEventsWereDeleted(@TempDir Path journalDir) throws Exception {
    // A persistent actor snapshots every 3 events and deletes the events its snapshot covers; a new
    // actor system on the same directories rebuilds its whole state from the snapshot plus the events
    // after it. Then, with its snapshot file damaged, the actor fails its recovery instead of starting
    // from the few events that remain.
    Config config = SnapshotTestSupport.storeConfig(dir, "")
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(journalDir.toString()))
        .withFallback(ConfigFactory.parseString("pekko.persistence.journal.plugin = \"pekko-raft.journal\""));
    String pid = newPersistenceId();
    runActor(config, pid, List.of("a", "b", "c", "d", "e", "f", "g"), "a,b,c,d,e,f,g");
    assertTrue(files(dir).stream().anyMatch(f -> f.getFileName().toString().contains("-6-")), files(dir).toString());
    runActor(config, pid, List.of("h"), "a,b,c,d,e,f,g,h");

    Path youngest = files(dir).get(files(dir).size() - 1);
    byte[] bytes = Files.readAllBytes(youngest);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(youngest, bytes);
    try (CapturedLog log = new CapturedLog(SnapshottingLogBehavior.class.getName())) {
      ActorTestKit kit = ActorTestKit.create(SnapshotTestSupport.startSystemConfig(config));
      try {
        TestProbe<String> replies = kit.createTestProbe();
        ActorRef<SnapshottingLogBehavior.Append> actor = kit.spawn(SnapshottingLogBehavior.create(pid));
        actor.tell(new SnapshottingLogBehavior.Append("i", replies.ref()));
        replies.expectTerminated(actor, SnapshotClient.TIMEOUT);
        String logged = log.await(log::everything, l -> l.contains("corrupt snapshot file " + youngest), SnapshotClient.TIMEOUT);
        assertTrue(logged.contains("corrupt snapshot file " + youngest), logged);
      } finally {
        kit.shutdownTestKit();
      }
    }
  }

  private static void runActor(Config config, String pid, List<String> values, String expectedState) {
    ActorTestKit kit = ActorTestKit.create(SnapshotTestSupport.startSystemConfig(config));
    try {
      TestProbe<String> replies = kit.createTestProbe();
      ActorRef<SnapshottingLogBehavior.Append> actor = kit.spawn(SnapshottingLogBehavior.create(pid));
      String state = null;
      for (String v : values) {
        actor.tell(new SnapshottingLogBehavior.Append(v, replies.ref()));
        state = replies.receiveMessage(SnapshotClient.TIMEOUT);
      }
      assertEquals(expectedState, state);
    } finally {
      kit.shutdownTestKit();
    }
  }
}
