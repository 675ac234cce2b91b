package io.pekkoraft.consensus.sim.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.sim.journal.Recorder.Command;
import io.pekkoraft.consensus.sim.journal.Recorder.GetRecorded;
import io.pekkoraft.consensus.sim.journal.Recorder.RecordAll;
import io.pekkoraft.consensus.sim.journal.Recorder.Recorded;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(PER_CLASS)
class SimJournalTest {
  // Every persistence id of this class starts with this segment, so one crash clears what a test left.
  private static final String ID_PREFIX = "sim-journal-test";
  private static final String SERIALIZING_JOURNAL = "pekko-raft-test.sim-journal-serializing";
  private static final Duration NO_REPLY = Duration.ofMillis(200);

  private ActorTestKit testKit;
  private SimDisk disk;
  private int nextId;

  @BeforeAll
  void startTestKit() {
    Config config = ConfigFactory.parseString("""
            pekko.persistence.journal.plugin = "pekko-raft-test.sim-journal"
            pekko.actor.serialize-messages = off
            pekko-raft-test.sim-journal-serializing = ${pekko-raft-test.sim-journal} { serialize = on }
            """)
        .withFallback(ConfigFactory.parseResources("sim-journal.conf"))
        .withFallback(ConfigFactory.load())
        .resolve();
    testKit = ActorTestKit.create("SimJournalTest", config);
    disk = SimDisk.of(testKit.system());
  }

  @AfterEach
  void resetDisk() {
    disk.crash(ID_PREFIX);
    disk.setAutoFlush(true);
  }

  @AfterAll
  void shutdownTestKit() {
    testKit.shutdownTestKit();
  }

