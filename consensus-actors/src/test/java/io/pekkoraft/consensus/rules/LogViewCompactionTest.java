package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pekkoraft.persistence.LogEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A log that starts after a snapshot: positions, log matching at the snapshot's edge, compaction. */
class LogViewCompactionTest {

  private static List<LogEntry> entries(long from, long to, long term) {
    List<LogEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) out.add(LogEntry.noop(i, term));
    return out;
  }

  @Test
  void logAfterASnapshotAnswersLogMatchingAtItsEdge() {
    // The snapshot's last index and term still match an AppendEntries whose prevLogIndex is that index.
    LogView log = new LogView(10, 2, entries(11, 12, 3));
    assertEquals(11, log.firstIndex());
    assertEquals(10, log.snapshotIndex());
    assertEquals(12, log.lastIndex());
    assertEquals(2, log.termAt(10));
    assertEquals(-1, log.termAt(9), "compacted entries have no term in the log");
    assertEquals(true, log.matches(10, 2));
  }

  @Test
  void compactionKeepsTheEntriesAfterAMatchingSnapshot() {
    // §7: when the log holds the snapshot's last entry, the entries after it are kept.
    LogView log = new LogView(entries(1, 10, 1));
    log.compactTo(6, 1);
    assertEquals(7, log.firstIndex());
    assertEquals(10, log.lastIndex());
    assertEquals(4, log.size());
    assertEquals(1, log.termAt(6));
  }

  @Test
  void compactionToAConflictingSnapshotDiscardsTheWholeLog() {
    // A snapshot whose last entry we do not hold (another term) replaces the whole log.
    LogView log = new LogView(entries(1, 10, 1));
    log.compactTo(8, 4);
    assertEquals(8, log.lastIndex());
    assertEquals(0, log.size());
    assertEquals(4, log.lastTerm());
  }

  @Test
  void compactionNeverGoesBackwards() {
    // Compacting to before the current snapshot is a broken invariant.
    LogView log = new LogView(10, 2, List.of());
    assertThrows(IllegalStateException.class, () -> log.compactTo(5, 1));
  }

  @Test
  void backupBelowTheSnapshotAsksForTheSnapshot() {
    // A follower whose log ends before the leader's first index gets a next index inside the snapshot.
    LogView leader = new LogView(100, 5, entries(101, 120, 6));
    assertEquals(50, leader.nextIndexAfterReject(0, 50));
  }
}
