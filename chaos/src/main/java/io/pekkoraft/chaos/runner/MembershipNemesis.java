package io.pekkoraft.chaos.runner;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.membership.MembershipClient;
import io.pekkoraft.membership.MembershipException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The membership fault: while the {@link Nemesis} kills, pauses and partitions, this one changes who is in the
 * group, one change at a time, through the membership module's Java API ({@link MembershipClient}) from the
 * runner's own system. The kinds come in shuffled rounds, like the other faults:
 *
 * <ul>
 *   <li>add: a spare node is started as a joining node, then {@code addVoter}, or {@code addLearner} and
 *       {@code promote};
 *   <li>remove: a voter (the leader one time in three), never below {@link #MIN_VOTERS} voters;
 *   <li>replace: add a spare as a voter, then remove a voter;
 *   <li>joint replace, grow and shrink: {@code changeVoters} with two voters changing (two spares added as
 *       learners first when they come in), through joint consensus.
 * </ul>
 *
 * A learner left behind (a promotion that timed out) is promoted or removed next. After each change the
 * nemesis reads the membership until it is committed and not joint, and reconciles the processes with it:
 * a node that is not a member is stopped, downed in the Pekko Cluster and its data deleted; it is a spare
 * again, and may be added back later under the same id, on an empty disk, as a joining node. A node is only
 * ever wiped once a committed configuration leaves it out, and only committed learners are ever made voters,
 * so a late change cannot make a wiped node a voter (at most a learner, which is then removed). Failures of
 * the API ({@link MembershipException}) are expected under faults: they are logged, and the run goes on.
 * Each change and its outcome goes to the progress output and to {@code membership.log} in the run directory.
 */
final class MembershipNemesis {

  static final int MIN_VOTERS = 3;
  /** How long to keep reading the membership until it is committed and not joint. */
  private static final Duration SETTLE = Duration.ofSeconds(60);

  enum Kind { ADD, REMOVE, REPLACE, JOINT_REPLACE, JOINT_GROW, JOINT_SHRINK }

  private final Map<String, NodeProcess> nodes;
  private final MembershipClient members;
  private final ReentrantLock processes;
  private final Random random;
  private final PrintStream out;
  private final LongSupplier elapsedMillis;
  private final Supplier<NodeProcess> leader;
  private final Consumer<String> down;
  private final PrintWriter log;
  /** Ids whose node is started and not retired (a member, or a spare being added). */
  private final Set<String> inPlay = Collections.synchronizedSet(new LinkedHashSet<>());
  private final List<Kind> round = new ArrayList<>();

  private int attempted;
  private int succeeded;
  private final List<String> changesMade = new ArrayList<>();
  private final Map<String, Integer> failures = new TreeMap<>();
  private int retired;
  /** What is being done right now, for the progress lines. */
  volatile String current = "nothing";
  private volatile Membership last;

  /**
   * @param nodes every node, bootstrap members and spares, by id
   * @param bootstrap the ids running as members at the start
   * @param processes held while starting or stopping a node (the {@link Nemesis} holds it during a fault)
   * @param leader the node reporting to lead, or null
   * @param down downs a Pekko address in the cluster (a node stopped for good)
   */
  MembershipNemesis(Map<String, NodeProcess> nodes, Set<String> bootstrap, MembershipClient members,
      ReentrantLock processes, long seed, PrintStream out, LongSupplier elapsedMillis, Supplier<NodeProcess> leader,
      Consumer<String> down, Path logFile) throws IOException {
    this.nodes = nodes;
    this.members = members;
    this.processes = processes;
    this.random = new Random(seed ^ 0x6d656d62L);
    this.out = out;
    this.elapsedMillis = elapsedMillis;
    this.leader = leader;
    this.down = down;
    this.log = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8), true);
    this.inPlay.addAll(bootstrap);
  }

  synchronized int attempted() {
    return attempted;
  }

  /** In words, for the summary. */
  synchronized String summary() {
    return attempted + " membership changes (" + succeeded + " ok" + (changesMade.isEmpty() ? "" : ": "
        + String.join(", ", changesMade)) + (failures.isEmpty() ? "" : "; failed: " + failures) + "; "
        + retired + " nodes stopped and wiped after their removal)";
  }

  /** Changes the membership until {@code endNanos}, one change at a time, then returns (nothing left in flight). */
  void runUntil(long endNanos) throws Exception {
    try {
      while (System.nanoTime() < endNanos) {
        sleepUntil(Math.min(endNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000 + random.nextInt(3000))));
        if (System.nanoTime() >= endNanos) break;
        Membership m = committed(SETTLE);
        if (m == null) continue;
        reconcile(m);
        change(m);
        Membership after = committed(SETTLE);
        if (after != null) reconcile(after);
      }
    } finally {
      current = "nothing";
    }
  }

  /**
   * After the faults: reads the membership until it is committed and not joint, and stops every node that is
   * not a member, so that the final reads go to the final configuration. Returns it.
   */
  Membership settle() throws Exception {
    Membership m = committed(Duration.ofSeconds(90));
    if (m == null) throw new TimeoutException("no committed membership could be read within 90 s after the faults");
    reconcile(m);
    log.close();
    return m;
  }

  // ---- planning and making one change

  private void change(Membership m) throws Exception {
    Set<String> voters = new TreeSet<>(m.voters());
    List<String> spares = nodes.keySet().stream().filter(id -> !isMember(m, id) && !inPlay.contains(id)).toList();
    List<String> orphans = m.learners().stream().filter(id -> !inPlay.contains(id)).sorted().toList();
    List<String> learners = m.learners().stream().filter(inPlay::contains).sorted().toList();
    if (!orphans.isEmpty()) { // a learner whose add committed after its node was stopped: take it out
      call("remove learner " + orphans.get(0) + " (its node was stopped)", () -> members.remove(orphans.get(0)));
      return;
    }
    if (!learners.isEmpty()) { // left behind by a promotion that failed
      String learner = learners.get(random.nextInt(learners.size()));
      if (random.nextBoolean()) call("promote " + learner, () -> members.promote(learner));
      else call("remove learner " + learner, () -> members.remove(learner));
      return;
    }
    Kind kind = nextKind(voters.size(), spares.size());
    List<String> shuffled = new ArrayList<>(spares);
    Collections.shuffle(shuffled, random);
    switch (kind) {
      case ADD -> {
        String spare = shuffled.get(0);
        if (!startSpares(List.of(spare), m)) return;
        if (random.nextBoolean()) {
          call("add voter " + spare, () -> members.addVoter(spare, address(spare)));
        } else if (call("add learner " + spare, () -> members.addLearner(spare, address(spare)))) {
          call("promote " + spare, () -> members.promote(spare));
        }
      }
      case REMOVE -> {
        String victim = voterToRemove(voters, Set.of());
        call("remove voter " + victim + describeLeader(victim), () -> members.remove(victim));
      }
      case REPLACE -> {
        String spare = shuffled.get(0);
        String victim = voterToRemove(voters, Set.of());
        if (!startSpares(List.of(spare), m)) return;
        if (call("replace " + victim + " by " + spare + ": add voter " + spare,
            () -> members.addVoter(spare, address(spare)))) {
          call("replace " + victim + " by " + spare + ": remove " + victim + describeLeader(victim),
              () -> members.remove(victim));
        }
      }
      case JOINT_REPLACE, JOINT_GROW -> {
        List<String> in = shuffled.subList(0, 2);
        Set<String> out = new TreeSet<>();
        if (kind == Kind.JOINT_REPLACE) {
          out.add(voterToRemove(voters, Set.of()));
          out.add(voterToRemove(voters, out));
        }
        Set<String> next = new TreeSet<>(voters);
        next.removeAll(out);
        next.addAll(in);
        if (!startSpares(in, m)) return;
        for (String spare : in) {
          if (!call("add learner " + spare + " for a joint change", () -> members.addLearner(spare, address(spare)))) return;
        }
        call("joint change " + voters + " -> " + next, () -> members.changeVoters(next));
      }
      case JOINT_SHRINK -> {
        Set<String> out = new TreeSet<>();
        out.add(voterToRemove(voters, Set.of()));
        out.add(voterToRemove(voters, out));
        Set<String> next = new TreeSet<>(voters);
        next.removeAll(out);
        call("joint change " + voters + " -> " + next, () -> members.changeVoters(next));
      }
    }
  }

  /** The next kind of the shuffled round that these numbers of voters and spares allow. */
  private Kind nextKind(int voters, int spares) {
    for (int tries = 0; tries < 2 * Kind.values().length; tries++) {
      if (round.isEmpty()) {
        round.addAll(List.of(Kind.values()));
        Collections.shuffle(round, random);
      }
      for (int i = 0; i < round.size(); i++) {
        Kind kind = round.get(i);
        if (feasible(kind, voters, spares)) return round.remove(i);
      }
      round.clear();
    }
    throw new IllegalStateException("no membership change possible with " + voters + " voters and " + spares + " spares");
  }

  private static boolean feasible(Kind kind, int voters, int spares) {
    return switch (kind) {
      case ADD, REPLACE -> spares >= 1;
      case REMOVE -> voters > MIN_VOTERS;
      case JOINT_REPLACE, JOINT_GROW -> spares >= 2;
      case JOINT_SHRINK -> voters - 2 >= MIN_VOTERS;
    };
  }

  /** A voter to remove, not in {@code besides}: the leader one time in three when it is a voter, else any. */
  private String voterToRemove(Set<String> voters, Set<String> besides) {
    NodeProcess l = leader.get();
    if (l != null && voters.contains(l.id) && !besides.contains(l.id) && random.nextInt(3) == 0) return l.id;
    List<String> candidates = voters.stream().filter(v -> !besides.contains(v)).toList();
    return candidates.get(random.nextInt(candidates.size()));
  }

  private String describeLeader(String id) {
    NodeProcess l = leader.get();
    return l != null && l.id.equals(id) ? " (the leader)" : "";
  }

  /** Makes one change and waits for its outcome; logs it. True when it succeeded. */
  private boolean call(String what, Supplier<CompletionStage<Membership>> change) throws InterruptedException {
    synchronized (this) {
      attempted++;
    }
    current = what;
    say(what + " ...");
    try {
      Membership m = change.get().toCompletableFuture().get(5, TimeUnit.MINUTES);
      synchronized (this) {
        succeeded++;
        changesMade.add(what);
      }
      record(what, "ok: " + describe(m));
      return true;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String kind = cause instanceof MembershipException ? cause.getClass().getSimpleName() : String.valueOf(cause);
      synchronized (this) {
        failures.merge(cause.getClass().getSimpleName(), 1, Integer::sum);
      }
      boolean mayHaveChanged = cause instanceof MembershipException me && me.mayHaveChanged();
      record(what, "failed, " + kind + (mayHaveChanged ? " (may have changed)" : "") + ": " + cause.getMessage());
      return false;
    } catch (TimeoutException e) {
      synchronized (this) {
        failures.merge("no answer", 1, Integer::sum);
      }
      record(what, "failed: the membership client did not answer within 5 minutes");
      return false;
    } finally {
      current = "nothing";
    }
  }

  // ---- the processes

  /**
   * Starts spares as joining nodes, together: each id is none of the members it lists (the group's members
   * now, so that it reaches the leader, whoever that is), and its data directory is empty (wiped when it was
   * retired). False, with every one of them stopped and wiped again, when one did not start.
   */
  private boolean startSpares(List<String> ids, Membership m) throws Exception {
    Map<String, Integer> listed = new LinkedHashMap<>();
    for (String member : new TreeSet<>(allMembers(m))) listed.put(member, nodes.get(member).port);
    for (String id : ids) {
      if (listed.containsKey(id)) throw new IllegalStateException(id + " is a member already: " + describe(m));
    }
    processes.lock();
    try {
      say("start spare" + (ids.size() == 1 ? " " : "s ") + ids + " as joining nodes (listing " + listed.keySet() + ")");
      List<java.util.concurrent.CompletableFuture<Void>> ready = new ArrayList<>();
      for (String id : ids) ready.add(nodes.get(id).start(listed));
      inPlay.addAll(ids);
      try {
        java.util.concurrent.CompletableFuture.allOf(ready.toArray(java.util.concurrent.CompletableFuture<?>[]::new))
            .get(90, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        record("start spares " + ids, "failed: " + e);
        for (String id : ids) {
          nodes.get(id).stop();
          nodes.get(id).wipe();
          inPlay.remove(id);
        }
        return false;
      }
      say(ids + " serving, waiting to be added");
      return true;
    } finally {
      processes.unlock();
    }
  }

  /**
   * Stops every node that is not a member of {@code m} (committed, not joint), downs it in the cluster and
   * deletes its data: a spare again. Every voter must still have its node.
   */
  private void reconcile(Membership m) throws Exception {
    if (!m.committed() || m.isJoint()) throw new IllegalArgumentException("reconcile needs a committed configuration: " + m);
    last = m;
    Set<String> all = allMembers(m);
    for (String voter : m.voters()) {
      if (!inPlay.contains(voter)) {
        throw new IllegalStateException("voter " + voter + " of the committed configuration " + describe(m)
            + " has no node: the runner retired a node that was still to become a voter");
      }
    }
    List<String> gone = inPlay.stream().filter(id -> !all.contains(id)).sorted().toList();
    if (gone.isEmpty()) return;
    processes.lock();
    try {
      for (String id : gone) {
        NodeProcess node = nodes.get(id);
        node.stop();
        down.accept(node.address());
        node.wipe();
        inPlay.remove(id);
        synchronized (this) {
          retired++;
        }
        record("retire " + id, "stopped, downed and its data deleted: not a member of configuration "
            + m.configurationIndex() + " " + describe(m));
      }
    } finally {
      processes.unlock();
    }
  }

  /** The membership, read until it is committed and not joint, or null if it was not within {@code within}. */
  private Membership committed(Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    String lastProblem = "nothing read";
    while (System.nanoTime() < deadline) {
      try {
        Membership m = members.membership().toCompletableFuture().get(2, TimeUnit.MINUTES);
        if (m.committed() && !m.isJoint() && m.learnersNext().isEmpty()) return m;
        lastProblem = "not settled: " + describe(m);
      } catch (ExecutionException | TimeoutException e) {
        lastProblem = String.valueOf(e.getCause() != null ? e.getCause() : e);
      }
      Thread.sleep(500);
    }
    record("read the membership", "no committed configuration within " + within.toSeconds() + " s; last: " + lastProblem);
    return null;
  }

  /** The last committed configuration read. */
  Membership last() {
    return last;
  }

  private static Set<String> allMembers(Membership m) {
    Set<String> all = new TreeSet<>(m.voters());
    all.addAll(m.learners());
    all.addAll(m.votersOutgoing());
    all.addAll(m.learnersNext());
    return all;
  }

  private static boolean isMember(Membership m, String id) {
    return allMembers(m).contains(id);
  }

  private String address(String id) {
    return nodes.get(id).address();
  }

  static String describe(Membership m) {
    return "voters " + new TreeSet<>(m.voters()) + (m.learners().isEmpty() ? "" : " learners " + new TreeSet<>(m.learners()))
        + (m.isJoint() ? " outgoing " + new TreeSet<>(m.votersOutgoing()) : "") + " at index " + m.configurationIndex()
        + (m.committed() ? "" : " (not committed)");
  }

  private void record(String what, String outcome) {
    say(what + ": " + outcome);
    long ms = elapsedMillis.getAsLong();
    log.printf("%d.%03d %s: %s%n", ms / 1000, ms % 1000, what, outcome);
  }

  private void say(String what) {
    long ms = elapsedMillis.getAsLong();
    synchronized (out) {
      out.printf("[%4d.%01ds] membership: %s%n", ms / 1000, (ms % 1000) / 100, what);
      out.flush();
    }
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left = nanos - System.nanoTime();
    if (left > 0) TimeUnit.NANOSECONDS.sleep(left);
  }
}
