package io.pekkoraft.consensus.scenarios;

import static io.pekkoraft.consensus.testing.Rpcs.appendEntriesResponse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.HeartbeatResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

/**
 * One scenario per safety rule of membership changes (thesis §4 and its erratum), each built so that it
 * fails when the rule is taken out of the code: the schedule that breaks Raft without the rule is played
 * against the real servers, and with the rule the same schedule stays safe.
 */
class MembershipSafetyRulesTest {

  private static final long ANY = MembershipRequest.ANY_CONFIGURATION;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final List<String> THREE = List.of("node-1", "node-2", "node-3");

  @Test
  void aNewLeaderChangesMembershipOnlyAfterCommittingAnEntryOfItsTerm() {
    // Ongaro's single-server bug (raft-dev, 2015): a leader of term 1 adds e, the entry reaching only e;
    // a leader of term 2, elected by b, c, d in the old configuration, removes d before committing anything
    // of its term, and commits with b and c; a then wins a later term with a, d and e, a majority of its
    // configuration, and commits over b's committed entry. d is played by the test.
    try (SimCluster c = SimCluster.startWithPuppets(4, 4201, "pekko-raft.pre-vote = off", Set.of("node-4"))) {
      String a = c.awaitOneLeader(WAIT);
      List<String> bc = othersThan(THREE, a);
      String d = "node-4";
      String e = "node-5";
      Puppet puppet = new Puppet(c, d);
      c.one("x", 3, true);
      c.startJoining(e);

      // a, leader of term 1, adds e as a voter; only e stores the entry: {a, b, c, d, e}, not committed
      c.network.partition(set(a, e), set(bc.get(0), bc.get(1), d));
      c.changeMembership(a, new ConfigurationChange.AddVoter(e, null), ANY);
      assertEquals(RaftRole.FOLLOWER, c.role(e), "e holds the configuration that makes it a voter");

      // b (or c) is elected in the configuration {a, b, c, d} with d's vote; d never stores its entries, so
      // its no-op is on b and c only, a minority of {a, b, c, d}
      assertTrue(c.advanceUntil(() -> {
        puppet.grantVotes((candidate, term) -> bc.contains(candidate));
        return leaderAmong(c, bc, 0) != null;
      }, WAIT), "no leader among " + bc);
      String b = leaderAmong(c, bc, 0);
      long term2 = c.term(b);

      // at once, b removes d: in {a, b, c}, b and c are a majority
      CompletableFuture<MembershipReply> removeD = c.changeMembership(b, new ConfigurationChange.Remove(d), ANY);
      c.submit(b, "b-cmd");
      c.advance(Duration.ofMillis(100));

      // a (or e, which holds the same log) wins a later term with the votes of a, e and d, a majority of
      // {a, b, c, d, e}: d's log holds nothing of term 2
      c.network.partition(set(a, e, d), set(bc.get(0), bc.get(1)));
      List<String> ae = List.of(a, e);
      assertTrue(c.advanceUntil(() -> {
        puppet.grantVotes((candidate, term) -> ae.contains(candidate) && term > term2);
        return leaderAmong(c, ae, term2) != null;
      }, WAIT), "no leader among " + ae + " after term " + term2);
      String later = leaderAmong(c, ae, term2);
      long term3 = c.term(later);
      c.submit(later, "a-cmd");
      assertTrue(c.advanceUntil(() -> {
        puppet.follow(later, term3);
        return c.checker.appliedBy("a-cmd") >= 2;
      }, WAIT), "a-cmd was not committed by " + later + " in term " + term3);

      // without the rule, b-cmd was committed (by b and c) where a-cmd is now
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
      assertEquals(RefusalReason.NOT_COMMITTED_IN_TERM, refusal(removeD).reason());
      assertEquals(0, c.checker.appliedBy("b-cmd"), "b-cmd was never committed");

      // healed, the group converges on a's log
      c.network.heal();
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("a-cmd") >= 4, WAIT), () -> "a-cmd everywhere: "
          + THREE.stream().map(m -> m + "=" + c.checker.applied(m)).toList() + " " + e + "=" + c.checker.applied(e));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void oneConfigurationChangeAtATime() {
    // Thesis §4.1: from {a, b, c}, a adds d and then e before d's entry commits. {a, d, e} is a majority of
    // {a, b, c, d, e} and {b, c} one of {a, b, c}, the configuration b and c are still in: two leaders
    // could commit different entries at the same index. The second change must wait.
    try (SimCluster c = SimCluster.start(3, 4202)) {
      String a = c.awaitOneLeader(WAIT);
      List<String> bc = othersThan(THREE, a);
      c.one("x", 3, true);
      c.startJoining("node-4");
      c.startJoining("node-5");
      c.network.partition(set(a, "node-4", "node-5"), set(bc.get(0), bc.get(1)));

      c.changeMembership(a, new ConfigurationChange.AddVoter("node-4", null), ANY);
      CompletableFuture<MembershipReply> addE =
          c.changeMembership(a, new ConfigurationChange.AddVoter("node-5", null), ANY);
      c.submit(a, "a-cmd");
      c.advance(Duration.ofMillis(100));

      // b and c never heard of either change: in {a, b, c} they are a majority and elect a leader
      assertTrue(c.advanceUntil(() -> leaderAmong(c, bc, 0) != null, WAIT), "no leader among " + bc);
      String b = leaderAmong(c, bc, 0);
      c.submit(b, "b-cmd");
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("b-cmd") >= 2, WAIT), "b-cmd was not committed");

