package io.pekkoraft.testkit.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.persistence.RaftEvent;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.PersistentRepr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal contract, against the segment journal of pekko-raft-persistence. Segments are small (8 KiB), so the suite's
 * writes span many segments and its deletes remove some.
 */
class SegmentJournalContractTest extends JournalContractSuite {

  @Override
  protected Config journalConfig(Path dir) {
    return ConfigFactory.parseString("pekko-raft.journal.segment-size = 8 KiB")
        .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(dir.toString()));
  }

  @Override
  protected String journalPluginId() {
    return "pekko-raft.journal";
  }

  @Test
  void raftEventsGoThroughKryoAndSurviveARestart(@TempDir Path dir) {
    // The events the Raft log persists (Kryo, serializer 4242) are stored and read back equal, as one
    // AtomicWrite of term and vote, after a restart.
    String pid = newPersistenceId();
    List<Object> events = List.of(new RaftEvent.TermAdvanced(7), new RaftEvent.VoteCast(7, "node-2"));
    ActorTestKit first = startSystem(dir, "kryo1");
    try {
      JournalClient j = new JournalClient(first);
      j.send(List.of(List.of(j.event(pid, 1, events.get(0)), j.event(pid, 2, events.get(1)))));
      assertAllSucceeded(j.expectWritten(2), 2);
    } finally {
      first.shutdownTestKit();
    }
    ActorTestKit second = startSystem(dir, "kryo2");
    try {
      List<PersistentRepr> replayed = new JournalClient(second).replayAll(pid);
      assertEquals(events, replayed.stream().map(PersistentRepr::payload).toList());
    } finally {
      second.shutdownTestKit();
    }
  }
}
