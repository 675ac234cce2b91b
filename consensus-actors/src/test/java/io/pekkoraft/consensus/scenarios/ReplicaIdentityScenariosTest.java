package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntries;
import static io.pekkoraft.consensus.testing.Rpcs.appendEntriesResponse;
import static io.pekkoraft.consensus.testing.Rpcs.heartbeat;
import static io.pekkoraft.consensus.testing.Rpcs.requestVote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import io.pekkoraft.persistence.RaftEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Identity survives nothing but the disk: each server's disk has a replica id, created with its first
 * journal write and kept across restarts; the leader records its voters' ids in the configuration; a
 * server answering under a member's name from another disk (its own was wiped or replaced) is refused
 * votes, pre-votes and acknowledgements, so it can neither elect a second leader in a term nor count
 * towards a commit. Real servers are driven by the test, which plays the other members.
 */
class ReplicaIdentityScenariosTest {

  private static final Set<String> VOTERS = Set.of("node-1", "node-2", "node-3");

  private static LogEntry configurationEntry(long index, long term, Map<String, Long> replicaIds) {
    Configuration c = new Configuration(VOTERS, Set.of(), Set.of(), Set.of(), Map.of(), replicaIds);
    return new LogEntry(index, term, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(c));
  }

  private static String pid(String member) {
    return RaftServer.persistenceId(SimCluster.GROUP, member);
  }

  /** The replica ids member {@code id}'s journal holds, in order. */
  private static List<Long> replicaIdEvents(SimCluster c, String id) {
    return c.disk.durableEvents(pid(id)).stream()
        .filter(e -> e instanceof RaftEvent.ReplicaIdCreated).map(e -> ((RaftEvent.ReplicaIdCreated) e).replicaId())
        .toList();
  }

  /** The replica id real member {@code id} answers a heartbeat of {@code term} from puppet {@code leader} with. */
  private static long replicaIdOf(SimCluster c, String id, String leader, long term) {
    c.sendAs(leader, id, heartbeat().term(term).from(leader).build());
    List<HeartbeatResponse> answers = c.inbox(leader, HeartbeatResponse.class).stream()
        .filter(r -> r.from().equals(id)).toList();
    assertTrue(!answers.isEmpty(), id + " did not answer the heartbeat");
    return answers.get(answers.size() - 1).replicaId();
  }

  /** The configurations in the CONFIGURATION entries of member {@code id}'s durable journal, in order. */
  private static List<Configuration> journaledConfigurations(SimCluster c, String id) {
    List<Configuration> out = new ArrayList<>();
    for (Object e : c.disk.durableEvents(pid(id))) {
      if (!(e instanceof RaftEvent.EntriesAppended a)) continue;
      for (LogEntry entry : a.entries()) {
        if (entry.type() == LogEntry.Type.CONFIGURATION) out.add(ConfigurationCodec.decode(entry.data()));
      }
    }
    return out;
  }