      // without the rule, a committed a-cmd with d and e where b committed b-cmd
      c.checker.assertSafe();
      assertEquals(0, c.checker.appliedBy("a-cmd"), "a-cmd committed with a minority of {a, b, c}");
      assertEquals(RefusalReason.CONFIGURATION_CHANGE_IN_PROGRESS, refusal(addE).reason());

      c.network.heal();
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("b-cmd") >= 3, WAIT), "b-cmd on a, b and c");
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aChangeDecidedOnAnOlderConfigurationIsRefused() {
    // Compare-and-set: a change that expects a configuration index other than the latest is refused,
    // since whoever decided it has not seen the change made meanwhile.
    try (SimCluster c = SimCluster.start(3, 4203)) {
      String leader = c.awaitOneLeader(WAIT);
      c.one("x", 3, true);
      c.startJoining("node-4");
      long before = status(c, leader).membership().configurationIndex();

      Membership added = changed(c.changeMembership(leader, new ConfigurationChange.AddLearner("node-4", null), before),
          c);
      assertTrue(added.configurationIndex() > before);

      // decided on the configuration before, which is no longer the latest
      CompletableFuture<MembershipReply> stale = c.changeMembership(leader, new ConfigurationChange.Remove("node-4"), before);
      assertTrue(c.advanceUntil(stale::isDone, WAIT));
      MembershipReply.Refused refused = refusal(stale);
      assertEquals(RefusalReason.CONFIGURATION_CHANGED, refused.reason(), refused.message());
      assertEquals(Set.of("node-4"), status(c, leader).membership().learners(), "the stale change was applied");

      // decided on the latest: made
      Membership removed = changed(
          c.changeMembership(leader, new ConfigurationChange.Remove("node-4"), added.configurationIndex()), c);
      assertEquals(Set.of(), removed.learners());
      c.checker.assertSafe();
    }
  }

  @Test
  void anEntryAcknowledgedOnlyByLearnersNeverCommits() {
    // Thesis §4.2.1: learners receive the log but never count. Cut off from both other voters, a leader
    // whose two learners hold an entry (3 of the 5 members) must not commit it.
    try (SimCluster c = SimCluster.start(3, 4204)) {
      String leader = c.awaitOneLeader(WAIT);
      List<String> voters = othersThan(THREE, leader);
      c.one("x", 3, true);
      for (String learner : List.of("node-4", "node-5")) {
        c.startJoining(learner);
        changed(c.changeMembership(leader, new ConfigurationChange.AddLearner(learner, null), ANY), c);
      }
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("x") == 5, WAIT), "the learners caught up");

      c.network.partition(set(leader, "node-4", "node-5"), set(voters.get(0), voters.get(1)));
      c.submit(leader, "learners-only");
      c.advance(Duration.ofMillis(500));
      assertEquals(RaftRole.LEADER, c.role(leader));
      assertEquals(0, c.checker.appliedBy("learners-only"), "committed with the acknowledgements of learners");

      // a voter's acknowledgement commits it
      c.network.heal();
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("learners-only") == 5, WAIT));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aLearnerNeverCampaigns() {
    // Thesis §4.2.1: a learner that hears from no leader for a long time neither campaigns nor raises its
    // term (Pre-Vote off, so a campaign would show in the term).
    try (SimCluster c = SimCluster.start(3, 4205, "pekko-raft.pre-vote = off")) {
      String leader = c.awaitOneLeader(WAIT);
      long term = c.term(leader);
      c.one("x", 3, true);
      c.startJoining("node-4");
      changed(c.changeMembership(leader, new ConfigurationChange.AddLearner("node-4", null), ANY), c);
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("x") == 4, WAIT), "the learner caught up");

      long voteRequests = c.network.sent("RequestVote");
      c.network.isolate("node-4");
      c.advance(Duration.ofSeconds(10));
      assertEquals(voteRequests, c.network.sent("RequestVote"), "a vote request was sent");
      assertEquals(term, c.term("node-4"), "the learner raised its term");
      assertEquals(RaftRole.LEARNER, c.role("node-4"));

      c.network.reconnect("node-4");
      c.advance(Duration.ofSeconds(2));
      assertEquals(Set.of(leader), c.leaders());
      assertEquals(term, c.term(leader));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aJointConfigurationCommitsOnlyWithBothMajorities() {
    // Thesis §4.3: in C(old, new) an entry commits only on a majority of each. Going from {a, b, c} to
    // {a, d, e}, with b and c cut off, a, d and e (all of new, one of old) must not commit anything.
    try (SimCluster c = SimCluster.start(3, 4206)) {
      String a = c.awaitOneLeader(WAIT);
      List<String> bc = othersThan(THREE, a);
      CompletableFuture<MembershipReply> change = enterJointWithOldCutOff(c, a, bc);
      c.submit(a, "joint-cmd");
      c.advance(Duration.ofMillis(500));
      assertEquals(RaftRole.LEADER, c.role(a));
      assertFalse(change.isDone(), "the change was answered: " + (change.isDone() ? change.join() : ""));
      Membership joint = status(c, a).membership();
      assertFalse(joint.committed(), "the joint configuration committed on a majority of new only: " + joint);
      assertEquals(new TreeSet<>(THREE), new TreeSet<>(joint.votersOutgoing()));
      assertEquals(0, c.checker.appliedBy("joint-cmd"), "an entry committed on a majority of new only");

      // once b or c answers, the joint configuration commits and is left
      c.network.heal();
      Membership after = changed(change, c);
      assertEquals(set(a, "node-4", "node-5"), new TreeSet<>(after.voters()));
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("joint-cmd") >= 3, WAIT));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aJointConfigurationElectsOnlyWithBothMajorities() {
    // Thesis §4.3: in C(old, new) a candidate needs the votes of a majority of each. d and e hold the
    // joint entry for {a, b, c} -> {a, d, e}; with a gone, their two votes are a majority of new but none
    // of old, and neither may lead (b and c, in {a, b, c}, may).
    try (SimCluster c = SimCluster.start(3, 4207)) {
      String a = c.awaitOneLeader(WAIT);
      List<String> bc = othersThan(THREE, a);
      enterJointWithOldCutOff(c, a, bc);
      c.crash(a);
      c.network.partition(set("node-4", "node-5"), set(bc.get(0), bc.get(1)));
      List<String> de = List.of("node-4", "node-5");
      assertFalse(c.advanceUntil(() -> leaderAmong(c, de, 0) != null, Duration.ofSeconds(10)),
          "elected by a majority of new only: " + c.leaders() + " " + c.checker.leadersByTerm());
      assertTrue(c.advanceUntil(() -> leaderAmong(c, bc, 0) != null, WAIT), "b and c elect a leader");
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  /**
   * a leads {a, b, c}; d and e join as learners; b and c are cut off and a enters the joint configuration
   * {a, b, c} -> {a, d, e}, which reaches d and e only. Returns the pending answer to the change.
   */
  private static CompletableFuture<MembershipReply> enterJointWithOldCutOff(SimCluster c, String a, List<String> bc) {
    c.one("x", 3, true);
    for (String learner : List.of("node-4", "node-5")) {
      c.startJoining(learner);
      changed(c.changeMembership(a, new ConfigurationChange.AddLearner(learner, null), ANY), c);
    }
    assertTrue(c.advanceUntil(() -> c.checker.appliedBy("x") == 5, WAIT), "the learners caught up");
    c.network.partition(set(a, "node-4", "node-5"), set(bc.get(0), bc.get(1)));
    CompletableFuture<MembershipReply> change = c.changeMembership(a,
        new ConfigurationChange.ChangeVoters(set(a, "node-4", "node-5"), Set.of(), Map.of()), ANY);
    c.advance(Duration.ofMillis(10));
    assertEquals(RaftRole.FOLLOWER, c.role("node-4"), "d holds the joint configuration, which makes it a voter");
    assertEquals(RaftRole.FOLLOWER, c.role("node-5"), "e holds the joint configuration, which makes it a voter");
    return change;
  }

  @Test
  void aRemovedServerThatNeverLearnedOfItsRemovalDoesNotDisruptTheGroup() {
    // Thesis §4.2.3, hashicorp/raft #524: a server cut off before its removal reached it times out again
    // and again with ever higher terms. The remaining voters refuse it before even adopting its term.
    // Pre-Vote and check-quorum off: either one alone already keeps it out (a pre-vote is refused, and a
    // voter hearing from its leader ignores vote requests), so this shows the rule on its own.
    try (SimCluster c = SimCluster.start(3, 4208, "pekko-raft.pre-vote = off\npekko-raft.check-quorum = off")) {
      String leader = c.awaitOneLeader(WAIT);
      List<String> others = othersThan(THREE, leader);
      String removed = others.get(0);
      c.one("x", 3, true);
      long term = c.term(leader);

      c.network.isolate(removed);
      Membership after = changed(c.changeMembership(leader, new ConfigurationChange.Remove(removed), ANY), c);
      assertEquals(set(leader, others.get(1)), new TreeSet<>(after.voters()));
      c.advance(Duration.ofSeconds(8));
      assertTrue(c.term(removed) > term + 2, "the removed server keeps timing out: term " + c.term(removed));

      c.network.reconnect(removed);
      c.advance(Duration.ofSeconds(8));
      assertEquals(Set.of(leader), c.leaders(), "the removed server disrupted the group: leaders by term "
          + c.checker.leadersByTerm() + ", " + leader + " now in term " + c.term(leader));
      assertEquals(term, c.term(leader), "the removed server raised the group's term");
      assertEquals(term, c.term(others.get(1)), "the removed server raised the group's term");
      c.one("y", 2, false);
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  @Test
  void aLeaderThatRemovesItselfDoesNotCountItsOwnVote() {
    // Thesis §4.2.2: a leader removing itself leads until C_new commits, but is not part of C_new's
    // majority. With one of the two remaining voters unreachable, the removal cannot commit.
    try (SimCluster c = SimCluster.start(3, 4209)) {
      String leader = c.awaitOneLeader(WAIT);
      List<String> others = othersThan(THREE, leader);
      c.one("x", 3, true);
      c.network.isolate(others.get(1));

      CompletableFuture<MembershipReply> removal = c.changeMembership(leader, new ConfigurationChange.Remove(leader), ANY);
      c.submit(leader, "after-removal");
      c.advance(Duration.ofMillis(500));
      assertFalse(removal.isDone(), "the removal was answered: " + (removal.isDone() ? removal.join() : ""));
      assertEquals(RaftRole.LEADER, c.role(leader), "the leader leads until its removal commits");
      assertEquals(0, c.checker.appliedBy("after-removal"), "committed counting the removed leader's vote");

      // once the other voter is back, the removal commits and the leader hands over
      c.network.reconnect(others.get(1));
      Membership after = changed(removal, c);
      assertEquals(new TreeSet<>(others), new TreeSet<>(after.voters()));
      assertTrue(c.advanceUntil(() -> leaderAmong(c, others, 0) != null, WAIT), "a remaining voter leads");
      assertEquals(RaftRole.LEARNER, c.role(leader));
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("after-removal") == 3, WAIT));
      c.checker.assertSafe();
      assertEquals(List.of(), c.stoppedOnTheirOwn());
    }
  }

  // ---- helpers ----

  private static List<String> othersThan(List<String> members, String id) {
    return members.stream().filter(m -> !m.equals(id)).toList();
  }

  private static Set<String> set(String... ids) {
    return new TreeSet<>(List.of(ids));
  }

  /** The leader among {@code candidates} in a term after {@code afterTerm}, or null. */
  private static String leaderAmong(SimCluster c, Collection<String> candidates, long afterTerm) {
    for (String m : candidates) if (c.role(m) == RaftRole.LEADER && c.term(m) > afterTerm) return m;
    return null;
  }

  private static Membership changed(CompletableFuture<MembershipReply> reply, SimCluster c) {
    assertTrue(c.advanceUntil(reply::isDone, WAIT), "no answer to a membership change");
    return assertInstanceOf(MembershipReply.Changed.class, reply.join(), String.valueOf(reply.join())).membership();
  }

  private static MembershipReply.Refused refusal(CompletableFuture<MembershipReply> reply) {
    assertTrue(reply.isDone(), "no answer to a membership change");
    return assertInstanceOf(MembershipReply.Refused.class, reply.join(), String.valueOf(reply.join()));
  }

  private static MembershipReply.Status status(SimCluster c, String leader) {
    return assertInstanceOf(MembershipReply.Status.class, c.getMembership(leader).join());
  }

  /**
   * A server played by the test that keeps Raft's rules: it votes at most once per term, for the candidates
   * the test lets it hear from, and stores what a leader sends it (its log starts empty: it never
   * acknowledged anything before).
   */
  private static final class Puppet {
    private final SimCluster c;
    private final String id;
    private final Map<Long, String> votedFor = new HashMap<>();
    private final List<Long> terms = new ArrayList<>();
    private int votesSeen;
    private int appendsSeen;
    private int heartbeatsSeen;

    Puppet(SimCluster c, String id) {
      this.c = c;
      this.id = id;
    }

    /** Grant the (pre-)votes asked since the last call by candidates {@code heard} accepts; the others are lost. */
    void grantVotes(BiPredicate<String, Long> heard) {
      List<RequestVote> asked = c.inbox(id, RequestVote.class);
      List<RequestVote> fresh = List.copyOf(asked.subList(votesSeen, asked.size()));
      votesSeen = asked.size();
      for (RequestVote rv : fresh) {
        if (!heard.test(rv.from(), rv.term())) continue;
        if (!rv.preVote() && !votedFor.computeIfAbsent(rv.term(), t -> rv.from()).equals(rv.from())) continue;
        c.sendAs(id, rv.from(), new RequestVoteResponse(rv.term(), id, true, rv.preVote(), 0));
      }
    }

    /** Store and acknowledge what {@code leader} of {@code term} sent since the last call; answer its heartbeats. */
    void follow(String leader, long term) {
      List<AppendEntries> appends = c.inbox(id, AppendEntries.class);
      List<AppendEntries> fresh = List.copyOf(appends.subList(appendsSeen, appends.size()));
      appendsSeen = appends.size();
      for (AppendEntries ae : fresh) {
        if (!ae.from().equals(leader) || ae.term() != term) continue;
        var answer = appendEntriesResponse().term(term).from(id).seq(ae.seq());
        c.sendAs(id, leader, (store(ae) ? answer.accepted(ae.prevLogIndex() + ae.entries().size())
            : answer.rejected(0, terms.size() + 1)).build());
      }
      List<Heartbeat> heartbeats = c.inbox(id, Heartbeat.class);
      List<Heartbeat> beats = List.copyOf(heartbeats.subList(heartbeatsSeen, heartbeats.size()));
      heartbeatsSeen = heartbeats.size();
      for (Heartbeat hb : beats) {
        if (hb.from().equals(leader) && hb.term() == term) c.sendAs(id, leader, new HeartbeatResponse(term, id, hb.round(), 0));
      }
    }

    /** §5.3 for the puppet's log of terms: false when it has no entry at prevLogIndex. */
    private boolean store(AppendEntries ae) {
      if (ae.prevLogIndex() > terms.size()) return false;
      if (ae.prevLogIndex() > 0 && terms.get((int) ae.prevLogIndex() - 1) != ae.prevLogTerm()) {
        throw new AssertionError(id + " holds term " + terms.get((int) ae.prevLogIndex() - 1) + " at "
            + ae.prevLogIndex() + ", the leader term " + ae.prevLogTerm() + ": not expected in this scenario");
      }
      for (LogEntry entry : ae.entries()) {
        int index = (int) entry.index();
        if (index <= terms.size() && terms.get(index - 1) == entry.term()) continue;
        while (terms.size() >= index) terms.remove(terms.size() - 1);
        terms.add(entry.term());
      }
      return true;
    }
  }
}
