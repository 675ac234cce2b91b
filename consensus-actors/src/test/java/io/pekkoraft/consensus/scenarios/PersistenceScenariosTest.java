package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.sim.ReplyBox;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Persistence across crashes and restarts on real servers over a simulated disk: the lab suite's 2C
 * persistence scenarios. A crash stops a member and loses whatever its disk had not flushed; a restart
 * recovers term, vote and log from the journal, and the state machine applies the log again from the start.
 */
class PersistenceScenariosTest {

  private static final Duration ELECTION_WAIT = Duration.ofSeconds(5);
  private static final Duration CATCH_UP_WAIT = Duration.ofSeconds(10);

  @Test
  void persist1() {
    // Agreement survives crashing and restarting every member, the leader alone and a follower alone, and
    // every restarted member applies again, in the same order, every command agreed before its crash.
    try (SimCluster c = SimCluster.start(3, 11)) {
      List<String> agreed = new ArrayList<>();
      one(c, agreed, "11", 3);

      for (String m : c.members()) c.crash(m);
      for (String m : c.members()) c.restart(m);
      one(c, agreed, "12", 3);
      awaitAppliedInOrder(c, agreed, c.members());

      String leader1 = c.awaitOneLeader(ELECTION_WAIT);
      c.crash(leader1);
      c.restart(leader1);
      one(c, agreed, "13", 3);
      awaitAppliedInOrder(c, agreed, c.members());

      String leader2 = c.awaitOneLeader(ELECTION_WAIT);
      c.crash(leader2);
      one(c, agreed, "14", 2);
      c.restart(leader2);
      awaitAppliedInOrder(c, agreed, c.members()); // the lab's wait(4, servers): leader2 caught up

      String i3 = next(c, c.awaitOneLeader(ELECTION_WAIT), 1);
      c.crash(i3);
      one(c, agreed, "15", 2);
      c.restart(i3);
      one(c, agreed, "16", 3);
      awaitAppliedInOrder(c, agreed, c.members());
      c.checker.assertSafe();
    }
  }

  @Test
  void persist2() {
    // Five rounds of alternating failures (two followers cut off and crashed, then the other three cut
    // off while the first two restart): each majority that remains agrees, and finally all five agree.
    try (SimCluster c = SimCluster.start(5, 22)) {
      List<String> agreed = new ArrayList<>();
      int index = 1;
      for (int iteration = 0; iteration < 5; iteration++) {
        one(c, agreed, "p2-" + (10 + index++), 5);

        String leader1 = c.awaitOneLeader(ELECTION_WAIT);
        String f1 = next(c, leader1, 1);
        String f2 = next(c, leader1, 2);
        String f3 = next(c, leader1, 3);
        String f4 = next(c, leader1, 4);
        c.network.isolate(f1);
        c.network.isolate(f2);
        one(c, agreed, "p2-" + (10 + index++), 3);

        c.network.isolate(leader1);
        c.network.isolate(f3);
        c.network.isolate(f4);

        c.crash(f1);
        c.crash(f2);
        c.restart(f1);
        c.restart(f2);
        c.advance(Duration.ofMillis(2000)); // the two restarted alone cannot elect a leader
        c.crash(f3);
        c.restart(f3); // f3 holds the entries f1 and f2 missed, so only it can win their votes
        one(c, agreed, "p2-" + (10 + index++), 3);

        c.network.reconnect(f4);
        c.network.reconnect(leader1);
      }
      one(c, agreed, "p2-1000", 5);
      awaitAppliedInOrder(c, agreed, c.members());
      c.checker.assertSafe();
    }
  }

  @Test
  void persist3() {
    // The lab's TestPersist32C: a leader and one follower agree while the third member is cut off; both
    // crash, the cut-off member and the old leader come back and agree, then the last one rejoins.
    try (SimCluster c = SimCluster.start(3, 33)) {
      List<String> agreed = new ArrayList<>();
      one(c, agreed, "101", 3);

      String leader = c.awaitOneLeader(ELECTION_WAIT);
      String second = next(c, leader, 1);
      String third = next(c, leader, 2);
      c.network.isolate(third);
      one(c, agreed, "102", 2);

      c.crash(leader);
      c.crash(second);
      c.network.reconnect(third);
      c.restart(leader);
      one(c, agreed, "103", 2);

      c.restart(second);
      one(c, agreed, "104", 3);
      awaitAppliedInOrder(c, agreed, c.members());
      c.checker.assertSafe();
    }
  }

