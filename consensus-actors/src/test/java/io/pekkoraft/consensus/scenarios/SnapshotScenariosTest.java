package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.consensus.sim.journal.SimSnapshotStore;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Snapshots, log compaction and InstallSnapshot (§7) on real servers over the simulated network and disk.
 * Snapshots are taken every 20 applied entries and sent in chunks of 1 KiB, so a few hundred commands
 * make logs compact several times and a snapshot travel in many chunks. Commands are random text, which
 * compresses poorly, so the snapshot stays several KiB after zstd.
 */
class SnapshotScenariosTest {

  private static final String SMALL_SNAPSHOTS = "pekko-raft.snapshot.every-entries = 20\n"
      + "pekko-raft.snapshot.trailing-entries = 5\n"
      + "pekko-raft.snapshot.chunk-size = 1 KiB\n"
      // Small batches keep each replicator's buffer small (4 windows of batches), so a follower that falls
      // behind is served from the leader's log, which is compacted: it needs the snapshot.
      + "pekko-raft.replication.batch-bytes-max = 1 KiB\n"
      + "pekko-raft.replication.window = 2\n"
      + "pekko-raft.client.request-bytes-max = 1 KiB\n";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void logsAreCompactedAndARestartRecoversFromSnapshotPlusJournal() {
    try (SimCluster c = SimCluster.start(3, 301, SMALL_SNAPSHOTS)) {
      List<String> agreed = submitAndAwait(c, commands(new Random(301), "a", 130), c.members());
      for (String m : c.members()) {
        String pid = RaftServer.persistenceId(SimCluster.GROUP, m);
        assertTrue(SimSnapshotStore.count(c.testKit.system(), pid) >= 1, m + " saved its state to the snapshot store");
        int events = c.disk.durableEvents(pid).size();
        assertTrue(events < 60, m + "'s journal was cut at the snapshot: " + events + " events left for 130 commands");
      }
      for (String m : c.members()) c.crash(m);
      for (String m : c.members()) c.restart(m);
      for (String m : c.members()) {
        assertTrue(c.checker.restores(m) >= 1, m + " restarted from its snapshot");
      }
      List<String> all = submitAndAwait(c, commands(new Random(302), "b", 30), c.members());
      assertEquals(agreed.size() + 30, all.size());
      for (String m : c.members()) assertSameHistory(all, c.checker.applied(m), m);
      c.checker.assertSafe();
    }
  }

