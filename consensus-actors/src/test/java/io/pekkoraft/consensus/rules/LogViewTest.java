package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.persistence.LogEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogViewTest {

  private static LogEntry entry(long index, long term) {
    return new LogEntry(index, term, LogEntry.Type.COMMAND, new byte[] {(byte) index, (byte) term});
  }

  private static LogEntry entry(long index, long term, int payloadBytes) {
    return new LogEntry(index, term, LogEntry.Type.COMMAND, new byte[payloadBytes]);
  }

  /** A log whose entry at index i (from 1) has term terms[i - 1]. */
  private static LogView logOfTerms(long... terms) {
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) entries.add(entry(i + 1, terms[i]));
    return new LogView(entries);
  }

  private static List<LogEntry> entries(long fromIndex, long... terms) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) out.add(entry(fromIndex + i, terms[i]));
    return out;
  }

  private static List<Long> indexes(List<LogEntry> entries) {
    return entries.stream().map(LogEntry::index).toList();
  }

  // ---- the empty log and append

  @Test
  void anEmptyLogEndsAtTheSentinel() {
    // An empty log has lastIndex 0 and lastTerm 0, the sentinel every AppendEntries with prevLogIndex 0 matches.
    LogView log = new LogView();
    assertEquals(1, log.firstIndex());
    assertEquals(0, log.lastIndex());
    assertEquals(0, log.lastTerm());
    assertEquals(0, log.size());
    assertEquals(0, log.bytes());
    assertTrue(log.matches(0, 0));
    assertFalse(log.matches(1, 1));
  }

  @Test
  void appendGrowsTheLog() {
    // Appending the next index in order extends the log and its byte count.
    LogView log = new LogView();
    log.append(entry(1, 1));
    log.append(entry(2, 1));
    log.append(entry(3, 2));
    assertEquals(3, log.lastIndex());
    assertEquals(2, log.lastTerm());
    assertEquals(3, log.size());
    assertEquals(3 * (2 + 24), log.bytes());
    assertEquals(entry(2, 1), log.entry(2));
  }

  @Test
  void appendRejectsAGap() {
    // A gap in the log is a broken invariant: the node must stop, not carry on.
    LogView log = logOfTerms(1, 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.append(entry(4, 1)));
    assertTrue(e.getMessage().contains("gap"), e.getMessage());
    assertEquals(2, log.lastIndex());
  }

  @Test
  void appendRejectsAnIndexAlreadyInTheLog() {
    // Appending at an index already held (instead of after the last) is also a gap in the other direction.
    LogView log = logOfTerms(1, 1);
    assertThrows(IllegalStateException.class, () -> log.append(entry(2, 1)));
    assertThrows(IllegalStateException.class, () -> new LogView().append(entry(2, 1)));
  }

  @Test
  void appendRejectsATermGoingDown() {
    // Terms never decrease along a log; an entry with a lower term than the last is refused.
    LogView log = logOfTerms(1, 3);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.append(entry(3, 2)));
    assertTrue(e.getMessage().contains("term"), e.getMessage());
    assertEquals(2, log.lastIndex());
    assertEquals(3, log.lastTerm());
  }

  @Test
  void recoveryRejectsABrokenLog() {
    // The recovering constructor applies the same invariants as append.
    assertThrows(IllegalStateException.class, () -> new LogView(List.of(entry(1, 1), entry(3, 1))));
    assertThrows(IllegalStateException.class, () -> new LogView(List.of(entry(1, 2), entry(2, 1))));
  }

  @Test
  void appendAllAppendsABatchInOrder() {
    // appendAll is append for each entry, in order.
    LogView log = logOfTerms(1);
    log.appendAll(entries(2, 1, 2, 2));
    assertEquals(4, log.lastIndex());
    assertEquals(2, log.lastTerm());
  }

  // ---- termAt and entry

  @Test
  void termAtIsZeroAtTheSentinelAndMinusOneOutside() {
    // termAt(0) is 0; an index before the log or past its end is -1.
    LogView log = logOfTerms(1, 2, 2);
    assertEquals(0, log.termAt(0));
    assertEquals(1, log.termAt(1));
    assertEquals(2, log.termAt(3));
    assertEquals(-1, log.termAt(4));
    assertEquals(-1, log.termAt(-1));
    assertEquals(-1, log.termAt(100));
    assertEquals(0, new LogView().termAt(0));
    assertEquals(-1, new LogView().termAt(1));
  }

  @Test
  void matchesIsLogMatchingAtAnIndex() {
    // §5.3: prevLogIndex/prevLogTerm match only when our entry there has exactly that term.
    LogView log = logOfTerms(1, 2, 2);
    assertTrue(log.matches(2, 2));
    assertFalse(log.matches(2, 1));
    assertFalse(log.matches(4, 2));
  }

  @Test
  void entryOutsideTheLogThrows() {
    // There is no entry at index 0 or past the end.
    LogView log = logOfTerms(1, 2);
    assertThrows(IndexOutOfBoundsException.class, () -> log.entry(0));
    assertThrows(IndexOutOfBoundsException.class, () -> log.entry(3));
  }

  // ---- truncateFrom

  @Test
  void truncateFromRemovesTheSuffix() {
    // Truncating from an index removes it and everything after, and their bytes.
    LogView log = logOfTerms(1, 1, 2, 2, 3);
    log.truncateFrom(3);
    assertEquals(2, log.lastIndex());
    assertEquals(1, log.lastTerm());
    assertEquals(2 * (2 + 24), log.bytes());
    assertEquals(-1, log.termAt(3));
    log.append(entry(3, 4));
    assertEquals(4, log.lastTerm());
  }

  @Test
  void truncateFromTheFirstIndexEmptiesTheLog() {
    // Truncating from index 1 leaves the empty log with the sentinel.
    LogView log = logOfTerms(1, 2);
    log.truncateFrom(1);
    assertEquals(0, log.lastIndex());
    assertEquals(0, log.lastTerm());
    assertEquals(0, log.bytes());
  }

  @Test
  void truncateFromTheLastIndexRemovesOneEntry() {
    // Truncating from lastIndex drops exactly the last entry.
    LogView log = logOfTerms(1, 2, 3);
    log.truncateFrom(3);
    assertEquals(2, log.lastIndex());
  }

  @Test
  void truncateFromOutsideTheLogThrows() {
    // Truncating at the sentinel or past the end is a programmer error.
    LogView log = logOfTerms(1, 2);
    assertThrows(IllegalStateException.class, () -> log.truncateFrom(0));
    assertThrows(IllegalStateException.class, () -> log.truncateFrom(3));
    assertEquals(2, log.lastIndex());
  }

  // ---- slice

  @Test
  void sliceIsBoundedByCount() {
    // At most maxEntries entries travel in one AppendEntries.
    LogView log = logOfTerms(1, 1, 1, 1, 1);
    assertEquals(List.of(2L, 3L), indexes(log.slice(2, 2, Long.MAX_VALUE)));
    assertEquals(List.of(4L, 5L), indexes(log.slice(4, 10, Long.MAX_VALUE)));
  }

  @Test
  void sliceIsBoundedByBytes() {
    // Entries are added while the batch stays within maxBytes.
    LogView log = new LogView(List.of(entry(1, 1, 76), entry(2, 1, 76), entry(3, 1, 76), entry(4, 1, 76)));
    // Each entry counts 76 + 24 = 100 bytes.
    assertEquals(List.of(1L, 2L), indexes(log.slice(1, 10, 250)));
    assertEquals(List.of(1L, 2L, 3L), indexes(log.slice(1, 10, 300)));
    assertEquals(List.of(1L, 2L), indexes(log.slice(1, 10, 299)));
  }

  @Test
  void sliceAlwaysCarriesAtLeastOneEntry() {
    // A single entry larger than maxBytes still moves, alone, so replication never gets stuck.
    LogView log = new LogView(List.of(entry(1, 1, 5000), entry(2, 1, 1)));
    assertEquals(List.of(1L), indexes(log.slice(1, 10, 100)));
    assertEquals(List.of(2L), indexes(log.slice(2, 10, 1)));
  }

  @Test
  void aLargeEntryAfterSmallOnesWaitsForTheNextBatch() {
    // A large entry does not ride along with smaller ones that already filled part of the budget.
    LogView log = new LogView(List.of(entry(1, 1, 1), entry(2, 1, 5000), entry(3, 1, 1)));
    assertEquals(List.of(1L), indexes(log.slice(1, 10, 1000)));
    assertEquals(List.of(2L), indexes(log.slice(2, 10, 1000)));
  }

  @Test
  void slicePastTheEndIsEmpty() {
    // A follower that has everything gets an empty batch (a heartbeat).
    LogView log = logOfTerms(1, 1);
    assertEquals(List.of(), log.slice(3, 10, 1000));
    assertEquals(List.of(), log.slice(10, 10, 1000));
  }

  @Test
  void sliceBeforeTheFirstIndexThrows() {
    // Index 0 is the sentinel, not an entry.
    LogView log = logOfTerms(1);
    assertThrows(IllegalArgumentException.class, () -> log.slice(0, 10, 1000));
  }

  @Test
  void sliceIsAnImmutableCopy() {
    // A slice sent to a replicator is not changed by later truncation of the log.
    LogView log = logOfTerms(1, 1, 1);
    List<LogEntry> slice = log.slice(1, 10, Long.MAX_VALUE);
    log.truncateFrom(1);
    assertEquals(List.of(1L, 2L, 3L), indexes(slice));
    assertThrows(UnsupportedOperationException.class, () -> slice.add(entry(4, 1)));
  }

  // ---- merge

  @Test
  void mergeOfEntriesAlreadyHeldChangesNothing() {
    // §5.3: a delayed or duplicated AppendEntries whose entries we hold with the same terms truncates nothing.
    LogView log = logOfTerms(1, 1, 2, 2, 2);
    LogView.Merge m = log.merge(entries(2, 1, 2));
    assertEquals(-1, m.truncateFrom());
    assertEquals(List.of(), m.toAppend());
  }

  @Test
  void mergeOfAnOldShortBatchDoesNotCutNewerEntries() {
    // An old AppendEntries carrying a prefix of what we hold must not shorten the log.
    LogView log = logOfTerms(1, 1, 1, 1, 1);
    LogView.Merge m = log.merge(entries(1, 1));
    assertEquals(-1, m.truncateFrom());
    assertTrue(m.toAppend().isEmpty());
  }

  @Test
  void mergeAppendsNewEntriesAfterTheHeldOnes() {
    // Entries past our end are new; entries we already hold are skipped.
    LogView log = logOfTerms(1, 1, 2);
    LogView.Merge m = log.merge(entries(2, 1, 2, 2, 3));
    assertEquals(-1, m.truncateFrom());
    assertEquals(List.of(4L, 5L), indexes(m.toAppend()));
  }

  @Test
  void mergeIntoAnEmptyLogAppendsEverything() {
    // An empty follower takes the whole batch.
    LogView.Merge m = new LogView().merge(entries(1, 1, 1));
    assertEquals(-1, m.truncateFrom());
    assertEquals(List.of(1L, 2L), indexes(m.toAppend()));
  }

  @Test
  void mergeFindsTheConflictAtTheRightIndex() {
    // §5.3: the first entry with a different term is where the follower truncates; it and what follows are new.
    LogView log = logOfTerms(1, 1, 2, 2, 2);
    LogView.Merge m = log.merge(entries(2, 1, 3, 3, 3, 3));
    assertEquals(3, m.truncateFrom());
    assertEquals(List.of(3L, 4L, 5L, 6L), indexes(m.toAppend()));
    assertEquals(List.of(3L, 3L, 3L, 3L), m.toAppend().stream().map(LogEntry::term).toList());
  }

  @Test
  void mergeConflictAtTheLastIndex() {
    // A conflict at our very last entry truncates just that entry.
    LogView log = logOfTerms(1, 1, 2);
    LogView.Merge m = log.merge(entries(3, 3));
    assertEquals(3, m.truncateFrom());
    assertEquals(List.of(3L), indexes(m.toAppend()));
  }

  @Test
  void mergeOfAnEmptyBatchChangesNothing() {
    // A heartbeat carries no entries and merges to nothing.
    LogView.Merge m = logOfTerms(1, 2).merge(List.of());
    assertEquals(-1, m.truncateFrom());
    assertTrue(m.toAppend().isEmpty());
  }

  @Test
  void applyingAMergeYieldsTheLeadersLog() {
    // Truncating at truncateFrom and appending toAppend makes the follower's log equal the leader's.
    LogView follower = logOfTerms(1, 1, 2, 2, 2);
    List<LogEntry> fromLeader = entries(2, 1, 3, 3);
    LogView.Merge m = follower.merge(fromLeader);
    if (m.truncateFrom() != -1) follower.truncateFrom(m.truncateFrom());
    follower.appendAll(m.toAppend());
    assertEquals(4, follower.lastIndex());
    assertEquals(List.of(1L, 1L, 3L, 3L), follower.range(1, 4).stream().map(LogEntry::term).toList());
  }

  // ---- conflict hint

  @Test
  void firstIndexOfTermAtFindsTheStartOfTheRun() {
    // The follower's conflict hint is the first index of the term at prevLogIndex.
    LogView log = logOfTerms(1, 1, 2, 2, 2, 4, 4);
    assertEquals(3, log.firstIndexOfTermAt(5));
    assertEquals(3, log.firstIndexOfTermAt(3));
    assertEquals(1, log.firstIndexOfTermAt(2));
    assertEquals(1, log.firstIndexOfTermAt(1));
    assertEquals(6, log.firstIndexOfTermAt(7));
  }

  @Test
  void lastIndexOfTermFindsTheEndOfTheRun() {
    // The leader looks up the last entry of the follower's conflict term, -1 if it has none.
    LogView log = logOfTerms(1, 1, 2, 2, 2, 4, 4);
    assertEquals(2, log.lastIndexOfTerm(1));
    assertEquals(5, log.lastIndexOfTerm(2));
    assertEquals(-1, log.lastIndexOfTerm(3));
    assertEquals(7, log.lastIndexOfTerm(4));
    assertEquals(-1, log.lastIndexOfTerm(5));
  }

  @Test
  void nextIndexWhenTheFollowerLogIsTooShort() {
    // A follower whose log ends before prevLogIndex answers conflictTerm 0 and its lastIndex + 1: go there.
    LogView leader = logOfTerms(1, 1, 2, 2, 2, 4, 4);
    assertEquals(3, leader.nextIndexAfterReject(0, 3));
  }

  @Test
  void nextIndexWhenTheLeaderHasTheConflictTerm() {
    // The leader holds the follower's conflict term: resume after its own last entry of that term.
    LogView leader = logOfTerms(1, 1, 2, 2, 2, 4, 4);
    // The follower has term 2 from index 3 up to prevLogIndex 7 (say 1 1 2 2 2 2 2); the leader's term 2 ends at 5.
    assertEquals(6, leader.nextIndexAfterReject(2, 3));
  }

  @Test
  void nextIndexWhenTheLeaderLacksTheConflictTerm() {
    // The leader never had the follower's conflict term: skip the follower's whole run, to conflictIndex.
    LogView leader = logOfTerms(1, 1, 2, 2, 2, 4, 4);
    // The follower is 1 1 3 3 3 3 3: term 3 starts at index 3 and the leader has no term-3 entry.
    assertEquals(3, leader.nextIndexAfterReject(3, 3));
  }

  @Test
  void nextIndexIsClampedToTheLeadersLog() {
    // The hint never sends nextIndex below the first index or past the leader's lastIndex + 1.
    LogView leader = logOfTerms(1, 1, 2);
    assertEquals(4, leader.nextIndexAfterReject(0, 10));
    assertEquals(1, leader.nextIndexAfterReject(0, 0));
    assertEquals(1, leader.nextIndexAfterReject(5, 0));
  }

  @Test
  void conflictHintBackupConvergesOnDivergentLogs() {
    // Figure 7 (f): a follower with uncommitted entries of terms 2 and 3 is backed up one term per round trip.
    LogView leader = logOfTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6);
    LogView follower = logOfTerms(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3);
    long next = leader.lastIndex() + 1;
    int rounds = 0;
    while (true) {
      long prev = next - 1;
      if (follower.matches(prev, leader.termAt(prev))) break;
      long conflictTerm = prev > follower.lastIndex() ? 0 : follower.termAt(prev);
      long conflictIndex = prev > follower.lastIndex() ? follower.lastIndex() + 1 : follower.firstIndexOfTermAt(prev);
      next = leader.nextIndexAfterReject(conflictTerm, conflictIndex);
      assertTrue(++rounds <= 3, "too many rounds");
    }
    assertEquals(4, next);
    assertEquals(2, rounds);
  }

  // ---- range

  @Test
  void rangeIncludesBothEnds() {
    // range(from, to) returns the entries from `from` to `to`, both included.
    LogView log = logOfTerms(1, 1, 2, 2);
    assertEquals(List.of(2L, 3L, 4L), indexes(log.range(2, 4)));
    assertEquals(List.of(3L), indexes(log.range(3, 3)));
  }

  @Test
  void anEmptyRange() {
    // from > to is the empty range, even outside the log.
    LogView log = logOfTerms(1, 1);
    assertEquals(List.of(), log.range(3, 2));
    assertEquals(List.of(), log.range(10, 1));
  }

  @Test
  void rangeOutsideTheLogThrows() {
    // A range reaching before the first index or past the last index is an error.
    LogView log = logOfTerms(1, 1, 2);
    assertThrows(IndexOutOfBoundsException.class, () -> log.range(0, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> log.range(2, 4));
  }

  @Test
  void rangeIsAnImmutableCopy() {
    // A range is not changed by later truncation of the log.
    LogView log = logOfTerms(1, 1, 2);
    List<LogEntry> r = log.range(1, 3);
    log.truncateFrom(2);
    assertEquals(3, r.size());
    assertThrows(UnsupportedOperationException.class, () -> r.remove(0));
  }

}
