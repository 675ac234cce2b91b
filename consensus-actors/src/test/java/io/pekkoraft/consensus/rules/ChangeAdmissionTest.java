package io.pekkoraft.consensus.rules;

import static io.pekkoraft.consensus.rules.ChangeAdmission.ANY_CONFIGURATION;
import static io.pekkoraft.consensus.rules.ChangeAdmission.Decision.ACCEPT;
import static io.pekkoraft.consensus.rules.ChangeAdmission.Decision.CHANGE_IN_PROGRESS;
import static io.pekkoraft.consensus.rules.ChangeAdmission.Decision.CONFIGURATION_CHANGED;
import static io.pekkoraft.consensus.rules.ChangeAdmission.Decision.NOT_COMMITTED_IN_TERM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChangeAdmissionTest {

  @Test
  void aLeaderWithACommittedConfigurationAndAnEntryOfItsTermAccepts() {
    // Configuration at 3 committed, the leader's no-op at 5 committed: a change may start.
    assertEquals(ACCEPT, ChangeAdmission.check(3, 5, 5, ANY_CONFIGURATION));
    assertTrue(ACCEPT.accepted());
    assertNull(ACCEPT.rule);
  }

  @Test
  void theBootstrapConfigurationIsIndexZero() {
    // A group still on pekko-raft.members has its configuration at index 0, committed from the start.
    assertEquals(ACCEPT, ChangeAdmission.check(0, 1, 1, 0));
  }

  @Test
  void aNewLeaderRefusesUntilItHasCommittedAnEntryOfItsTerm() {
    // raft-dev 2015: a new leader whose no-op (index 7) is not committed yet refuses, even though the
    // latest configuration (index 3) is committed and the expectation matches.
    ChangeAdmission.Decision d = ChangeAdmission.check(3, 6, 7, 3);
    assertEquals(NOT_COMMITTED_IN_TERM, d);
    assertFalse(d.accepted());
    assertTrue(d.rule.contains("raft-dev 2015"), d.rule);
  }

  @Test
  void theSingleServerBugScenarioIsRefused() {
    // Ongaro's case (raft-dev 2015): group {S1..S4}; S1, leader of term 1, appends C1 = {S1..S5} and
    // replicates it to S5 only, then crashes. S2 wins term 2 under {S1..S4} and at once appends D = {S2..S4}
    // (S1 removed), which commits on S2 and S3; S1 then wins term 3 with S1, S4, S5, a majority of C1, and
    // overwrites the committed D. With the rule, S2 (bootstrap configuration at 0, its no-op of term 2 at
    // index 1, commitIndex 0) may not append D until its no-op commits on a majority of {S1..S4}, after
    // which S1's log is too old to win.
    assertEquals(NOT_COMMITTED_IN_TERM, ChangeAdmission.check(0, 0, 1, ANY_CONFIGURATION));
    assertEquals(ACCEPT, ChangeAdmission.check(0, 1, 1, ANY_CONFIGURATION));
  }

  @Test
  void oneChangeAtATime() {
    // §4.1: the latest configuration entry (index 9) is in effect but not committed (commitIndex 8), so a
    // second change is refused until it commits.
    assertEquals(CHANGE_IN_PROGRESS, ChangeAdmission.check(9, 8, 4, ANY_CONFIGURATION));
    assertTrue(CHANGE_IN_PROGRESS.rule.contains("§4.1"), CHANGE_IN_PROGRESS.rule);
    assertEquals(ACCEPT, ChangeAdmission.check(9, 9, 4, ANY_CONFIGURATION));
  }

  @Test
  void theExpectedConfigurationMustBeTheLatest() {
    // Compare-and-set: a change decided on the configuration at 3 is refused once the latest is at 9.
    assertEquals(CONFIGURATION_CHANGED, ChangeAdmission.check(9, 12, 10, 3));
    assertEquals(CONFIGURATION_CHANGED, ChangeAdmission.check(3, 12, 10, 9));
    assertEquals(ACCEPT, ChangeAdmission.check(9, 12, 10, 9));
  }

  @Test
  void theCompareAndSetIsDecidedOnlyAgainstACommittedConfiguration() {
    // An uncommitted latest configuration may still be truncated, so a mismatch then is "in progress"
    // (retry later), not "changed" (final); likewise before the leader committed in its term.
    assertEquals(CHANGE_IN_PROGRESS, ChangeAdmission.check(9, 8, 4, 3));
    assertEquals(NOT_COMMITTED_IN_TERM, ChangeAdmission.check(9, 8, 10, 3));
  }

  @Test
  void impossibleIndexesAreABrokenCaller() {
    // Negative indexes, a term starting at index 0, or an expectation below -1 cannot come from a leader.
    assertThrows(IllegalStateException.class, () -> ChangeAdmission.check(-1, 5, 5, ANY_CONFIGURATION));
    assertThrows(IllegalStateException.class, () -> ChangeAdmission.check(1, -1, 5, ANY_CONFIGURATION));
    assertThrows(IllegalStateException.class, () -> ChangeAdmission.check(1, 5, 0, ANY_CONFIGURATION));
    assertThrows(IllegalStateException.class, () -> ChangeAdmission.check(1, 5, 5, -2));
  }
}
