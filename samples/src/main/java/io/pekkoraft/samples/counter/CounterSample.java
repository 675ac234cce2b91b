package io.pekkoraft.samples.counter;

import com.google.protobuf.ByteString;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.MembershipChanged;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.gateway.grpc.QueryRequest;
import io.pekkoraft.gateway.grpc.RaftServiceClient;
import io.pekkoraft.samples.counter.Counter.GetValue;
import io.pekkoraft.samples.counter.Counter.Increment;
import io.pekkoraft.membership.MembershipClient;
import io.pekkoraft.membership.RaftMembership;
import io.pekkoraft.testkit.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated counter, the first thing to run: three nodes, each its own ActorSystem talking to the
 * others over Artery TCP on 127.0.0.1 (as three processes would; here they share one JVM), form one Pekko
 * Cluster and run one Raft group of {@link Counter}. The sample reads where the counter starts, submits
 * increments, stops the leader's node, watches the other two take over, and then, while increments go on,
 * replaces the stopped node: a new node joins the group as a learner, catches up, is promoted to voter, and
 * the stopped node is removed (the {@code membership} module). It prints each membership change once
 * committed ({@link MembershipChanged}), submits more increments through every remaining node, and checks
 * that each counts exactly the starting value plus the increments that were acknowledged. Every node also serves
 * the group over gRPC ({@code pekko-raft-grpc-gateway}, with {@link CounterCodec}) on a free port it prints; at
 * the end the sample reads the counter through each node's gateway too.
 *
 * <p>Each node keeps its Raft log in the durable journal ({@code pekko-raft.journal}) under one data
 * directory: {@code <data>/node-1/journal}, {@code <data>/node-2/journal}, and so on. The data directory is
 * the first program argument, else the system property {@code counter.data}, else {@code counter-data} in
 * the working directory. The nodes a run starts are those the data directory holds: the group's members,
 * since a removed node's data is deleted (started with its old log, it would still believe it is a member);
 * an empty or new directory starts {@code node-1} to {@code node-3} from 0. So a second run continues from
 * the value and the members the first one left (say node-1, node-3 and node-4), and replaces its own
 * stopped leader by the next new id (node-5). Ports change between runs: a member's log is found by group
 * and member id, and the new node is added without an address, so the group finds it as the one server
 * registered under its id, and later runs at its address in {@code pekko-raft.members}.
 *
 * <p>Run it from the repository root:
 * {@code mvn -B -q -pl samples -am install -DskipTests && mvn -B -q -pl samples exec:java}, with
 * {@code -Dcounter.data=/some/dir} (or {@code -Dexec.args=/some/dir}) for another data directory.
 * The exit code is 0 when the checks hold, 1 otherwise.
 */
public final class CounterSample {

  private static final Logger log = LoggerFactory.getLogger(CounterSample.class);

  static final String SYSTEM_NAME = "counter";
  static final String GROUP_ID = "counter";
  /** The system property that names the data directory when no program argument does. */
  private static final String DATA_PROPERTY = "counter.data";
  /** The data directory when neither names one: relative to the working directory. */
  private static final String DATA_DEFAULT = "counter-data";
  /** The nodes of a new data directory, {@code node-1} to {@code node-3}. */
  private static final int NODE_COUNT = 3;
  /** A node's directory in the data directory: its member id. */
  private static final Pattern NODE_DIR = Pattern.compile("node-(\\d+)");
  /** Increments submitted before the leader stops, and again after. */
  private static final int INCREMENTS = 50;
  /** Increments in flight at once. */
  private static final int CONCURRENT = 10;
  /** Bound on each step that waits: cluster formation, an election, a node's shutdown. */
  private static final long STEP_TIMEOUT_SECONDS = 20;

  /** One node: its ActorSystem, and its handle to the Raft group. */
  private record Node(String id, ActorSystem<Void> system, RaftGroup<Increment, GetValue, Long> counter,
      CompletableFuture<Integer> gatewayPort) {}

