package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The log is the authority on who is a member (thesis §4.1): a configuration entry takes effect on a
 * server as soon as it is in its log, a truncated one is rolled back, snapshots and restarts keep it, and
 * {@code pekko-raft.members} only bootstraps a group whose log holds none. A real server ("node-1", and
 * "node-4" where a second one is needed) is driven by the test, which plays the other members. What a
 * server's configuration is shows in its elections: whom it asks for (pre-)votes and how many grants
 * make a quorum.
 */
class ConfigurationLogScenariosTest {

  private static final Set<String> PEERS = Set.of("node-2", "node-3");
  /** The bootstrap three and a fourth voter, node-4, which no simulated member plays: it never answers. */
  private static final Configuration FOUR_VOTERS = Configuration.ofVoters(Set.of("node-1", "node-2", "node-3", "node-4"));

  private static LogEntry configurationEntry(long index, long term, Configuration c) {
    return new LogEntry(index, term, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(c));
  }

  /** Waits for {@code id}'s pre-vote, grants it from {@code voter}; returns the term the pre-vote is for. */
  private static long awaitPreVoteAndGrant(SimCluster c, String id, String voter) {
    assertTrue(c.advanceUntil(() -> c.role(id) == RaftRole.PRE_CANDIDATE, Duration.ofSeconds(5)),
        id + " did not start an election");
    long term = c.term(id) + 1;
    c.sendAs(voter, id, new RequestVoteResponse(term, voter, true, true, 0));
    return term;
  }

  private static void grantPreVote(SimCluster c, String id, String voter, long term) {
    c.sendAs(voter, id, new RequestVoteResponse(term, voter, true, true, 0));
  }

