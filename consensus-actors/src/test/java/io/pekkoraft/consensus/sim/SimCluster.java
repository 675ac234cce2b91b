package io.pekkoraft.consensus.sim;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.impl.RaftSettings;
import io.pekkoraft.consensus.protocol.ClientBatch;
import io.pekkoraft.consensus.protocol.ClientReply;
import io.pekkoraft.consensus.protocol.ClientRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.sim.journal.SimDisk;
import io.pekkoraft.persistence.serialization.KryoCodec;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A Raft group of real servers in one ActorSystem, on a {@link SimNetwork}, a simulated disk
 * ({@link SimDisk}) and manual time. Time moves only when the test says so, in steps, and only when every
 * actor is idle, so a scenario with a given seed runs the same way every time. Every scenario is
 * checked by a {@link SafetyChecker}.
 */
public final class SimCluster implements AutoCloseable {

  public static final String GROUP = "sim";
  private static final Duration STEP = Duration.ofMillis(10);
  private static final Duration QUIESCENCE_MAX = Duration.ofSeconds(20);
  private static final AtomicInteger SYSTEMS = new AtomicInteger();

  public final ActorTestKit testKit;
  public final SimNetwork network;
  public final SimDisk disk;
  public final SafetyChecker checker = new SafetyChecker();
  private final SimScheduler time;
  private final QuiescentExecutor executor;
  private final KryoCodec codec;
  private final List<String> members;
  private final RaftSettings settings;
  private final long seed;
  private final Map<String, ActorRef<ServerCommand>> servers = new HashMap<>();
  private final Map<String, Integer> incarnations = new HashMap<>();
  private final Map<String, CompletableFuture<String>> stopped = new ConcurrentHashMap<>();
  private final Map<String, io.pekkoraft.consensus.impl.AppliedHistory> histories = new ConcurrentHashMap<>();
  /** The instance (member#incarnation) each member runs as. */
  private final Map<String, String> instances = new HashMap<>();
  /** Servers stopped by {@link #crash}; any other server that stops stopped on its own. */
  private final Set<ActorRef<ServerCommand>> crashed = ConcurrentHashMap.newKeySet();
  /** Instances that stopped on their own (a thrown exception: a broken invariant, a failed journal), in order. */
  private final List<String> stoppedOnTheirOwn = new CopyOnWriteArrayList<>();
  private boolean slowDisk;
  /** Each member's state machine, by (member id, instance); null: a RecordingStateMachine. */
  private java.util.function.BiFunction<String, String, io.pekkoraft.consensus.StateMachine<?, ?, ?>> stateMachines;
  private long nowMs;
  /** The members' state machine snapshot files (pekko-raft.snapshot.dir), removed on close. */
  private final java.nio.file.Path snapshotDir;

  /** {@code n} members with default settings; {@code extraConfig} overrides any {@code pekko-raft} setting. */
  public static SimCluster start(int n, long seed, String extraConfig) {
    return startWithPuppets(n, seed, extraConfig, Set.of());
  }

  /**
   * Like {@link #start}, but the members named in {@code puppets} are played by the test: what is sent to
   * them is collected ({@link #inbox}), and the test speaks for them with {@link #sendAs}. This drives one
   * real server through exact sequences of RPCs.
   */
  public static SimCluster startWithPuppets(int n, long seed, String extraConfig, Set<String> puppets) {
    SimCluster c = new SimCluster(n, seed, extraConfig);
    for (String m : c.members) {
      if (puppets.contains(m)) c.startPuppet(m);
      else c.startMember(m);
    }
    c.settle();
    return c;
  }

  public static SimCluster start(int n, long seed) {
    return start(n, seed, "");
  }

  /**
   * Like {@link #start}, with each member's state machine made by {@code stateMachines} from (member id,
   * instance "member#incarnation") instead of a {@link RecordingStateMachine}; the checker then sees no applies.
   */
  public static SimCluster startWith(int n, long seed, String extraConfig,
      java.util.function.BiFunction<String, String, io.pekkoraft.consensus.StateMachine<?, ?, ?>> stateMachines) {
    SimCluster c = new SimCluster(n, seed, extraConfig);
    c.stateMachines = stateMachines;
    for (String m : c.members) c.startMember(m);
    c.settle();
    return c;
  }

