package io.pekkoraft.consensus.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigurationLogTest {

  private static final Configuration THREE = Configuration.ofVoters(Set.of("a", "b", "c"));
  private static final Configuration FOUR = Configuration.ofVoters(Set.of("a", "b", "c", "d"));
  private static final Configuration FIVE = Configuration.ofVoters(Set.of("a", "b", "c", "d", "e"));

  @Test
  void anAppendedEntryTakesEffectBeforeItCommits() {
    // Thesis §4.1: a server uses the latest configuration in its log, committed or not.
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(4, FOUR);
    assertEquals(FOUR, log.latest());
    assertEquals(4, log.latestIndex());
    assertEquals(THREE, log.committed());
    assertEquals(0, log.committedIndex());
    assertFalse(log.latestCommitted());
    log.onCommit(4);
    assertEquals(FOUR, log.committed());
    assertTrue(log.latestCommitted());
  }

  @Test
  void truncatingAnUncommittedEntryRollsBackToThePreviousConfiguration() {
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(4, FOUR);
    log.onAppend(6, FIVE);
    assertFalse(log.onTruncate(7), "nothing at or after 7");
    assertTrue(log.onTruncate(5));
    assertEquals(FOUR, log.latest());
    assertTrue(log.onTruncate(2));
    assertEquals(THREE, log.latest());
    assertEquals(0, log.latestIndex());
  }

  @Test
  void aCommittedEntryIsNeverTruncated() {
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(4, FOUR);
    log.onCommit(5);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.onTruncate(3));
    assertTrue(e.getMessage().contains("committed configuration entry at 4"), e.getMessage());
    assertFalse(log.onTruncate(6));
  }

  @Test
  void anEntryIsAppendedOnlyAfterTheLatestOne() {
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(4, FOUR);
    assertThrows(IllegalStateException.class, () -> log.onAppend(4, FIVE));
  }

  @Test
  void atNamesTheConfigurationInEffectAtAnIndex() {
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(4, FOUR);
    log.onAppend(9, FIVE);
    assertEquals(THREE, log.at(3));
    assertEquals(FOUR, log.at(4));
    assertEquals(FOUR, log.at(8));
    assertEquals(9, log.indexAt(20));
  }

  @Test
  void compactionKeepsTheEntryInEffectAtTheCompactionPoint() {
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(4, FOUR);
    log.onAppend(9, FIVE);
    log.onCommit(9);
    log.onCompact(6);
    assertEquals(FOUR, log.at(6));
    assertEquals(Set.of(9L), log.entriesAfterBase().keySet());
    assertThrows(IllegalArgumentException.class, () -> log.at(3));
  }

  @Test
  void aSnapshotReplacesTheLogUpToItsIndexAndKeepsLaterEntries() {
    ConfigurationLog log = new ConfigurationLog(0, THREE);
    log.onAppend(3, FIVE); // uncommitted, of another leader's log: the snapshot replaces it
    log.onAppend(12, FOUR);
    log.onSnapshot(10, 7, FOUR);
    assertEquals(FOUR, log.at(10));
    assertEquals(7, log.indexAt(10));
    assertEquals(12, log.latestIndex());
    assertThrows(IllegalStateException.class, () -> log.onTruncate(5), "the snapshot is committed");
    assertThrows(IllegalArgumentException.class, () -> log.onSnapshot(10, 11, FOUR));
  }
}