  @Test
  void aFollowerBehindTheCompactedLogGetsTheSnapshotInChunks() {
    try (SimCluster c = SimCluster.start(3, 302, SMALL_SNAPSHOTS)) {
      LeftBehind setup = leaveOneBehind(c, 303);
      String leader = setup.leader();
      String behind = setup.behind();
      List<String> agreed = setup.agreed();
      long termBefore = c.term(leader);

      c.network.reconnect(behind);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).equals(agreed), WAIT),
          behind + " caught up: " + c.checker.applied(behind).size() + " of " + agreed.size());
      assertTrue(c.checker.restores(behind) >= 1, behind + " installed the leader's snapshot");
      long chunks = c.network.sent("InstallSnapshot");
      assertTrue(chunks >= 4, "the snapshot travelled in chunks of 1 KiB: " + chunks + " InstallSnapshot messages");
      assertEquals(termBefore, c.term(leader), "heartbeats kept the leader in place during the transfer");
      assertEquals(leader, c.awaitOneLeader(WAIT));
      List<String> all = submitAndAwait(c, commands(new Random(304), "b", 10), c.members());
      assertSameHistory(all, c.checker.applied(behind), behind + " after the snapshot");
      c.checker.assertSafe();
    }
  }

  @Test
  void lostDuplicatedAndDelayedChunksStillMakeOneSnapshot() {
    try (SimCluster c = SimCluster.start(3, 303, SMALL_SNAPSHOTS)) {
      LeftBehind setup = leaveOneBehind(c, 305);
      String behind = setup.behind();
      List<String> agreed = setup.agreed();
      reconnectOverFaults(c, behind, 0.2, 0.1, 30);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).size() >= agreed.size(), Duration.ofSeconds(60)),
          behind + " caught up over a lossy network: " + c.checker.applied(behind).size() + " of " + agreed.size());
      c.network.setUnreliable(false);
      assertSameHistory(agreed, c.checker.applied(behind).subList(0, agreed.size()), behind);
      c.checker.assertSafe();
    }
  }

  @Test
  void aFollowerCrashedInTheMiddleOfATransferStartsItAgainCleanly() {
    try (SimCluster c = SimCluster.start(3, 304, SMALL_SNAPSHOTS)) {
      LeftBehind setup = leaveOneBehind(c, 306);
      String behind = setup.behind();
      List<String> agreed = setup.agreed();
      reconnectOverFaults(c, behind, 0, 0, 20); // each chunk takes a round trip of up to 40 ms
      assertTrue(c.advanceUntil(() -> c.network.sent("InstallSnapshot") >= 2, WAIT), "the transfer started");
      assertEquals(0, c.checker.restores(behind), "not yet installed when the follower crashes");
      c.crash(behind);
      c.restart(behind);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).equals(agreed), WAIT),
          behind + " caught up after its restart: " + c.checker.applied(behind).size() + " of " + agreed.size());
      c.network.setUnreliable(false);
      c.checker.assertSafe();
    }
  }

  @Test
  void aNewLeaderFinishesWhatTheOldOneStarted() {
    try (SimCluster c = SimCluster.start(5, 305, SMALL_SNAPSHOTS)) {
      LeftBehind setup = leaveOneBehind(c, 307);
      String leader = setup.leader();
      String behind = setup.behind();
      List<String> agreed = setup.agreed();
      reconnectOverFaults(c, behind, 0, 0, 20);
      assertTrue(c.advanceUntil(() -> c.network.sent("InstallSnapshot") >= 2, WAIT), "the transfer started");
      c.crash(leader);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).equals(agreed), Duration.ofSeconds(30)),
          behind + " caught up from the next leader: " + c.checker.applied(behind).size() + " of " + agreed.size());
      c.network.setUnreliable(false);
      c.restart(leader);
      c.checker.assertSafe();
    }
  }

  @Test
  void underSteadyLoadAFollowerCatchesUpFromTheEntriesKeptBeforeTheSnapshot() {
    // The leader snapshots every 20 entries while 200 commands a second keep arriving, faster than a
    // transfer of slow chunks completes. With 100 entries kept before each snapshot's index, the follower
    // goes on from the log after installing one snapshot (or a few) and catches up during the load; a
    // replicator that hears of a newer snapshot mid-transfer switches to it a bounded number of times.
    try (SimCluster c = SimCluster.start(3, 306, SMALL_SNAPSHOTS + "pekko-raft.snapshot.trailing-entries = 100\n")) {
      LeftBehind setup = leaveOneBehind(c, 308);
      String leader = setup.leader();
      String behind = setup.behind();
      List<String> agreed = setup.agreed();
      reconnectOverFaults(c, behind, 0, 0, 25);
      Random random = new Random(309);
      int caughtUpInRound = -1;
      for (int round = 0; round < 60 && caughtUpInRound < 0; round++) {
        List<String> more = commands(random, "r" + round, 10);
        List<ReplyBox> boxes = c.submitAll(leader, more);
        c.advance(Duration.ofMillis(50));
        agreed.addAll(more);
        assertTrue(boxes.stream().noneMatch(b -> b.first() instanceof ClientReply.NotLeader), "the leader stays");
        if (c.checker.applied(behind).size() >= agreed.size() - 30) caughtUpInRound = round;
      }
      assertTrue(caughtUpInRound >= 0, behind + " caught up while the load went on: "
          + c.checker.applied(behind).size() + " of " + agreed.size());
      int installs = c.checker.restores(behind);
      assertTrue(installs >= 1 && installs <= 2, behind + " installed " + installs + " snapshots");
      c.network.setUnreliable(false);
      assertTrue(c.advanceUntil(() -> c.checker.applied(behind).size() == agreed.size(), WAIT));
      c.checker.assertSafe();
    }
  }

  @Test
  void frequentSnapshotsOnALossyNetworkKeepEveryoneInStep() {
    // Followers compact their own logs while answers to the leader get lost: the leader then probes from
    // an index a follower has compacted away, which the follower must answer as matching (what it
    // compacted is committed), not reject forever.
    try (SimCluster c = SimCluster.start(3, 307, SMALL_SNAPSHOTS)) {
      String leader = c.awaitOneLeader(WAIT);
      c.network.setFaultRates(0.15, 0.05, 10);
      c.network.setUnreliable(true);
      Random random = new Random(310);
      List<String> sent = new ArrayList<>();
      for (int round = 0; round < 30; round++) {
        List<String> more = commands(random, "u" + round, 10);
        c.submitAll(leader, more);
        sent.addAll(more);
        c.advance(Duration.ofMillis(100));
      }
      c.network.setUnreliable(false);
      assertTrue(c.advanceUntil(() -> c.members().stream().allMatch(
          m -> c.checker.applied(m).size() == c.checker.applied(leader).size()), Duration.ofSeconds(30)),
          "every member applied as much as the leader");
      List<String> applied = c.checker.applied(leader);
      assertTrue(applied.size() >= 100, "most commands committed despite the losses: " + applied.size());
      for (String m : c.members()) assertSameHistory(applied, c.checker.applied(m), m);
      c.checker.assertSafe();
    }
  }

  @Test
  void aProbeFromBeforeTheFollowersCompactionPointIsAnsweredAsMatching() {
    // A leader whose acknowledgements were lost probes from an index this follower has compacted away.
    // What it compacted is committed, hence the leader's too: it answers success, never a rejection the
    // leader could only answer by probing further back, forever.
    try (SimCluster c = SimCluster.startWithPuppets(3, 308, SMALL_SNAPSHOTS, Set.of("node-2", "node-3"))) {
      List<LogEntry> log = new ArrayList<>();
      for (long i = 1; i <= 40; i++) log.add(LogEntry.noop(i, 1));
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 0, 0, List.copyOf(log.subList(0, 30)), 30, 1));
      c.advance(Duration.ofMillis(50)); // stored, applied, snapshotted at 30, compacted to 25
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 10, 1, List.copyOf(log.subList(10, 40)), 40, 2));
      c.advance(Duration.ofMillis(50));
      List<AppendEntriesResponse> answers = c.inbox("node-2", AppendEntriesResponse.class);
      assertEquals(2, answers.size(), "both batches answered: " + answers);
      assertTrue(answers.get(1).success(), "the probe from 10 is answered as matching: " + answers.get(1));
      assertEquals(40, answers.get(1).matchIndex());
      c.sendAs("node-2", "node-1", new AppendEntries(1, "node-2", 5, 1, List.copyOf(log.subList(5, 20)), 40, 3));
      c.advance(Duration.ofMillis(50));
      AppendEntriesResponse covered = c.inbox("node-2", AppendEntriesResponse.class).get(2);
      assertTrue(covered.success() && covered.matchIndex() == 20, "a batch wholly compacted away: " + covered);
    }
  }

  @Test
  void withOnlyTheTimeTriggerASnapshotIsTakenEveryPeriodInWhichSomethingWasApplied() {
    // every-time = 5 min, every-entries off: three commands, then a snapshot on each member 5 minutes
    // later; ten more quiet minutes, and no further snapshot.
    try (SimCluster c = SimCluster.start(3, 309, "pekko-raft.snapshot.every-entries = 0\n")) {
      submitAndAwait(c, commands(new Random(311), "t", 3), c.members());
      c.advance(Duration.ofMinutes(4));
      assertEquals(0, SimSnapshotStore.saves(c.testKit.system()), "not before 5 minutes");
      c.advance(Duration.ofMinutes(2));
      assertEquals(3, SimSnapshotStore.saves(c.testKit.system()), "one snapshot per member after 5 minutes");
      c.advance(Duration.ofMinutes(10));
      assertEquals(3, SimSnapshotStore.saves(c.testKit.system()), "nothing applied since: no new snapshot");
      c.checker.assertSafe();
    }
  }

  @Test
  void afterARollingRestartTheLeaderSendsItsRecoveredSnapshotToAFollowerThatWasDown() {
    // A follower is down while the others write 350 commands, snapshotting every 100 and keeping 10
    // entries before each snapshot; then both are restarted and recover from snapshot plus journal, so
    // their logs start after the compaction point. Whichever of them leads must send the snapshot it
    // recovered to the follower when it comes back, while writes go on; no server may stop.
    try (SimCluster c = SimCluster.start(3, 310, "pekko-raft.snapshot.every-entries = 100\n"
        + "pekko-raft.snapshot.trailing-entries = 10\n"
        + "pekko-raft.snapshot.chunk-size = 4 KiB\n")) {
      String leader = c.awaitOneLeader(WAIT);
      String behind = other(c, leader, 1);
      String second = other(c, leader, 2);
      c.crash(behind);
      Random random = new Random(311);
      List<String> acknowledged = new ArrayList<>(commands(random, "a", 350));
      submitAndAwait(c, acknowledged, List.of(leader, second));

      c.crash(leader);
      c.crash(second);
      c.restart(leader);
      c.restart(second);
      for (String m : List.of(leader, second)) assertTrue(c.checker.restores(m) >= 1, m + " restarted from its snapshot");
      List<String> before = commands(random, "b", 10);
      submitAndAwait(c, before, List.of(leader, second));
      acknowledged.addAll(before);
      assertEquals(List.of(), c.stoppedOnTheirOwn(), "no server stopped while the follower was down");

      c.restart(behind);
      List<ReplyBox> boxes = new ArrayList<>();
      List<String> sent = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        String current = null;
        for (String m : c.leaders()) if (current == null || c.term(m) > c.term(current)) current = m;
        if (current != null) {
          List<String> more = commands(random, "r" + round, 5);
          boxes.addAll(c.submitAll(current, more));
          sent.addAll(more);
        }
        c.advance(Duration.ofMillis(100));
      }
      c.advance(Duration.ofSeconds(1));
      for (int i = 0; i < boxes.size(); i++) {
        if (boxes.get(i).first() instanceof ClientReply.Applied) acknowledged.add(sent.get(i));
      }

      assertEquals(List.of(), c.stoppedOnTheirOwn(), "no server stopped");
      String last = c.awaitOneLeader(WAIT);
      assertTrue(c.advanceUntil(() -> c.members().stream().allMatch(
          m -> c.checker.applied(m).equals(c.checker.applied(last))), WAIT),
          behind + " caught up: " + c.checker.applied(behind).size() + " of " + c.checker.applied(last).size());
      assertTrue(c.checker.restores(behind) >= 1, behind + " caught up by installing the leader's snapshot");
      assertTrue(acknowledged.size() > 360 + 50, "writes went on while it caught up: " + acknowledged.size());
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      assertEquals(List.of(), c.stoppedOnTheirOwn(), "no server stopped");
      c.checker.assertSafe();
    }
  }

  // ---- helpers ----

  /** The leader, the follower it left behind, and the history the others agreed on meanwhile. */
  private record LeftBehind(String leader, String behind, List<String> agreed) {}

  /** Cut a follower off while the others agree on 150 commands (seeded), so the leader compacts past it. */
  private static LeftBehind leaveOneBehind(SimCluster c, long seed) {
    String leader = c.awaitOneLeader(WAIT);
    String behind = other(c, leader, 1);
    c.network.isolate(behind);
    List<String> agreed = submitAndAwait(c, commands(new Random(seed), "a", 150), without(c.members(), behind));
    return new LeftBehind(leader, behind, agreed);
  }

  /** Bring {@code behind} back over a network with these faults (drop and duplicate rates, max delay). */
  private static void reconnectOverFaults(SimCluster c, String behind, double drop, double duplicate, int maxDelayMs) {
    c.network.setFaultRates(drop, duplicate, maxDelayMs);
    c.network.setUnreliable(true);
    c.network.reconnect(behind);
  }

  /** The two histories are equal; on failure, says where they differ instead of printing both. */
  private static void assertSameHistory(List<String> expected, List<String> actual, String who) {
    int common = 0;
    while (common < Math.min(expected.size(), actual.size()) && expected.get(common).equals(actual.get(common))) common++;
    assertTrue(common == expected.size() && common == actual.size(), who + " applied " + actual.size()
        + " commands, expected " + expected.size() + "; the first difference is at position " + common);
  }

  /** Submit to the leader, ten per instant, and wait until every member of {@code appliers} applied them; the applied history. */
  static List<String> submitAndAwait(SimCluster c, List<String> commands, List<String> appliers) {
    String leader = c.awaitOneLeader(WAIT);
    List<ReplyBox> boxes = new ArrayList<>();
    for (int from = 0; from < commands.size(); from += 10) {
      boxes.addAll(c.submitAll(leader, commands.subList(from, Math.min(commands.size(), from + 10))));
      c.advance(Duration.ofMillis(20));
    }
    assertTrue(c.advanceUntil(() -> boxes.stream().allMatch(b -> b.first() instanceof ClientReply.Applied), WAIT),
        "every command acknowledged");
    for (String m : appliers) {
      assertTrue(c.advanceUntil(() -> c.checker.applied(m).containsAll(commands), WAIT), m + " applied them all");
    }
    List<String> agreed = new ArrayList<>(c.checker.applied(appliers.get(0)));
    c.checker.assertSafe();
    return agreed;
  }

  static List<String> commands(Random random, String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder text = new StringBuilder(prefix).append('-').append(i).append('-');
      for (int k = 0; k < 60; k++) text.append((char) ('a' + random.nextInt(26)));
      out.add(text.toString());
    }
    return out;
  }

  private static String other(SimCluster c, String leader, int k) {
    List<String> others = without(c.members(), leader);
    return others.get((k - 1) % others.size());
  }

  private static List<String> without(List<String> members, String m) {
    List<String> out = new ArrayList<>(members);
    out.remove(m);
    return out;
  }
}