  /** Every node's data lives under it, in a directory named by its member id. */
  private final Path dataDir;
  /** The nodes' ActorSystems, and the role changes they report. */
  private LocalCluster cluster;
  /** The nodes still running, by member id. */
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  /**
   * The index of the latest configuration printed: each is printed once, by the first node that reports it
   * committed, and never an older one (a node catching up replays the configurations of earlier runs).
   */
  private long printedConfiguration = -1;

  private long acknowledged;
  /** Timed out: each may or may not have been applied. */
  private long unknown;
  /** Refused (no leader reachable in time, or rejected): certainly not applied. */
  private long notApplied;

  private CounterSample(Path dataDir) {
    this.dataDir = dataDir;
  }

  public static void main(String[] args) {
    CounterSample sample = new CounterSample(dataDir(args));
    boolean ok = false;
    try {
      ok = sample.run();
    } catch (Exception e) {
      log.error("The sample stopped early: {}", e.toString(), e);
    } finally {
      sample.stopAll();
    }
    log.info(ok ? "Done." : "Done, with a failed check (exit code 1).");
    System.exit(ok ? 0 : 1);
  }

  /** The first program argument, else the system property counter.data, else ./counter-data. */
  private static Path dataDir(String[] args) {
    String named = args.length > 0 && !args[0].isBlank() ? args[0] : System.getProperty(DATA_PROPERTY, DATA_DEFAULT);
    return Path.of(named).toAbsolutePath().normalize();
  }

  static String memberId(int index) {
    return "node-" + (index + 1);
  }

  private boolean run() throws Exception {
    // Decided before the nodes start: their journals create their directories.
    List<String> earlier = nodesInData();
    boolean earlierRun = !earlier.isEmpty();
    List<String> ids = earlierRun ? earlier
        : IntStream.range(0, NODE_COUNT).mapToObj(CounterSample::memberId).toList();
    log.info("Keeping the nodes' data in {} ({}).", dataDir, String.join(", ", ids));
    startNodes(ids);

    log.info("Starting the Raft group \"{}\" on every node, and waiting for an election...", GROUP_ID);
    for (String id : cluster.memberIds()) nodes.put(id, startGroup(id));
    long groupStarted = System.nanoTime();
    LocalCluster.RoleSeen leader = await(cluster.leaderKnownTo(GROUP_ID, nodes.keySet(), 0));
    log.info("{} is the leader of term {} ({} ms after the group started); {} follow it.",
        leader.change().memberId(), leader.change().term(), millis(groupStarted, leader.atNanos()),
        String.join(" and ", others(leader.change().memberId())));

    long start = readUntilAnswered(nodes.get(leader.change().memberId()));
    log.info("The counter starts at {} ({}).", start,
        earlierRun ? "left by an earlier run in " + dataDir : "a fresh data directory");

    log.info("Submitting {} increments, {} at a time, through all {} nodes (a follower forwards to the leader)...",
        INCREMENTS, CONCURRENT, nodes.size());
    submitIncrements("");
    // Every node, including one stopped early in an earlier run, must have caught up with the leader.
    boolean allCaughtUp = compareCopies("Before the leader stops", nodes.get(leader.change().memberId()), start);

    Node stopped = nodes.remove(leader.change().memberId());
    log.info("Stopping the leader's node {} (its ActorSystem terminates; a new node will replace it)...",
        stopped.id());
    long stopStarted = System.nanoTime();
    CompletableFuture<LocalCluster.RoleSeen> nextLeader = cluster.leaderKnownTo(GROUP_ID, nodes.keySet(), leader.change().term());
    stopped.system().terminate();
    await(stopped.system().getWhenTerminated().toCompletableFuture());
    log.info("{} has stopped ({} ms); {} remain.", stopped.id(), millis(stopStarted, System.nanoTime()),
        String.join(" and ", nodes.keySet()));
    LocalCluster.RoleSeen newLeader = await(nextLeader);
    log.info("{} took over as leader in term {} after {} ms (a leader that stops gracefully hands its leadership"
            + " over first; after a crash a follower campaigns once it has had no heartbeat for an election timeout,"
            + " {} to {} ms).", newLeader.change().memberId(), newLeader.change().term(),
        millis(stopStarted, newLeader.atNanos()), electionTimeout(newLeader, "min"),
        electionTimeout(newLeader, "max"));

    replaceStoppedNode(stopped.id(), nodes.get(newLeader.change().memberId()), nextNodeId(ids));

    log.info("Submitting {} more increments through {}...", INCREMENTS, String.join(", ", nodes.keySet()));
    submitIncrements("more ");

    boolean remainingAgree = compareCopies("After the membership changed", nodes.get(newLeader.change().memberId()), start);
    boolean gatewaysAgree = readThroughGateways(nodes.get(newLeader.change().memberId()));
    return allCaughtUp && remainingAgree && gatewaysAgree;
  }

