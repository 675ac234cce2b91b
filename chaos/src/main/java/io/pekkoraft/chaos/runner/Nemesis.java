package io.pekkoraft.chaos.runner;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Injects one fault at a time, holds it a few seconds, then heals it; the kinds come in rounds of every
 * enabled kind in an order shuffled with the seeded random, until the duration is over; at the end every
 * node is running, resumed and fully connected.
 *
 * <ul>
 *   <li>kill: SIGKILL a node (the leader two times in three, when one is known), start it again on the same
 *       data directory after 1-5 s, and wait until it is serving;
 *   <li>pause: SIGSTOP a node (the leader two times in three) for 1-6 s, then SIGCONT;
 *   <li>partition: cut Raft traffic both ways along one of four shapes, for 2-8 s: the leader alone; a random
 *       minority from the majority; a bridge (two halves that each reach one bridge node but not each other);
 *       and, for lack of anything better with no leader known, a random minority.
 *   <li>isolate (asked for by name): the node whose clock runs slowest ({@code --clock-rate}; the leader when
 *       every clock runs at the same rate) is asked to take the leadership, leads for 1 s, and is then cut
 *       from every peer, both ways, for 2-8 s. Only Raft traffic is cut: the clients still reach it, and a
 *       client at home there (--routes home) keeps asking it while the others elect a new leader. This is the
 *       window a read lease must not outlive: the cut-off leader believes in its lease for election-timeout-min
 *       minus the margin, on its slow clock.
 * </ul>
 * The random choices are the seed's; which node leads at each moment, and so some victims, still depend on
 * timing. Victims are chosen among the nodes running at the time: with the membership fault, spare nodes
 * come and removed ones go; {@code processes} is held while a fault is in place, so that the
 * {@link MembershipNemesis} starts and stops nodes only between faults.
 */
final class Nemesis {

  private final List<NodeProcess> nodes;
  private final Set<ChaosOptions.Fault> faults;
  private final ReentrantLock processes;
  private final Random random;
  private final PrintStream out;
  private final LongSupplier elapsedMillis;
  final AtomicInteger kills = new AtomicInteger();
  final AtomicInteger leaderKills = new AtomicInteger();
  final AtomicInteger pauses = new AtomicInteger();
  final AtomicInteger leaderPauses = new AtomicInteger();
  final AtomicInteger partitions = new AtomicInteger();
  final AtomicInteger isolations = new AtomicInteger();
  /** Isolations of the slowest node while it led. */
  final AtomicInteger slowLeaderIsolations = new AtomicInteger();
  /** What is being done right now, for the progress lines. */
  volatile String current = "nothing";

  /**
   * @param nodes every node that may run (spares too); faults hit those running
   * @param faults the kinds to inject (kill, pause, partition; the membership fault is the {@link MembershipNemesis}'s)
   * @param processes held while a fault is in place
   */
  Nemesis(List<NodeProcess> nodes, Set<ChaosOptions.Fault> faults, ReentrantLock processes, long seed, PrintStream out,
      LongSupplier elapsedMillis) {
    this.nodes = nodes;
    this.faults = EnumSet.copyOf(faults);
    this.faults.remove(ChaosOptions.Fault.MEMBERSHIP);
    this.processes = processes;
    this.random = new Random(seed);
    this.out = out;
    this.elapsedMillis = elapsedMillis;
  }

  int total() {
    return kills.get() + pauses.get() + partitions.get() + isolations.get();
  }

  /** The isolations, in words, for the summary. */
  String isolations() {
    return isolations.get() + " isolations (" + slowLeaderIsolations.get() + " of the slowest node while it led)";
  }

  /** Injects faults until {@code endNanos}, then leaves everything healed. */
  void runUntil(long endNanos) throws Exception {
    List<ChaosOptions.Fault> round = new ArrayList<>();
    while (System.nanoTime() < endNanos && !faults.isEmpty()) {
      sleepUntil(Math.min(endNanos, System.nanoTime() + millis(1000 + random.nextInt(3000)))); // quiet time
      if (System.nanoTime() >= endNanos) break;
      if (round.isEmpty()) { // rounds of every enabled kind in a shuffled order: a short run sees each kind
        round.addAll(faults);
        Collections.shuffle(round, random);
      }
      ChaosOptions.Fault next = round.remove(0);
      processes.lock();
      try {
        switch (next) {
          case KILL -> kill();
          case PAUSE -> pause();
          case PARTITION -> partition();
          case ISOLATE -> isolate();
          case MEMBERSHIP -> throw new IllegalStateException("membership changes are the MembershipNemesis's");
        }
      } finally {
        current = "nothing";
        processes.unlock();
      }
    }
    current = "nothing";
  }