  @Test
  void aWipedDiskCannotElectASecondLeaderInTheTermItVotedIn() {
    // node-1 (played by the test) leads term 1 and records the replica ids of node-2 and node-3. In term 2
    // node-3 votes for node-1, which leads term 2 with its own vote and node-3's. node-3's disk is then
    // wiped: it restarts with term 0, no vote, and a new replica id. node-2, told by node-1 to take over,
    // campaigns in term 2 and asks node-3, which, having forgotten its vote, grants it. With that vote
    // node-2 would lead term 2 as well: node-2 does not count it, as node-3 answers from another disk.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1301, "", Set.of("node-1"))) {
      long id2 = replicaIdOf(c, "node-2", "node-1", 1);
      long id3 = replicaIdOf(c, "node-3", "node-1", 1);
      LogEntry recorded = configurationEntry(2, 1, Map.of("node-1", 11L, "node-2", id2, "node-3", id3));
      for (String follower : List.of("node-2", "node-3")) {
        c.sendAs("node-1", follower, appendEntries().term(1).from("node-1")
            .entries(LogEntry.noop(1, 1), recorded).leaderCommit(2).build());
      }

      // Term 2: node-3 gives its vote to node-1 (an election node-1 ordered itself, so node-3's contact with
      // node-1 as leader of term 1 does not hold it back).
      c.sendAs("node-1", "node-3", requestVote().term(2).from("node-1").lastLog(2, 1).transfer().replicaId(11).build());
      assertTrue(c.inbox("node-1", RequestVoteResponse.class).stream()
              .anyMatch(r -> r.from().equals("node-3") && r.term() == 2 && r.granted() && !r.preVote()),
          "node-3 did not vote for node-1 in term 2");

      c.crash("node-3");
      c.wipe("node-3");
      c.restart("node-3");
      assertEquals(1, replicaIdEvents(c, "node-3").size());
      long wipedId = replicaIdEvents(c, "node-3").get(0);
      assertNotEquals(id3, wipedId, "a wiped disk must get a new replica id");

      c.sendAs("node-1", "node-2", new TimeoutNow(1, "node-1"));
      assertEquals(2, c.term("node-2"), "node-2 did not campaign in term 2");
      c.advance(Duration.ofMillis(50)); // every vote asked for is answered and counted
      assertNotEquals(RaftRole.LEADER, c.role("node-2"),
          "node-2 leads term 2 with the vote of node-3's wiped disk, though node-3 gave that term's vote to node-1:"
              + " two leaders in term 2");
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void theLeaderRecordsTheReplicaIdOfEveryVoterInTheConfiguration() {
    // Three real servers: once the leader committed an entry of its term and heard from every voter, the
    // configuration in effect on every member records each member's replica id, as its own journal holds it.
    try (SimCluster c = SimCluster.start(3, 1302)) {
      c.awaitOneLeader(Duration.ofSeconds(5));
      c.one("x", 3, true);
      c.advance(Duration.ofMillis(500));
      Map<String, Long> expected = new java.util.TreeMap<>();
      for (String id : VOTERS) {
        assertEquals(1, replicaIdEvents(c, id).size(), id + " holds no replica id, or more than one");
        expected.put(id, replicaIdEvents(c, id).get(0));
      }
      for (String id : VOTERS) {
        List<Configuration> configurations = journaledConfigurations(c, id);
        assertTrue(!configurations.isEmpty(), id + "'s log holds no configuration entry: the leader recorded no replica ids");
        Configuration latest = configurations.get(configurations.size() - 1);
        assertEquals(expected, latest.replicaIds(), id + "'s configuration");
        assertEquals(VOTERS, latest.voters(), "recording replica ids changed the membership");
      }
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  /** Puppet {@code peer} acknowledges the latest AppendEntries the leader sent it, from the disk {@code replicaId}. */
  private static void ackLatest(SimCluster c, String peer, long replicaId) {
    List<AppendEntries> sent = c.inbox(peer, AppendEntries.class);
    AppendEntries last = sent.get(sent.size() - 1);
    c.sendAs(peer, "node-1", appendEntriesResponse().term(last.term()).from(peer)
        .accepted(last.prevLogIndex() + last.entries().size()).seq(last.seq()).replicaId(replicaId).build());
  }

  /** The latest configuration entry the leader sent {@code peer}, or null. */
  private static Configuration latestSentConfiguration(SimCluster c, String peer) {
    Configuration latest = null;
    for (AppendEntries a : c.inbox(peer, AppendEntries.class)) {
      for (LogEntry e : a.entries()) {
        if (e.type() == LogEntry.Type.CONFIGURATION) latest = ConfigurationCodec.decode(e.data());
      }
    }
    return latest;
  }

  @Test
  void aWipedMemberIsAcceptedAgainOnceRemovedAndAddedBack() {
    // node-3 comes back from a wiped disk: refused (the group goes on with two of three). The operator
    // removes it and adds it back as a learner: the leader learns and records its new replica id, it
    // catches up and is promoted, and the three commit together again.
    try (SimCluster c = SimCluster.start(3, 1306)) {
      String leader = c.awaitOneLeader(Duration.ofSeconds(10));
      String wiped = VOTERS.stream().filter(m -> !m.equals(leader)).sorted().findFirst().orElseThrow();
      c.one("before", 3, true);
      assertTrue(c.advanceUntil(() -> journaledConfigurations(c, leader).stream()
          .anyMatch(conf -> conf.replicaIds().size() == 3), Duration.ofSeconds(5)), "the replica ids were recorded");
      long oldId = journaledConfigurations(c, leader).get(journaledConfigurations(c, leader).size() - 1)
          .replicaId(wiped);
      c.crash(wiped);
      c.wipe(wiped);
      c.restart(wiped);
      c.one("while-refused", 2, true);
      c.advance(Duration.ofSeconds(2));
      assertEquals(List.of(), c.checker.applied(wiped), "the wiped member was sent nothing");

      var removed = c.changeMembership(leader, new io.pekkoraft.consensus.protocol.ConfigurationChange.Remove(wiped),
          io.pekkoraft.consensus.protocol.MembershipRequest.ANY_CONFIGURATION);
      assertTrue(c.advanceUntil(removed::isDone, Duration.ofSeconds(5)));
      assertTrue(removed.join() instanceof io.pekkoraft.consensus.protocol.MembershipReply.Changed, "" + removed.join());
      var added = c.changeMembership(leader, new io.pekkoraft.consensus.protocol.ConfigurationChange.AddLearner(wiped, null),
          io.pekkoraft.consensus.protocol.MembershipRequest.ANY_CONFIGURATION);
      assertTrue(c.advanceUntil(added::isDone, Duration.ofSeconds(5)));
      assertTrue(added.join() instanceof io.pekkoraft.consensus.protocol.MembershipReply.Changed, "" + added.join());
      assertTrue(c.advanceUntil(() -> c.checker.applied(wiped).contains("while-refused"), Duration.ofSeconds(10)),
          "the member added back caught up");
      io.pekkoraft.consensus.protocol.MembershipReply promoted = null;
      for (int i = 0; i < 20 && !(promoted instanceof io.pekkoraft.consensus.protocol.MembershipReply.Changed); i++) {
        var p = c.changeMembership(leader, new io.pekkoraft.consensus.protocol.ConfigurationChange.Promote(wiped),
            io.pekkoraft.consensus.protocol.MembershipRequest.ANY_CONFIGURATION);
        assertTrue(c.advanceUntil(p::isDone, Duration.ofSeconds(5)));
        promoted = p.join();
        c.advance(Duration.ofMillis(200));
      }
      assertTrue(promoted instanceof io.pekkoraft.consensus.protocol.MembershipReply.Changed, "" + promoted);
      assertTrue(c.advanceUntil(() -> {
        List<Configuration> confs = journaledConfigurations(c, leader);
        long recorded = confs.get(confs.size() - 1).replicaId(wiped);
        return recorded != 0 && recorded != oldId;
      }, Duration.ofSeconds(5)), "the new replica id was recorded");
      c.crash(VOTERS.stream().filter(m -> !m.equals(leader) && !m.equals(wiped)).findFirst().orElseThrow());
      c.one("after", 2, true); // the leader and the member added back are a majority of three
      assertTrue(c.checker.applied(wiped).contains("after"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  /**
   * node-1 is elected with node-2's vote, and the puppets node-2 (disk 22) and node-3 (disk 33) acknowledge
   * until the leader sent a configuration recording the three replica ids. Returns node-1's term.
   */
  private static long electAndRecordDisks22And33(SimCluster c) {
    long term = c.electWithPuppetVote("node-1", "node-2");
    for (int round = 0; round < 10; round++) {
      Configuration sent = latestSentConfiguration(c, "node-2");
      if (sent != null && sent.replicaIds().size() == 3) break;
      ackLatest(c, "node-2", 22);
      ackLatest(c, "node-3", 33);
      c.advance(Duration.ofMillis(20));
    }
    return term;
  }

  @Test
  void aMemberAnsweringFromAnotherDiskCountsTowardsNoCommitAndIsNoLongerReplicatedTo() {
    // node-1 leads with node-2 (disk 22) and node-3 (disk 33), and records their replica ids. Then node-3
    // acknowledges a command from disk 99: it lost its disk, and what it had acknowledged. Its
    // acknowledgement does not commit the command; node-2's does. The leader stops replicating to node-3.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1303, "", Set.of("node-2", "node-3"))) {
      long term = electAndRecordDisks22And33(c);
      Configuration recorded = latestSentConfiguration(c, "node-2");
      assertTrue(recorded != null && recorded.replicaId("node-2") == 22 && recorded.replicaId("node-3") == 33,
          "the leader did not record the replica ids of node-2 and node-3: " + recorded);
      ackLatest(c, "node-2", 22); // the configuration commits
      c.advance(Duration.ofMillis(20));

      ReplyBox box = c.submit("node-1", "x");
      c.advance(Duration.ofMillis(20));
      ackLatest(c, "node-3", 99);
      c.advance(Duration.ofMillis(100));
      assertEquals(0, c.checker.appliedBy("x"),
          "the acknowledgement of node-3's new disk committed a command it does not hold");
      int toNode3 = c.inbox("node-3", AppendEntries.class).size() + c.inbox("node-3", Heartbeat.class).size();
      c.advance(Duration.ofMillis(500));
      assertEquals(toNode3, c.inbox("node-3", AppendEntries.class).size() + c.inbox("node-3", Heartbeat.class).size(),
          "the leader goes on replicating to node-3, which answers from another disk");

      ackLatest(c, "node-2", 22);
      c.advance(Duration.ofMillis(20));
      assertTrue(box.first() instanceof ClientReply.Applied, "node-2's acknowledgement did not commit: " + box.first());
      assertEquals(RaftRole.LEADER, c.role("node-1"));
      assertEquals(term, c.term("node-1"));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aVoterRefusesAVoteRequestFromAnotherDiskWithoutAdoptingItsTerm() {
    // node-2 (leader of term 1) records node-3's replica id, 33. node-3 asks node-1 for a pre-vote and a
    // vote in term 5 from disk 99: both refused, and node-1 stays in term 1. From disk 33 the same request
    // is granted, so the replica id alone made the difference.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1304, "", Set.of("node-2", "node-3"))) {
      c.sendAs("node-2", "node-1", appendEntries().term(1).from("node-2")
          .entries(LogEntry.noop(1, 1), configurationEntry(2, 1, Map.of("node-2", 22L, "node-3", 33L)))
          .leaderCommit(2).build());
      c.sendAs("node-3", "node-1", requestVote().term(5).from("node-3").lastLog(2, 1).preVote().replicaId(99).build());
      c.sendAs("node-3", "node-1", requestVote().term(5).from("node-3").lastLog(2, 1).transfer().replicaId(99).build());
      List<RequestVoteResponse> answers = c.inbox("node-3", RequestVoteResponse.class);
      assertEquals(2, answers.size());
      assertTrue(answers.stream().noneMatch(RequestVoteResponse::granted), "node-1 granted node-3's new disk: " + answers);
      assertEquals(1, c.term("node-1"), "node-3's new disk raised node-1's term");
      assertTrue(answers.stream().allMatch(r -> r.term() == 1));

      c.sendAs("node-3", "node-1", requestVote().term(5).from("node-3").lastLog(2, 1).transfer().replicaId(33).build());
      assertTrue(c.inbox("node-3", RequestVoteResponse.class).stream().anyMatch(r -> r.granted() && r.term() == 5),
          "node-1 refused node-3's recorded disk");
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aRestartKeepsTheReplicaIdEvenPastACompactedJournalAndAWipeChangesIt() {
    // node-1's disk gets a replica id with its first write. The log is snapshotted and the journal cut past
    // the event that created it; a restart still answers with the same id (the saved state carries it). A
    // wiped disk gets a new one.
    String settings = "pekko-raft.snapshot.every-entries = 5\npekko-raft.snapshot.trailing-entries = 0\n";
    try (SimCluster c = SimCluster.startWithPuppets(3, 1305, settings, Set.of("node-2", "node-3"))) {
      long first = replicaIdOf(c, "node-1", "node-2", 1);
      assertNotEquals(0, first);
      assertEquals(List.of(first), replicaIdEvents(c, "node-1"));
      List<LogEntry> log = new ArrayList<>();
      for (long i = 1; i <= 10; i++) log.add(LogEntry.noop(i, 1));
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 0, 0, List.copyOf(log), 10, 1));
      c.advance(Duration.ofMillis(50)); // applied, snapshotted at 10, the journal cut up to there
      assertEquals(List.of(), replicaIdEvents(c, "node-1"), "the journal was not cut: this test would show nothing");

      c.crash("node-1");
      c.restart("node-1");
      assertEquals(first, replicaIdOf(c, "node-1", "node-2", 1), "a restart changed the replica id");
      assertEquals(List.of(), replicaIdEvents(c, "node-1"), "a restart created another replica id");

      c.crash("node-1");
      c.wipe("node-1");
      c.restart("node-1");
      long wiped = replicaIdOf(c, "node-1", "node-2", 1);
      assertNotEquals(first, wiped, "a wiped disk kept the replica id");
      assertNotEquals(0, wiped);
      assertEquals(List.of(wiped), replicaIdEvents(c, "node-1"));
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aRemovedServerStillCampaigningLeavesNoReplicaIdForItsReturnUnderTheSameName() {
    // node-1 leads node-2 (disk 22) and node-3 (disk 33) and records their replica ids. node-3 is removed;
    // it does not learn it and keeps asking for (pre-)votes from disk 33. Its disk is then wiped and node-3
    // is added back: the configuration that adds it must record no replica id for it, or the new disk
    // would be refused as "restarted with an empty disk" although it was removed and added again.
    try (SimCluster c = SimCluster.startWithPuppets(3, 1306, "", Set.of("node-2", "node-3"))) {
      long term = electAndRecordDisks22And33(c);
      assertEquals(33, latestSentConfiguration(c, "node-2").replicaId("node-3"), "node-3's replica id was not recorded");

      assertTrue(changed(c, new ConfigurationChange.Remove("node-3")), "node-3 was not removed");
      assertEquals(Set.of("node-1", "node-2"), latestSentConfiguration(c, "node-2").members());
      c.sendAs("node-3", "node-1", requestVote().term(term + 1).from("node-3").lastLog(1, term).preVote().replicaId(33).build());
      c.sendAs("node-3", "node-1", requestVote().term(term + 1).from("node-3").lastLog(1, term).replicaId(33).build());

      assertTrue(changed(c, new ConfigurationChange.AddLearner("node-3", null)), "node-3 was not added back");
      Configuration added = latestSentConfiguration(c, "node-2");
      assertTrue(added.learners().contains("node-3"), "not the configuration adding node-3: " + added);
      assertEquals(0, added.replicaId("node-3"), "the configuration adding node-3 back records the disk it had"
          + " before its removal, learned from its vote requests after it: its new disk would be refused");
      assertEquals(RaftRole.LEADER, c.role("node-1"));
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  /** Asks leader node-1 for {@code change}, puppet node-2 acknowledging until it commits; true once answered Changed. */
  private static boolean changed(SimCluster c, ConfigurationChange change) {
    var reply = c.changeMembership("node-1", change, MembershipRequest.ANY_CONFIGURATION);
    for (int round = 0; round < 20 && !reply.isDone(); round++) {
      c.advance(Duration.ofMillis(20));
      ackLatest(c, "node-2", 22);
    }
    c.advance(Duration.ofMillis(20));
    return reply.isDone() && reply.join() instanceof MembershipReply.Changed;
  }
}
