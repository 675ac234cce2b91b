package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.scenarios.MembershipFaults.addLearner;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.assertAllMembersApplied;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.awaitSimpleCommitted;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.changeAsAClient;
import static io.pekkoraft.consensus.scenarios.MembershipFaults.promote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A changed configuration survives restarts (thesis §4.1: the log, and the snapshot that replaces its
 * prefix, are the authority): after membership changes every node is crashed and started again, and the
 * group has the same configuration and each node the same role; with snapshots taken every few entries the
 * configuration comes from the snapshot, and a learner added after the snapshot point receives it by
 * InstallSnapshot, configuration included, and goes on as a learner and then a voter.
 */
class MembershipRecoveryScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final List<String> NODES = List.of("node-1", "node-2", "node-3", "node-4", "node-5", "node-6");
  private static final String SNAPSHOTS = "pekko-raft.snapshot.every-entries = 5\n"
      + "pekko-raft.snapshot.trailing-entries = 0\n";

  @Test
  void aChangedConfigurationAndEveryRoleSurviveRestartingEveryNode() {
    restartEveryNodeAfterChanges(9701, "", false);
  }

  @Test
  void aChangedConfigurationRecoversFromASnapshotAndALearnerAddedLaterReceivesIt() {
    restartEveryNodeAfterChanges(9702, SNAPSHOTS, true);
  }

  /**
   * Voters node-1..3 become a leader-independent mix: two of them and node-4, node-5 voters through a joint
   * change, the third a learner; then every node restarts. With {@code snapshots}, 20 commands after the last
   * change put a snapshot past every configuration entry, and node-6 joins afterwards.
   */
  private static void restartEveryNodeAfterChanges(long seed, String settings, boolean snapshots) {
    try (SimCluster c = SimCluster.start(3, seed, settings)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("before", 3, true);
      c.startJoining("node-4");
      c.startJoining("node-5");
      addLearner(c, NODES, "node-4");
      addLearner(c, NODES, "node-5");
      promote(c, NODES, "node-4");
      String learner = leader.equals("node-3") ? "node-2" : "node-3";
      Set<String> voters = new TreeSet<>(Set.of("node-1", "node-2", "node-3", "node-4", "node-5"));
      voters.remove(learner);
      voters.remove("node-4".equals(leader) ? "node-5" : "node-1".equals(leader) ? "node-2" : "node-1");
      Membership changed = changeAsAClient(c, NODES, new ConfigurationChange.ChangeVoters(voters, Set.of(learner),
          Map.of()), m -> m.voters().equals(voters) && !m.isJoint(), WAIT);
      for (int i = 0; i < 20; i++) c.one("x" + i, voters.size(), true);
      Membership before = awaitSimpleCommitted(c, NODES, WAIT);
      assertEquals(changed.configurationIndex(), before.configurationIndex());
      List<String> running = NODES.stream().filter(c::isRunning).toList();
      assertTrue(c.advanceUntil(() -> running.stream().allMatch(n -> c.role(n) != RaftRole.CANDIDATE
          && c.role(n) != RaftRole.PRE_CANDIDATE), WAIT));
      Map<String, RaftRole> roles = new HashMap<>();
      for (String n : running) roles.put(n, c.role(n) == RaftRole.LEADER ? RaftRole.FOLLOWER : c.role(n));
      assertEquals(RaftRole.LEARNER, roles.get(learner));

      for (String n : running) c.crash(n);
      for (String n : running) c.restart(n);
      c.awaitOneLeader(WAIT);
      Membership after = awaitSimpleCommitted(c, NODES, WAIT);
      assertEquals(before.voters(), after.voters());
      assertEquals(before.learners(), after.learners());
      c.one("after restart", voters.size(), true);
      after = awaitSimpleCommitted(c, NODES, WAIT);
      assertEquals(before.configurationIndex(), after.configurationIndex(), "no change was made: " + after);
      for (String n : running) {
        RaftRole role = c.role(n);
        assertEquals(roles.get(n), role == RaftRole.LEADER ? RaftRole.FOLLOWER : role, n + "'s role after restart");
        assertTrue(role != RaftRole.LEADER || voters.contains(n), n + " leads without being a voter");
      }
      if (snapshots) {
        for (String n : voters) {
          assertTrue(c.checker.restores(n) >= 1, n + " recovered from its snapshot (restores " + c.checker.restores(n)
              + "): the configuration entries were compacted away");
        }
        // node-6 joins after the snapshot point: the leader's log starts past the entries that made the
        // configuration, so node-6 learns it (and the state) only from the snapshot.
        long installsBefore = c.network.sent("InstallSnapshot");
        c.startJoining("node-6");
        addLearner(c, NODES, "node-6");
        assertTrue(c.advanceUntil(() -> c.checker.applied("node-6").contains("after restart"), WAIT),
            "node-6 caught up: " + c.checker.applied("node-6").size());
        assertTrue(c.network.sent("InstallSnapshot") > installsBefore, "node-6 received a snapshot");
        assertTrue(c.checker.restores("node-6") >= 1, "node-6's state machine was restored from the snapshot");
        assertEquals(RaftRole.LEARNER, c.role("node-6"));
        Membership promoted = promote(c, NODES, "node-6");
        assertTrue(promoted.voters().contains("node-6"));
        assertTrue(c.advanceUntil(() -> c.role("node-6") == RaftRole.FOLLOWER || c.role("node-6") == RaftRole.LEADER,
            WAIT), "node-6 is a voter: " + c.role("node-6"));
        c.one("with node-6", voters.size() + 1, true);
        // node-6 restarts too: its configuration comes from the snapshot it installed and the entries after.
        c.crash("node-6");
        c.restart("node-6");
        c.one("node-6 back", voters.size() + 1, true);
        assertEquals(RaftRole.FOLLOWER, c.role("node-6"));
        after = awaitSimpleCommitted(c, NODES, WAIT);
      }
      List<String> acknowledged = new ArrayList<>(List.of("before", "x0", "x19", "after restart"));
      assertAllMembersApplied(c, after, acknowledged);
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }
}