  private void kill() throws Exception {
    NodeProcess victim = victim();
    boolean leader = isLeader(victim);
    current = "killed " + victim.id + (leader ? " (leader)" : "");
    victim.kill();
    kills.incrementAndGet();
    if (leader) leaderKills.incrementAndGet();
    say("kill " + victim.id + (leader ? ", the leader" : ""));
    Thread.sleep(1000 + random.nextInt(4000));
    say("restart " + victim.id);
    current = "restarting " + victim.id;
    victim.start().get(90, TimeUnit.SECONDS);
    say(victim.id + " is serving again");
  }

  private void pause() throws Exception {
    NodeProcess victim = victim();
    boolean leader = isLeader(victim);
    current = "paused " + victim.id + (leader ? " (leader)" : "");
    victim.pause();
    pauses.incrementAndGet();
    if (leader) leaderPauses.incrementAndGet();
    say("pause " + victim.id + (leader ? ", the leader" : ""));
    Thread.sleep(1000 + random.nextInt(5000));
    victim.resume();
    say("resume " + victim.id);
  }

  private void partition() throws Exception {
    List<NodeProcess> nodes = running();
    List<Set<String>> sides = shape(nodes);
    Map<String, Set<String>> cut = cuts(nodes, sides);
    current = "partition " + describe(sides);
    Map<String, Long> droppedBefore = new HashMap<>();
    for (NodeProcess node : nodes) droppedBefore.put(node.id, node.dropped());
    for (NodeProcess node : nodes) {
      Set<String> blocked = cut.get(node.id);
      if (!blocked.isEmpty()) node.command("block " + String.join(",", blocked), "BLOCKED");
    }
    partitions.incrementAndGet();
    say("partition " + describe(sides));
    Thread.sleep(2000 + random.nextInt(6000));
    // What each cut-off node dropped: evidence that the cut held. Zero is possible (two followers cut from
    // each other have nothing to say to each other while a leader both reach is up).
    List<String> dropped = new ArrayList<>();
    for (NodeProcess node : nodes) {
      node.command("heal", "HEALED");
      if (!cut.get(node.id).isEmpty()) dropped.add(node.id + " " + (node.dropped() - droppedBefore.get(node.id)));
    }
    say("heal (Raft messages dropped: " + String.join(", ", dropped) + ")");
  }

  private void isolate() throws Exception {
    List<NodeProcess> nodes = running();
    NodeProcess target = slowest(nodes);
    if (target == null) target = leader();
    if (target == null) target = nodes.get(random.nextInt(nodes.size()));
    NodeProcess victim = target;
    boolean slow = nodes.stream().anyMatch(n -> n.clockRate != victim.clockRate);
    if (!isLeader(victim)) {
      current = "isolate: " + victim.id + " takes the lead";
      String answer = victim.lead(10);
      long until = System.nanoTime() + millis(5000);
      while (!isLeader(victim) && System.nanoTime() < until) Thread.sleep(50);
      say("isolate: " + victim.id + " asked to lead: " + (answer == null ? "no answer within 10 s" : answer)
          + (isLeader(victim) ? "" : "; it does not lead, cut off all the same"));
      if (isLeader(victim)) Thread.sleep(1000); // it leads, serves, and holds a lease a while
    }
    boolean leading = isLeader(victim);
    Set<String> others = new LinkedHashSet<>();
    for (NodeProcess node : nodes) if (node != victim) others.add(node.id);
    long droppedBefore = victim.dropped();
    victim.command("block " + String.join(",", others), "BLOCKED");
    for (NodeProcess node : nodes) if (node != victim) node.command("block " + victim.id, "BLOCKED");
    isolations.incrementAndGet();
    if (leading && slow) slowLeaderIsolations.incrementAndGet();
    current = "isolated " + victim.id + (leading ? " (leader)" : "");
    say("isolate " + victim.id + (leading ? ", the leader" : "") + (slow ? ", clock rate " + victim.clockRate : "")
        + ", from " + String.join(",", others));
    Thread.sleep(2000 + random.nextInt(6000));
    for (NodeProcess node : nodes) node.command("heal", "HEALED");
    say("heal " + victim.id + " (Raft messages it dropped: " + (victim.dropped() - droppedBefore) + ")");
  }

