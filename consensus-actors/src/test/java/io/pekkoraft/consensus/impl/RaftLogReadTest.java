package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Reading entries back from the journal ({@link RaftLog.Read}) on Pekko's own in-memory journal: reads
 * work on any journal plugin, since they use Pekko Persistence's replay. A read replays in rounds and
 * stops once it has enough; a truncation written after the point it stopped at must still be honoured.
 */
class RaftLogReadTest {

  private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
          + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
          + "pekko.loglevel = WARNING\n").withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private static LogEntry entry(long index, long term) {
    return new LogEntry(index, term, LogEntry.Type.COMMAND, ("e" + index + "@" + term).getBytes());
  }

  /** A log actor with nothing in memory, and the probe that plays its server. */
  private static ActorRef<RaftLog.Command> log(String id, TestProbe<ServerCommand> server) {
    ActorRef<RaftLog.Command> log = KIT.spawn(RaftLog.create(id, "pekko.persistence.journal.inmem",
        "pekko.persistence.no-snapshot-store", 0, server.getRef()));
    server.expectMessageClass(Internal.Recovered.class);
    return log;
  }

  private static void persist(ActorRef<RaftLog.Command> log, TestProbe<ServerCommand> server, long batch, RaftEvent e) {
    log.tell(new RaftLog.Persist(batch, List.of(e), server.getRef()));
    server.expectMessage(new Internal.Persisted(batch));
  }

  @Test
  void aReadThatStoppedBeforeALaterTruncationLeavesOutWhatItRemoved() {
    TestProbe<ServerCommand> server = KIT.createTestProbe();
    ActorRef<RaftLog.Command> log = log("read-truncated", server);
    persist(log, server, 1, new RaftEvent.TermAdvanced(1));
    long batch = 1;
    for (long i = 1; i <= 600; i++) persist(log, server, ++batch, new RaftEvent.EntriesAppended(List.of(entry(i, 1))));
    // Entries from 5 on are replaced by a leader of term 2, 600 events later than their first writing.
    persist(log, server, ++batch, new RaftEvent.TermAdvanced(2));
    persist(log, server, ++batch, new RaftEvent.EntriesTruncated(5));
    List<LogEntry> replacement = new ArrayList<>();
    for (long i = 5; i <= 10; i++) replacement.add(entry(i, 2));
    persist(log, server, ++batch, new RaftEvent.EntriesAppended(replacement));

    TestProbe<RaftLog.ReadResult> reader = KIT.createTestProbe();
    log.tell(new RaftLog.Read(3, 4, 1 << 20, reader.getRef()));
    RaftLog.ReadResult r = reader.expectMessageClass(RaftLog.ReadResult.class);
    assertEquals(3, r.fromIndex());
    assertEquals(1, r.prevTerm());
    assertTrue(!r.entries().isEmpty(), "something was read");
    for (LogEntry e : r.entries()) {
      assertEquals(e.index() < 5 ? 1 : 2, e.term(), "entry " + e.index() + " is the one the log holds now: " + r.entries());
    }

    log.tell(new RaftLog.Read(5, 100, 1 << 20, reader.getRef()));
    RaftLog.ReadResult after = reader.expectMessageClass(RaftLog.ReadResult.class);
    assertEquals(replacement, after.entries(), "the replacing entries, from their own mark");
  }

  @Test
  void aReadIsBoundedInEntriesAndBytesButAlwaysCarriesOneEntry() {
    TestProbe<ServerCommand> server = KIT.createTestProbe();
    ActorRef<RaftLog.Command> log = log("read-bounded", server);
    persist(log, server, 1, new RaftEvent.TermAdvanced(1));
    List<LogEntry> all = new ArrayList<>();
    for (long i = 1; i <= 50; i++) all.add(entry(i, 1));
    persist(log, server, 2, new RaftEvent.EntriesAppended(all));
    TestProbe<RaftLog.ReadResult> reader = KIT.createTestProbe();
    log.tell(new RaftLog.Read(10, 7, 1 << 20, reader.getRef()));
    assertEquals(all.subList(9, 16), reader.expectMessageClass(RaftLog.ReadResult.class).entries());
    log.tell(new RaftLog.Read(10, 100, 1, reader.getRef()));
    assertEquals(List.of(all.get(9)), reader.expectMessageClass(RaftLog.ReadResult.class).entries());
    log.tell(new RaftLog.Read(51, 100, 1 << 20, reader.getRef()));
    assertEquals(List.of(), reader.expectMessageClass(RaftLog.ReadResult.class).entries(), "past the end: nothing");
  }
}
