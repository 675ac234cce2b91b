package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Log replication on real servers over a simulated network: the lab suite's agreement scenarios. */
class AgreementScenariosTest {

  private static final Duration ELECTION_WAIT = Duration.ofSeconds(5);

  private static List<String> followersOf(SimCluster c, String leader) {
    List<String> out = new ArrayList<>(c.members());
    out.remove(leader);
    return out;
  }

  @Test
  void basicAgreement() {
    // Commands submitted to the leader are applied by every member, in order, each acknowledged with its position.
    try (SimCluster c = SimCluster.start(3, 11)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      for (int i = 1; i <= 3; i++) {
        ReplyBox reply = c.submit(leader, "cmd-" + i);
        assertTrue(c.advanceUntil(() -> reply.first() != null, Duration.ofSeconds(2)), "no reply to cmd-" + i);
        // the (2i-1)th command, at index 2i + 1: the leader's no-op holds index 1, and the configuration entry
        // recording the members' replica ids (appended once the no-op committed) index 2
        assertEquals(new ClientReply.Applied((long) (2 * i - 1), 2 * i + 1), reply.first());
        c.one("after-" + i, 3, false);
      }
      assertEquals(List.of("cmd-1", "after-1", "cmd-2", "after-2", "cmd-3", "after-3"), c.checker.applied("node-1"));
      c.checker.assertSafe();
    }
  }

  @Test
  void agreementDespiteFailedFollower() {
    // A group of three keeps agreeing with one follower cut off, and the follower catches up when it returns.
    try (SimCluster c = SimCluster.start(3, 12)) {
      c.one("a", 3, false);
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      String follower = followersOf(c, leader).get(0);
      c.network.isolate(follower);
      c.one("b", 2, false);
      c.one("c", 2, false);
      c.advance(Duration.ofSeconds(2));
      c.one("d", 2, false);
      c.network.reconnect(follower);
      c.one("e", 3, true);
      c.one("f", 3, true);
      assertEquals(List.of("a", "b", "c", "d", "e", "f"), c.checker.applied(follower));
      c.checker.assertSafe();
    }
  }

  @Test
  void noAgreementWithoutQuorum() {
    // With three of five members cut off, nothing commits; when they return, the group agrees again.
    try (SimCluster c = SimCluster.start(5, 13)) {
      c.one("first", 5, false);
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      List<String> followers = followersOf(c, leader);
      followers.subList(0, 3).forEach(c.network::isolate);
      ReplyBox reply = c.submit(leader, "not-committed");
      c.advance(Duration.ofSeconds(2));
      assertEquals(0, c.checker.appliedBy("not-committed"), "committed without a quorum");
      // check-quorum: the leader steps down and answers that the outcome is unknown
      assertInstanceOf(ClientReply.NoQuorum.class, reply.first());
      followers.subList(0, 3).forEach(c.network::reconnect);
      c.one("after", 5, true);
      c.checker.assertSafe();
    }
  }

  @Test
  void concurrentSubmits() {
    // Many commands submitted at once to the leader are all committed, each at its own position.
    try (SimCluster c = SimCluster.start(3, 14)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      List<String> commands = new ArrayList<>();
      for (int i = 0; i < 50; i++) commands.add("concurrent-" + i);
      List<ReplyBox> replies = c.submitAll(leader, commands);
      assertTrue(c.advanceUntil(() -> replies.stream().allMatch(r -> r.first() != null), Duration.ofSeconds(3)));
      Set<Long> positions = new java.util.HashSet<>();
      for (ReplyBox r : replies) positions.add((Long) ((ClientReply.Applied) r.first()).result());
      assertEquals(50, positions.size(), "every command got its own position");
      assertTrue(c.advanceUntil(() -> c.checker.applied("node-1").size() == 50
          && c.checker.applied("node-2").size() == 50 && c.checker.applied("node-3").size() == 50, Duration.ofSeconds(2)));
      c.checker.assertSafe();
    }
  }

  @Test
  void rejoinOfPartitionedLeader() {
    // A leader cut off accepts commands that never commit; after it rejoins, the new leader's log wins.
    try (SimCluster c = SimCluster.start(3, 15)) {
      c.one("101", 3, true);
      String leader1 = c.awaitOneLeader(ELECTION_WAIT);
      c.network.isolate(leader1);
      c.submit(leader1, "102");
      c.submit(leader1, "103");
      c.submit(leader1, "104");
      c.one("103-new", 2, true);
      String leader2 = c.awaitOneLeader(ELECTION_WAIT);
      c.network.isolate(leader2);
      c.network.reconnect(leader1);
      c.one("104-new", 2, true);
      c.network.reconnect(leader2);
      c.one("105", 3, true);
      for (String m : c.members()) {
        assertFalse(c.checker.applied(m).contains("102"), m + " applied an entry of the cut-off leader");
      }
      c.checker.assertSafe();
    }
  }