  @Test
  void withAutoFlushAPersistRepliesAndIsReplayedAfterARestart() {
    // With auto-flush on, the disk behaves like a fast durable one: persist, reply, replay.
    String id = newPersistenceId();
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id));

    recorder.tell(new RecordAll(List.of("a", "b"), done.ref()));
    done.expectMessage(Done.getInstance());
    recorder = restart(recorder, id);

    assertEquals(new Recorded(List.of("a", "b"), 2), recorded(recorder));
    assertEquals(List.of("a", "b"), disk.durableEvents(id));
  }

  @Test
  void withoutAutoFlushAPersistRepliesOnlyOnceFlushed() {
    // A write is acknowledged when the disk flushes it, not when the journal receives it.
    String id = newPersistenceId();
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id));
    disk.setAutoFlush(false);

    recorder.tell(new RecordAll(List.of("a"), done.ref()));
    done.expectNoMessage(NO_REPLY);
    awaitPending(done, id);
    assertEquals(1, disk.pendingBatches(id));
    assertEquals(List.of(), disk.durableEvents(id));

    assertEquals(1, disk.flushAll());
    done.expectMessage(Done.getInstance());
    assertEquals(List.of("a"), disk.durableEvents(id));
  }

  @Test
  void aCrashLosesPendingWritesAndKeepsFlushedOnes() {
    // A crash drops exactly the unflushed writes: the restarted node recovers what was flushed, no more.
    String id = newPersistenceId();
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id));
    recorder.tell(new RecordAll(List.of("flushed"), done.ref()));
    done.expectMessage(Done.getInstance());
    disk.setAutoFlush(false);
    recorder.tell(new RecordAll(List.of("lost"), done.ref()));
    done.expectNoMessage(NO_REPLY);
    awaitPending(done, id);

    assertEquals(1, disk.crash(id));
    done.expectNoMessage(NO_REPLY);
    assertEquals(0, disk.flushAll(), "a lost batch can never be flushed later");
    recorder = restart(recorder, id);

    assertEquals(new Recorded(List.of("flushed"), 1), recorded(recorder));
    assertEquals(List.of("flushed"), disk.durableEvents(id));
  }

  @Test
  void anAtomicBatchIsRecoveredWholeOrNotAtAll() {
    // Three events persisted together form one batch: a crash loses all three, a flush keeps all three.
    String id = newPersistenceId();
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id));
    disk.setAutoFlush(false);

    recorder.tell(new RecordAll(List.of("x", "y", "z"), done.ref()));
    done.expectNoMessage(NO_REPLY);
    awaitPending(done, id);
    assertEquals(1, disk.pendingBatches(id));
    disk.crash(id);
    recorder = restart(recorder, id);
    assertEquals(new Recorded(List.of(), 0), recorded(recorder));

    recorder.tell(new RecordAll(List.of("x", "y", "z"), done.ref()));
    done.expectNoMessage(NO_REPLY);
    awaitPending(done, id);
    assertEquals(1, disk.flushAll());
    done.expectMessage(Done.getInstance());
    recorder = restart(recorder, id);
    assertEquals(new Recorded(List.of("x", "y", "z"), 3), recorded(recorder));
  }

  @Test
  void afterACrashSequenceNumbersContinueFromTheDurableHighest() {
    // The restarted node reuses the lost write's sequence number, and the disk accepts it without conflict.
    String id = newPersistenceId();
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id));
    recorder.tell(new RecordAll(List.of("a", "b"), done.ref()));
    done.expectMessage(Done.getInstance());
    disk.setAutoFlush(false);
    recorder.tell(new RecordAll(List.of("c"), done.ref()));
    done.expectNoMessage(NO_REPLY);

    disk.crash(id);
    recorder = restart(recorder, id);
    assertEquals(new Recorded(List.of("a", "b"), 2), recorded(recorder));

    disk.setAutoFlush(true);
    recorder.tell(new RecordAll(List.of("d"), done.ref()));
    done.expectMessage(Done.getInstance());
    assertEquals(new Recorded(List.of("a", "b", "d"), 3), recorded(recorder));
    recorder = restart(recorder, id);
    assertEquals(new Recorded(List.of("a", "b", "d"), 3), recorded(recorder));
  }

  @Test
  void aRestartWithWritesStillPendingIsRefusedUntilTheTestDecidesTheirFate() {
    // Restarting a node whose old writes are neither flushed nor crashed fails its recovery loudly.
    String id = newPersistenceId();
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id));
    disk.setAutoFlush(false);
    recorder.tell(new RecordAll(List.of("undecided"), done.ref()));
    done.expectNoMessage(NO_REPLY);

    recorder = restart(recorder, id);
    done.expectTerminated(recorder);

    assertEquals(1, disk.crash(id));
    recorder = testKit.spawn(Recorder.create(id));
    assertEquals(new Recorded(List.of(), 0), recorded(recorder));
  }

  @Test
  void withSerializeOnTheDiskKeepsADeserializedCopyOfEachEvent() {
    // With serialize = on, replay returns what came back from the serializer, as from a real journal.
    String id = newPersistenceId();
    String event = "copied";
    TestProbe<Done> done = testKit.createTestProbe();
    ActorRef<Command> recorder = testKit.spawn(Recorder.create(id, SERIALIZING_JOURNAL));

    recorder.tell(new RecordAll(List.of(event), done.ref()));
    done.expectMessage(Done.getInstance());

    assertEquals(List.of(event), disk.durableEvents(id));
    assertNotSame(event, disk.durableEvents(id).get(0));
  }

  @Test
  void aPrefixAddressesWholeSegmentsOfAPersistenceId() {
    // Addressing node n1 must never touch node n10.
    assertTrue(SimDisk.matches("pekko-raft|g|n1", "pekko-raft|g|n1"));
    assertTrue(SimDisk.matches("pekko-raft|g|n1", "pekko-raft|g"));
    assertTrue(SimDisk.matches("pekko-raft|g|n1", "pekko-raft|g|"));
    assertFalse(SimDisk.matches("pekko-raft|g|n10", "pekko-raft|g|n1"));
  }

  private String newPersistenceId() {
    return ID_PREFIX + "|" + ++nextId;
  }

  private ActorRef<Command> restart(ActorRef<Command> recorder, String id) {
    testKit.stop(recorder);
    return testKit.spawn(Recorder.create(id));
  }

  private Recorded recorded(ActorRef<Command> recorder) {
    TestProbe<Recorded> probe = testKit.createTestProbe();
    recorder.tell(new GetRecorded(probe.ref()));
    return probe.receiveMessage();
  }

  /** The write reached the disk and waits for a flush (bounded wait, not a fixed delay). */
  private void awaitPending(TestProbe<?> probe, String id) {
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(1, disk.pendingBatches(id), "the write has not reached the disk yet");
      return null;
    });
  }
}
