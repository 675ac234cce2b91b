package io.pekkoraft.consensus.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Where a read of the log must start replaying the journal, and which later truncations it must honour. */
class JournalPositionsTest {

  @Test
  void aReadStartsAtTheLatestMarkAtOrBeforeTheIndex() {
    JournalPositions p = new JournalPositions();
    for (int e = 0; e < 1000; e++) p.onAppend(e + 1, e * 10L + 1, 100); // 1000 events of 10 entries
    assertEquals(1000 / JournalPositions.MARK_EVENTS + 1, p.marks(), "a mark every 256 events");
    assertEquals(1, p.replayFrom(5));
    assertEquals(257, p.replayFrom(2575), "the event of index 2561 (event 257) is the latest mark before 2575");
    assertEquals(-1, p.replayFrom(0), "nothing before the first append");
  }

  @Test
  void aTruncationDropsTheMarksItCutAndForcesAMarkAtTheNextAppend() {
    JournalPositions p = new JournalPositions();
    p.onAppend(1, 1, 10);
    for (int e = 2; e <= 300; e++) p.onAppend(e, e, 10);
    assertEquals(257, p.replayFrom(280));
    p.onTruncate(301, 200); // the mark at index 257 is gone: its entries are no longer in the log
    assertEquals(1, p.replayFrom(280), "the latest mark before 280 that still holds is index 1's");
    p.onAppend(302, 200, 10);
    assertEquals(302, p.replayFrom(280), "the re-appended suffix has its own mark");
    assertEquals(200, p.truncatedAfter(299), "a read that stopped before the truncation must leave 200 on out");
    assertEquals(Long.MAX_VALUE, p.truncatedAfter(301));
  }

  @Test
  void aCompactionKeepsOnlyTheMarkAReadAfterItCanNeed() {
    JournalPositions p = new JournalPositions();
    for (int e = 1; e <= 600; e++) p.onAppend(e, e, 10);
    p.onTruncate(601, 590);
    p.onAppend(602, 590, 10);
    p.onCompact(603, 400, false);
    assertEquals(257, p.replayFrom(401), "the mark at or before the first index after the compaction stays");
    assertEquals(-1, p.replayFrom(100), "marks before it are gone");
    assertEquals(590, p.truncatedAfter(300), "truncations after the oldest kept mark stay");
    p.onCompact(604, 595, true); // a snapshot replaced the whole log
    assertEquals(-1, p.replayFrom(596), "no mark survives a replacement");
    assertTrue(p.truncatedAfter(603) <= 596, "the replacement counts as a truncation after 595");
    p.onAppend(605, 596, 10);
    assertEquals(605, p.replayFrom(596));
  }
}
