package io.pekkoraft.chaos.runner;

import io.pekkoraft.chaos.ChaosCluster;
import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryWriter;
import io.pekkoraft.chaos.kv.KvStateMachine;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.testing.LocalPorts;
import io.pekkoraft.membership.RaftMembership;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;

/**
 * One chaos run: the node processes, the client system, the clients, the nemesis and the progress lines. The
 * checks of the history are {@link io.pekkoraft.chaos.ChaosRunner}'s.
 */
public final class ChaosRun {

  /** Bound on a node's start (JVM, cluster join, journal recovery) until it serves. */
  private static final long READY_SECONDS = 90;
  /** Spare nodes for the membership fault: node-(N+1) and node-(N+2), started when they are added. */
  private static final int SPARES = 2;
  /** How long the clients go on after the last fault is healed, before the final reads. */
  private static final long SETTLE_SECONDS = 3;

  /**
   * What the run produced for the checks.
   *
   * @param events the history
   * @param finalValues per history key ("" for the counter), the value read after the faults ended
   * @param faults what the nemesis did, in words
   * @param appliedIds the counter workload: the ids of the adds the store applied, in the order applied, read
   *     after the faults; null for the register workload
   * @param notes what else the run has to say; may be empty
   * @param checks checks of the workload's own beyond the history's (the etcd workload: watches, leases), each
   *     with its verdict; may be empty
   */
  public record Outcome(List<Event> events, Map<String, Object> finalValues, String faults, long[] appliedIds,
      String notes, List<Check> checks) {
    public Outcome(List<Event> events, Map<String, Object> finalValues, String faults) {
      this(events, finalValues, faults, null, "");
    }

    public Outcome(List<Event> events, Map<String, Object> finalValues, String faults, long[] appliedIds, String notes) {
      this(events, finalValues, faults, appliedIds, notes, List.of());
    }
  }

  /** A check of a workload's own: its name, whether it holds, and what it found. */
  public record Check(String name, boolean holds, String verdict) {}

  private final ChaosOptions options;
  private final PrintStream out;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private final RunLog log;

  public ChaosRun(ChaosOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.log = new RunLog(out, startNanos);
  }

