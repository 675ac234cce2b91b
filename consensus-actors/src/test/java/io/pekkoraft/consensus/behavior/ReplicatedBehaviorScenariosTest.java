package io.pekkoraft.consensus.behavior;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.protocol.RaftMessage;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * Replicated behaviors in the simulation, one scenario per promise: replies only after commit; events decided
 * by a deposed leader, or on a state that was not the latest, never apply; a command retried after a leader
 * change applies once; every member applies the same events in the same order; an idle entity leaves memory
 * and its state comes back after a restart.
 */
class ReplicatedBehaviorScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private static List<String> others(BehaviorSim s, String member) {
    return s.c.members().stream().filter(m -> !m.equals(member)).toList();
  }

  @Test
  void theReplyComesOnlyOnceTheEventsAreCommittedAndAppliedOnTheLeader() {
    try (BehaviorSim s = new BehaviorSim(3, 7001)) {
      String leader = s.c.awaitOneLeader(WAIT);
      assertEquals(1L, await(s, s.add(leader, "a", 1)), "warm-up");
      for (String f : others(s, leader)) s.c.network.isolate(f);

      CompletableFuture<Long> reply = s.add(leader, "a", 10);
      s.c.advance(Duration.ofMillis(600)); // below election-timeout-min: the leader still leads, alone
      assertEquals(2, s.recorder.decidedBy.size(), "the leader decided");
      assertFalse(reply.isDone(), "no reply before the events commit: " + reply);
      assertEquals(1L, s.value(leader, "a"), "nothing applied before commit");

      for (String f : others(s, leader)) s.c.network.reconnect(f);
      assertEquals(11L, await(s, reply), "the reply is made from the state after the events");
      assertEquals(11L, s.value(leader, "a"), "applied on the leader when it replied");
    }
  }

  @Test
  void eventsDecidedByADeposedLeaderNeverApplyEvenWhenALaterLeaderAppendsThem() {
    // The old leader decides while cut off; its handle retries the proposal under its client session, and once
    // the partition heals the new leader appends it in its own term. The entry's term is not the term the
    // events were decided in, so no replica applies them; the caller sends the command to the new leader,
    // whose handler decides again.
    try (BehaviorSim s = new BehaviorSim(3, 7002)) {
      String old = s.c.awaitOneLeader(WAIT);
      assertEquals(1L, await(s, s.add(old, "a", 1)));
      s.c.network.isolate(old);
      CompletableFuture<Long> reply = s.add(old, "a", 10);
      s.c.settle();
      int stale = s.recorder.tokens.get();
      assertEquals(old, s.recorder.decidedBy.get(stale), "decided by the old leader, cut off");

      assertTrue(s.c.advanceUntil(() -> s.c.leaders().stream().anyMatch(l -> !l.equals(old)), WAIT), "no new leader");
      String leader = s.c.leaders().stream().filter(l -> !l.equals(old)).findFirst().orElseThrow();
      s.c.network.reconnect(old);

      assertEquals(11L, await(s, reply), "the command applied once, decided again by the new leader");
      assertTrue(s.c.advanceUntil(() -> s.c.members().stream().allMatch(m -> s.value(m, "a") == 11L), WAIT));
      for (String m : s.c.members()) {
        List<Integer> tokens = s.recorder.tokensAppliedBy(s.instance(m));
        assertFalse(tokens.contains(stale), m + " applied the events the deposed leader decided: " + tokens);
        assertEquals(2, tokens.size(), m + ": " + tokens);
        assertEquals(leader, s.recorder.decidedBy.get(tokens.get(1)), "decided by the new leader");
      }
    }
  }

  @Test
  void eventsDecidedOnAStateThatWasNotTheLatestNeverApply() {
    // A new leader whose state machine has not applied every committed entry yet decides on an old state;
    // the entity's sequence number in the proposal no longer matches, so the events are refused and the
    // command decided again on the latest state: 1 + 10 + 100, never an increment lost.
    try (BehaviorSim s = new BehaviorSim(3, 7003)) {
      String leader = s.c.awaitOneLeader(WAIT);
      assertEquals(1L, await(s, s.add(leader, "a", 1)));
      // Decide directly on a stale view: a proposal whose expected sequence number is behind.
      EntityMessages.Proposal staleProposal = new EntityMessages.Proposal("a", s.c.term(leader), 0,
          List.of(new TestCounter.Added("a", 1000, -1)), "test-caller", 1, 0);
      CompletableFuture<Object> refused = io.pekkoraft.consensus.SimGroups.<EntityMessages.Proposal, EntityMessages.SeqNrQuery, Object>
          groupOn(s.c, leader, WAIT).submit(staleProposal).toCompletableFuture();
      assertTrue(s.c.advanceUntil(refused::isDone, WAIT));
      assertEquals(new EntityMessages.Conflict(1), refused.join(), "decided at 0, the entity is at 1");
      assertEquals(11L, await(s, s.add(leader, "a", 10)));
      for (String m : s.c.members()) {
        assertTrue(s.c.advanceUntil(() -> s.value(m, "a") == 11L, WAIT), m + " at " + s.value(m, "a"));
      }
    }
  }

  @Test
  void aCommandRetriedAfterALeaderChangeAppliesOnce() {
    // The old leader's entry reaches both followers, but their acknowledgements are lost, and the old leader's
    // host stops and its server is cut off for good: the caller never hears. The new leader commits the entry (it holds it), then the caller sends
    // the command again, same caller sequence; the new leader decides again, and the log refuses the second
    // copy as a duplicate: the reply is the state right after the first, 5, never 10.
    try (BehaviorSim s = new BehaviorSim(3, 7004)) {
      String old = s.c.awaitOneLeader(WAIT);
      String caller = others(s, old).get(0);
      // the caller's host learns the leader, and the leader's handle opens its client session
      assertEquals(1L, await(s, s.add(caller, "warm-up", 1)));
      s.c.network.dropWhen((from, to, m) -> to.equals(old) && m instanceof RaftMessage.AppendEntriesResponse);
      CompletableFuture<Long> reply = s.add(caller, "a", 5);
      assertTrue(s.c.advanceUntil(() -> s.recorder.decidedBy.size() == 2, WAIT), "not decided");
      s.c.advance(Duration.ofMillis(300)); // the entry reaches the followers; their answers are lost
      assertFalse(reply.isDone());
      // Cut off rather than crashed: a crashed server's handle would spin its retries against the dead
      // server within one simulated instant (its RequestLoop gets an immediate failure from the terminated actor).
      s.stopHost(old);
      s.c.network.isolate(old);
      s.c.network.dropWhen((from, to, m) -> false);

      assertEquals(5L, await(s, reply), "the retry is answered from the state after the first apply");
      assertEquals(3, s.recorder.decidedBy.size(), "decided twice: by the old leader, then the new one");
      for (String m : others(s, old)) {
        assertEquals(List.of(1, 2), s.recorder.tokensAppliedBy(s.instance(m)), m + " applied the command once");
        assertEquals(5L, s.value(m, "a"));
      }
    }
  }

  @Test
  void everyMemberAppliesTheSameEventsInTheSameOrder() {
    try (BehaviorSim s = new BehaviorSim(3, 7005)) {
      s.c.awaitOneLeader(WAIT);
      List<CompletableFuture<Long>> replies = new java.util.ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String via = s.c.members().get(i % 3);
        replies.add(s.add(via, "e" + (i % 4), i + 1));
      }
      assertTrue(s.c.advanceUntil(() -> replies.stream().allMatch(CompletableFuture::isDone), WAIT));
      String first = s.c.members().get(0);
      assertTrue(s.c.advanceUntil(() -> s.c.members().stream().allMatch(m ->
          s.recorder.appliedBy(s.instance(m)).size() == 30), WAIT));
      List<TestCounter.Added> order = s.recorder.appliedBy(s.instance(first));
      for (String m : s.c.members()) assertEquals(order, s.recorder.appliedBy(s.instance(m)), m);
      for (int e = 0; e < 4; e++) {
        long sum = 0;
        for (int i = e; i < 30; i += 4) sum += i + 1;
        for (String m : s.c.members()) assertEquals(sum, s.value(m, "e" + e), m + " e" + e);
      }
    }
  }

  @Test
  void anIdleEntityLeavesMemoryAndItsStateComesBackFromTheSnapshotAndTheLogAfterARestart() {
    try (BehaviorSim s = new BehaviorSim(3, 7006, "pekko-raft.snapshot.every-entries = 5\n"
        + "pekko-raft.snapshot.trailing-entries = 1\n", e -> e.withPassivateAfter(Duration.ofSeconds(1)))) {
      String leader = s.c.awaitOneLeader(WAIT);
      for (int i = 1; i <= 8; i++) await(s, s.add(leader, "a", 1));
      assertEquals(Set.of("a"), inMemory(s, leader));

      s.c.advance(Duration.ofSeconds(3));
      assertEquals(Set.of(), inMemory(s, leader), "the idle entity was passivated");
      assertFalse(s.store(leader).behaviorsInMemory().contains("a"), "its event handler too");
      assertEquals(8L, await(s, s.get(leader, "a")), "created again on demand, from the replicated state");

      for (String m : s.c.members()) s.crash(m);
      for (String m : s.c.members()) s.restart(m);
      String next = s.c.awaitOneLeader(WAIT);
      assertEquals(9L, await(s, s.add(next, "a", 1)), "the state came back from the snapshot and the log");
      for (String m : s.c.members()) assertTrue(s.c.advanceUntil(() -> s.value(m, "a") == 9L, WAIT), m);
    }
  }

  @Test
  void anIdleEntitysStateLeavesEveryMemberAndComesBackWithTheEventsCommittedWhileItWasOut() {
    // Once a snapshot holds "a" as it is and it has been idle, no member holds its state. A new leader reads
    // it back for a command; a follower applies that command's event to the state it reads back, and the old
    // leader, cut off meanwhile, catches up; after a restart of every member the state is rebuilt from the
    // snapshot and the log.
    try (BehaviorSim s = new BehaviorSim(3, 7010, "pekko-raft.snapshot.every-entries = 5\n"
        + "pekko-raft.snapshot.trailing-entries = 1\n", e -> e.withPassivateAfter(Duration.ofSeconds(1)))) {
      String old = s.c.awaitOneLeader(WAIT);
      for (int i = 1; i <= 8; i++) await(s, s.add(old, "a", 1));
      s.c.advance(Duration.ofSeconds(3));
      for (int i = 1; i <= 6; i++) await(s, s.add(old, "b", 1)); // later log time, and a snapshot after "a"'s events
      for (String m : s.c.members()) {
        assertTrue(s.c.advanceUntil(() -> s.store(m).seqNr("b") == 6, WAIT), m);
        assertFalse(s.store(m).statesInMemory().contains("a"), m + " holds the state of the idle entity: "
            + s.store(m).statesInMemory());
      }

      for (int i = 1; i <= 5; i++) await(s, s.add(old, "b", 1)); // a snapshot that carries "a"'s record over
      for (String m : s.c.members()) assertTrue(s.c.advanceUntil(() -> s.store(m).seqNr("b") == 11, WAIT), m);

      s.c.network.isolate(old);
      String next = s.c.awaitOneLeader(WAIT);
      String follower = s.c.members().stream().filter(m -> !m.equals(old) && !m.equals(next)).findFirst().orElseThrow();
      long readBefore = s.store(next).activations();
      long followerReadBefore = s.store(follower).activations();
      assertEquals(18L, await(s, s.add(next, "a", 10)), "the new leader decided on the state read back");
      assertEquals(readBefore + 1, s.store(next).activations(), "read back once from the snapshot");
      assertTrue(s.c.advanceUntil(() -> s.store(follower).seqNr("a") == 9, WAIT), "the follower applies the event");
      assertEquals(followerReadBefore + 1, s.store(follower).activations(), "to the state it read back");
      assertEquals(18L, s.value(follower, "a"));

      s.c.network.reconnect(old); // from the log, or from the new leader's snapshot
      assertTrue(s.c.advanceUntil(() -> s.store(old).seqNr("a") == 9, WAIT), "the old leader catches up");
      assertEquals(18L, s.value(old, "a"));
      assertEquals(19L, await(s, s.add(next, "a", 1)), "an event after the latest snapshot, most likely");

      for (String m : s.c.members()) s.crash(m);
      for (String m : s.c.members()) s.restart(m);
      String afterRestart = s.c.awaitOneLeader(WAIT);
      assertEquals(19L, await(s, s.get(afterRestart, "a")), "rebuilt from the snapshot and the log");
      for (String m : s.c.members()) assertTrue(s.c.advanceUntil(() -> s.value(m, "a") == 19L, WAIT), m);
    }
  }

  @Test
  void eventsApplyInTheSameOrderOnEveryMemberWhetherTheirStatesWereInMemoryOrNot() {
    // One member (node-1) keeps a single state in memory and reads the others back from its snapshots at almost every
    // event; the others keep all of them. Every member applies the same events in the same order, to the
    // same states.
    try (BehaviorSim s = new BehaviorSim(3, 7011, "pekko-raft.snapshot.every-entries = 3\n",
        e -> e, (member, e) -> member.equals("node-1") ? e.withStatesMax(1) : e)) {
      String leader = s.c.awaitOneLeader(WAIT);
      for (int i = 0; i < 30; i++) await(s, s.add(leader, "e" + (i % 4), i + 1));
      assertTrue(s.c.advanceUntil(() -> s.c.members().stream().allMatch(m ->
          s.recorder.appliedBy(s.instance(m)).size() == 30), WAIT));
      List<TestCounter.Added> order = s.recorder.appliedBy(s.instance("node-1"));
      for (String m : s.c.members()) assertEquals(order, s.recorder.appliedBy(s.instance(m)), m);
      for (int e = 0; e < 4; e++) {
        long sum = 0;
        for (int i = e; i < 30; i += 4) sum += i + 1;
        for (String m : s.c.members()) assertEquals(sum, s.value(m, "e" + e), m + " e" + e);
      }
      assertTrue(s.store("node-1").activations() >= 10, "node-1 read states back: " + s.store("node-1").activations());
    }
  }

  @Test
  void aStashedCommandIsHandledAfterTheNextEventsAreApplied() {
    try (BehaviorSim s = new BehaviorSim(3, 7007)) {
      String leader = s.c.awaitOneLeader(WAIT);
      CompletableFuture<Long> stashed = s.entity(leader, "a")
          .<Long>ask(replyTo -> new TestCounter.GetWhenAtLeast(3, replyTo), BehaviorSim.ASK).toCompletableFuture();
      s.c.advance(Duration.ofSeconds(3)); // well past the attempt timeout: kept, not sent again and stashed twice
      assertFalse(stashed.isDone(), "stashed while the value is below 3");
      assertEquals(3L, await(s, s.add(leader, "a", 3)));
      assertEquals(3L, await(s, stashed), "unstashed after the events, read from the new state");
    }
  }

  private static Set<String> inMemory(BehaviorSim s, String member) {
    TestProbe<EntityHost.EntitiesInMemory> probe = s.c.testKit.createTestProbe();
    s.host(member).tell(new EntityHost.GetEntitiesInMemory(probe.ref()));
    s.c.settle();
    return probe.receiveMessage(Duration.ofSeconds(5)).entityIds();
  }

  private static <T> T await(BehaviorSim s, CompletableFuture<T> f) {
    assertTrue(s.c.advanceUntil(f::isDone, WAIT), "no reply within " + WAIT + " of simulated time");
    return f.join();
  }
}