  @Test
  void aFollowerUsesAConfigurationEntryAsSoonAsItIsAppended() {
    // node-2 leads term 1 and appends a configuration of four voters; nothing commits. node-1, its
    // leader gone quiet, needs 3 pre-votes of 4 now: node-3's grant alone (2 of 4) is not enough.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1201, "", PEERS)) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2")
          .entries(LogEntry.noop(1, 1), configurationEntry(2, 1, FOUR_VOTERS)).leaderCommit(0).build());
      long term = awaitPreVoteAndGrant(c, "node-1", "node-3");
      assertEquals(RaftRole.PRE_CANDIDATE, c.role("node-1"),
          "2 pre-votes of 4 voters made a quorum: the appended configuration entry was not in effect");
      grantPreVote(c, "node-1", "node-2", term);
      assertEquals(RaftRole.CANDIDATE, c.role("node-1"), "3 pre-votes of 4 voters are a quorum");
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void truncatingAnUncommittedConfigurationEntryRollsBackToThePreviousConfiguration() {
    // The configuration of four voters from node-2's term 1 is overwritten by node-3, leader of term 2:
    // node-1 is back on the three bootstrap voters, and node-2's grant (2 of 3) elects it.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1202, "", PEERS)) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2")
          .entries(LogEntry.noop(1, 1), configurationEntry(2, 1, FOUR_VOTERS)).leaderCommit(0).build());
      c.sendAs("node-3", "node-1", appendEntries().term(2).from("node-3").prev(1, 1)
          .entries(LogEntry.noop(2, 2)).leaderCommit(0).build());
      awaitPreVoteAndGrant(c, "node-1", "node-2");
      assertEquals(RaftRole.CANDIDATE, c.role("node-1"),
          "2 pre-votes of 3 voters are a quorum: the truncated configuration entry was still in effect");
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aRestartRestoresTheConfigurationOfTheLogNotTheBootstrapOne() {
    // The configuration entry is durable, uncommitted; node-1 crashes and restarts with pekko-raft.members
    // still naming three voters. The log wins: it still needs 3 pre-votes of 4.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1203, "", PEERS)) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2")
          .entries(LogEntry.noop(1, 1), configurationEntry(2, 1, FOUR_VOTERS)).leaderCommit(0).build());
      c.advance(Duration.ofMillis(10));
      c.crash("node-1");
      c.restart("node-1");
      long term = awaitPreVoteAndGrant(c, "node-1", "node-3");
      assertEquals(RaftRole.PRE_CANDIDATE, c.role("node-1"),
          "after a restart 2 pre-votes made a quorum: the bootstrap configuration replaced the log's");
      grantPreVote(c, "node-1", "node-2", term);
      assertEquals(RaftRole.CANDIDATE, c.role("node-1"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aSnapshotTakenPastTheConfigurationEntryKeepsTheConfigurationAcrossARestart() {
    // node-1 commits a configuration of four voters, snapshots and compacts its log past the entry; after
    // a restart only the snapshot holds the configuration: node-2's pre-vote (2 of 4) is no quorum, as it
    // would be with the three bootstrap voters, and node-3's makes one.
    String settings = "pekko-raft.snapshot.every-entries = 5\npekko-raft.snapshot.trailing-entries = 0\n";
    try (SimCluster c = SimCluster.startWithPuppets(3, 1205, settings, PEERS)) {
      List<LogEntry> log = new ArrayList<>();
      log.add(LogEntry.noop(1, 1));
      log.add(configurationEntry(2, 1, FOUR_VOTERS));
      for (long i = 3; i <= 10; i++) log.add(LogEntry.noop(i, 1));
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 0, 0, List.copyOf(log), 10, 1));
      c.advance(Duration.ofMillis(50)); // applied, snapshotted at 10, compacted to 10
      c.crash("node-1");
      c.restart("node-1");
      long term = awaitPreVoteAndGrant(c, "node-1", "node-2");
      assertEquals(RaftRole.PRE_CANDIDATE, c.role("node-1"),
          "2 pre-votes made a quorum after the restart: the configuration was lost with the compacted entry");
      grantPreVote(c, "node-1", "node-3", term);
      assertEquals(RaftRole.CANDIDATE, c.role("node-1"));
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aSnapshotCarriesTheConfigurationAcrossInstallSnapshotAndARestart() {
    // Four bootstrap voters; node-2 (leader of term 1) appends a configuration without node-3, then
    // commits 10 entries on node-1, which snapshots them and compacts its log past the configuration
    // entry. node-1 is elected on that configuration (2 of 3), replicates to node-2 and node-4 only, and
    // sends node-4, which was cut off all along, its snapshot: the configuration reaches node-4 in the
    // snapshot alone. node-4 then campaigns on it, before and after a restart: it asks node-1 and node-2,
    // never node-3, and node-2's pre-vote is a quorum.
    String settings = "pekko-raft.snapshot.every-entries = 5\npekko-raft.snapshot.trailing-entries = 0\n";
    try (SimCluster c = SimCluster.startWithPuppets(4, 1204, settings, PEERS)) {
      c.network.isolate("node-4");
      Configuration withoutNode3 = Configuration.ofVoters(Set.of("node-1", "node-2", "node-4"));
      List<LogEntry> log = new ArrayList<>();
      log.add(LogEntry.noop(1, 1));
      log.add(configurationEntry(2, 1, withoutNode3));
      for (long i = 3; i <= 10; i++) log.add(LogEntry.noop(i, 1));
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 0, 0, List.copyOf(log), 10, 1));
      c.advance(Duration.ofMillis(50)); // applied, snapshotted at 10, compacted to 10
      long term = c.electWithPuppetVote("node-1", "node-2");
      c.advance(Duration.ofMillis(200));
      assertTrue(c.inbox("node-3", Heartbeat.class).stream().noneMatch(h -> h.term() == term)
              && c.inbox("node-3", AppendEntries.class).stream().noneMatch(a -> a.term() == term),
          "the leader replicates to node-3, which its log's configuration removed");
      assertTrue(c.inbox("node-2", Heartbeat.class).stream().anyMatch(h -> h.term() == term));
      c.network.reconnect("node-4");
      assertTrue(c.advanceUntil(() -> c.network.sent("InstallSnapshot") > 0 && c.term("node-4") == term,
          Duration.ofSeconds(5)), "node-4 was not sent the snapshot");
      c.advance(Duration.ofMillis(200)); // installed, and the leader's no-op after it appended
      for (int round = 0; round < 2; round++) {
        if (round == 1) {
          c.crash("node-4");
          c.restart("node-4");
        } else {
          c.crash("node-1");
        }
        int asked = c.inbox("node-3", RequestVote.class).size();
        long preVoteTerm = awaitPreVoteAndGrant(c, "node-4", "node-2");
        assertEquals(RaftRole.CANDIDATE, c.role("node-4"), "round " + round
            + ": 2 pre-votes of 3 voters are a quorum, but node-4 is not on the snapshot's configuration");
        assertEquals(asked, c.inbox("node-3", RequestVote.class).size(),
            "round " + round + ": node-4 asked node-3 for its vote in term " + preVoteTerm
                + ": the snapshot's configuration removed it");
      }
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }
}
