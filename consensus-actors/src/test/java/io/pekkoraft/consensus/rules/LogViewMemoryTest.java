package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.LogEntry;
import org.junit.jupiter.api.Test;

/**
 * A log whose entries are held in memory only up to a bound: only durable entries leave, terms and
 * positions stay for every index, and whatever left is said to have left.
 */
class LogViewMemoryTest {

  /** An entry of 1000 payload bytes (1024 counted). */
  private static LogEntry entry(long index, long term) {
    return new LogEntry(index, term, LogEntry.Type.COMMAND, new byte[1000]);
  }

  private static LogView filled(long maxBytes, int n, long durable) {
    LogView log = new LogView(0, 0, maxBytes);
    for (int i = 1; i <= n; i++) log.append(entry(i, i <= 50 ? 1 : 2));
    log.markDurable(durable);
    return log;
  }

  @Test
  void onlyDurableEntriesLeaveMemory() {
    // Entries not yet on disk cannot be read back from the journal, so they stay whatever the bound says.
    LogView log = filled(10 * 1024, 100, 0);
    assertEquals(1, log.tailStart(), "nothing durable: everything stays");
    log.markDurable(60);
    assertEquals(61, log.tailStart(), "the durable entries beyond the bound left");
    assertTrue(log.holds(61) && !log.holds(60));
    log.markDurable(100);
    assertEquals(91, log.tailStart(), "10 entries of 1 KiB fit in 10 KiB");
    assertEquals(10 * 1024, log.bytes());
  }

  @Test
  void termsAndPositionsStayForEntriesThatLeft() {
    // Log matching, the commit rule and conflict hints need the term of any index, not its payload.
    LogView log = filled(0, 100, 100);
    assertEquals(100, log.tailStart(), "a bound of 0 keeps the last entry only");
    assertEquals(1, log.termAt(50));
    assertEquals(2, log.termAt(51));
    assertEquals(51, log.firstIndexOfTermAt(80));
    assertEquals(50, log.lastIndexOfTerm(1));
    assertEquals(100, log.size());
    assertTrue(log.matches(42, 1));
  }

  @Test
  void readingAnEntryThatLeftSaysSo() {
    LogView log = filled(0, 10, 10);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> log.entry(3));
    assertTrue(e.getMessage().contains("journal"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> log.slice(3, 10, 1 << 20));
    assertThrows(IndexOutOfBoundsException.class, () -> log.range(3, 10));
  }

  @Test
  void truncatingBelowTheTailKeepsPositionsRightAndNothingFalselyDurable() {
    // A follower may truncate uncommitted entries that already left memory; what it appends next is
    // not durable until its own write, even though the old entries at those indexes were.
    LogView log = filled(0, 100, 100);
    log.truncateFrom(40);
    assertEquals(39, log.lastIndex());
    assertEquals(40, log.tailStart(), "nothing of the new suffix in memory yet");
    for (int i = 40; i <= 45; i++) log.append(entry(i, 3));
    assertEquals(40, log.tailStart(), "the re-appended entries are not durable: they stay");
    assertEquals(3, log.termAt(42));
    assertEquals(1, log.termAt(39));
    assertEquals(40, log.firstIndexOfTermAt(45));
  }

  @Test
  void compactionDropsRunsAndEntriesUpToTheSnapshot() {
    LogView log = filled(1 << 20, 100, 100);
    log.compactTo(60, 2);
    assertEquals(61, log.firstIndex());
    assertEquals(61, log.tailStart());
    assertEquals(2, log.termAt(60));
    assertEquals(-1, log.termAt(59));
    assertEquals(61, log.firstIndexOfTermAt(70));
    assertEquals(40, log.size());
  }

  @Test
  void aCopyHasItsOwnBound() {
    // Recovery collects a tail within the bound and hands the server a copy of it.
    LogView log = filled(1 << 20, 100, 100);
    LogView copy = log.copy(5 * 1024);
    assertEquals(96, copy.tailStart());
    assertEquals(1, log.tailStart(), "the original keeps what it held");
    assertEquals(copy.lastIndex(), log.lastIndex());
    assertEquals(log.termAt(30), copy.termAt(30));
    copy.append(entry(101, 2));
    assertFalse(log.holds(101));
  }
}
