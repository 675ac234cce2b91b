package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntriesResponse;
import static io.pekkoraft.consensus.testing.Rpcs.requestVote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.TimeoutNow;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * Leadership transfer (thesis §3.10) on real servers over the simulated network: the leader brings the
 * target up to date, has it campaign at once, and the group changes leader in a round trip or two of
 * simulated time instead of an election timeout, without losing an acknowledged command.
 */
class LeadershipTransferTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  /** The default election-timeout-min, and so the default leadership-transfer-timeout. */
  private static final long ELECTION_TIMEOUT_MIN_MS = 1000;
  /** The default heartbeat-interval, and so how long requests are held for a hand-over's new leader. */
  private static final long HEARTBEAT_INTERVAL_MS = 200;

  /** Collects the replies to one transfer request; read them once the simulation is idle. */
  private static final class TransferBox {
    final List<TransferReply> replies = java.util.Collections.synchronizedList(new ArrayList<>());
    ActorRef<TransferReply> ref;

    TransferReply first() {
      synchronized (replies) {
        return replies.isEmpty() ? null : replies.get(0);
      }
    }
  }

  /** Sends {@code TransferLeadership(target)} to member {@code to}, as RaftGroup.transferLeadership does. */
  private static TransferBox transfer(SimCluster c, String to, String target, boolean forward) {
    TransferBox box = new TransferBox();
    box.ref = c.testKit.spawn(Behaviors.receiveMessage(reply -> {
      box.replies.add(reply);
      return Behaviors.same();
    }));
    c.settle();
    c.server(to).tell(new TransferLeadership(target, forward, box.ref));
    c.settle();
    return box;
  }

  /** Submits {@code n} commands to {@code leader} and waits until each is acknowledged; returns them. */
  private static List<String> commit(SimCluster c, String leader, String prefix, int n) {
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < n; i++) commands.add(prefix + "-" + i);
    List<ReplyBox> boxes = c.submitAll(leader, commands);
    assertTrue(c.advanceUntil(() -> boxes.stream().allMatch(b -> b.first() != null), WAIT), "no answers");
    for (ReplyBox b : boxes) assertInstanceOf(ClientReply.Applied.class, b.first(), "command not acknowledged");
    return commands;
  }

  private static String followerOf(SimCluster c, String leader, int which) {
    return c.members().stream().filter(m -> !m.equals(leader)).toList().get(which);
  }

  /** A network on which every message takes 0 to 5 ms and every write is durable only at the next instant. */
  private static SimCluster startWithLatency(int n, long seed, String config) {
    SimCluster c = SimCluster.start(n, seed, config);
    c.network.setFaultRates(0, 0, 5);
    c.network.setUnreliable(true); // no loss, no duplicates: only the delays
    c.setSlowDisk(true);
    return c;
  }

  @Test
  void transferToAnUpToDateFollowerElectsItWithinAFractionOfTheElectionTimeout() {
    try (SimCluster c = startWithLatency(3, 41, "")) {
      String leader = c.awaitOneLeader(WAIT);
      long term = c.term(leader);
      List<String> acknowledged = new ArrayList<>(commit(c, leader, "before", 20));
      String target = followerOf(c, leader, 1);

      long start = c.nowMs();
      TransferBox reply = transfer(c, leader, target, false);
      assertTrue(c.advanceUntil(() -> c.role(target) == RaftRole.LEADER, Duration.ofMillis(ELECTION_TIMEOUT_MIN_MS)),
          target + " did not take over within the election timeout");
      long elapsed = c.nowMs() - start;
      System.out.printf("leadership transfer to an up-to-date follower: new leader after %d ms of simulated time"
          + " (election-timeout-min %d ms)%n", elapsed, ELECTION_TIMEOUT_MIN_MS);
      assertTrue(elapsed <= ELECTION_TIMEOUT_MIN_MS / 10, "transfer took " + elapsed + " ms");
      assertEquals(term + 1, c.term(target), "one election, the one the transfer ordered");

      assertTrue(c.advanceUntil(() -> reply.first() != null, WAIT));
      assertEquals(new TransferReply.Transferred(target), reply.first());
      assertEquals(RaftRole.FOLLOWER, c.role(leader));
      assertEquals(target, c.checker.latest(leader).leaderId(), "the old leader follows the new one");

      acknowledged.addAll(commit(c, target, "after", 20));
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  @Test
  void crashFailoverForComparisonTakesAnElectionTimeout() {
    // The same cluster, the same seed, but the leader crashes instead of handing over: the others wait for
    // their election timeout. This is the figure the transfer above is measured against.
    try (SimCluster c = startWithLatency(3, 41, "")) {
      String leader = c.awaitOneLeader(WAIT);
      List<String> acknowledged = commit(c, leader, "before", 20);
      long start = c.nowMs();
      c.crash(leader);
      String next = c.awaitOneLeader(WAIT);
      long elapsed = c.nowMs() - start;
      System.out.printf("crash failover: new leader after %d ms of simulated time%n", elapsed);
      assertTrue(elapsed >= ELECTION_TIMEOUT_MIN_MS, "failover after " + elapsed + " ms");
      c.restart(leader);
      commit(c, next, "after", 1);
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  @Test
  void withoutATargetTheMostUpToDateFollowerTakesOver() {
    try (SimCluster c = SimCluster.start(3, 42)) {
      String leader = c.awaitOneLeader(WAIT);
      String behind = followerOf(c, leader, 0);
      String upToDate = followerOf(c, leader, 1);
      c.network.isolate(behind);
      List<String> acknowledged = new ArrayList<>(commit(c, leader, "a", 5));

      TransferBox reply = transfer(c, leader, null, false);
      assertTrue(c.advanceUntil(() -> reply.first() != null, WAIT));
      assertEquals(new TransferReply.Transferred(upToDate), reply.first(), "the follower that holds the whole log");
      assertEquals(RaftRole.LEADER, c.role(upToDate));

      c.network.reconnect(behind);
      acknowledged.addAll(commit(c, upToDate, "b", 5));
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  @Test
  void aLaggingTargetIsCaughtUpBeforeItIsToldToCampaign() {
    // Small batches and no pipelining: catching up 40 entries takes 20 round trips. A TimeoutNow sent
    // before that would start an election the target cannot win (its log would be behind both others').
    String config = "pekko-raft.replication { batch-entries-max = 2, window = 1 }";
    try (SimCluster c = startWithLatency(3, 43, config)) {
      String leader = c.awaitOneLeader(WAIT);
      long term = c.term(leader);
      String target = followerOf(c, leader, 0);
      c.network.isolate(target);
      List<String> acknowledged = new ArrayList<>(commit(c, leader, "missed", 40));
      assertTrue(c.checker.applied(target).isEmpty(), "the target missed every command");
      c.network.reconnect(target);

      long start = c.nowMs();
      TransferBox reply = transfer(c, leader, target, false);
      assertTrue(c.advanceUntil(() -> reply.first() != null, WAIT));
      long elapsed = c.nowMs() - start;
      System.out.printf("leadership transfer to a follower 40 entries behind (2 per batch, window 1): new leader"
          + " after %d ms of simulated time%n", elapsed);
      assertEquals(new TransferReply.Transferred(target), reply.first());
      assertEquals(RaftRole.LEADER, c.role(target));
      assertEquals(term + 1, c.term(target), "elected in the first election after the transfer began");

      acknowledged.addAll(commit(c, target, "after", 3));
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  @Test
  void aTransferToAPartitionedTargetTimesOutAndTheLeaderServesAgain() {
    try (SimCluster c = SimCluster.start(3, 44)) {
      String leader = c.awaitOneLeader(WAIT);
      long term = c.term(leader);
      String target = followerOf(c, leader, 0);
      String other = followerOf(c, leader, 1);
      List<String> acknowledged = new ArrayList<>(commit(c, leader, "a", 3));
      c.network.isolate(target);

      long start = c.nowMs();
      TransferBox reply = transfer(c, leader, target, false);
      // Meanwhile new commands, on the leader and through a follower, are held for a new leader to be
      // named; none comes, so after the hold's bound (heartbeat-interval) they get a typed answer, and
      // later ones get it at once. Nothing is appended.
      ReplyBox direct = c.submit(leader, "during-transfer");
      ReplyBox forwarded = c.submit(other, "during-transfer-via-follower");
      assertNull(direct.first(), "answered before the hold's bound");
      assertNull(forwarded.first(), "answered before the hold's bound");
      c.advance(Duration.ofMillis(HEARTBEAT_INTERVAL_MS));
      assertEquals(new ClientReply.NotLeader(null), direct.first());
      assertEquals(new ClientReply.NotLeader(null), forwarded.first());
      assertEquals(new ClientReply.NotLeader(null), c.submit(leader, "during-transfer-after-hold").first());
      // Linearizable reads are still served: the leader still leads.
      ReplyBox read = c.read(leader, ReadConsistency.LINEARIZABLE);
      assertTrue(c.advanceUntil(() -> read.first() != null, Duration.ofMillis(500)));
      assertEquals(3L, ((ClientReply.Applied) read.first()).result());

      c.advance(Duration.ofMillis(start + ELECTION_TIMEOUT_MIN_MS - 10 - c.nowMs()));
      assertNull(reply.first(), "answered before leadership-transfer-timeout");
      c.advance(Duration.ofMillis(20));
      assertInstanceOf(TransferReply.Timeout.class, reply.first());

      assertEquals(RaftRole.LEADER, c.role(leader), "the leader keeps its leadership");
      assertEquals(term, c.term(leader));
      acknowledged.addAll(commit(c, leader, "b", 3));
      for (String refused : List.of("during-transfer", "during-transfer-via-follower", "during-transfer-after-hold")) {
        assertFalse(c.checker.applied(leader).contains(refused), "a refused command was applied: " + refused);
      }
      c.network.reconnect(target);
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  @Test
  void aTransferToACrashedTargetTimesOutAndTheLeaderServesAgain() {
    try (SimCluster c = SimCluster.start(3, 45)) {
      String leader = c.awaitOneLeader(WAIT);
      String target = followerOf(c, leader, 1);
      c.crash(target);
      TransferBox reply = transfer(c, leader, target, false);
      ReplyBox refused = c.submit(leader, "refused");
      c.advance(Duration.ofMillis(HEARTBEAT_INTERVAL_MS)); // held for a new leader that never comes
      assertEquals(new ClientReply.NotLeader(null), refused.first());
      c.advance(Duration.ofMillis(ELECTION_TIMEOUT_MIN_MS + 10));
      assertInstanceOf(TransferReply.Timeout.class, reply.first());
      assertEquals(RaftRole.LEADER, c.role(leader));
      List<String> acknowledged = commit(c, leader, "a", 3);
      c.restart(target);
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  @Test
  void timeoutNowCannotMakeAFollowerWithAStaleLogWin() {
    // The election restriction holds for transfer elections too: a follower that missed committed entries
    // campaigns when told to, and loses; a leader with the whole log is elected instead.
    try (SimCluster c = SimCluster.start(3, 46)) {
      String leader = c.awaitOneLeader(WAIT);
      long term = c.term(leader);
      String stale = followerOf(c, leader, 0);
      c.network.isolate(stale);
      List<String> acknowledged = new ArrayList<>(commit(c, leader, "missed", 5));
      c.network.reconnect(stale); // no heartbeat yet: no time passed, so it is still behind
      c.sendAs(leader, stale, new TimeoutNow(term, leader));
      assertEquals(term + 1, c.term(stale), "the stale follower campaigned at once");

      String next = c.awaitOneLeader(WAIT);
      c.advance(Duration.ofSeconds(3));
      assertFalse(c.checker.leadersByTerm().containsValue(stale), stale + " won with a stale log: "
          + c.checker.leadersByTerm());
      acknowledged.addAll(commit(c, c.awaitOneLeader(WAIT), "after", 2));
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
      assertTrue(c.term(next) > term);
    }
  }

  /**
   * node-1, the one real server among puppets, becomes leader with the pre-votes and votes of node-2 and
   * node-3; returns its term.
   */
  private static long electNode1(SimCluster c) {
    assertTrue(c.advanceUntil(() -> c.role("node-1") == RaftRole.PRE_CANDIDATE, WAIT));
    long term = c.term("node-1") + 1;
    for (String voter : List.of("node-2", "node-3")) c.sendAs(voter, "node-1", new RequestVoteResponse(term, voter, true, true, 0));
    c.advance(Duration.ofMillis(1)); // its own vote becomes durable
    for (String voter : List.of("node-2", "node-3")) c.sendAs(voter, "node-1", new RequestVoteResponse(term, voter, true, false, 0));
    assertEquals(RaftRole.LEADER, c.role("node-1"));
    return term;
  }

  @Test
  void timeoutNowWaitsForTheTargetsLogAndTheCommitAndIsRepeatedUntilTheTargetCampaigns() {
    // One real leader, node-1, and four peers played by the test, to follow the leader's side of the
    // protocol step by step.
    Set<String> puppets = Set.of("node-2", "node-3", "node-4", "node-5");
    try (SimCluster c = SimCluster.startWithPuppets(5, 49, "", puppets)) {
      long term = electNode1(c);
      AppendEntries noop = lastOf(c.inbox("node-2", AppendEntries.class));
      long last = noop.prevLogIndex() + noop.entries().size();

      TransferBox reply = transfer(c, "node-1", "node-2", false);
      assertEquals(0, c.inbox("node-2", TimeoutNow.class).size(), "TimeoutNow before the target holds the log");
      c.sendAs("node-2", "node-1", appendEntriesResponse().term(term).from("node-2").accepted(last).seq(noop.seq()).build());
      assertEquals(0, c.inbox("node-2", TimeoutNow.class).size(), "TimeoutNow before the last entry committed");
      AppendEntries toNode3 = lastOf(c.inbox("node-3", AppendEntries.class));
      c.sendAs("node-3", "node-1", appendEntriesResponse().term(term).from("node-3").accepted(last).seq(toNode3.seq()).build());
      assertEquals(List.of(new TimeoutNow(term, "node-1")), c.inbox("node-2", TimeoutNow.class));

      // The TimeoutNow was lost: node-2 still answers heartbeats as a follower, and gets it again.
      c.sendAs("node-2", "node-1", new HeartbeatResponse(term, "node-2", 0, 0));
      assertEquals(2, c.inbox("node-2", TimeoutNow.class).size(), "TimeoutNow not repeated");

      // node-2 campaigns as ordered: node-1 steps down and votes for it, although it led a moment ago.
      c.sendAs("node-2", "node-1", requestVote().term(term + 1).from("node-2").lastLog(last, term).transfer().build());
      assertTrue(c.inbox("node-2", RequestVoteResponse.class).stream()
          .anyMatch(r -> r.granted() && !r.preVote() && r.term() == term + 1), "the old leader did not vote for the target");
      assertEquals(RaftRole.FOLLOWER, c.role("node-1"));
      assertNull(reply.first(), "answered before a new leader was known");
      c.sendAs("node-2", "node-1", new Heartbeat(term + 1, "node-2", last, 0));
      assertEquals(new TransferReply.Transferred("node-2"), reply.first());
    }
  }

  @Test
  void requestsDuringAHandOverWaitForTheTargetsElectionAndAreSentToIt() {
    // node-1 leads; node-2 to node-5 are played by the test. Clients that reach node-1 while it hands over
    // are held until node-1 votes for the target in the election the transfer ordered, then told where
    // to go (a client outside the group) or forwarded there (a member's own request), as are those that
    // come later: not answered "no leader known", which would leave them guessing when to try again.
    Set<String> puppets = Set.of("node-2", "node-3", "node-4", "node-5");
    try (SimCluster c = SimCluster.startWithPuppets(5, 50, "", puppets)) {
      long term = electNode1(c);
      AppendEntries noop = lastOf(c.inbox("node-2", AppendEntries.class));
      long last = noop.prevLogIndex() + noop.entries().size();
      for (String peer : List.of("node-2", "node-3")) {
        c.sendAs(peer, "node-1", appendEntriesResponse().term(term).from(peer).accepted(last)
            .seq(lastOf(c.inbox(peer, AppendEntries.class)).seq()).build());
      }

      TransferBox reply = transfer(c, "node-1", "node-2", false);
      assertEquals(1, c.inbox("node-2", TimeoutNow.class).size());
      ReplyBox outsideWhileLeading = c.submitFromOutside("node-1", "outside-1");
      ReplyBox memberWhileLeading = c.submit("node-1", "member-1");
      assertNull(outsideWhileLeading.first(), "answered before the new leader was known");
      assertNull(memberWhileLeading.first(), "answered before the new leader was known");

      c.sendAs("node-2", "node-1", requestVote().term(term + 1).from("node-2").lastLog(last, term).transfer().build());
      assertEquals(RaftRole.FOLLOWER, c.role("node-1"));
      assertEquals(new ClientReply.NotLeader("node-2"), outsideWhileLeading.first());
      assertNull(memberWhileLeading.first(), "a member's request is forwarded, answered by the new leader");
      List<ClientRequest.ClientCommand> forwarded = c.inbox("node-2", ClientRequest.ClientCommand.class);
      assertEquals(1, forwarded.size(), "the member's request forwarded once to the target");
      assertEquals(1, forwarded.get(0).hops());
      assertEquals(new ClientReply.NotLeader("node-2"), c.submitFromOutside("node-1", "outside-2").first(),
          "after its vote, node-1 sends clients to the target at once");

      c.sendAs("node-2", "node-1", new Heartbeat(term + 1, "node-2", last, 0));
      assertEquals(new TransferReply.Transferred("node-2"), reply.first());
      assertEquals(new ClientReply.NotLeader("node-2"), c.submitFromOutside("node-1", "outside-3").first());
      assertEquals(1, c.inbox("node-2", ClientRequest.ClientCommand.class).size(), "nothing else forwarded");
      c.checker.assertSafe();
    }
  }

  @Test
  void theTargetHoldsClientsDuringItsElectionAndCommitsTheirCommandsWithItsNoop() {
    // node-1 follows node-2, a leader played by the test, which hands leadership over to it. A client that
    // reaches node-1 while it campaigns waits for the outcome; node-1 wins and appends the command right
    // after its no-op: one write, one AppendEntries, one round to commit both.
    Set<String> puppets = Set.of("node-2", "node-3", "node-4", "node-5");
    try (SimCluster c = SimCluster.startWithPuppets(5, 52, "", puppets)) {
      long term = 3;
      c.sendAs("node-2", "node-1", new Heartbeat(term, "node-2", 0, 0));
      assertEquals(RaftRole.FOLLOWER, c.role("node-1"));
      c.sendAs("node-2", "node-1", new TimeoutNow(term, "node-2"));
      assertEquals(RaftRole.CANDIDATE, c.role("node-1"));

      ReplyBox client = c.submitFromOutside("node-1", "during-election");
      assertNull(client.first(), "answered before the election's outcome");
      for (String voter : List.of("node-2", "node-3")) {
        c.sendAs(voter, "node-1", new RequestVoteResponse(term + 1, voter, true, false, 0));
      }
      assertEquals(RaftRole.LEADER, c.role("node-1"));
      AppendEntries first = c.inbox("node-3", AppendEntries.class).stream()
          .filter(ae -> !ae.entries().isEmpty()).findFirst().orElseThrow();
      assertEquals(2, first.entries().size(), "the no-op and the held command in one AppendEntries");
      assertEquals(io.pekkoraft.persistence.LogEntry.Type.COMMAND, first.entries().get(1).type());

      for (String peer : List.of("node-3", "node-4")) {
        AppendEntries ae = c.inbox(peer, AppendEntries.class).stream()
            .filter(a -> !a.entries().isEmpty()).findFirst().orElseThrow();
        c.sendAs(peer, "node-1", appendEntriesResponse().term(term + 1).from(peer).accepted(2).seq(ae.seq()).build());
      }
      assertTrue(c.advanceUntil(() -> client.first() != null, Duration.ofMillis(10)));
      assertInstanceOf(ClientReply.Applied.class, client.first());
      c.checker.assertSafe();
    }
  }

  @Test
  void aClientOfTheDepartingLeaderIsNamedTheNewLeaderAndCommitsThere() {
    try (SimCluster c = startWithLatency(3, 51, "")) {
      String leader = c.awaitOneLeader(WAIT);
      List<String> acknowledged = new ArrayList<>(commit(c, leader, "before", 5));
      String target = followerOf(c, leader, 0);

      transfer(c, leader, target, false);
      ReplyBox redirected = c.submitFromOutside(leader, "during");
      assertTrue(c.advanceUntil(() -> redirected.first() != null, Duration.ofMillis(HEARTBEAT_INTERVAL_MS)),
          "no answer within the hold's bound");
      assertEquals(new ClientReply.NotLeader(target), redirected.first(), "the new leader, not \"none known\"");
      // Named once the departing leader voted for it: it may still be counting votes, and holds the retry until it wins.
      assertTrue(c.role(target) == RaftRole.LEADER || c.role(target) == RaftRole.CANDIDATE, "" + c.role(target));

      ReplyBox retried = c.submitFromOutside(target, "during");
      assertTrue(c.advanceUntil(() -> retried.first() != null, WAIT));
      assertInstanceOf(ClientReply.Applied.class, retried.first());
      acknowledged.add("during");
      c.advance(Duration.ofSeconds(1));
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      assertEquals(1, c.checker.applied(target).stream().filter("during"::equals).count(), "applied once");
      c.checker.assertSafe();
    }
  }

  private static <T> T lastOf(List<T> list) {
    assertFalse(list.isEmpty(), "nothing sent");
    return list.get(list.size() - 1);
  }

  @Test
  void requestsTheLeaderCannotHonourGetTypedAnswers() {
    try (SimCluster c = SimCluster.start(3, 47)) {
      String leader = c.awaitOneLeader(WAIT);
      String follower = followerOf(c, leader, 0);
      String other = followerOf(c, leader, 1);

      assertEquals(new TransferReply.NotLeader(leader), transfer(c, follower, other, false).first(),
          "a follower asked not to forward names the leader");
      assertInstanceOf(TransferReply.Rejected.class, transfer(c, leader, "node-9", false).first(),
          "not a member");
      assertEquals(new TransferReply.Transferred(leader), transfer(c, leader, leader, false).first(),
          "the target already leads");

      c.network.isolate(other); // keeps the next transfer pending
      TransferBox first = transfer(c, follower, other, true); // forwarded to the leader
      TransferBox same = transfer(c, leader, null, false);
      TransferBox conflicting = transfer(c, leader, follower, false);
      assertInstanceOf(TransferReply.Rejected.class, conflicting.first(), "another target during a transfer");
      assertNull(first.first());
      c.advance(Duration.ofMillis(ELECTION_TIMEOUT_MIN_MS + 10));
      assertInstanceOf(TransferReply.Timeout.class, first.first(), "the forwarded request is answered by the leader");
      assertInstanceOf(TransferReply.Timeout.class, same.first(), "a request joining the transfer shares its answer");
      c.checker.assertSafe();
    }
  }

  @Test
  void aGroupOfOneHasNoOneToHandOverTo() {
    try (SimCluster c = SimCluster.start(1, 48)) {
      String leader = c.awaitOneLeader(WAIT);
      assertInstanceOf(TransferReply.Rejected.class, transfer(c, leader, null, false).first());
      commit(c, leader, "still-serving", 1);
    }
  }
}
