package io.pekkoraft.consensus.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.StateMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

// A one-member group on the real durable journal and the real file snapshot store: snapshots every 10
// entries compact the journal, a new ActorSystem on the same directories recovers the state from the
// latest snapshot plus the journal after it, and a damaged snapshot file stops the node instead of letting
// it start from an older state.
class DurableSnapshotRestartTest {

  /** Sums its commands; the snapshot is the sum. */
  public static final class Sum implements StateMachine<Long, String, Long> {
    private long sum;

    @Override
    public Long apply(Long delta) {
      sum += delta;
      return sum;
    }

    @Override
    public Long query(String query) {
      return sum;
    }

    @Override
    public Object snapshot() {
      return sum;
    }

    @Override
    public void restore(Object snapshot) {
      sum = (Long) snapshot;
    }
  }

  private Path dir;

  @BeforeEach
  void createDir() throws Exception {
    dir = Files.createTempDirectory("durable-snapshot-restart");
  }

  @AfterEach
  void deleteDir() throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
    }
  }

  private ActorSystem<Void> start() {
    return start("");
  }

  private ActorSystem<Void> start(String overrides) {
    Config config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.parseString(
        "pekko.actor.provider = local\n"
            + "pekko.loglevel = OFF\n"
            + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
            + "pekko-raft.self-id = node-1\n"
            + "pekko-raft.members = [ { id = node-1, address = \"pekko://durable@127.0.0.1:1\" } ]\n"
            + "pekko-raft.election-timeout-min = 100ms\n"
            + "pekko-raft.election-timeout-max = 150ms\n"
            + "pekko-raft.heartbeat-interval = 20ms\n"
            + "pekko-raft.snapshot.every-entries = 10\n"
            + "pekko-raft.snapshot.trailing-entries = 2\n"
            + "pekko-raft.journal.dir = \"" + dir.resolve("journal") + "\"\n"
            + "pekko-raft.snapshot-store.dir = \"" + dir.resolve("snapshots") + "\"\n"))
        .withFallback(ConfigFactory.load());
    return ActorSystem.create(Behaviors.empty(), "durable", config);
  }

  private static RaftGroup<Long, String, Long> sum(ActorSystem<Void> system) {
    return PekkoRaft.get(system).init(ReplicatedStateMachine.of("sum", Sum::new));
  }

  private static void stop(ActorSystem<Void> system) throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static long await(java.util.concurrent.CompletionStage<Long> stage) throws Exception {
    return stage.toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  private List<Path> snapshotFiles() throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("snapshots"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".snap")).toList();
    }
  }

  @Test
  void recoversFromTheLatestSnapshotPlusTheJournalAfterIt() throws Exception {
    ActorSystem<Void> first = start();
    RaftGroup<Long, String, Long> group = sum(first);
    long last = 0;
    for (long i = 1; i <= 55; i++) last = await(group.submit(i));
    assertEquals(55 * 56 / 2, last);
    TestProbe<Object> probe = TestProbe.create(first);
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      try {
        assertEquals(1, snapshotFiles().size(), "older snapshots are deleted once a newer one is saved");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
    stop(first);

    ActorSystem<Void> second = start();
    RaftGroup<Long, String, Long> again = sum(second);
    assertEquals(55 * 56 / 2, await(again.read("sum")), "the state after a restart: snapshot plus journal");
    assertEquals(55 * 56 / 2 + 56, await(again.submit(56L)), "and the log goes on after it");
    stop(second);
  }

  /** Keeps every command; its snapshot is the whole list. */
  public static final class Texts implements StateMachine<String, String, Long> {
    private java.util.ArrayList<String> texts = new java.util.ArrayList<>();

    @Override
    public Long apply(String text) {
      texts.add(text);
      return (long) texts.size();
    }

    @Override
    public Long query(String query) {
      return (long) texts.hashCode();
    }

    @Override
    public Object snapshot() {
      return new java.util.ArrayList<>(texts);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void restore(Object snapshot) {
      texts = (java.util.ArrayList<String>) snapshot;
    }
  }

  @Test
  void aSnapshotSeveralJournalSegmentsLargeIsTakenAndRecovered() throws Exception {
    // The journal refuses a record larger than a segment (256 KiB here); the state is about 1.5 MiB of
    // incompressible text. Its snapshot goes to its own file, never through the journal, and every
    // journal write stays within log.write-bytes-max.
    String small = "pekko-raft.journal.segment-size = 256 KiB\n"
        + "pekko-raft.log.write-bytes-max = 192 KiB\n"
        + "pekko-raft.replication.batch-bytes-max = 64 KiB\n"
        + "pekko-raft.client.request-bytes-max = 32 KiB\n"
        + "pekko-raft.snapshot.every-entries = 30\n";
    java.util.Random random = new java.util.Random(7);
    ActorSystem<Void> first = start(small);
    RaftGroup<String, String, Long> group = PekkoRaft.get(first).init(ReplicatedStateMachine.of("texts", Texts::new));
    for (int i = 0; i < 100; i++) {
      StringBuilder text = new StringBuilder(16 * 1024);
      for (int k = 0; k < 16 * 1024; k++) text.append((char) ('!' + random.nextInt(90)));
      assertEquals(i + 1, (long) group.submit(text.toString()).toCompletableFuture().get(15, TimeUnit.SECONDS));
    }
    long hash = await(group.read("hash"));
    Path files = dir.resolve("snapshots-state-machine");
    long largest;
    try (Stream<Path> all = Files.walk(files)) {
      largest = all.filter(f -> f.toString().endsWith(".snapshot")).mapToLong(f -> f.toFile().length()).max().orElse(0);
    }
    assertTrue(largest > 4 * 256 * 1024, "the snapshot spans several segments: " + largest + " bytes");
    stop(first);

    ActorSystem<Void> second = start(small);
    RaftGroup<String, String, Long> again = PekkoRaft.get(second).init(ReplicatedStateMachine.of("texts", Texts::new));
    assertEquals(hash, await(again.read("hash")), "the state after a restart: snapshot file plus journal");
    assertEquals(101L, (long) again.submit("after").toCompletableFuture().get(15, TimeUnit.SECONDS));
    stop(second);
  }

  @Test
  void aDamagedSnapshotStopsTheNode() throws Exception {
    ActorSystem<Void> first = start();
    RaftGroup<Long, String, Long> group = sum(first);
    for (long i = 1; i <= 25; i++) await(group.submit(i));
    TestProbe<Object> waitForSave = TestProbe.create(first);
    waitForSave.awaitAssert(Duration.ofSeconds(10), () -> {
      try {
        assertFalse(snapshotFiles().isEmpty());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
    stop(first);

    // Every file damaged: two may be kept by then, and the node reads the latest the journal names.
    List<Path> snapshots = snapshotFiles();
    for (Path file : snapshots) {
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 2] ^= 0x5A;
      Files.write(file, bytes);
    }
    Path snapshot = snapshots.get(snapshots.size() - 1);

    ActorSystem<Void> second = start();
    RaftGroup<Long, String, Long> damaged = sum(second);
    TestProbe<Object> probe = TestProbe.create(second);
    probe.expectTerminated(damaged.server(), Duration.ofSeconds(15));
    assertTrue(Files.exists(snapshot), "the damaged file is left for the operator");
    stop(second);
  }
}
