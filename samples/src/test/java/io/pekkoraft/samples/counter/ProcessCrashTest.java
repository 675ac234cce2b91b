package io.pekkoraft.samples.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.typesafe.config.Config;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.testing.LocalPorts;
import io.pekkoraft.consensus.transport.ReceptionistTransport;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Crash safety across real processes. Three {@link CounterNode} JVMs on 127.0.0.1, each with the durable journal in
 * its own data directory, count increments sent by a client in this JVM (a cluster member without a Raft group,
 * which finds the servers through the receptionist) while a seeded fault loop kills one node at a time with
 * SIGKILL, the leader more often than not, and starts it again on the same directory. An increment is
 * acknowledged (Applied), certainly not applied (NotLeader, Rejected: retried) or of unknown outcome (Timeout,
 * NoQuorum, no answer: never retried). A second, scripted scenario (about 40 s) restarts the group in turn
 * after its logs were compacted, while one follower is down, and checks that this follower catches up from
 * the snapshot the new leader recovered.
 *
 * <pre>
 * Short form (the default, about 2 minutes in all): 75 s of faults, about 5 kills.
 * Only the scripted one: -Dtest='ProcessCrashTest#aFollowerBackFromARollingRestart*'
 * Long form:  mvn -B -pl samples test -Dtest=ProcessCrashTest -Dcrash.duration=600   (seconds of faults)
 * Replay:     -Dcrash.seed=N reuses the seed a run prints: the same random pauses and choices (which node is
 *             the leader at each kill, and so the victim, still depends on timing).
 * Skip it:    -Dcrash.skip=true
 * </pre>
 *
 * Each node's log (its stderr) is in {@code samples/target/process-crash-<seed>/node-i.log}
 * ({@code samples/target/process-restart-snapshot/node-i.log} for the scripted scenario).
 */
class ProcessCrashTest {