  /** The configuration every simulation runs with: manual time, one quiescent thread, the simulated journal. */
  public static Config config(String systemName, List<String> members, long seed, String extraConfig) {
    StringBuilder m = new StringBuilder("pekko-raft.members = [");
    for (String id : members) m.append("{id = \"").append(id).append("\", address = \"sim://").append(id).append("\"},");
    m.append("]\n");
    return ConfigFactory.parseString(extraConfig)
        .withFallback(ConfigFactory.parseString(m + "pekko-raft.random-seed = " + seed + "\n"
            + "pekko.actor.serialize-messages = on\n"
            + "pekko.actor.default-dispatcher.executor = \"" + QuiescentExecutor.Configurator.class.getName() + "\"\n"
            + "pekko.actor.default-dispatcher.throughput = 100\n"
            + "pekko.actor.internal-dispatcher = \"pekko.actor.default-dispatcher\"\n"
            + "pekko.persistence.no-snapshot-store.plugin-dispatcher = \"pekko.actor.default-dispatcher\"\n"
            + "pekko.persistence.journal-plugin-fallback.plugin-dispatcher = \"pekko.actor.default-dispatcher\"\n"
            + "pekko.persistence.journal-plugin-fallback.replay-dispatcher = \"pekko.actor.default-dispatcher\"\n"
            + "pekko.persistence.snapshot-store-plugin-fallback.plugin-dispatcher = \"pekko.actor.default-dispatcher\"\n"
            + "pekko.persistence.journal.plugin = \"pekko-raft-test.sim-journal\"\n"
            + "pekko-raft.journal-plugin-id = \"pekko-raft-test.sim-journal\"\n"
            + "pekko-raft-test.sim-journal.replay-dispatcher = \"pekko.actor.default-dispatcher\"\n"
            + "pekko-raft-test.sim-journal.serialize = on\n"
            + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.no-snapshot-store\"\n"
            + "pekko-raft.snapshot.plugin-id = \"pekko-raft-test.sim-snapshot-store\"\n"
            + "pekko.log-dead-letters = off\n"
            + "pekko.scheduler.implementation = \"" + SimScheduler.class.getName() + "\"\n"
            + "pekko.loglevel = WARNING\n"))
        .withFallback(ConfigFactory.parseResources("sim-journal.conf"))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  private SimCluster(int n, long seed, String extraConfig) {
    this.seed = seed;
    this.members = new ArrayList<>();
    for (int i = 1; i <= n; i++) members.add("node-" + i);
    String systemName = "sim-" + SYSTEMS.incrementAndGet();
    try {
      this.snapshotDir = java.nio.file.Files.createTempDirectory("sim-snapshots");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Config config = config(systemName, members, seed,
        "pekko-raft.snapshot.dir = \"" + snapshotDir + "\"\n" + extraConfig);
    this.testKit = ActorTestKit.create(systemName, config);
    this.time = (SimScheduler) org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(testKit.system()).scheduler();
    this.executor = QuiescentExecutor.of(systemName);
    this.network = new SimNetwork(testKit.system(), seed);
    this.disk = SimDisk.of(testKit.system());
    this.codec = RaftSerialization.get(testKit.system()).codec();
    this.settings = RaftSettings.fromConfig(config);
    testKit.spawn(roleWatcher(checker), "role-watcher");
    settle();
  }

  private static Behavior<RoleChanged> roleWatcher(SafetyChecker checker) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, ctx.getSelf()));
      return Behaviors.receiveMessage(e -> {
        checker.onRoleChanged(e);
        return Behaviors.same();
      });
    });
  }

  public List<String> members() {
    return List.copyOf(members);
  }

  // ---- time ----

  /** Let the actors finish everything that can happen without time passing. */
  public void settle() {
    if (!executor.awaitQuiescence(QUIESCENCE_MAX)) {
      throw new AssertionError("the simulation did not become idle within " + QUIESCENCE_MAX + " (livelock?)");
    }
  }

  /** Advance simulated time by {@code d}, letting the cluster settle at every instant something happens. */
  public void advance(Duration d) {
    settle();
    time.advance(d, runDue -> {
      executor.inOneInstant(() -> {
        if (slowDisk) disk.flushAll(); // time moved: what was written before this instant is now durable
        runDue.run();
      });
      settle();
    });
    nowMs = time.nowMs();
    if (slowDisk) {
      executor.inOneInstant(disk::flushAll);
      settle();
    }
  }

  /** Advance until {@code condition} holds, at most {@code max} of simulated time; returns whether it held. */
  public boolean advanceUntil(BooleanSupplier condition, Duration max) {
    long end = nowMs + max.toMillis();
    while (!condition.getAsBoolean()) {
      if (nowMs >= end) return false;
      advance(STEP);
    }
    return true;
  }

  /** Simulated milliseconds since the cluster started. */
  public long nowMs() {
    return nowMs;
  }

  /**
   * A member's monotonic clock (what leader leases measure with): the simulated time, at a rate of 1 unless
   * {@link #skewClock} changed it. Timers still run on the simulated time itself.
   */
  private final class NodeClock {
    private long anchorMs;
    private long anchorNanos;
    private double rate = 1.0;

    synchronized long nanos() {
      return anchorNanos + (long) ((time.nowMs() - anchorMs) * 1_000_000L * rate);
    }

    synchronized void setRate(double newRate) {
      anchorNanos = nanos();
      anchorMs = time.nowMs();
      rate = newRate;
    }
  }

  private final Map<String, NodeClock> clocks = new ConcurrentHashMap<>();

  /**
   * From now on member {@code id}'s clock runs at {@code rate} times the simulated time (0.5: half as fast, a
   * slow clock or a paused VM), while everyone's timers keep the simulated time.
   */
  public void skewClock(String id, double rate) {
    clocks.computeIfAbsent(id, k -> new NodeClock()).setRate(rate);
  }

  /** Writes become durable only at the next time step (a disk with fsync latency), so a crash loses them. */
  public void setSlowDisk(boolean on) {
    slowDisk = on;
    disk.setAutoFlush(!on);
  }

  // ---- members ----

  private void startMember(String id) {
    int incarnation = incarnations.merge(id, 1, Integer::sum);
    String instance = id + "#" + incarnation;
    NodeClock clock = clocks.computeIfAbsent(id, k -> new NodeClock());
    RaftSettings s = settings.withSelfId(id).withRandomSeed(seed * 31 + id.hashCode() + incarnation).withClock(clock::nanos)
        .withSession(settings.session().withWallClock(time::nowMs)); // log time is simulated time
    CompletableFuture<String> stop = new CompletableFuture<>();
    stopped.put(id, stop);
    io.pekkoraft.consensus.impl.AppliedHistory history =
        io.pekkoraft.consensus.impl.AppliedHistory.fromConfig(testKit.system().settings().config());
    histories.put(id, history);
    ActorRef<ServerCommand> ref = testKit.spawn(
        RaftServer.create(GROUP, s, network.transportFor(id), stateMachines != null
            ? () -> stateMachines.apply(id, instance) : () -> new RecordingStateMachine(checker, id, instance),
            stop::complete, history),
        id + "-" + incarnation);
    servers.put(id, ref);
    instances.put(id, instance);
    testKit.spawn(Behaviors.<Void>setup(ctx -> {
      ctx.watch(ref);
      return Behaviors.receive(Void.class).onSignal(Terminated.class, t -> {
        if (!crashed.contains(ref)) stoppedOnTheirOwn.add(instance);
        return Behaviors.stopped();
      }).build();
    }), "watch-" + id + "-" + incarnation);
  }

  private final Map<String, List<ServerCommand>> inboxes = new HashMap<>();

  private void startPuppet(String id) {
    List<ServerCommand> inbox = java.util.Collections.synchronizedList(new ArrayList<>());
    inboxes.put(id, inbox);
    network.bind(id, testKit.spawn(Behaviors.<ServerCommand>receiveMessage(m -> {
      inbox.add(m);
      return Behaviors.same();
    }), "puppet-" + id));
  }

  /** What was delivered to puppet {@code id} so far, of type {@code type}. */
  public <T extends ServerCommand> List<T> inbox(String id, Class<T> type) {
    List<T> out = new ArrayList<>();
    synchronized (inboxes.get(id)) {
      for (ServerCommand m : inboxes.get(id)) if (type.isInstance(m)) out.add(type.cast(m));
    }
    return out;
  }

  /** Puppet {@code from} sends {@code message} to member {@code to} over the simulated network. */
  public void sendAs(String from, String to, ServerCommand message) {
    settle();
    network.transportFor(from).send(to, message);
    settle();
  }

  /**
   * Makes real member {@code id} leader with the votes of puppet {@code voter}: waits for its election
   * timeout, grants its pre-vote, then its vote. Returns the term it leads.
   */
  public long electWithPuppetVote(String id, String voter) {
    if (!advanceUntil(() -> role(id) == RaftRole.PRE_CANDIDATE, Duration.ofSeconds(3))) {
      throw new AssertionError(id + " did not start an election");
    }
    long term = term(id) + 1;
    sendAs(voter, id, new io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse(term, voter, true, true, 0));
    advance(Duration.ofMillis(1)); // its own vote becomes durable
    sendAs(voter, id, new io.pekkoraft.consensus.protocol.RaftMessage.RequestVoteResponse(term, voter, true, false, 0));
    if (role(id) != RaftRole.LEADER) throw new AssertionError(id + " did not become leader: " + role(id));
    return term;
  }

  /**
   * Start a server that {@code pekko-raft.members} does not name, as a node that joins the group would be
   * started: it waits as a non-member until a leader adds it ({@link #changeMembership}).
   */
  public void startJoining(String id) {
    if (members.contains(id) || servers.containsKey(id)) throw new IllegalStateException(id + " is already a member");
    startMember(id);
    settle();
  }

  /** Ask member {@code via}'s server (which forwards to the leader) for a membership change. */
  public java.util.concurrent.CompletableFuture<io.pekkoraft.consensus.protocol.MembershipReply> changeMembership(
      String via, io.pekkoraft.consensus.protocol.ConfigurationChange change, long expectedConfigurationIndex) {
    return askMembership(via, replyTo -> new io.pekkoraft.consensus.protocol.MembershipRequest.ChangeMembership(
        change, expectedConfigurationIndex, 0, replyTo));
  }

  /** Ask member {@code via}'s server (which forwards to the leader) for the leader's view of the membership. */
  public java.util.concurrent.CompletableFuture<io.pekkoraft.consensus.protocol.MembershipReply> getMembership(String via) {
    return askMembership(via, replyTo -> new io.pekkoraft.consensus.protocol.MembershipRequest.GetMembership(0, replyTo));
  }

  private java.util.concurrent.CompletableFuture<io.pekkoraft.consensus.protocol.MembershipReply> askMembership(
      String via, java.util.function.Function<ActorRef<io.pekkoraft.consensus.protocol.MembershipReply>,
          io.pekkoraft.consensus.protocol.MembershipRequest> request) {
    java.util.concurrent.CompletableFuture<io.pekkoraft.consensus.protocol.MembershipReply> reply =
        new java.util.concurrent.CompletableFuture<>();
    ActorRef<io.pekkoraft.consensus.protocol.MembershipReply> box = testKit.spawn(
        Behaviors.<io.pekkoraft.consensus.protocol.MembershipReply>receiveMessage(m -> {
          reply.complete(m);
          return Behaviors.stopped();
        }));
    server(via).tell(request.apply(box));
    settle();
    return reply;
  }

  /** Stop a member as a crash would: its unflushed writes are lost. */
  public void crash(String id) {
    ActorRef<ServerCommand> ref = servers.remove(id);
    if (ref == null) throw new IllegalStateException(id + " is not running");
    crashed.add(ref);
    network.isolate(id);
    testKit.stop(ref, Duration.ofSeconds(10));
    settle(); // the stop returns before the system is idle: let every consequence of it happen first
    disk.crash(RaftServer.persistenceId(GROUP, id));
    settle();
  }

  /**
   * The disk of a member that is not running is replaced by an empty one: its journal, saved states and
   * state machine snapshot files are gone. {@link #restart} then starts it as a new disk would: term 0, no
   * vote, an empty log, the bootstrap configuration, and a new replica id.
   */
  public void wipe(String id) {
    if (isRunning(id)) throw new IllegalStateException(id + " is running: crash it first");
    String pid = RaftServer.persistenceId(GROUP, id);
    disk.wipe(pid);
    io.pekkoraft.consensus.sim.journal.SimSnapshotStore.wipe(testKit.system(), pid);
    java.nio.file.Path files = snapshotDir.resolve(pid.replaceAll("[^A-Za-z0-9._-]", "_"));
    try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.exists(files)
        ? java.nio.file.Files.walk(files) : java.util.stream.Stream.empty()) {
      all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Start a crashed member (or one that stopped on its own) again on its (durable) journal; it recovers its
   * term, vote and log.
   */
  public void restart(String id) {
    if (isRunning(id)) throw new IllegalStateException(id + " is running");
    servers.remove(id);
    startMember(id);
    settle();
    network.reconnect(id);
  }

  /** Started and neither crashed nor stopped on its own. */
  public boolean isRunning(String id) {
    return servers.containsKey(id) && !stoppedOnTheirOwn.contains(instances.get(id));
  }

  /**
   * The server instances (member#incarnation) that stopped without {@link #crash}: a server stops only
   * when it throws (a broken invariant, a failed journal write), and nothing restarts it.
   */
  public List<String> stoppedOnTheirOwn() {
    return List.copyOf(stoppedOnTheirOwn);
  }

  public ActorRef<ServerCommand> server(String id) {
    return servers.get(id);
  }

  /** What the state machine of member {@code id}'s latest incarnation applied most recently (for watches). */
  public io.pekkoraft.consensus.impl.AppliedHistory history(String id) {
    return histories.get(id);
  }

  /**
   * A watch of what member {@code id}'s latest incarnation applies from {@code fromIndex} on, as
   * {@code RaftGroup.watchApplied} builds it; materialize it on {@code testKit.system()}.
   */
  public org.apache.pekko.stream.javadsl.Source<io.pekkoraft.consensus.AppliedCommand<String, Long>, org.apache.pekko.NotUsed>
      watchApplied(String id, long fromIndex) {
    return org.apache.pekko.stream.javadsl.Source.fromGraph(new io.pekkoraft.consensus.impl.AppliedSource<String, Long>(
        histories.get(id), fromIndex, stopped.get(id), what -> "watch of " + id + " from " + fromIndex + ": " + what));
  }

  /** Completes, with why, when the server of member {@code id}'s latest incarnation stops. */
  public CompletableFuture<String> stopped(String id) {
    return stopped.get(id);
  }

  // ---- observations ----

  public RaftRole role(String id) {
    RoleChanged e = checker.latest(id);
    return e == null || !isRunning(id) ? null : e.role();
  }

  public long term(String id) {
    RoleChanged e = checker.latest(id);
    return e == null ? 0 : e.term();
  }

  /** Running members that are leaders, as they last reported. */
  public Set<String> leaders() {
    Set<String> out = new HashSet<>();
    for (String m : servers.keySet()) if (role(m) == RaftRole.LEADER) out.add(m);
    return out;
  }

  /**
   * The lab's checkOneLeader: within {@code max}, a leader exists among members that can reach a majority,
   * and among those no two leaders share a term. Returns the leader with the highest term.
   */
  public String awaitOneLeader(Duration max) {
    String[] found = new String[1];
    boolean ok = advanceUntil(() -> {
      String best = null;
      for (String m : leaders()) {
        if (!canReachMajority(m)) continue;
        if (best == null || term(m) > term(best)) best = m;
      }
      found[0] = best;
      return best != null;
    }, max);
    if (!ok) throw new AssertionError("no leader elected within " + max.toMillis() + " ms of simulated time");
    checker.assertSafe();
    return found[0];
  }

  private boolean canReachMajority(String m) {
    int reachable = 0;
    for (String other : members) if (other.equals(m) || (isRunning(other) && network.connected(m, other))) reachable++;
    return reachable > members.size() / 2;
  }

  // ---- clients ----

  public ReplyBox submit(String id, String command) {
    return submitAll(id, List.of(command)).get(0);
  }

  /**
   * Submit {@code command} to member {@code id} as a client outside the group does (RaftClient): with one
   * hop already counted, so a member that does not lead names the leader instead of forwarding.
   */
  public ReplyBox submitFromOutside(String id, String command) {
    ReplyBox box = newBox();
    settle();
    servers.get(id).tell(new ClientRequest.ClientCommand(codec.toBytes(command), 1, box.ref()));
    settle();
    return box;
  }

  /** Sends the request {@code make} builds, answering to a new box, to member {@code id}. */
  public ReplyBox request(String id, java.util.function.Function<ActorRef<ClientReply>, ClientRequest> make) {
    ReplyBox box = newBox();
    settle();
    servers.get(id).tell(make.apply(box.ref()));
    settle();
    return box;
  }

  /** Simulated time in nanoseconds, as a client's deadline clock. */
  public long nanoTime() {
    return time.nowMs() * 1_000_000;
  }

  /** Submit raw bytes as a command, as a misbehaving client could. */
  public ReplyBox submitBytes(String id, byte[] command) {
    ReplyBox box = newBox();
    settle();
    servers.get(id).tell(new ClientRequest.ClientCommand(command, 0, box.ref()));
    return box;
  }

  /** Submit several commands to member {@code id}, all arriving in the same instant, in order. */
  public List<ReplyBox> submitAll(String id, List<String> commands) {
    List<ReplyBox> boxes = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) boxes.add(newBox());
    settle();
    executor.inOneInstant(() -> {
      for (int i = 0; i < commands.size(); i++) {
        servers.get(id).tell(new ClientRequest.ClientCommand(codec.toBytes(commands.get(i)), 0, boxes.get(i).ref()));
      }
    });
    settle();
    return boxes;
  }

  /**
   * One {@link ClientBatch} to member {@code id}, as a client system's outbox sends it: the requests share
   * one reply actor (the returned box) and carry the tags 1, 2, ... in order, with {@code hops}. A
   * request named "?" is a linearizable read, any other a command.
   */
  public ReplyBox submitBatch(String id, List<String> requests, int hops) {
    ReplyBox box = newBox();
    List<ClientRequest> batch = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      String r = requests.get(i);
      batch.add(r.equals("?")
          ? new ClientRequest.ClientQuery(codec.toBytes("count"), ReadConsistency.LINEARIZABLE, hops, i + 1, box.ref())
          : new ClientRequest.ClientCommand(codec.toBytes(r), hops, i + 1, box.ref()));
    }
    settle();
    servers.get(id).tell(new ClientBatch(batch));
    settle();
    return box;
  }

  public ReplyBox read(String id, ReadConsistency consistency) {
    return readAll(id, 1, consistency).get(0);
  }

  /** One read of member {@code id} with {@code options} (a bounded STALE read, say). */
  public ReplyBox read(String id, io.pekkoraft.consensus.ReadOptions options) {
    ReplyBox box = newBox();
    settle();
    servers.get(id).tell(ClientRequest.ClientQuery.of(codec.toBytes("count"), options, 0, 0, box.ref()));
    settle();
    return box;
  }

  /** {@code n} reads of member {@code id}, arriving in the same instant. */
  public List<ReplyBox> readAll(String id, int n, ReadConsistency consistency) {
    List<ReplyBox> boxes = new ArrayList<>();
    for (int i = 0; i < n; i++) boxes.add(newBox());
    settle();
    executor.inOneInstant(() -> {
      for (ReplyBox box : boxes) {
        servers.get(id).tell(new ClientRequest.ClientQuery(codec.toBytes("count"), consistency, 0, box.ref()));
      }
    });
    settle();
    return boxes;
  }

  private ReplyBox newBox() {
    ReplyBox box = new ReplyBox();
    box.bind(testKit.spawn(ReplyBox.behavior(box)));
    return box;
  }

  /**
   * The lab's one(): submit {@code command} until some leader accepts it and at least {@code expected}
   * members applied it. With {@code retry}, resubmit if it did not commit within 2 s (a lost leader).
   * Fails the test after 10 s of simulated time.
   */
  public void one(String command, int expected, boolean retry) {
    long end = nowMs + 10_000;
    while (nowMs < end) {
      String leader = null;
      for (String m : leaders()) if (canReachMajority(m) && (leader == null || term(m) > term(leader))) leader = m;
      if (leader != null) {
        ReplyBox box = submit(leader, command);
        settle();
        if (!(box.first() instanceof ClientReply.NotLeader) && !(box.first() instanceof ClientReply.Rejected)) {
          // accepted by a leader: wait for it to be applied
          if (advanceUntil(() -> checker.appliedBy(command) >= expected, Duration.ofMillis(2000))) {
            checker.assertSafe();
            return;
          }
          if (!retry) {
            throw new AssertionError("one(" + command + ") failed to reach agreement on " + expected + " members");
          }
        }
      }
      advance(Duration.ofMillis(50));
    }
    throw new AssertionError("one(" + command + ") failed to reach agreement within 10 s; applied by "
        + checker.appliedBy(command));
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(snapshotDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary directory left behind
    }
  }
}