  /**
   * While increments go on through the nodes still running: node {@code joining} starts, joins the group as
   * a learner and catches up, is promoted to voter, and the stopped node is removed and its data deleted.
   * The changes go through the membership module on {@code leader}'s node (any member would do: it forwards
   * to the leader).
   */
  private void replaceStoppedNode(String stoppedId, Node leader, String joining) throws Exception {
    log.info("Replacing {} by a new node, {}, while increments go on through {}...", stoppedId, joining,
        String.join(" and ", nodes.keySet()));
    AtomicBoolean changing = new AtomicBoolean(true);
    long acknowledgedBefore = acknowledged;
    List<Node> through = List.copyOf(nodes.values());
    ExecutorService loadThread = Executors.newSingleThreadExecutor();
    Future<?> load = loadThread.submit(() -> {
      while (changing.get()) submitWave(through, CONCURRENT);
      return null;
    });
    Node added;
    try {
      cluster.join(joining); // outside pekko-raft.members: its server waits as a non-member until it is added
      added = startGroup(joining);
      MembershipClient members = RaftMembership.get(leader.system()).group(GROUP_ID);
      // No address: the sample's ports change from run to run, and an address recorded in the group's
      // configuration is kept for good. A deployment with fixed addresses passes the node's address.
      awaitLong(members.addLearner(joining, null));
      log.info("{} joined as a learner: it receives the log and votes in nothing.", joining);
      awaitLong(members.promote(joining)); // waits until it has caught up with the leader's log
      log.info("{} caught up and was promoted to voter.", joining);
      awaitLong(members.remove(stoppedId));
      log.info("{} was removed from the group; deleting its data ({}).", stoppedId, dataDir.resolve(stoppedId));
      cluster.deleteData(stoppedId);
    } finally {
      changing.set(false);
      load.get(3 * STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      loadThread.shutdown();
    }
    log.info("{} increments acknowledged while the membership changed.", acknowledged - acknowledgedBefore);
    nodes.put(joining, added);
  }

  /**
   * Starts the group on node {@code id}, and its gRPC gateway, and prints each membership change it is the first
   * to see committed.
   */
  private Node startGroup(String id) {
    ActorSystem<Void> system = cluster.system(id);
    ActorRef<MembershipChanged> printer = system.systemActorOf(Behaviors.receive(MembershipChanged.class)
        .onMessage(MembershipChanged.class, changed -> {
          printCommitted(changed.membership());
          return Behaviors.same();
        })
        .build(), "membership-printer", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(MembershipChanged.class, printer));
    RaftGroup<Increment, GetValue, Long> counter =
        PekkoRaft.get(system).init(ReplicatedStateMachine.of(GROUP_ID, Counter::new));
    // The gateway on a free port (counter.conf: several nodes share this JVM and its machine), bound meanwhile.
    CompletableFuture<Integer> gatewayPort = PekkoRaftGateway.get(system).register(GROUP_ID, new CounterCodec()).start()
        .thenApply(binding -> {
          log.info("{} serves the group over gRPC at 127.0.0.1:{} (pekkoraft.v1.RaftService).", id,
              binding.localAddress().getPort());
          return binding.localAddress().getPort();
        }).toCompletableFuture();
    return new Node(id, system, counter, gatewayPort);
  }

  private synchronized void printCommitted(Membership m) {
    if (!m.committed() || m.configurationIndex() <= printedConfiguration) return;
    printedConfiguration = m.configurationIndex();
    log.info("Membership committed at index {}: voters {}{}{}.", m.configurationIndex(), sortedIds(m.voters()),
        m.learners().isEmpty() ? "" : ", learners " + sortedIds(m.learners()),
        m.isJoint() ? ", outgoing voters " + sortedIds(m.votersOutgoing()) : "");
  }

  private static String sortedIds(Set<String> ids) {
    return ids.stream().sorted(Comparator.comparingInt(CounterSample::number)).collect(Collectors.joining(", "));
  }

  /**
   * The nodes an earlier run left in the data directory, by number: the group's members, as each run deletes
   * the data of the node it removes. Empty for a new directory.
   */
  private List<String> nodesInData() throws IOException {
    if (!Files.isDirectory(dataDir)) return List.of();
    try (Stream<Path> dirs = Files.list(dataDir)) {
      return dirs.filter(d -> NODE_DIR.matcher(d.getFileName().toString()).matches())
          .filter(d -> Files.isDirectory(d.resolve("journal")))
          .map(d -> d.getFileName().toString())
          .sorted(Comparator.comparingInt(CounterSample::number))
          .toList();
    }
  }

  /** An id no node had: one above the highest number among {@code ids}. */
  private static String nextNodeId(List<String> ids) {
    return "node-" + (ids.stream().mapToInt(CounterSample::number).max().orElse(0) + 1);
  }

  private static int number(String nodeId) {
    Matcher m = NODE_DIR.matcher(nodeId);
    return m.matches() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
  }

  /**
   * A linearizable read on the leader, asked again until it is answered: right after an election the
   * leader answers only once the no-op of its term commits, and the first attempts may time out.
   */
  private static long readUntilAnswered(Node leader) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3 * STEP_TIMEOUT_SECONDS);
    while (true) {
      try {
        return await(leader.counter().read(GetValue.INSTANCE).toCompletableFuture());
      } catch (ExecutionException | TimeoutException e) {
        if (System.nanoTime() > deadline) throw e;
        log.info("Reading the counter failed ({}); asking again...", e.getCause() != null ? e.getCause() : e);
        Thread.sleep(200);
      }
    }
  }

  /** The nodes, started through the testkit's {@link LocalCluster}: free ports, the members' settings, Up. */
  private void startNodes(List<String> ids) {
    log.info("Starting {} nodes: ActorSystems \"{}\" on 127.0.0.1...", ids.size(), SYSTEM_NAME);
    cluster = LocalCluster.builder()
        .memberIds(ids)
        .systemName(SYSTEM_NAME)
        .config(ConfigFactory.parseResources(CounterSample.class.getClassLoader(), "counter.conf",
            ConfigParseOptions.defaults().setAllowMissing(false)))
        .dataDir(dataDir)
        .start();
    log.info("The {} nodes ({}) joined one Pekko Cluster in {} ms.", ids.size(),
        cluster.memberIds().stream().map(id -> cluster.system(id).address().toString()).collect(Collectors.joining(", ")),
        millis(cluster.startedNanos(), cluster.upNanos()));
  }

  /** pekko-raft.members for nodes listening on {@code ports}: node-1 on the first, and so on. */
  static String membersSetting(List<Integer> ports) {
    StringBuilder members = new StringBuilder("pekko-raft.members = [\n");
    for (int i = 0; i < ports.size(); i++) {
      members.append("  { id = \"").append(memberId(i)).append("\", address = \"").append(address(ports.get(i)))
          .append("\" }\n");
    }
    return members.append("]\n").toString();
  }

  /**
   * counter.conf under {@code settings} (what a process only knows at run time), loaded. A node also
   * gets its journal directory, one per node (the journal's lock file forbids two nodes sharing one),
   * and its snapshot directory beside it. {@code journalDir} is null for a process that runs no node.
   */
  static Config counterConfig(String settings, Path journalDir) {
    ClassLoader loader = CounterSample.class.getClassLoader();
    Config shared = ConfigFactory.parseResources(loader, "counter.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    Config own = ConfigFactory.parseString(settings);
    if (journalDir != null) {
      own = own.withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(journalDir.toString()))
          .withValue("pekko-raft.snapshot-store.dir",
              ConfigValueFactory.fromAnyRef(journalDir.resolveSibling("snapshots").toString()));
    }
    return ConfigFactory.load(loader, own.withFallback(shared));
  }

  static String address(int port) {
    return "pekko://" + SYSTEM_NAME + "@127.0.0.1:" + port;
  }

  /** Submits {@link #INCREMENTS} increments of 1, {@link #CONCURRENT} at a time, round robin over the live nodes. */
  private void submitIncrements(String more) throws InterruptedException {
    long started = System.nanoTime();
    long acknowledgedBefore = acknowledged;
    long unknownBefore = unknown;
    long notAppliedBefore = notApplied;
    List<Node> through = List.copyOf(nodes.values());
    for (int sent = 0; sent < INCREMENTS; sent += CONCURRENT) submitWave(through, Math.min(CONCURRENT, INCREMENTS - sent));
    log.info("{} {}increments acknowledged in {} ms.", acknowledged - acknowledgedBefore, more,
        millis(started, System.nanoTime()));
    if (unknown > unknownBefore) {
      log.info("{} increments timed out: their outcome is unknown. Each may have been committed with its answer lost"
          + " on the way, or never committed; a retry could count it twice.", unknown - unknownBefore);
    }
    if (notApplied > notAppliedBefore) {
      log.info("{} increments were refused (no leader reachable in time, or rejected): certainly not applied.",
          notApplied - notAppliedBefore);
    }
  }

  /** {@code count} increments of 1 at once, round robin over {@code through}, each counted once answered. */
  private void submitWave(List<Node> through, int count) throws InterruptedException {
    List<CompletableFuture<Long>> wave = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      wave.add(through.get(i % through.size()).counter().submit(new Increment(1)).toCompletableFuture());
    }
    for (CompletableFuture<Long> increment : wave) count(increment);
  }

  private void count(CompletableFuture<Long> increment) throws InterruptedException {
    try {
      // RaftGroup answers within pekko-raft.client.ask-timeout; the margin only guards the sample itself.
      increment.get(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      acknowledged++;
    } catch (TimeoutException e) {
      unknown++;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
      if (cause instanceof RaftException.NotLeader || cause instanceof RaftException.Rejected
          || cause instanceof RaftException.CommandFailed) { // refused by the counter: value unchanged
        notApplied++;
      } else {
        unknown++; // RaftException.Timeout, RaftException.NoQuorum
      }
    }
  }

  /**
   * A linearizable read on the leader gives the value that every acknowledged increment is part of: the
   * starting value plus the increments acknowledged so far in this run (plus some of unknown outcome).
   * Then each running node's own copy (a stale read, answered locally) must reach the same value.
   */
  private boolean compareCopies(String when, Node leader, long start) throws Exception {
    long value = await(leader.counter().read(GetValue.INSTANCE).toCompletableFuture());
    Map<String, Long> copies = new LinkedHashMap<>();
    for (Node node : nodes.values()) copies.put(node.id(), staleReadUntil(node, value));
    log.info("{}: a linearizable read on the leader {} returns {}; each node's own copy, read locally"
        + " (ReadConsistency.STALE): {}.", when, leader.id(), value, copies.entrySet().stream()
        .map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", ")));

    boolean allAgree = copies.values().stream().allMatch(v -> v == value);
    long appliedUnknown = value - start - acknowledged;
    String nodesNamed = String.join(", ", copies.keySet());
    if (allAgree && appliedUnknown == 0) {
      log.info("OK: the counter of {} is {} = {} (the start) + {} acknowledged increments.", nodesNamed, value, start,
          acknowledged);
      return true;
    }
    if (allAgree && appliedUnknown > 0 && appliedUnknown <= unknown) {
      log.info("OK: the counter of {} is {} = {} (the start) + {} acknowledged increments + {} of the {} whose"
          + " outcome was unknown.", nodesNamed, value, start, acknowledged, appliedUnknown, unknown);
      return true;
    }
    log.error("FAILED: the counters {} should all equal {} (the start) + {} acknowledged increments (plus at most {}"
        + " of unknown outcome).", copies, start, acknowledged, unknown);
    return false;
  }

  /**
   * What a client in any language sees: a linearizable read of the counter through each running node's gRPC
   * gateway (a Pekko gRPC client here; see grpc-gateway/examples for Node.js and buf curl) gives the value a
   * linearizable read on the leader gives.
   */
  private boolean readThroughGateways(Node leader) throws Exception {
    long value = await(leader.counter().read(GetValue.INSTANCE).toCompletableFuture());
    Map<String, Long> read = new LinkedHashMap<>();
    for (Node node : nodes.values()) {
      int port = await(node.gatewayPort());
      RaftServiceClient client = RaftServiceClient.create(GrpcClientSettings
          .connectToServiceAt("127.0.0.1", port, node.system()).withTls(false)
          .withDeadline(Duration.ofSeconds(STEP_TIMEOUT_SECONDS)), node.system());
      try {
        ByteString result = await(client.query(QueryRequest.newBuilder().setGroup(GROUP_ID)
            .setPayload(ByteString.copyFromUtf8("{}")).build()).toCompletableFuture()).getResult();
        read.put(node.id() + " (127.0.0.1:" + port + ")",
            Long.parseLong(result.toString(StandardCharsets.UTF_8)));
      } finally {
        client.close();
      }
    }
    boolean agree = read.values().stream().allMatch(v -> v == value);
    String reads = read.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", "));
    if (agree) {
      log.info("OK: read over gRPC through each node's gateway: {}.", reads);
    } else {
      log.error("FAILED: read over gRPC through each node's gateway: {}; the leader reads {}.", reads, value);
    }
    return agree;
  }

  /** A follower learns that entries are committed with the leader's next heartbeat: ask again a few times. */
  private static long staleReadUntil(Node node, long expected) throws Exception {
    long value = 0;
    for (int attempt = 0; attempt < 30; attempt++) {
      value = await(node.counter().read(GetValue.INSTANCE, ReadConsistency.STALE).toCompletableFuture());
      if (value == expected) return value;
      Thread.sleep(100);
    }
    return value;
  }

  private long electionTimeout(LocalCluster.RoleSeen leader, String bound) {
    return nodes.get(leader.change().memberId()).system().settings().config().getDuration("pekko-raft.election-timeout-" + bound).toMillis();
  }

  private List<String> others(String memberId) {
    return nodes.keySet().stream().filter(id -> !id.equals(memberId)).toList();
  }

  private void stopAll() {
    if (cluster == null) return;
    try {
      cluster.close();
    } catch (RuntimeException e) {
      log.warn("The nodes did not stop in time: {}", e.toString());
    }
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** A membership change: bounded by the coordinator's own timeouts, and only guarded here. */
  private static <T> T awaitLong(CompletionStage<T> change) throws Exception {
    return change.toCompletableFuture().get(3 * STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static long millis(long fromNanos, long toNanos) {
    return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
  }
}