  private static final String GROUP_ID = "counter";
  private static final int NODE_COUNT = 3;
  /** Logical clients, each with one increment in flight at a time. */
  private static final int CLIENTS = 6;
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);
  /**
   * Bound on a node's start (JVM, cluster join, journal recovery, its gRPC gateway) until it prints READY: a
   * failure bound only, generous because three JVMs start at once on a machine that may be busy.
   */
  private static final long READY_TIMEOUT_SECONDS = 150;

  private static final long DURATION_SECONDS = Long.getLong("crash.duration", 75);
  private static final long SEED = Long.getLong("crash.seed", System.nanoTime());

  private static final List<NodeProcess> nodes = new ArrayList<>();
  private static ActorSystem<Void> client;

  // ---- the test ----

  @Test
  void everyAcknowledgedIncrementSurvivesRepeatedKillMinusNine() throws Exception {
    // Every node ends with the acknowledged increments plus at most those of unknown outcome, however often a
    // node (the leader included) is SIGKILLed mid-write and restarted on its journal.
    assumeFalse(Boolean.getBoolean("crash.skip"), "crash.skip=true");
    long started = System.nanoTime();
    System.out.println("ProcessCrashTest: seed " + SEED + ", " + DURATION_SECONDS + " s of faults");
    Path dir = Path.of("target", "process-crash-" + SEED).toAbsolutePath();
    // Snapshots every 500 entries (each run applies tens of thousands): kills land during snapshots and
    // compactions too, restarts recover from snapshot plus journal, and a node that was down long enough
    // gets the leader's snapshot.
    Servers servers = startGroup(dir, 500, 100);
    KryoCodec codec = RaftSerialization.get(client).codec();

    Tally tally = new Tally();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<CompletableFuture<Void>> clientsDone = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      // Half the clients let a follower forward (hops 0); the others only accept the leader's answer (hops 1).
      boolean forwardable = c % 2 == 0;
      clientsDone.add(CompletableFuture.runAsync(() -> incrementUntil(writing::get, servers, codec, tally, forwardable), clients));
    }

    Faults faults = new Faults(new Random(SEED), servers, tally);
    faults.runFor(Duration.ofSeconds(DURATION_SECONDS)).get(DURATION_SECONDS + 3 * READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    writing.set(false);
    // Each client finishes its attempt in flight (at most an ask timeout plus a second): a failure bound,
    // generous for a machine so busy that the test's own threads wait for a core.
    CompletableFuture.allOf(clientsDone.toArray(new CompletableFuture<?>[0]))
        .get(ASK_TIMEOUT.toSeconds() * 3 + 60, TimeUnit.SECONDS);
    clients.shutdown();

    // Every node is up again (the fault loop ends after a restart); a leader commits its no-op, then every
    // node's own copy catches up with the leader's commit index.
    long linearizable = servers.awaitLeader(codec, READY_TIMEOUT_SECONDS);
    Map<String, Long> values = servers.awaitStaleReadsAgree(codec, 60);
    long acknowledged = tally.acknowledged.get();
    long unknown = tally.unknown.get();
    System.out.printf("ProcessCrashTest: seed %d, %d kills (%d of the leader), %d acknowledged, %d unknown,"
            + " %d retried as not applied, linearizable read %d, nodes %s, %d s%n",
        SEED, faults.kills.get(), faults.leaderKills.get(), acknowledged, unknown, tally.notApplied.get(), linearizable,
        values, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));

    assertTrue(faults.kills.get() > 0, "the fault loop killed no node");
    assertTrue(acknowledged > 0, "no increment was acknowledged");
    assertCountsAgree(linearizable, values, tally, "seed " + SEED + ", logs in " + dir);
  }

  /**
   * With no more writes, every node answers a stale read with the value of the leader's linearizable read,
   * which lies between the acknowledged increments and those plus the ones of unknown outcome.
   */
  private static void assertCountsAgree(long linearizable, Map<String, Long> values, Tally tally, String context) {
    long acknowledged = tally.acknowledged.get();
    long unknown = tally.unknown.get();
    assertTrue(linearizable >= acknowledged, "a linearizable read after the last acknowledgement returns "
        + linearizable + " < " + acknowledged + " acknowledged (" + context + ")");
    assertEquals(NODE_COUNT, values.size(), "every node answers a stale read: " + values);
    long first = values.values().iterator().next();
    for (Map.Entry<String, Long> node : values.entrySet()) {
      assertEquals(first, node.getValue(), "the nodes disagree: " + values + " (" + context + ")");
      assertEquals(linearizable, node.getValue(), "with no more writes, " + node.getKey()
          + " should have applied everything the leader had (" + context + ")");
      assertTrue(node.getValue() >= acknowledged, node.getKey() + " lost acknowledged increments: counts "
          + node.getValue() + " of " + acknowledged + " (" + context + ")");
      assertTrue(node.getValue() <= acknowledged + unknown, node.getKey() + " counts " + node.getValue()
          + ", more than the " + acknowledged + " acknowledged plus " + unknown + " unknown (" + context + ")");
    }
  }

  @Test
  void aFollowerBackFromARollingRestartCatchesUpFromTheRecoveredSnapshot() throws Exception {
    // One follower is killed while the others take 400 increments and compact their logs (a snapshot every
    // 100 entries, 10 entries kept before it). Then the two others are killed and restarted one after the
    // other, so both recover from snapshot plus journal and their logs start after the compaction point.
    // The follower, started again while increments go on, can only catch up from the snapshot the leader
    // recovered (InstallSnapshot): the group keeps serving, all three agree, no acknowledged increment is lost.
    assumeFalse(Boolean.getBoolean("crash.skip"), "crash.skip=true");
    long started = System.nanoTime();
    Path dir = Path.of("target", "process-restart-snapshot").toAbsolutePath();
    Servers servers = startGroup(dir, 100, 10);
    KryoCodec codec = RaftSerialization.get(client).codec();
    String leader = servers.leader;
    NodeProcess behind = nodes.stream().filter(n -> !n.id.equals(leader)).findFirst().orElseThrow();
    ActorRef<ServerCommand> behindRef = servers.refs.get(behind.id);
    // With the follower still a cluster member, a second node down would leave the Split Brain Resolver
    // without a majority (it would down the rest); once it has removed the follower, two of three remain.
    CompletableFuture<Void> behindRemoved = removedFromCluster(behind);
    behind.kill();
    behind.awaitExit();

    Tally tally = new Tally();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<CompletableFuture<Void>> clientsDone = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      clientsDone.add(CompletableFuture.runAsync(
          () -> incrementUntil(() -> tally.acknowledged.get() < 400, servers, codec, tally, true), clients));
    }
    CompletableFuture.allOf(clientsDone.toArray(new CompletableFuture<?>[0])).get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    long beforeRestarts = tally.acknowledged.get();
    behindRemoved.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);

    for (NodeProcess node : nodes) {
      if (node == behind) continue;
      ActorRef<ServerCommand> killed = servers.refs.get(node.id);
      node.kill();
      node.awaitExit();
      node.start().thenCompose(ok -> servers.listed(node.id, killed)).get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    servers.awaitLeader(codec, READY_TIMEOUT_SECONDS);
    behind.start().thenCompose(ok -> servers.listed(behind.id, behindRef)).get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);

    // 100 increments, one every 50 ms, while the follower catches up: slow enough that the leader sends it the
    // snapshot it recovered, not one it takes 100 entries later.
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    CountDownLatch paced = new CountDownLatch(100);
    pacer.scheduleAtFixedRate(() -> {
      if (paced.getCount() > 0) clients.execute(() -> {
        incrementOnce(servers, codec, tally, true);
        paced.countDown();
      });
    }, 0, 50, TimeUnit.MILLISECONDS);
    boolean allAnswered = paced.await(100 * 50 / 1000 + 2 * ASK_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
    pacer.shutdownNow();
    clients.shutdown();
    assertTrue(allAnswered, "the paced increments were not all answered (or given up)");

    long linearizable = servers.awaitLeader(codec, READY_TIMEOUT_SECONDS);
    Map<String, Long> values = servers.awaitStaleReadsAgree(codec, 60);
    System.out.printf("ProcessCrashTest: rolling restart, %d acknowledged (%d before the restarts), %d unknown,"
            + " linearizable read %d, nodes %s, %d s%n", tally.acknowledged.get(), beforeRestarts,
        tally.unknown.get(), linearizable, values, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    assertTrue(tally.acknowledged.get() > beforeRestarts, "no increment was acknowledged after the restarts");
    assertCountsAgree(linearizable, values, tally, "logs in " + dir);
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (NodeProcess node : nodes) node.kill();
    for (NodeProcess node : nodes) node.awaitExit();
    nodes.clear();
    if (client != null) {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
      client = null;
    }
  }

  /** Completes once the client's cluster has removed {@code node}'s current incarnation (the Split Brain Resolver downed it). */
  private static CompletableFuture<Void> removedFromCluster(NodeProcess node) {
    CompletableFuture<Void> removed = new CompletableFuture<>();
    String address = CounterSample.address(node.port());
    client.systemActorOf(Behaviors.<ClusterEvent.MemberRemoved>setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberRemoved.class));
      return Behaviors.receiveMessage(e -> {
        if (!e.member().address().toString().equals(address)) return Behaviors.same();
        removed.complete(null);
        return Behaviors.stopped();
      });
    }), "removed-" + node.id + "-" + System.nanoTime(), Props.empty());
    return removed;
  }

  /**
   * Starts the three nodes on empty data directories under {@code dir}, snapshotting every
   * {@code snapshotEveryEntries} entries and keeping {@code trailingEntries} before each, and the client
   * system; returns once every node is listed and a leader answered a linearizable read.
   */
  private static Servers startGroup(Path dir, int snapshotEveryEntries, int trailingEntries) throws Exception {
    deleteRecursively(dir); // a run starts from empty journals
    Files.createDirectories(dir);
    // Should this JVM end without @AfterEach (interrupted build), the nodes must not outlive it.
    List<NodeProcess> started = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> started.forEach(NodeProcess::kill)));
    List<Integer> ports = LocalPorts.free(NODE_COUNT + 1);
    List<Integer> nodePorts = ports.subList(0, NODE_COUNT);
    List<String> options = List.of("-Dpekko-raft.snapshot.every-entries=" + snapshotEveryEntries,
        "-Dpekko-raft.snapshot.trailing-entries=" + trailingEntries);
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    for (int i = 1; i <= NODE_COUNT; i++) {
      NodeProcess node = new NodeProcess("node-" + i, nodePorts, dir, options);
      nodes.add(node);
      started.add(node);
      ready.add(node.start());
    }
    CompletableFuture.allOf(ready.toArray(new CompletableFuture<?>[0])).get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);

    client = ActorSystem.create(Behaviors.empty(), "counter", clientConfig(ports.get(NODE_COUNT), nodePorts));
    Servers servers = new Servers(client);
    servers.awaitAllListed(READY_TIMEOUT_SECONDS);
    servers.awaitLeader(RaftSerialization.get(client).codec(), READY_TIMEOUT_SECONDS);
    return servers;
  }

  // ---- the clients ----

  /** The outcome of every increment sent: exactly one of the three counters grows per increment. */
  private static final class Tally {
    final AtomicLong acknowledged = new AtomicLong();
    /** Timed out, or leadership lost after it was appended: may or may not count. Never retried. */
    final AtomicLong unknown = new AtomicLong();
    /** Answers that say "not applied": NotLeader, Rejected; each was retried as a new attempt. */
    final AtomicLong notApplied = new AtomicLong();
  }

  /** One logical client: one increment at a time, while {@code writing} holds. */
  private static void incrementUntil(BooleanSupplier writing, Servers servers, KryoCodec codec, Tally tally,
      boolean forwardable) {
    while (writing.getAsBoolean()) incrementOnce(servers, codec, tally, forwardable);
  }

  /** One attempt at one increment, counted in {@code tally}; a "not applied" answer is not retried here. */
  private static void incrementOnce(Servers servers, KryoCodec codec, Tally tally, boolean forwardable) {
    byte[] increment = codec.toBytes(new Counter.Increment(1));
    String target = servers.pick();
    ActorRef<ServerCommand> server = target == null ? null : servers.refs.get(target);
    if (server == null) {
      servers.awaitChange(200); // nobody listed right now; wait for a listing, bounded
      return;
    }
    ClientReply reply = ask(servers.system, server,
        replyTo -> new ClientRequest.ClientCommand(increment, forwardable ? 0 : 1, replyTo));
    if (reply instanceof ClientReply.Applied) {
      tally.acknowledged.incrementAndGet();
      if (!forwardable) servers.leader = target; // only the leader applies a request with hops 1
    } else if (reply instanceof ClientReply.NotLeader notLeader) {
      tally.notApplied.incrementAndGet();
      servers.leader = notLeader.leaderId();
      if (notLeader.leaderId() == null) servers.awaitChange(100); // an election is under way
    } else if (reply instanceof ClientReply.Rejected) {
      tally.notApplied.incrementAndGet();
      servers.awaitChange(100);
    } else {
      // Timeout, NoQuorum, or no answer within the ask timeout (the node may be dead): the command may be
      // committed or not. Never retried.
      tally.unknown.incrementAndGet();
      servers.leader = null;
    }
  }

  /** The answer, or null when none came within {@link #ASK_TIMEOUT}. */
  private static ClientReply ask(ActorSystem<?> system, ActorRef<ServerCommand> server,
      Function<ActorRef<ClientReply>, ServerCommand> request) {
    try {
      return AskPattern.<ServerCommand, ClientReply>ask(server, request::apply, ASK_TIMEOUT, system.scheduler())
          .toCompletableFuture().get(ASK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The Raft servers as the receptionist lists them, and the leader as the clients last saw it. */
  private static final class Servers {
    final ActorSystem<Void> system;
    final Map<String, ActorRef<ServerCommand>> refs = new ConcurrentHashMap<>();
    volatile String leader;
    private final Object changed = new Object();

    Servers(ActorSystem<Void> system) {
      this.system = system;
      for (int i = 1; i <= NODE_COUNT; i++) {
        String member = "node-" + i;
        ServiceKey<ServerCommand> key = ReceptionistTransport.serviceKey(GROUP_ID, member);
        system.systemActorOf(Behaviors.<Receptionist.Listing>setup(ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, ctx.getSelf()));
          return Behaviors.receiveMessage(listing -> {
            // Reachable instances only: a killed incarnation drops out once the failure detector notices.
            ActorRef<ServerCommand> found = null;
            for (ActorRef<ServerCommand> ref : listing.getServiceInstances(key)) found = ref;
            if (found == null) refs.remove(member);
            else refs.put(member, found);
            synchronized (changed) {
              changed.notifyAll();
            }
            return Behaviors.same();
          });
        }), "listing-" + member, Props.empty());
      }
    }

    /**
     * Completes once {@code member} is listed by the receptionist again: the restarted node's new incarnation
     * is in the cluster, so the next kill leaves two members that can reach each other.
     */
    CompletableFuture<Void> listed(String member, ActorRef<ServerCommand> killed) {
      return CompletableFuture.runAsync(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
        // The killed incarnation can stay listed until the cluster removes it: wait for the new one.
        while (refs.get(member) == null || refs.get(member).equals(killed)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(member + " not listed " + READY_TIMEOUT_SECONDS + " s after READY");
          }
          awaitChange(500);
        }
      });
    }

    /** The last known leader if it is listed, else any listed server. */
    String pick() {
      String known = leader;
      if (known != null && refs.containsKey(known)) return known;
      List<String> listed = new ArrayList<>(refs.keySet());
      return listed.isEmpty() ? null : listed.get(ThreadLocalRandom.current().nextInt(listed.size()));
    }

    /** Waits, at most {@code millis}, for a new listing. A bounded pause for a client with nobody to ask. */
    void awaitChange(long millis) {
      synchronized (changed) {
        try {
          changed.wait(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    void awaitAllListed(long seconds) throws TimeoutException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (refs.size() < NODE_COUNT) {
        if (System.nanoTime() > deadline) throw new TimeoutException("listed after " + seconds + " s: " + refs.keySet());
        awaitChange(500);
      }
    }

    /**
     * A linearizable read answered by the leader itself (hops 1: no forwarding): the leader has committed an
     * entry of its term, and the value includes every increment acknowledged before. Returns that value.
     */
    long awaitLeader(KryoCodec codec, long seconds) throws TimeoutException {
      byte[] query = codec.toBytes(Counter.GetValue.INSTANCE);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        for (String member : new ArrayList<>(refs.keySet())) {
          ActorRef<ServerCommand> ref = refs.get(member);
          if (ref == null) continue;
          ClientReply reply = ask(system, ref,
              replyTo -> new ClientRequest.ClientQuery(query, ReadConsistency.LINEARIZABLE, 1, replyTo));
          if (reply instanceof ClientReply.Applied applied) {
            leader = member;
            return (Long) applied.result();
          }
        }
        awaitChange(200);
      }
      throw new TimeoutException("no leader answered a linearizable read within " + seconds + " s");
    }

    /** Each node's own copy (STALE, answered locally), asked again until all listed nodes agree, bounded. */
    Map<String, Long> awaitStaleReadsAgree(KryoCodec codec, long seconds) {
      byte[] query = codec.toBytes(Counter.GetValue.INSTANCE);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      Map<String, Long> values = new LinkedHashMap<>();
      do {
        values.clear();
        for (int i = 1; i <= NODE_COUNT; i++) {
          String member = "node-" + i;
          ActorRef<ServerCommand> ref = refs.get(member);
          if (ref == null) continue;
          ClientReply reply = ask(system, ref,
              replyTo -> new ClientRequest.ClientQuery(query, ReadConsistency.STALE, 0, replyTo));
          if (reply instanceof ClientReply.Applied applied) values.put(member, (Long) applied.result());
        }
        if (values.size() == NODE_COUNT && values.values().stream().distinct().count() == 1) return values;
        awaitChange(200);
      } while (System.nanoTime() < deadline);
      return values;
    }
  }

  // ---- the faults ----

  /**
   * Kills one node at a time with SIGKILL, after a random pause (the leader with probability 2/3, else any
   * node), and starts it again on the same data directory after another random pause. The pauses come from
   * the seeded random and are scheduled, not slept.
   */
  private static final class Faults {
    final AtomicInteger kills = new AtomicInteger();
    final AtomicInteger leaderKills = new AtomicInteger();
    private final Random random;
    private final Servers servers;
    private final Tally tally;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long endNanos;

    Faults(Random random, Servers servers, Tally tally) {
      this.random = random;
      this.servers = servers;
      this.tally = tally;
    }

    /** Completes once the duration is over and every node is up again. */
    CompletableFuture<Void> runFor(Duration duration) {
      endNanos = System.nanoTime() + duration.toNanos();
      scheduleKill();
      scheduler.scheduleAtFixedRate(() -> System.out.printf(
          "ProcessCrashTest: acknowledged %d, unknown %d, not applied %d, leader %s, listed %s%n",
          tally.acknowledged.get(), tally.unknown.get(), tally.notApplied.get(), servers.leader,
          new TreeSet<>(servers.refs.keySet())), 5, 5, TimeUnit.SECONDS);
      return done.whenComplete((ok, error) -> scheduler.shutdown());
    }

    private void scheduleKill() {
      if (System.nanoTime() >= endNanos) {
        done.complete(null);
        return;
      }
      scheduler.schedule(this::kill, 1000 + random.nextInt(4000), TimeUnit.MILLISECONDS);
    }

    private void kill() {
      try {
        String leader = servers.leader;
        NodeProcess victim = leader != null && random.nextInt(3) < 2
            ? nodes.stream().filter(n -> n.id.equals(leader)).findFirst().orElseThrow()
            : nodes.get(random.nextInt(nodes.size()));
        boolean ofLeader = victim.id.equals(leader);
        ActorRef<ServerCommand> killedRef = servers.refs.get(victim.id);
        victim.kill();
        victim.awaitExit();
        kills.incrementAndGet();
        if (ofLeader) leaderKills.incrementAndGet();
        System.out.printf("ProcessCrashTest: killed %s%s (acknowledged %d, unknown %d)%n", victim.id,
            ofLeader ? ", the leader," : "", tally.acknowledged.get(), tally.unknown.get());
        scheduler.schedule(() -> restart(victim, killedRef), 500 + random.nextInt(2500), TimeUnit.MILLISECONDS);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }

    private void restart(NodeProcess victim, ActorRef<ServerCommand> killedRef) {
      try {
        System.out.printf("ProcessCrashTest: restarting %s%n", victim.id);
        victim.start().thenCompose(ok -> servers.listed(victim.id, killedRef))
            .orTimeout(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((ok, error) -> {
          if (error != null) done.completeExceptionally(error);
          else scheduleKill();
        });
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }
  }

  // ---- the node processes ----

  /** One CounterNode JVM; started again on the same data directory after each kill. */
  private static final class NodeProcess {
    final String id;
    private final List<Integer> ports;
    private final Path data;
    private final Path log;
    /** JVM options of the node, such as its snapshot settings. */
    private final List<String> options;
    private volatile Process process;

    NodeProcess(String id, List<Integer> ports, Path dir, List<String> options) {
      this.id = id;
      this.ports = ports;
      this.options = List.copyOf(options);
      this.data = dir.resolve(id);
      this.log = dir.resolve(id + ".log");
    }

    /** The port this node listens on: node-i on the i-th. */
    int port() {
      return ports.get(Integer.parseInt(id.substring("node-".length())) - 1);
    }

    /** Starts the JVM; completes when it prints READY, fails if it exits first. */
    synchronized CompletableFuture<Void> start() throws IOException {
      Files.createDirectories(data);
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m",
          // Cluster membership in the node's log (logback-test.xml keeps the rest of Pekko at WARN).
          "-Dpekko.loglevel=INFO"));
      command.addAll(options);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), CounterNode.class.getName(), "--id", id,
          "--ports", ports.stream().map(String::valueOf).collect(Collectors.joining(",")), "--data", data.toString(),
          // No gateway: this test is about the journal under kill -9, and three JVMs starting at once on a
          // busy machine start sooner without it (GatewayExamplesTest covers the counter's gateway).
          "--gateway-port", "off"));
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
      Process started = builder.start();
      process = started;
      CompletableFuture<Void> ready = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) {
            if (line.equals("READY " + id)) ready.complete(null);
          }
        } catch (IOException e) {
          // the process was killed
        }
        ready.completeExceptionally(new IllegalStateException(id + " exited before READY; see " + log));
      }, "stdout-" + id);
      reader.setDaemon(true);
      reader.start();
      return ready;
    }

    /** SIGKILL (Process.destroyForcibly on Linux): no shutdown hook, no flush, no goodbye to the cluster. */
    void kill() {
      Process p = process;
      if (p != null && p.isAlive()) p.destroyForcibly();
    }

    void awaitExit() throws Exception {
      Process p = process;
      if (p != null) p.onExit().get(30, TimeUnit.SECONDS);
    }
  }

  // ---- set-up ----

  /** A cluster member that runs no Raft group: it only finds the servers and talks to them. */
  private static Config clientConfig(int port, List<Integer> nodePorts) {
    return CounterSample.counterConfig(CounterNode.clusterMembership(port, nodePorts), null);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(path);
    }
  }
}