  @Test
  void fastBackupOverLongDivergentLogs() {
    // A leader quickly brings followers with long conflicting logs back in line (conflict-term hints).
    try (SimCluster c = SimCluster.start(5, 16)) {
      c.one("start", 5, true);
      String leader1 = c.awaitOneLeader(ELECTION_WAIT);
      List<String> f = followersOf(c, leader1);
      // leader and one follower in a minority: 50 commands that will never commit
      c.network.partition(Set.of(leader1, f.get(0)), Set.of(f.get(1), f.get(2), f.get(3)));
      for (int i = 0; i < 50; i++) c.submit(leader1, "lost-" + i);
      c.advance(Duration.ofMillis(500));
      // the majority elects a leader and commits 50 commands
      for (int i = 0; i < 50; i++) c.one("maj-" + i, 3, true);
      String leader2 = c.awaitOneLeader(ELECTION_WAIT);
      String other = f.stream().filter(m -> !m.equals(leader2) && !m.equals(f.get(0))).findFirst().orElseThrow();
      // now the new leader loses one follower and accepts 50 more that never commit
      c.network.partition(Set.of(leader2), Set.of(other), Set.of(leader1, f.get(0)), Set.of(f.stream()
          .filter(m -> !m.equals(leader2) && !m.equals(other) && !m.equals(f.get(0))).findFirst().orElseThrow()));
      for (int i = 0; i < 50; i++) c.submit(leader2, "lost2-" + i);
      c.advance(Duration.ofMillis(500));
      // the old minority plus the cut-off follower form a majority and commit 50 more
      Set<String> newMajority = new java.util.HashSet<>(Set.of(leader1, f.get(0), other));
      c.network.partition(newMajority);
      for (int i = 0; i < 50; i++) c.one("new-" + i, 3, true);
      c.network.heal();
      c.one("end", 5, true);
      for (String m : c.members()) {
        assertFalse(c.checker.applied(m).stream().anyMatch(s -> s.startsWith("lost")), m + " applied an uncommitted entry");
      }
      c.checker.assertSafe();
    }
  }

  @Test
  void unreliableAgreement() {
    // On a network that drops, delays, reorders and duplicates messages, concurrent commands still all commit.
    try (SimCluster c = SimCluster.start(5, 18)) {
      c.network.setUnreliable(true);
      for (int round = 0; round < 10; round++) {
        String leader = c.awaitOneLeader(ELECTION_WAIT);
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) batch.add("u-" + round + "-" + i);
        c.submitAll(leader, batch);
        c.one("u-" + round, 1, true);
      }
      c.network.setUnreliable(false);
      c.one("final", 5, true);
      c.checker.assertSafe();
    }
  }

  @Test
  void oversizedAndMalformedCommandsAreRejectedClearly() {
    // A command over the size limit, or one that cannot be deserialized, is refused by the leader before it
    // is appended (a committed command no replica can read would stop them all); neither disturbs the
    // commands around them.
    try (SimCluster c = SimCluster.start(3, 19, "pekko-raft.client.request-bytes-max = 2 KiB")) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      ReplyBox big = c.submit(leader, "x".repeat(4096));
      c.settle();
      assertInstanceOf(ClientReply.Rejected.class, big.first());
      assertTrue(((ClientReply.Rejected) big.first()).reason().contains("request-bytes-max"), big.first().toString());

      ReplyBox garbage = c.submitBytes(leader, new byte[] {(byte) 0xff, 0x13, 0x37});
      assertTrue(c.advanceUntil(() -> garbage.first() != null, Duration.ofSeconds(1)));
      assertInstanceOf(ClientReply.Rejected.class, garbage.first());
      assertTrue(((ClientReply.Rejected) garbage.first()).reason().contains("deserialized"), garbage.first().toString());

      c.one("still-fine", 3, false);
      c.checker.assertSafe();
    }
  }

  @Test
  void aFailedReplicatorIsReplacedAndItsFollowerStillReplicated() {
    // A replicator that fails (here its transport throws once) would leave its follower unreplicated while
    // the leader goes on with the others: the leader starts a fresh one for that follower, and the
    // follower catches up with everything, the command whose send failed included.
    try (SimCluster c = SimCluster.start(3, 23)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      c.one("before", 3, false);
      String follower = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      c.network.failNextSend(leader, follower, io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries.class);
      ReplyBox during = c.submit(leader, "during");
      assertTrue(c.advanceUntil(() -> during.first() != null, Duration.ofSeconds(1)));
      assertInstanceOf(ClientReply.Applied.class, during.first()); // the other follower made the quorum

      c.one("after", 3, false);
      assertEquals(List.of("before", "during", "after"), c.checker.applied(follower));
      assertEquals(Set.of(leader), c.leaders());
      c.checker.assertSafe();
    }
  }

  @Test
  void boundedRpcCount() {
    // Agreement on ten commands costs a bounded number of RPCs: no retry storms, no per-entry messages.
    try (SimCluster c = SimCluster.start(3, 17)) {
      String leader = c.awaitOneLeader(ELECTION_WAIT);
      long electionRpcs = c.network.sent("RequestVote");
      assertTrue(electionRpcs <= 12, "too many RequestVote RPCs for one election: " + electionRpcs);
      Set<String> appendTypes = Set.of("AppendEntries", "AppendEntriesResponse");
      long before = c.network.sentTotal(appendTypes);
      List<ReplyBox> replies = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        replies.add(c.submit(leader, "rpc-" + i));
        c.settle();
      }
      assertTrue(c.advanceUntil(() -> replies.stream().allMatch(r -> r.first() != null), Duration.ofSeconds(1)));
      long used = c.network.sentTotal(appendTypes) - before;
      // at most one AppendEntries and one answer per command per follower
      assertTrue(used <= 10 * 2 * 2, "too many AppendEntries RPCs for 10 commands: " + used);
      c.checker.assertSafe();
    }
  }
}