  public Outcome run() throws Exception {
    Path dir = options.dir().toAbsolutePath();
    clearRunDirectory(dir); // the same seed starts from empty journals
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(MARKER), "a chaos run directory: the next run with this directory deletes it\n");
    say("seed " + options.seed() + ": " + options.nodes() + " nodes, " + options.clients() + " clients, "
        + options.workload().name().toLowerCase() + " workload, faults " + (options.faults().isEmpty() ? "none"
        : options.faults().stream().map(f -> f.name().toLowerCase()).collect(Collectors.joining(","))) + " for "
        + options.duration().toSeconds() + " s; sessions " + (options.sessions() ? "on" : "off") + ", request deadline "
        + options.requestTimeout().toMillis() + " ms, reads " + options.reads().name().toLowerCase()
        + (options.reads() == io.pekkoraft.consensus.ReadConsistency.LEASE ? " (lease margin " + options.leaseMargin().toMillis()
            + " ms)" : "") + (options.clockRates().isEmpty() ? "" : ", clock rates " + options.clockRates())
        + ", routes " + options.routes().name().toLowerCase() + ", attempt timeout " + options.attemptTimeout().toMillis()
        + " ms; run directory " + dir);
    Thread killer = new Thread(() -> nodes.forEach(NodeProcess::stop));
    Runtime.getRuntime().addShutdownHook(killer); // nodes never outlive the runner
    ActorSystem<Void> system = null;
    ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "chaos-progress");
      t.setDaemon(true);
      return t;
    });
    try (HistoryWriter history = new HistoryWriter(options.history())) {
      boolean membership = options.faults().contains(ChaosOptions.Fault.MEMBERSHIP);
      int total = options.nodes() + (membership ? SPARES : 0);
      List<Integer> ports = LocalPorts.free(total + 1);
      List<Integer> nodePorts = ports.subList(0, total);
      Map<String, Integer> bootstrap = new LinkedHashMap<>();
      Map<String, Integer> everyNode = new LinkedHashMap<>();
      Map<String, NodeProcess> byId = new LinkedHashMap<>();
      for (int i = 0; i < total; i++) {
        String id = ChaosCluster.memberId(i);
        everyNode.put(id, nodePorts.get(i));
        if (i < options.nodes()) bootstrap.put(id, nodePorts.get(i));
        NodeProcess node = new NodeProcess(id, nodePorts.get(i), nodePorts, dir, options.nodeSettings(),
            options.clockRate(id));
        nodes.add(node);
        byId.put(id, node);
      }
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      for (String id : bootstrap.keySet()) ready.add(byId.get(id).start(bootstrap));
      CompletableFuture.allOf(ready.toArray(CompletableFuture<?>[]::new)).get(READY_SECONDS, TimeUnit.SECONDS);
      say("all " + options.nodes() + " nodes are serving" + (membership ? "; spares " + nodes.subList(options.nodes(), total)
          .stream().map(n -> n.id).toList() + " wait to be started and added" : ""));

      // The client lists every node that may ever be a member: a RaftClient reaches only those it lists.
      system = ActorSystem.create(Behaviors.empty(), ChaosCluster.SYSTEM_NAME,
          ChaosCluster.client(ports.get(total), nodePorts, everyNode, options.clientSettings()));
      RaftClient<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> client =
          RaftClient.<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result>create(system, ChaosCluster.GROUP_ID)
              .withAskTimeout(options.requestTimeout());
      awaitLeader(client);

      Workload workload = new Workload(options.workload());
      Clients clients = new Clients(client, history, workload, options.requestTimeout(), options.reads(),
          startNanos, options.clients(), options.seed(),
          options.routes() == ChaosOptions.Routes.HOME ? List.copyOf(bootstrap.keySet()) : List.of(), options.attemptTimeout());
      ReentrantLock processes = new ReentrantLock(true);
      Nemesis nemesis = new Nemesis(nodes, options.faults(), processes, options.seed(), out, log::elapsedMillis);
      MembershipNemesis changes = null;
      if (membership) {
        ActorSystem<Void> clientSystem = system;
        changes = new MembershipNemesis(byId, bootstrap.keySet(), RaftMembership.get(system).forClient(client), processes,
            options.seed(), out, log::elapsedMillis, nemesis::leader,
            address -> Cluster.get(clientSystem).manager().tell(new Down(AddressFromURIString.parse(address))),
            dir.resolve("membership.log"));
      }
      MembershipNemesis membershipNemesis = changes;
      progress.scheduleAtFixedRate(() -> progressLine(clients, nemesis, membershipNemesis), 5, 5, TimeUnit.SECONDS);
      clients.start();
      long end = System.nanoTime() + options.duration().toNanos();
      CompletableFuture<Void> changing = membershipNemesis == null ? CompletableFuture.completedFuture(null)
          : CompletableFuture.runAsync(() -> {
            try {
              membershipNemesis.runUntil(end);
            } catch (Exception e) {
              throw new CompletionException(e);
            }
          }, runnable -> {
            Thread t = new Thread(runnable, "chaos-membership");
            t.setDaemon(true);
            t.start();
          });
      nemesis.runUntil(end);
      try {
        changing.get(); // its last change finishes (or fails) on its own deadlines
      } catch (ExecutionException e) {
        throw e.getCause() instanceof CompletionException c && c.getCause() instanceof Exception cause ? cause : e;
      }
      String faults = options.duration().toSeconds() + " s of faults: " + nemesis.kills.get() + " kills ("
          + nemesis.leaderKills.get() + " of the leader), " + nemesis.pauses.get() + " pauses (" + nemesis.leaderPauses.get()
          + " of the leader), " + nemesis.partitions.get() + " partitions"
          + (options.faults().contains(ChaosOptions.Fault.ISOLATE) ? ", " + nemesis.isolations() : "");
      if (membershipNemesis != null) {
        Membership last = membershipNemesis.settle();
        faults += ", " + membershipNemesis.summary() + "; final configuration: " + MembershipNemesis.describe(last);
      }
      say("faults over (" + faults + "); every node of the group is running and connected");
      Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));
      clients.stop();
      progress.shutdownNow();
      progressLine(clients, nemesis, membershipNemesis);

      Map<String, Object> finalValues = finalReads(clients, history.events());
      say("final reads: " + (finalValues.size() <= 5 ? finalValues : finalValues.size() + " keys"));
      long[] appliedIds = null;
      if (options.workload() == ChaosOptions.Workload.COUNTER) {
        appliedIds = clients.appliedIds(Workload.COUNTER_KEY, Duration.ofSeconds(60));
        say("the store applied " + appliedIds.length + " adds");
      }
      String notes = "";
      log.reportNodeLogs(nodes);
      return new Outcome(history.events(), finalValues, faults, appliedIds, notes);
    } finally {
      progress.shutdownNow();
      if (system != null) { // first, while the nodes can still see it leave
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      for (NodeProcess node : nodes) node.stop();
      Runtime.getRuntime().removeShutdownHook(killer);
    }
  }

  /** A linearizable read succeeds: a leader is elected and has committed an entry of its term. */
  private void awaitLeader(RaftClient<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> client)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        client.read(new KvStateMachine.Read(Workload.COUNTER_KEY)).toCompletableFuture()
            .get(options.requestTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        say("a leader serves linearizable reads");
        return;
      } catch (Exception e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw new TimeoutException("no leader served a read within " + READY_SECONDS + " s: " + last);
  }

  /** After the faults: a linearizable read of every key the history touched, recorded like any operation. */
  private Map<String, Object> finalReads(Clients clients, List<Event> events) throws TimeoutException {
    Set<String> keys = new LinkedHashSet<>();
    for (Event e : events) keys.add(e.key() == null ? "" : e.key());
    if (keys.isEmpty()) keys.add(options.workload() == ChaosOptions.Workload.COUNTER ? "" : "r0");
    Map<String, Object> values = new LinkedHashMap<>();
    for (String key : keys) {
      boolean counter = key.isEmpty();
      values.put(key, clients.finalRead(counter ? null : key, counter ? Workload.COUNTER_KEY : key, Duration.ofSeconds(60)));
    }
    return values;
  }

  private void progressLine(Clients clients, Nemesis nemesis, MembershipNemesis changes) {
    NodeProcess leader = nemesis.leader();
    say(String.format("%d ops (%d ok, %d fail, %d info), %d faults, leader %s, now: %s",
        clients.tally.total(), clients.tally.ok.get(), clients.tally.fail.get(), clients.tally.info.get(),
        nemesis.total() + (changes == null ? 0 : changes.attempted()),
        leader == null ? "none" : leader.id + " (term " + leader.role().term() + ")",
        nemesis.current + (changes == null ? "" : "; membership: " + changes.current)));
  }

  private void say(String line) {
    log.say(line);
  }


  /** Marks a directory as a chaos run's, which the next run in the same directory may delete. */
  static final String MARKER = ".chaos-run";

  /** Deletes an earlier run's directory; refuses a directory that holds anything else. */
  static void clearRunDirectory(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    boolean empty;
    try (var entries = Files.list(dir)) {
      empty = entries.findAny().isEmpty();
    }
    if (!empty && !Files.exists(dir.resolve(MARKER))) {
      throw new IllegalArgumentException("--dir " + dir + " is not empty and not a chaos run directory (no " + MARKER
          + "): choose another");
    }
    try (var paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(path);
    }
  }
}
