package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.AppliedCommand;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.junit.jupiter.api.Test;

/**
 * A watch of what a member applies ({@code RaftGroup.watchApplied}): every command in log order with its
 * result, the same on every member, nothing that is not a client's command; resumed on another member from
 * the last index seen + 1 without gap or duplicate; a watch from before what a member holds, or one that
 * falls behind it, ends with {@link RaftException.WatchFromTooOld} instead of skipping.
 */
class WatchAppliedScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  /** What a watch delivered so far, and how it ended, if it did. */
  private static final class Watched {
    final List<AppliedCommand<String, Long>> events = new ArrayList<>();
    CompletableFuture<Done> end;

    synchronized List<AppliedCommand<String, Long>> events() {
      return List.copyOf(events);
    }

    synchronized void add(AppliedCommand<String, Long> e) {
      events.add(e);
    }

    Throwable failure() {
      assertTrue(end.isDone(), "the watch has not ended");
      try {
        end.join();
        throw new AssertionError("the watch completed instead of failing");
      } catch (CompletionException e) {
        return e.getCause();
      }
    }
  }

  private static Watched watch(SimCluster c, String member, long fromIndex) {
    Watched w = new Watched();
    w.end = c.watchApplied(member, fromIndex).runWith(Sink.foreach(w::add), c.testKit.system()).toCompletableFuture();
    c.settle();
    return w;
  }

  private static List<String> commands(List<AppliedCommand<String, Long>> events) {
    return events.stream().map(AppliedCommand::command).toList();
  }

  private static ClientReply answer(SimCluster c, ReplyBox box) {
    assertTrue(c.advanceUntil(() -> box.first() != null, WAIT), "no answer");
    return box.first();
  }

  private static ReplyBox sendInSession(SimCluster c, String to, long session, long sequence, String command) {
    byte[] bytes = RaftSerialization.get(c.testKit.system()).codec().toBytes(command);
    return c.request(to, replyTo -> new ClientRequest.ClientCommand(bytes, session, sequence, 0, 0, 0, replyTo));
  }

  /** {@code n} commands named prefix-1.. submitted to the leader one after the other; their indexes. */
  private static List<Long> submitEach(SimCluster c, String leader, String prefix, int n) {
    List<Long> indexes = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      indexes.add(assertInstanceOf(ClientReply.Applied.class, answer(c, c.submit(leader, prefix + "-" + i))).index());
    }
    return indexes;
  }

  @Test
  void everyMemberStreamsTheSameCommandsInLogOrderWithTheirResultsAndNothingElse() {
    // The no-op, the replica ids' configuration entry, a session's opening and a retry answered from the
    // session table leave no event; a refused command leaves one with its failure.
    try (SimCluster c = SimCluster.start(3, 1501)) {
      List<Watched> fromTheStart = new ArrayList<>();
      for (String m : c.members()) fromTheStart.add(watch(c, m, 1)); // before anything is applied: they wait
      String leader = c.awaitOneLeader(WAIT);
      long session = (Long) assertInstanceOf(ClientReply.Applied.class,
          answer(c, c.request(leader, replyTo -> ClientRequest.ClientCommand.openSession(0, 0, replyTo)))).result();
      ClientReply.Applied a = assertInstanceOf(ClientReply.Applied.class, answer(c, sendInSession(c, leader, session, 1, "a")));
      ClientReply.Applied b = assertInstanceOf(ClientReply.Applied.class, answer(c, c.submit(leader, "b")));
      ClientReply.CommandFailed refused = assertInstanceOf(ClientReply.CommandFailed.class,
          answer(c, c.submit(leader, "refuse!c")));
      assertEquals(a, answer(c, sendInSession(c, leader, session, 1, "a")), "the retry is answered from the table");
      ClientReply.Applied d = assertInstanceOf(ClientReply.Applied.class, answer(c, c.submit(leader, "d")));
      assertTrue(c.advanceUntil(() -> fromTheStart.stream().allMatch(w -> w.events().size() == 4), WAIT),
          "every member streams the four commands it applied");

      List<AppliedCommand<String, Long>> seen = fromTheStart.get(0).events();
      assertEquals(List.of("a", "b", "refuse!c", "d"), commands(seen), "in log order, the retry of a not again");
      assertEquals(List.of(a.index(), b.index(), refused.index(), d.index()),
          seen.stream().map(AppliedCommand::index).toList(), "each at the index its client was answered with");
      assertTrue(a.index() > session, "a session's opening is not a command: " + session + " < " + a.index());
      assertEquals(1L, seen.get(0).result());
      assertEquals(2L, seen.get(1).result());
      assertNull(seen.get(2).result());
      assertTrue(seen.get(2).failed() && seen.get(2).failure().contains("refused refuse!c"), seen.get(2).failure());
      assertEquals(refused.reason(), seen.get(2).failure(), "the failure the client was told");
      assertEquals(3L, seen.get(3).result());
      assertEquals(List.of(session, 0L, 0L, 0L), seen.stream().map(AppliedCommand::sessionId).toList());
      assertEquals(List.of(1L, 0L, 0L, 0L), seen.stream().map(AppliedCommand::sequence).toList());
      assertTrue(seen.stream().allMatch(e -> e.term() == c.term(leader)), "appended by the one leader: " + seen);
      for (Watched w : fromTheStart) assertEquals(seen, w.events(), "every member streams the same events");
      for (Watched w : fromTheStart) assertTrue(!w.end.isDone(), "a watch never ends on its own");

      Watched fromB = watch(c, leader, b.index());
      assertEquals(seen.subList(1, 4), fromB.events(), "a watch from an index starts there");
      Watched fromAfterB = watch(c, leader, b.index() + 1);
      assertEquals(seen.subList(2, 4), fromAfterB.events(), "an index without a command is skipped, not an error");
      c.checker.assertSafe();
    }
  }

  @Test
  void aWatchResumedOnAnotherMemberFromTheLastIndexSeenPlusOneHasNoGapAndNoDuplicate() {
    try (SimCluster c = SimCluster.start(3, 1502)) {
      String leader = c.awaitOneLeader(WAIT);
      String serving = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      Watched first = watch(c, serving, 1);
      submitEach(c, leader, "before", 5);
      assertTrue(c.advanceUntil(() -> first.events().size() == 5, WAIT), "the serving member streams what it applies");
      c.crash(serving);
      assertInstanceOf(RaftException.ServerStopped.class, first.failure(), "the watch of a stopped member fails");

      long resumeAt = first.events().get(4).index() + 1;
      String other = c.members().stream().filter(m -> !m.equals(leader) && !m.equals(serving)).findFirst().orElseThrow();
      Watched resumed = watch(c, other, resumeAt);
      submitEach(c, leader, "after", 5);
      assertTrue(c.advanceUntil(() -> resumed.events().size() == 5, WAIT), "the resumed watch streams the rest");

      List<AppliedCommand<String, Long>> joined = new ArrayList<>(first.events());
      joined.addAll(resumed.events());
      Watched whole = watch(c, leader, 1);
      assertEquals(whole.events(), joined, "the two watches together are the leader's whole stream");
      assertEquals(List.of("before-1", "before-2", "before-3", "before-4", "before-5",
          "after-1", "after-2", "after-3", "after-4", "after-5"), commands(joined));
      c.checker.assertSafe();
    }
  }

  @Test
  void aWatchFromBeforeWhatTheMemberHoldsFailsWithTheFirstIndexItHolds() {
    // The ring holds the latest 8 commands: 20 applied, a watch from 1 would miss the first 12.
    try (SimCluster c = SimCluster.start(3, 1503, "pekko-raft.watch.buffer-entries = 8\n")) {
      String leader = c.awaitOneLeader(WAIT);
      List<Long> indexes = submitEach(c, leader, "cmd", 20);
      assertEquals(8, c.history(leader).size(), "never more than buffer-entries held");

      RaftException.WatchFromTooOld tooOld = assertInstanceOf(RaftException.WatchFromTooOld.class,
          watch(c, leader, 1).failure());
      assertEquals(indexes.get(11) + 1, tooOld.firstAvailableIndex(), "just after the 12th command, dropped last");
      assertEquals(1, tooOld.requestedIndex());
      assertTrue(tooOld.getMessage().contains("from index " + tooOld.firstAvailableIndex() + " on"), tooOld.getMessage());
      assertInstanceOf(RaftException.WatchFromTooOld.class, watch(c, leader, indexes.get(11)).failure(),
          "the last command dropped is not held");

      Watched fromFirstHeld = watch(c, leader, tooOld.firstAvailableIndex());
      assertEquals(indexes.subList(12, 20), fromFirstHeld.events().stream().map(AppliedCommand::index).toList());
      assertTrue(!fromFirstHeld.end.isDone());
    }
  }

  @Test
  void aMemberRestartedFromItsSnapshotHoldsNothingBeforeIt() {
    // Its state starts from the snapshot, so the commands the snapshot covers were not applied by this
    // incarnation: a watch from before it fails, and one from just after it carries on as the leader's.
    try (SimCluster c = SimCluster.start(3, 1504, "pekko-raft.snapshot.every-entries = 10\n")) {
      String leader = c.awaitOneLeader(WAIT);
      String restarted = c.members().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
      List<Long> indexes = submitEach(c, leader, "cmd", 25);
      assertTrue(c.advanceUntil(() -> c.checker.appliedBy("cmd-25") == 3, WAIT), "not applied everywhere");
      c.crash(restarted);
      c.restart(restarted);
      assertTrue(c.advanceUntil(() -> c.checker.entriesSeenBy(restarted + "#2").containsKey("cmd-25"), WAIT),
          restarted + " did not replay");
      assertTrue(c.checker.restores(restarted) >= 1, restarted + " started from its snapshot");

      RaftException.WatchFromTooOld tooOld = assertInstanceOf(RaftException.WatchFromTooOld.class,
          watch(c, restarted, 1).failure());
      long first = tooOld.firstAvailableIndex();
      assertTrue(first > indexes.get(0) && first <= indexes.get(24),
          "the first index held is just after the snapshot the member restored: " + first);
      Watched afterSnapshot = watch(c, restarted, first);
      assertEquals(watch(c, leader, first).events(), afterSnapshot.events(), "then the same stream as the leader's");
      assertTrue(afterSnapshot.events().size() < 25 && !afterSnapshot.events().isEmpty(), afterSnapshot.events().toString());
      c.checker.assertSafe();
    }
  }

  @Test
  void aSlowConsumerHoldsNoMoreThanTheRingAndFailsWhenItFallsBehindIt() {
    // The consumer takes one command, then stops asking while 40 more are applied: the ring keeps 8, the
    // watch reads only on demand, and when the consumer asks again it gets what it can without a gap,
    // then WatchFromTooOld at the first index it missed.
    try (SimCluster c = SimCluster.start(3, 1505, "pekko-raft.watch.buffer-entries = 8\n")) {
      String leader = c.awaitOneLeader(WAIT);
      List<Long> indexes = submitEach(c, leader, "cmd", 1);
      SinkQueueWithCancel<AppliedCommand<String, Long>> consumer = c.watchApplied(leader, indexes.get(0))
          .runWith(Sink.<AppliedCommand<String, Long>>queue().withAttributes(Attributes.inputBuffer(1, 1)),
              c.testKit.system());
      List<AppliedCommand<String, Long>> received = new ArrayList<>();
      received.add(pull(c, consumer).orElseThrow());
      indexes.addAll(submitEach(c, leader, "more", 40));
      assertTrue(c.history(leader).size() <= 8, "the ring holds at most buffer-entries");

      Throwable end = null;
      while (end == null) {
        try {
          received.add(pull(c, consumer).orElseThrow());
        } catch (CompletionException e) {
          end = e.getCause();
        }
        assertTrue(received.size() <= indexes.size(), "more events than commands");
      }
      RaftException.WatchFromTooOld tooOld = assertInstanceOf(RaftException.WatchFromTooOld.class, end);
      List<Long> receivedIndexes = received.stream().map(AppliedCommand::index).toList();
      assertEquals(indexes.subList(0, received.size()), receivedIndexes, "what it received has no gap");
      assertEquals(indexes.get(received.size()), tooOld.requestedIndex(), "it fails at the first index it missed");
      assertTrue(tooOld.firstAvailableIndex() > tooOld.requestedIndex(), tooOld.getMessage());
      assertTrue(received.size() < indexes.size(), "a consumer this slow cannot have seen everything");
    }
  }

  private static Optional<AppliedCommand<String, Long>> pull(SimCluster c, SinkQueueWithCancel<AppliedCommand<String, Long>> q) {
    CompletableFuture<Optional<AppliedCommand<String, Long>>> next = q.pull().toCompletableFuture();
    c.settle();
    assertTrue(next.isDone(), "the watch delivered nothing although commands were applied");
    return next.join();
  }
}
