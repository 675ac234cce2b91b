package io.pekkoraft.testkit.persistence;

import static io.pekkoraft.testkit.persistence.SnapshotClient.assertSnapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every Pekko Persistence snapshot store must do, in the spirit of Pekko's snapshot store TCK, in
 * Java: extend it with your store's configuration to check your own store (this module's tests run it
 * on the file snapshot store of pekko-raft-persistence).
 *
 * <p>The tests talk to the store actor with Pekko's snapshot protocol (SaveSnapshot, LoadSnapshot,
 * DeleteSnapshot, DeleteSnapshots), as persistent actors do. A subclass supplies
 * {@link #snapshotStoreConfig(Path)}; every test starts an actor system on its own empty directory, and
 * the restart test starts a second one on the same directory.
 */
public abstract class SnapshotStoreContractSuite {

  /**
   * Configuration that makes {@link #snapshotPluginId()} a snapshot store keeping its data in {@code dir}
   * (a new empty directory). Systems started with the same directory must see the same snapshots.
   */
  protected abstract Config snapshotStoreConfig(Path dir);

  /** Path of the snapshot store plugin's configuration. */
  protected abstract String snapshotPluginId();

  /** Whether the snapshots survive a restart of the actor system on the same directory. */
  protected boolean supportsRestart() {
    return true;
  }

  private static final AtomicInteger systems = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();
  protected Path dir;
  protected ActorSystem system;

  @BeforeEach
  void start(@TempDir Path dir) {
    this.dir = dir;
    this.system = startSystem(dir);
  }

  @AfterEach
  void stop() {
    if (system != null) TestKit.shutdownActorSystem(system);
  }

  /** Starts an actor system whose default snapshot store is the one under test, storing in {@code dir}. */
  protected ActorSystem startSystem(Path dir) {
    return ActorSystem.create("snapshots-" + systems.incrementAndGet(), systemConfig(snapshotStoreConfig(dir)));
  }

  /**
   * The whole configuration of a test system: {@code storeConfig}, the store under test as the default
   * snapshot store, Pekko's in-memory journal, quiet logging, then the application's configuration.
   */
  protected Config systemConfig(Config storeConfig) {
    return storeConfig
        .withFallback(ConfigFactory.parseString(
            "pekko.persistence.snapshot-store.plugin = \"" + snapshotPluginId() + "\"\n"
                + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.actor.serialize-messages = off\n"))
        .withFallback(ConfigFactory.load());
  }

  /** A persistence id no other test of this class uses. */
  protected String newPersistenceId() {
    return getClass().getSimpleName() + "-" + ids.incrementAndGet();
  }

  private static String data(SnapshotMetadata m) {
    return m.persistenceId() + "-" + m.sequenceNr();
  }

  private static SnapshotSelectionCriteria criteria(long maxSeq, long maxTs, long minSeq, long minTs) {
    return SnapshotSelectionCriteria.create(maxSeq, maxTs, minSeq, minTs);
  }

  @Test
  void loadsTheYoungestSnapshot() {
    // The latest criteria select the snapshot with the highest sequence number.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 5);
    assertSnapshot(saved.get(4), data(saved.get(4)), s.loadLatest(pid));
  }

  @Test
  void loadsTheYoungestSnapshotBelowAMaxSequenceNr() {
    // maxSequenceNr is an inclusive upper bound; so is LoadSnapshot's toSequenceNr.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 5);
    assertSnapshot(saved.get(2), data(saved.get(2)), s.load(pid, criteria(3, Long.MAX_VALUE, 0, 0)));
    assertSnapshot(saved.get(1), data(saved.get(1)), s.load(pid, SnapshotSelectionCriteria.latest(), 2));
    assertSnapshot(saved.get(0), data(saved.get(0)), s.load(pid, criteria(4, Long.MAX_VALUE, 0, 0), 1));
    assertEquals(Optional.empty(), s.load(pid, criteria(Long.MAX_VALUE, Long.MAX_VALUE, 0, 0), 0));
  }

  @Test
  void loadsTheYoungestSnapshotBelowAMaxTimestamp() {
    // maxTimestamp is an inclusive upper bound on the timestamp the store gave each save.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 5);
    assertSnapshot(saved.get(1), data(saved.get(1)), s.load(pid, criteria(Long.MAX_VALUE, saved.get(1).timestamp(), 0, 0)));
    assertSnapshot(saved.get(3), data(saved.get(3)), s.load(pid, criteria(Long.MAX_VALUE, saved.get(4).timestamp() - 1, 0, 0)));
    assertEquals(Optional.empty(), s.load(pid, criteria(Long.MAX_VALUE, saved.get(0).timestamp() - 1, 0, 0)));
  }

  @Test
  void loadsNothingBelowAMinSequenceNr() {
    // minSequenceNr and minTimestamp are inclusive lower bounds: a selection with nothing left loads none.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 5);
    assertSnapshot(saved.get(2), data(saved.get(2)), s.load(pid, criteria(3, Long.MAX_VALUE, 3, 0)));
    assertEquals(Optional.empty(), s.load(pid, criteria(2, Long.MAX_VALUE, 3, 0)));
    assertSnapshot(saved.get(4), data(saved.get(4)), s.load(pid, criteria(Long.MAX_VALUE, Long.MAX_VALUE, 2, saved.get(4).timestamp())));
    assertEquals(Optional.empty(), s.load(pid, criteria(4, Long.MAX_VALUE, 0, saved.get(4).timestamp())));
  }

  @Test
  void loadsNoneForAnUnknownPersistenceId() {
    // A persistence id never saved has no snapshot, on an empty store and among others' snapshots.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    assertEquals(Optional.empty(), s.loadLatest(newPersistenceId()));
    s.saveSeries(newPersistenceId(), 2);
    assertEquals(Optional.empty(), s.loadLatest(newPersistenceId()));
  }

  @Test
  void deletesOneSnapshotByItsMetadata() {
    // DeleteSnapshot removes exactly that snapshot; the next older one is loaded in its place.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 3);
    s.delete(saved.get(2));
    assertSnapshot(saved.get(1), data(saved.get(1)), s.loadLatest(pid));
    s.delete(saved.get(0));
    assertSnapshot(saved.get(1), data(saved.get(1)), s.loadLatest(pid));
    assertEquals(Optional.empty(), s.load(pid, criteria(1, Long.MAX_VALUE, 0, 0)));
    s.delete(saved.get(0)); // deleting what is gone succeeds and changes nothing
    assertSnapshot(saved.get(1), data(saved.get(1)), s.loadLatest(pid));
  }

  @Test
  void deletesOneSnapshotBySequenceNrWhenTheTimestampIsZero() {
    // A timestamp of 0 means any timestamp: Pekko's classic deleteSnapshot(sequenceNr) and the cleanup
    // after a failed save send such metadata, and the TCK deletes this way.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 3);
    s.delete(SnapshotMetadata.apply(pid, 2, 0L));
    assertSnapshot(saved.get(0), data(saved.get(0)), s.load(pid, criteria(2, Long.MAX_VALUE, 0, 0)));
    assertSnapshot(saved.get(2), data(saved.get(2)), s.loadLatest(pid));
  }

  @Test
  void deletesTheSnapshotsThatCriteriaSelect() {
    // DeleteSnapshots removes every snapshot of the id within the bounds, and nothing else.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    String other = newPersistenceId();
    List<SnapshotMetadata> saved = s.saveSeries(pid, 6);
    List<SnapshotMetadata> others = s.saveSeries(other, 6);
    s.delete(pid, criteria(4, Long.MAX_VALUE, 2, 0)); // removes 2..4
    assertSnapshot(saved.get(0), data(saved.get(0)), s.load(pid, criteria(4, Long.MAX_VALUE, 0, 0)));
    assertSnapshot(saved.get(5), data(saved.get(5)), s.loadLatest(pid));
    s.delete(pid, criteria(Long.MAX_VALUE, saved.get(4).timestamp(), 0, 0)); // removes 1 and 5
    assertSnapshot(saved.get(5), data(saved.get(5)), s.loadLatest(pid));
    assertEquals(Optional.empty(), s.load(pid, criteria(5, Long.MAX_VALUE, 0, 0)));
    s.delete(pid, SnapshotSelectionCriteria.latest()); // removes all that is left
    assertEquals(Optional.empty(), s.loadLatest(pid));
    assertSnapshot(others.get(5), data(others.get(5)), s.loadLatest(other));
    assertSnapshot(others.get(3), data(others.get(3)), s.load(other, criteria(4, Long.MAX_VALUE, 0, 0)));
  }

  @Test
  void persistenceIdsThatLookAlikeDoNotMix() {
    // Ids that are prefixes of each other, or hold the characters a store might use as separators or
    // escapes, each keep their own snapshots, for loads and for deletes.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    List<String> pids = List.of("a", "a-1", "a-1-2", "a-", "-a", "a|b", "a|b-c", "a%7Cb", "a b", "a+b", "a/b", "a.b",
        "Raft|group-1|node-2", "Raft|group-1|node-2-1", "Raft|group-1", "ü-€", "a--1");
    List<SnapshotMetadata> latest = new ArrayList<>();
    for (int i = 0; i < pids.size(); i++) {
      long last = i % 3 + 1; // 1, 2 or 3 snapshots: neighbours differ in their youngest
      for (long seq = 1; seq <= last; seq++) {
        SnapshotMetadata m = s.save(pids.get(i), seq, pids.get(i) + "-" + seq);
        if (seq == last) latest.add(m);
      }
    }
    for (int i = 0; i < pids.size(); i++) {
      assertSnapshot(latest.get(i), data(latest.get(i)), s.loadLatest(pids.get(i)));
    }
    s.delete(SnapshotMetadata.apply("a-1", 2, 0L)); // only "a-1" at 2; "a" and "a-1-2", whose file names start alike, keep theirs
    s.delete("a|b", SnapshotSelectionCriteria.latest());
    assertEquals(Optional.empty(), s.loadLatest("a|b"));
    assertEquals(1, s.loadLatest("a-1").orElseThrow().metadata().sequenceNr());
    for (int i = 0; i < pids.size(); i++) {
      if (pids.get(i).equals("a|b") || pids.get(i).equals("a-1")) continue;
      assertSnapshot(latest.get(i), data(latest.get(i)), s.loadLatest(pids.get(i)));
    }
  }

  @Test
  void anySerializableSnapshotComesBackEqual() {
    // The store keeps what Pekko's serialization makes of a snapshot, whatever serializer that is.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    List<Object> snapshots = List.of("a string", 42L, 7, new byte[] {1, 2, 3}, "");
    long seq = 0;
    for (Object snapshot : snapshots) {
      SnapshotMetadata m = s.save(pid, ++seq, snapshot);
      Object loaded = s.loadLatest(pid).orElseThrow().snapshot();
      assertEquals(m.sequenceNr(), s.loadLatest(pid).orElseThrow().metadata().sequenceNr());
      if (snapshot instanceof byte[] bytes) {
        assertTrue(java.util.Arrays.equals(bytes, (byte[]) loaded), "bytes differ");
      } else {
        assertEquals(snapshot, loaded);
      }
    }
  }

  @Test
  void aLaterSaveOfTheSameSequenceNrIsLoaded() {
    // Saving again at the same sequence number (a retried save) makes the later one the youngest.
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    String pid = newPersistenceId();
    s.save(pid, 1, "first");
    SnapshotMetadata second = s.save(pid, 1, "second");
    assertSnapshot(second, "second", s.loadLatest(pid));
  }

  @Test
  void survivesARestartOfTheActorSystem() {
    // Saves and deletes acknowledged before the system stopped are all there after a restart on the same data.
    assumeTrue(supportsRestart());
    String a = newPersistenceId();
    String b = newPersistenceId();
    SnapshotClient s = new SnapshotClient(system, snapshotPluginId());
    List<SnapshotMetadata> savedA = s.saveSeries(a, 4);
    s.saveSeries(b, 2);
    s.delete(savedA.get(3));
    s.delete(b, SnapshotSelectionCriteria.latest());
    TestKit.shutdownActorSystem(system);
    system = startSystem(dir);
    SnapshotClient after = new SnapshotClient(system, snapshotPluginId());
    assertSnapshot(savedA.get(2), data(savedA.get(2)), after.loadLatest(a));
    assertSnapshot(savedA.get(0), data(savedA.get(0)), after.load(a, criteria(1, Long.MAX_VALUE, 0, 0)));
    assertEquals(Optional.empty(), after.loadLatest(b));
    SnapshotMetadata next = after.save(b, 3, "b-3");
    assertSnapshot(next, "b-3", after.loadLatest(b));
  }
}
