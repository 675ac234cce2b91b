package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Group commit: writes bounded in bytes, "persist, then answer", and the durable index it reports. */
class PersistQueueTest {

  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private static List<LogEntry> entries(long from, long to, long term, int bytes) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(new LogEntry(i, term, LogEntry.Type.COMMAND, new byte[bytes]));
    return out;
  }

  private final TestProbe<RaftLog.Command> log = KIT.createTestProbe();
  private final TestProbe<ServerCommand> server = KIT.createTestProbe();
  private final List<Long> durable = new ArrayList<>();

  private long appendedIn(RaftLog.Persist p) {
    return p.events().stream().filter(e -> e instanceof RaftEvent.EntriesAppended)
        .mapToLong(e -> ((RaftEvent.EntriesAppended) e).entries().size()).sum();
  }

  @Test
  void aWriteNeverExceedsTheBoundAndActionsWaitForTheLastPart() {
    // 10 entries of 1000 bytes (1024 counted) with a bound of 4 KiB: writes of 4, 4 and 2 entries.
    PersistQueue q = new PersistQueue(log.getRef(), server.getRef(), 4 * 1024, 0, durable::add);
    q.add(new RaftEvent.EntriesAppended(entries(1, 10, 1, 1000)));
    boolean[] answered = {false};
    q.afterDurable(() -> answered[0] = true);
    q.flush();
    List<Long> sizes = new ArrayList<>();
    while (sizes.stream().mapToLong(Long::longValue).sum() < 10) {
      RaftLog.Persist p = log.expectMessageClass(RaftLog.Persist.class);
      sizes.add(appendedIn(p));
      assertEquals(false, answered[0], "answered before everything it waited for was durable");
      q.onPersisted(p.batchSeq());
    }
    assertEquals(List.of(4L, 4L, 2L), sizes, "entries per write");
    assertTrue(answered[0]);
    assertEquals(10L, durable.get(durable.size() - 1));
  }

  @Test
  void entriesTruncatedWhileAWriteIsInFlightAreNotReportedDurable() {
    // Entries 90-100 are being written when a new leader truncates them and sends 90-95 anew: the old
    // write's completion must not make the new 90-95 count as durable (they could leave memory unwritten).
    PersistQueue q = new PersistQueue(log.getRef(), server.getRef(), 1 << 20, 0, durable::add);
    q.add(new RaftEvent.EntriesAppended(entries(1, 100, 1, 10)));
    q.flush();
    RaftLog.Persist first = log.expectMessageClass(RaftLog.Persist.class);
    q.add(new RaftEvent.EntriesTruncated(90));
    q.add(new RaftEvent.EntriesAppended(entries(90, 95, 2, 10)));
    q.onPersisted(first.batchSeq());
    assertEquals(List.of(89L), durable, "only what the first write made durable and still stands");
    RaftLog.Persist second = log.expectMessageClass(RaftLog.Persist.class);
    q.onPersisted(second.batchSeq());
    assertEquals(95L, durable.get(durable.size() - 1));
  }

  @Test
  void aTruncationStillQueuedBehindASplitWriteKeepsWhatItReplacesNonDurable() {
    // Entries 51-55 of 1 KiB wait behind a write in flight, then a new leader truncates from 51 and
    // sends 51-52 anew. The next write takes only 51-53 (the bound); when it is stored, the new 51-52
    // are not on disk yet: reporting 53 (or 52) durable would let them leave memory unwritten.
    PersistQueue q = new PersistQueue(log.getRef(), server.getRef(), 3 * 1024, 0, durable::add);
    q.add(new RaftEvent.EntriesAppended(entries(1, 50, 1, 10)));
    q.flush();
    RaftLog.Persist first = log.expectMessageClass(RaftLog.Persist.class);
    q.add(new RaftEvent.EntriesAppended(entries(51, 55, 1, 1000)));
    q.add(new RaftEvent.EntriesTruncated(51));
    q.add(new RaftEvent.EntriesAppended(entries(51, 52, 2, 10)));
    q.onPersisted(first.batchSeq());
    RaftLog.Persist second = log.expectMessageClass(RaftLog.Persist.class);
    assertEquals(3, appendedIn(second), "the write is cut at the bound");
    q.onPersisted(second.batchSeq());
    assertTrue(durable.get(durable.size() - 1) <= 50, "reported durable: " + durable);
    RaftLog.Persist third = log.expectMessageClass(RaftLog.Persist.class);
    q.onPersisted(third.batchSeq());
    assertEquals(52L, durable.get(durable.size() - 1));
  }

  @Test
  void underSteadySplitWritesAnAnswerWaitsOnlyForWhatCameBeforeIt() {
    // An action waits for the events added before it, not for a queue that never empties.
    PersistQueue q = new PersistQueue(log.getRef(), server.getRef(), 2 * 1024, 0, durable::add);
    q.add(new RaftEvent.EntriesAppended(entries(1, 2, 1, 1000)));
    boolean[] answered = {false};
    q.afterDurable(() -> answered[0] = true);
    q.add(new RaftEvent.EntriesAppended(entries(3, 10, 1, 1000)));
    q.flush();
    RaftLog.Persist p = log.expectMessageClass(RaftLog.Persist.class);
    assertEquals(2, appendedIn(p));
    q.onPersisted(p.batchSeq());
    assertTrue(answered[0], "answered once the entries before it were stored, though more are queued");
  }
}