  @Test
  void slowDiskCrashLosesUnflushedWrites() {
    // With a disk that flushes only when time moves, members crashed right after appending lose those
    // writes; nothing they acknowledged is lost, no two applied sequences diverge, and the group agrees.
    long seed = 44;
    try (SimCluster c = SimCluster.start(5, seed)) {
      Random random = new Random(seed);
      List<String> agreed = new ArrayList<>();
      one(c, agreed, "s-start", 5);
      c.setSlowDisk(true);
      int lostBatches = 0;

      for (int iteration = 0; iteration < 12; iteration++) {
        String leader = c.awaitOneLeader(ELECTION_WAIT);
        ReplyBox box = c.submit(leader, "s-" + iteration);
        c.settle(); // the leader appended and replicated it; nobody's write is durable yet
        List<String> victims = new ArrayList<>();
        switch (iteration % 3) {
          case 0 -> victims.add(leader); // the leader alone loses the entry
          case 1 -> {
            // the leader's write reaches the disk, two followers lose theirs: the other two make a quorum
            c.disk.flush(RaftServer.persistenceId(SimCluster.GROUP, leader));
            c.settle();
            victims.add(next(c, leader, 1));
            victims.add(next(c, leader, 2));
          }
          default -> {
            victims.add(leader);
            victims.add(next(c, leader, 1 + random.nextInt(4)));
          }
        }
        for (String v : victims) {
          int pending = c.disk.pendingBatches(RaftServer.persistenceId(SimCluster.GROUP, v));
          assertTrue(pending > 0, v + " should have unflushed writes when it crashes (iteration " + iteration + ")");
          lostBatches += pending;
          c.crash(v);
        }
        c.advance(Duration.ofMillis(random.nextInt(300)));
        for (String v : victims) c.restart(v);
        if (box.first() instanceof ClientReply.Applied) agreed.add("s-" + iteration);
        one(c, agreed, "s-after-" + iteration, 5);
      }

      c.setSlowDisk(false);
      one(c, agreed, "s-final", 5);
      awaitAppliedInOrder(c, agreed, c.members());
      assertTrue(lostBatches >= 12, "the crashes lost unflushed batches: " + lostBatches);
      c.checker.assertSafe();
    }
  }

  @Test
  void slowDiskRandomCrashes() {
    // Members crashed at random moments on a slow disk, each losing its latest writes, never lose a command
    // acknowledged as applied nor diverge, and all five agree once every member is back.
    long seed = 45;
    try (SimCluster c = SimCluster.start(5, seed)) {
      Random random = new Random(seed);
      c.one("r-start", 5, true);
      c.setSlowDisk(true);
      List<String> sent = new ArrayList<>();
      List<ReplyBox> boxes = new ArrayList<>();
      int up = 5;
      for (int iteration = 0; iteration < 500; iteration++) {
        for (String l : c.members()) {
          if (c.isRunning(l) && c.role(l) == RaftRole.LEADER) {
            sent.add("r-" + iteration + "-" + l);
            boxes.add(c.submit(l, "r-" + iteration + "-" + l));
          }
        }
        c.settle();
        // Half the crashes come right after the append, before time moves: the victim's latest writes are lost.
        boolean beforeFlush = random.nextBoolean();
        if (beforeFlush && random.nextInt(8) == 0 && crashOne(c, random)) up--;
        c.advance(Duration.ofMillis(random.nextInt(random.nextInt(10) == 0 ? 1500 : 30)));
        if (!beforeFlush && random.nextInt(8) == 0 && crashOne(c, random)) up--;
        if (up < 3 || random.nextInt(10) == 0) {
          String s = c.members().get(random.nextInt(5));
          if (!c.isRunning(s)) {
            c.restart(s);
            up++;
          }
        }
      }
      for (String m : c.members()) if (!c.isRunning(m)) c.restart(m);
      c.one("r-final", 5, true);
      List<String> acknowledged = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        if (boxes.get(i).first() instanceof ClientReply.Applied) acknowledged.add(sent.get(i));
      }
      assertTrue(acknowledged.size() >= 10, "commands were acknowledged: " + acknowledged.size());
      c.checker.assertAcknowledgedAppliedEverywhere(acknowledged);
      c.checker.assertSafe();
    }
  }

  // ---- helpers ----

  /** Crash the leader or a random member, if running; returns whether a member was crashed. */
  private static boolean crashOne(SimCluster c, Random random) {
    List<String> leaders = c.leaders().stream().sorted().toList();
    String victim = !leaders.isEmpty() && random.nextBoolean() ? leaders.get(0) : c.members().get(random.nextInt(5));
    if (!c.isRunning(victim)) return false;
    c.crash(victim);
    return true;
  }

  /** The lab's one(), remembering the command as agreed. */
  private static void one(SimCluster c, List<String> agreed, String command, int expected) {
    c.one(command, expected, true);
    agreed.add(command);
  }

  /** The member {@code k} places after {@code member} in the member list, cyclically. */
  private static String next(SimCluster c, String member, int k) {
    List<String> all = c.members();
    return all.get((all.indexOf(member) + k) % all.size());
  }

  /**
   * Wait until every one of {@code members} has applied the {@code agreed} commands in this order
   * (another command may sit between two of them; none may be missing): nothing agreed is ever lost.
   */
  private static void awaitAppliedInOrder(SimCluster c, List<String> agreed, List<String> members) {
    boolean ok = c.advanceUntil(() -> members.stream().allMatch(m -> isSubsequence(agreed, c.checker.applied(m))),
        CATCH_UP_WAIT);
    if (!ok) {
      StringBuilder why = new StringBuilder("agreed commands " + agreed + " not all applied in order:");
      for (String m : members) why.append("\n  ").append(m).append(" applied ").append(c.checker.applied(m));
      throw new AssertionError(why.toString());
    }
  }

  private static boolean isSubsequence(List<String> wanted, List<String> applied) {
    int i = 0;
    for (String a : applied) if (i < wanted.size() && wanted.get(i).equals(a)) i++;
    return i == wanted.size();
  }
}