  /** The running node whose clock runs slowest, when it is slower than another; else null. */
  private static NodeProcess slowest(List<NodeProcess> nodes) {
    NodeProcess slowest = nodes.stream().min(Comparator.comparingDouble(n -> n.clockRate)).orElse(null);
    boolean slower = slowest != null && nodes.stream().anyMatch(n -> n.clockRate > slowest.clockRate);
    return slower ? slowest : null;
  }

  /** The groups of a partition: nodes in one group reach each other; a node in two groups is a bridge. */
  private List<Set<String>> shape(List<NodeProcess> nodes) {
    List<String> ids = new ArrayList<>(nodes.stream().map(n -> n.id).toList());
    NodeProcess leader = leader();
    int choice = random.nextInt(3);
    if (choice == 0 && leader != null) { // the leader alone
      Set<String> rest = new LinkedHashSet<>(ids);
      rest.remove(leader.id);
      return List.of(Set.of(leader.id), rest);
    }
    Collections.shuffle(ids, random);
    if (choice == 1) { // a bridge: two halves joined only through one node
      String bridge = ids.get(0);
      List<String> others = ids.subList(1, ids.size());
      Set<String> left = new LinkedHashSet<>(others.subList(0, others.size() / 2));
      Set<String> right = new LinkedHashSet<>(others.subList(others.size() / 2, others.size()));
      left.add(bridge);
      right.add(bridge);
      return List.of(left, right);
    }
    int minority = 1 + random.nextInt((ids.size() - 1) / 2); // a random minority and the majority
    return List.of(new LinkedHashSet<>(ids.subList(0, minority)), new LinkedHashSet<>(ids.subList(minority, ids.size())));
  }

  /** For each node, the nodes it shares no group with: what it must stop sending to. */
  private static Map<String, Set<String>> cuts(List<NodeProcess> nodes, List<Set<String>> sides) {
    Map<String, Set<String>> cut = new HashMap<>();
    for (NodeProcess a : nodes) {
      Set<String> blocked = new LinkedHashSet<>();
      for (NodeProcess b : nodes) {
        if (a == b) continue;
        boolean together = sides.stream().anyMatch(side -> side.contains(a.id) && side.contains(b.id));
        if (!together) blocked.add(b.id);
      }
      cut.put(a.id, blocked);
    }
    return cut;
  }

  private static String describe(List<Set<String>> sides) {
    List<String> parts = new ArrayList<>();
    for (Set<String> side : sides) parts.add("{" + String.join(",", side.stream().sorted().toList()) + "}");
    return String.join(" | ", parts);
  }

  /** The leader two times in three when one is known, else any running node. */
  private NodeProcess victim() {
    NodeProcess leader = leader();
    if (leader != null && random.nextInt(3) < 2) return leader;
    List<NodeProcess> running = running();
    return running.get(random.nextInt(running.size()));
  }

  /** The nodes running now (every node between faults, less the spares not started and the removed ones). */
  private List<NodeProcess> running() {
    return nodes.stream().filter(NodeProcess::alive).toList();
  }

  /** The running node that reported leading the highest term, if any. */
  NodeProcess leader() {
    return nodes.stream()
        .filter(n -> n.alive() && !n.paused() && n.role().role().equals("LEADER"))
        .max(Comparator.comparingLong(n -> n.role().term()))
        .orElse(null);
  }

  private boolean isLeader(NodeProcess node) {
    return node == leader();
  }

  private void say(String what) {
    long ms = elapsedMillis.getAsLong();
    out.printf("[%4d.%01ds] nemesis: %s%n", ms / 1000, (ms % 1000) / 100, what);
    out.flush();
  }

  private static long millis(long ms) {
    return TimeUnit.MILLISECONDS.toNanos(ms);
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left = nanos - System.nanoTime();
    if (left > 0) TimeUnit.NANOSECONDS.sleep(left);
  }
}
