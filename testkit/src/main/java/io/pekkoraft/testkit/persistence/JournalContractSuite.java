package io.pekkoraft.testkit.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What every Pekko Persistence journal must do, in the spirit of Pekko's persistence TCK, in Java:
 * extend it with your journal's configuration to check your own store.
 *
 * <p>The tests talk to the journal actor with Pekko's journal protocol (WriteMessages,
 * ReplayMessages, DeleteMessagesTo), as persistent actors do, and once through an
 * EventSourcedBehavior. A subclass supplies {@link #journalConfig(Path)}; one actor system serves the
 * whole class, each test uses its own persistence ids, and the restart tests start their own systems.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class JournalContractSuite {

  /**
   * Configuration that makes {@link #journalPluginId()} a journal storing its data in {@code dir} (a new
   * empty directory). Systems started with the same directory must see the same data.
   */
  protected abstract Config journalConfig(Path dir);

  /** Path of the journal plugin's configuration. */
  protected abstract String journalPluginId();

  /** Whether the data survives a restart of the actor system on the same directory. */
  protected boolean supportsRestart() {
    return true;
  }

  /** Whether PersistentRepr metadata is stored and replayed. */
  protected boolean supportsMetadata() {
    return true;
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final String writerUuid = UUID.randomUUID().toString();
  private final AtomicInteger ids = new AtomicInteger();
  private ActorTestKit kit;

  @BeforeAll
  void startSystem(@TempDir Path dir) {
    kit = startSystem(dir, "contract");
  }

  @AfterAll
  void stopSystem() {
    if (kit != null) kit.shutdownTestKit();
  }

  /** Starts an actor system whose default journal is the one under test, storing in {@code dir}. */
  protected ActorTestKit startSystem(Path dir, String name) {
    Config config = journalConfig(dir)
        .withFallback(ConfigFactory.parseString(
            "pekko.persistence.journal.plugin = \"" + journalPluginId() + "\"\n"
                + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
                + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
                + "pekko.actor.serialize-messages = off\n"))
        .withFallback(ConfigFactory.load());
    return ActorTestKit.create(name, config);
  }

  /** A persistence id no other test uses. */
  protected String newPersistenceId() {
    return getClass().getSimpleName() + "-" + ids.incrementAndGet();
  }

  /** A connection to the journal of one actor system, speaking Pekko's journal protocol. */
  protected final class JournalClient {
    private final ActorRef journal;
    private final TestKit probe;

    public JournalClient(ActorTestKit kit) {
      ActorSystem classic = Adapter.toClassic(kit.system());
      this.journal = Persistence.get(classic).journalFor(journalPluginId(), ConfigFactory.empty());
      this.probe = new TestKit(classic);
    }

    public PersistentRepr event(String pid, long seq, Object payload) {
      return PersistentRepr.apply(payload, seq, pid, "", false, ActorRef.noSender(), writerUuid);
    }

    /** Sends the AtomicWrites without waiting; {@link #expectWritten(int)} collects the replies. */
    public void send(List<List<PersistentRepr>> atomicWrites) {
      List<PersistentEnvelope> envelopes = new ArrayList<>();
      for (List<PersistentRepr> w : atomicWrites) {
        envelopes.add(AtomicWrite.apply(CollectionConverters.asScala(w).toList()));
      }
      journal.tell(new JournalProtocol.WriteMessages(CollectionConverters.asScala(envelopes).toList(), probe.getRef(), 1),
          ActorRef.noSender());
    }

    /** Collects the replies to one WriteMessages of {@code events} events: one per event, plus the summary. */
    public List<Object> expectWritten(int events) {
      List<Object> replies = new ArrayList<>();
      for (int i = 0; i < events + 1; i++) replies.add(probe.expectMsgClass(TIMEOUT, Object.class));
      return replies;
    }

    /** Writes each event as its own AtomicWrite, sequence numbers from..from+count-1, and expects success. */
    public void write(String pid, long from, int count) {
      List<List<PersistentRepr>> writes = new ArrayList<>();
      for (long s = from; s < from + count; s++) writes.add(List.of(event(pid, s, pid + "-" + s)));
      send(writes);
      assertAllSucceeded(expectWritten(count), count);
    }

    /** Writes the events as ONE AtomicWrite and expects success. */
    public void writeAtomic(String pid, long from, int count) {
      List<PersistentRepr> events = new ArrayList<>();
      for (long s = from; s < from + count; s++) events.add(event(pid, s, pid + "-" + s));
      send(List.of(events));
      assertAllSucceeded(expectWritten(count), count);
    }

    public List<PersistentRepr> replay(String pid, long from, long to, long max) {
      journal.tell(new JournalProtocol.ReplayMessages(from, to, max, pid, probe.getRef()), ActorRef.noSender());
      List<PersistentRepr> replayed = new ArrayList<>();
      while (true) {
        Object msg = probe.expectMsgClass(TIMEOUT, Object.class);
        if (msg instanceof JournalProtocol.ReplayedMessage r) {
          replayed.add(r.persistent());
        } else if (msg instanceof JournalProtocol.RecoverySuccess) {
          return replayed;
        } else {
          throw new AssertionError("replay of " + pid + " failed: " + msg);
        }
      }
    }

    public List<PersistentRepr> replayAll(String pid) {
      return replay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    public long highestSequenceNr(String pid) {
      journal.tell(new JournalProtocol.ReplayMessages(1, 0, 0, pid, probe.getRef()), ActorRef.noSender());
      return probe.expectMsgClass(TIMEOUT, JournalProtocol.RecoverySuccess.class).highestSequenceNr();
    }

    public void delete(String pid, long toSequenceNr) {
      journal.tell(new JournalProtocol.DeleteMessagesTo(pid, toSequenceNr, probe.getRef()), ActorRef.noSender());
      assertEquals(toSequenceNr, probe.expectMsgClass(TIMEOUT, DeleteMessagesSuccess.class).toSequenceNr());
    }
  }

  /** Checks the replies to a WriteMessages of {@code events} events: each one stored, and the summary. */
  protected static void assertAllSucceeded(List<Object> replies, int events) {
    long successes = replies.stream().filter(r -> r instanceof JournalProtocol.WriteMessageSuccess).count();
    assertEquals(events, successes, "replies: " + replies);
    assertTrue(replies.stream().anyMatch(r -> r == JournalProtocol.WriteMessagesSuccessful$.MODULE$), "replies: " + replies);
  }

  private static List<Long> seqs(List<PersistentRepr> events) {
    return events.stream().map(PersistentRepr::sequenceNr).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> r = new ArrayList<>();
    for (long s = from; s <= to; s++) r.add(s);
    return r;
  }

  @Test
  void replaysWhatWasWritten() {
    // Every written event comes back in order, with its payload, persistence id, sequence number and writer.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 5);
    List<PersistentRepr> replayed = j.replayAll(pid);
    assertEquals(range(1, 5), seqs(replayed));
    for (PersistentRepr r : replayed) {
      assertEquals(pid + "-" + r.sequenceNr(), r.payload());
      assertEquals(pid, r.persistenceId());
      assertEquals(writerUuid, r.writerUuid());
      assertTrue(!r.deleted());
    }
  }

  @Test
  void replaysOnlyTheRequestedRange() {
    // fromSequenceNr and toSequenceNr are inclusive bounds.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 5);
    assertEquals(range(2, 4), seqs(j.replay(pid, 2, 4, Long.MAX_VALUE)));
    assertEquals(range(3, 3), seqs(j.replay(pid, 3, 3, Long.MAX_VALUE)));
    assertEquals(range(4, 5), seqs(j.replay(pid, 4, 100, Long.MAX_VALUE)));
    assertEquals(List.of(), seqs(j.replay(pid, 6, 100, Long.MAX_VALUE)));
  }

  @Test
  void replayStopsAtMax() {
    // At most max events are replayed, the first ones of the range.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 5);
    assertEquals(range(1, 2), seqs(j.replay(pid, 1, 5, 2)));
    assertEquals(range(2, 4), seqs(j.replay(pid, 2, 5, 3)));
    assertEquals(List.of(), seqs(j.replay(pid, 1, 5, 0)));
  }

  @Test
  void reportsTheHighestSequenceNumber() {
    // The highest sequence number is that of the last write; 0 for a persistence id never written.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    assertEquals(0, j.highestSequenceNr(pid));
    j.write(pid, 1, 3);
    assertEquals(3, j.highestSequenceNr(pid));
    j.writeAtomic(pid, 4, 3);
    assertEquals(6, j.highestSequenceNr(pid));
    assertEquals(List.of(), j.replayAll(newPersistenceId()));
  }

  @Test
  void deleteRemovesEventsUpToTheSequenceNumber() {
    // After deleting to 3, replays start at 4, whatever range is asked; the highest does not change.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 5);
    j.delete(pid, 3);
    assertEquals(range(4, 5), seqs(j.replayAll(pid)));
    assertEquals(range(4, 4), seqs(j.replay(pid, 1, 4, Long.MAX_VALUE)));
    assertEquals(5, j.highestSequenceNr(pid));
    j.delete(pid, 2); // a lower bound than before changes nothing
    assertEquals(range(4, 5), seqs(j.replayAll(pid)));
  }

  @Test
  void theHighestSequenceNumberSurvivesDeletingEverything() {
    // Deleting past the end leaves no events, but the highest sequence number stays, so a restarted
    // persistent actor never reuses a sequence number; later writes are not hidden by the old delete.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 5);
    j.delete(pid, Long.MAX_VALUE);
    assertEquals(List.of(), j.replayAll(pid));
    assertEquals(5, j.highestSequenceNr(pid));
    j.write(pid, 6, 2);
    assertEquals(range(6, 7), seqs(j.replayAll(pid)));
    assertEquals(7, j.highestSequenceNr(pid));
  }

  @Test
  void anAtomicWriteIsStoredWhole() {
    // The events of one AtomicWrite are replayed together, in order, among single writes.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 1);
    j.writeAtomic(pid, 2, 4);
    j.write(pid, 6, 1);
    assertEquals(range(1, 6), seqs(j.replayAll(pid)));
    assertEquals(range(3, 4), seqs(j.replay(pid, 3, 4, Long.MAX_VALUE)));
    j.delete(pid, 3); // a delete inside the AtomicWrite hides only the events up to it
    assertEquals(range(4, 6), seqs(j.replayAll(pid)));
  }

  @Test
  void manyPersistenceIdsInterleaved() {
    // Writes of many persistence ids, sent at once from several writers, each come back complete and in order.
    List<JournalClient> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) clients.add(new JournalClient(kit));
    List<String> pids = new ArrayList<>();
    for (int p = 0; p < 32; p++) pids.add(newPersistenceId());
    int rounds = 20;
    for (int round = 0; round < rounds; round++) {
      for (int c = 0; c < clients.size(); c++) {
        List<List<PersistentRepr>> writes = new ArrayList<>();
        for (int p = c; p < pids.size(); p += clients.size()) {
          writes.add(List.of(clients.get(c).event(pids.get(p), round + 1, "e" + round)));
        }
        clients.get(c).send(writes);
      }
    }
    for (int round = 0; round < rounds; round++) {
      for (JournalClient c : clients) assertAllSucceeded(c.expectWritten(pids.size() / clients.size()), pids.size() / clients.size());
    }
    JournalClient reader = clients.get(0);
    for (String pid : pids) {
      List<PersistentRepr> replayed = reader.replayAll(pid);
      assertEquals(range(1, rounds), seqs(replayed), pid);
      assertEquals("e" + (rounds - 1), replayed.get(rounds - 1).payload());
    }
  }

  @Test
  void replaysALongHistory() {
    // A history longer than any internal chunk comes back whole and in order, also from its middle.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    for (int b = 0; b < 20; b++) j.writeAtomic(pid, b * 50L + 1, 50);
    j.write(pid, 1001, 200);
    assertEquals(range(1, 1200), seqs(j.replayAll(pid)));
    assertEquals(range(333, 1111), seqs(j.replay(pid, 333, 1111, Long.MAX_VALUE)));
    assertEquals(range(990, 1016), seqs(j.replay(pid, 990, 5000, 27)));
  }

  @Test
  void rejectsAnEventItCannotSerializeAndGoesOn() {
    // An event without a serializer is rejected (the actor may go on), and nothing of it is stored.
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.write(pid, 1, 1);
    j.send(List.of(List.of(j.event(pid, 2, new Object() {}))));
    List<Object> replies = j.expectWritten(1);
    assertTrue(replies.stream().anyMatch(r -> r instanceof JournalProtocol.WriteMessageRejected), "replies: " + replies);
    j.write(pid, 3, 1);
    assertEquals(List.of(1L, 3L), seqs(j.replayAll(pid)));
  }

  @Test
  void keepsMetadata() {
    // Metadata written with an event is replayed with it.
    assumeTrue(supportsMetadata());
    JournalClient j = new JournalClient(kit);
    String pid = newPersistenceId();
    j.send(List.of(List.of(j.event(pid, 1, "payload").withMetadata("meta-1"))));
    assertAllSucceeded(j.expectWritten(1), 1);
    PersistentRepr replayed = j.replayAll(pid).get(0);
    assertEquals("payload", replayed.payload());
    assertEquals("meta-1", replayed.metadata().get());
  }

  @Test
  void survivesARestartOfTheActorSystem(@TempDir Path dir) {
    // Writes and deletes acknowledged before the system stopped are all there after a restart on the same data.
    assumeTrue(supportsRestart());
    String a = newPersistenceId();
    String b = newPersistenceId();
    ActorTestKit first = startSystem(dir, "restart1");
    try {
      JournalClient j = new JournalClient(first);
      j.write(a, 1, 10);
      j.writeAtomic(b, 1, 5);
      j.delete(a, 4);
      j.delete(b, Long.MAX_VALUE);
    } finally {
      first.shutdownTestKit();
    }
    ActorTestKit second = startSystem(dir, "restart2");
    try {
      JournalClient j = new JournalClient(second);
      assertEquals(range(5, 10), seqs(j.replayAll(a)));
      assertEquals(10, j.highestSequenceNr(a));
      assertEquals(List.of(), j.replayAll(b));
      assertEquals(5, j.highestSequenceNr(b));
      j.write(b, 6, 1);
      assertEquals(range(6, 6), seqs(j.replayAll(b)));
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void anEventSourcedBehaviorRecoversItsStateAfterARestart(@TempDir Path dir) {
    // A persistent actor's acknowledged events rebuild its state in a new actor system.
    assumeTrue(supportsRestart());
    String pid = newPersistenceId();
    ActorTestKit first = startSystem(dir, "esb1");
    try {
      TestProbe<List<String>> probe = first.createTestProbe();
      var actor = first.spawn(EventLogBehavior.create(pid));
      for (int i = 0; i < 20; i++) actor.tell(new EventLogBehavior.Append("e" + i, probe.ref()));
      for (int i = 0; i < 20; i++) probe.receiveMessage(TIMEOUT);
    } finally {
      first.shutdownTestKit();
    }
    ActorTestKit second = startSystem(dir, "esb2");
    try {
      TestProbe<List<String>> probe = second.createTestProbe();
      var actor = second.spawn(EventLogBehavior.create(pid));
      actor.tell(new EventLogBehavior.Append("last", probe.ref()));
      List<String> state = probe.receiveMessage(TIMEOUT);
      assertEquals(21, state.size());
      assertEquals("e0", state.get(0));
      assertEquals("last", state.get(20));
    } finally {
      second.shutdownTestKit();
    }
  }
}
