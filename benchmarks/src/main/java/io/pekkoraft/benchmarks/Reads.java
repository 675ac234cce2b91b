package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.testkit.TestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Workload {@code reads}: reads per second and latency for each {@link ReadConsistency}, on W1's cluster
 * (three members, durable journals, every setting at its default but the lease switch, and a fourth
 * ActorSystem for the clients). First {@code --writes-before} W1 commands give the register a value; then,
 * for each way in ({@code --via}), consistency and client count, closed-loop clients read the register
 * (warm-up, then the measured window, as W1's throughput phase). Only figures: nothing is checked but that
 * no client saw the register go back, and the exit code is 0 unless the run broke.
 *
 * <ul>
 *   <li>{@code --via client}: a {@link RaftClient} per client on the fourth ActorSystem, W1's client path.
 *       It sends LINEARIZABLE and LEASE reads to the leader, FOLLOWER and STALE reads to the followers
 *       in turn, which serve them (FOLLOWER with a read index from the leader, STALE from their own state).
 *   <li>{@code --via follower}: the {@link RaftGroup} handle of a member that follows at the start, one
 *       thread per client on that member's ActorSystem: FOLLOWER and STALE are served by that follower;
 *       LINEARIZABLE and LEASE are forwarded by it to the leader.
 * </ul>
 */
final class Reads {

  static final String USAGE = """
      usage: bin/bench reads [flags]
        --clients 1,64             client counts (each 1..4096)
        --consistency linearizable,lease,follower,stale   which reads, in this order
        --via client,follower      client = a RaftClient per client on the clients' system (the leader
                                   serves every read); follower = a follower member's RaftGroup handle
        --warmup SECONDS           warm-up of each measurement (default 3, 0 allowed)
        --measure SECONDS          measured window of each measurement (default 10, at least 1)
        --lease on|off             pekko-raft.read.lease on every member (default on; off: LEASE is served
                                   as LINEARIZABLE)
        --sessions on|off          client sessions on the members and the clients (default on)
        --writes-before N          W1 commands before the reads (default 1000, 0 allowed)
        --help                     this text
      """;

  /** Where the reading clients are. */
  enum Via {
    CLIENT,
    FOLLOWER
  }

  record Options(List<Integer> clients, List<ReadConsistency> consistencies, List<Via> via, int warmupSeconds,
      int measureSeconds, boolean lease, boolean sessions, int writesBefore) {

    static Options parse(List<String> args) throws W1Options.UsageException, W1Options.HelpRequested {
      List<Integer> clients = List.of(1, 64);
      List<ReadConsistency> consistencies = List.of(ReadConsistency.LINEARIZABLE, ReadConsistency.LEASE,
          ReadConsistency.FOLLOWER, ReadConsistency.STALE);
      List<Via> via = List.of(Via.CLIENT, Via.FOLLOWER);
      int warmup = 3;
      int measure = 10;
      boolean lease = true;
      boolean sessions = true;
      int writesBefore = 1000;
      for (String[] flagValue : W1Options.flags(args, null)) {
        String flag = flagValue[0];
        String value = flagValue[1];
        switch (flag) {
          case "--clients" -> clients = W1Options.intList(flag, value, 1, 4096);
          case "--consistency" -> consistencies = names(flag, value, ReadConsistency.class);
          case "--via" -> via = names(flag, value, Via.class);
          case "--warmup" -> warmup = W1Options.integer(flag, value, 0, 3600);
          case "--measure" -> measure = W1Options.integer(flag, value, 1, 3600);
          case "--lease" -> lease = W1Options.onOff(flag, value);
          case "--sessions" -> sessions = W1Options.onOff(flag, value);
          case "--writes-before" -> writesBefore = W1Options.integer(flag, value, 0, 10_000_000);
          default -> throw new W1Options.UsageException("unknown flag " + flag);
        }
      }
      return new Options(clients, consistencies, via, warmup, measure, lease, sessions, writesBefore);
    }

    private static <E extends Enum<E>> List<E> names(String flag, String value, Class<E> type)
        throws W1Options.UsageException {
      List<E> list = new ArrayList<>();
      List<String> allowed = new ArrayList<>();
      for (E e : type.getEnumConstants()) allowed.add(e.name().toLowerCase());
      for (String part : value.split(",", -1)) {
        String name = part.trim().toLowerCase();
        if (!allowed.contains(name)) {
          throw new W1Options.UsageException(flag + " takes " + String.join(", ", allowed) + " (comma-separated), got '" + part + "'");
        }
        E e = Enum.valueOf(type, name.toUpperCase());
        if (list.contains(e)) throw new W1Options.UsageException(flag + " lists " + name + " twice");
        list.add(e);
      }
      return List.copyOf(list);
    }

    com.typesafe.config.Config nodeConfig() {
      return com.typesafe.config.ConfigFactory.parseString("pekko-raft.session.enabled = " + (sessions ? "on" : "off")
          + "\npekko-raft.read.lease = " + (lease ? "on" : "off"));
    }
  }

  private Reads() {}

  /** One reader: what a client thread calls for each read. */
  private interface Reader extends AutoCloseable {
    CompletionStage<Long> read(ReadConsistency consistency);

    @Override
    void close();
  }

  static boolean run(Options options) throws Exception {
    Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pekko-raft-reads-");
    try (BenchCluster cluster = BenchCluster.start(root, new TestNetwork(), options.nodeConfig())) {
      RoleWatch.Seen first = cluster.roles().awaitLeader(BenchCluster.STEP_TIMEOUT);
      String leader = first.change().memberId();
      String follower = cluster.nodes().keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      var c = cluster.memberConfig();
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("clients", options.clients());
      settings.put("consistencies", options.consistencies());
      settings.put("via", options.via().stream().map(v -> v.name().toLowerCase()).toList());
      settings.put("warmup_s", options.warmupSeconds());
      settings.put("measure_s", options.measureSeconds());
      settings.put("writes_before", options.writesBefore());
      settings.put("nodes", BenchCluster.NODE_COUNT);
      settings.put("leader", leader);
      settings.put("follower", follower);
      settings.put("read_lease", c.getBoolean("pekko-raft.read.lease"));
      settings.put("read_lease_clock_drift_margin_ms", c.getDuration("pekko-raft.read.lease-clock-drift-margin").toMillis());
      settings.put("election_timeout_min_ms", c.getDuration("pekko-raft.election-timeout-min").toMillis());
      settings.put("heartbeat_interval_ms", c.getDuration("pekko-raft.heartbeat-interval").toMillis());
      settings.put("sessions", c.getBoolean("pekko-raft.session.enabled"));
      settings.put("cores", Runtime.getRuntime().availableProcessors());
      settings.put("jvm_flags", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
      String commit = System.getProperty("bench.commit", "");
      if (!commit.isEmpty()) settings.put("commit", commit);
      Output.result("reads_settings", settings);

      ClientPath writes = new RaftClientPath(cluster.clientSystem());
      writeBefore(writes, options.writesBefore());

      RaftGroup<Register.Add, Register.Get, Long> followerHandle = cluster.node(follower).group();
      for (Via via : options.via()) {
        Function<Integer, Reader> readers = switch (via) {
          case CLIENT -> id -> {
            RaftClient<Register.Add, Register.Get, Long> client = RaftClient.create(cluster.clientSystem(), BenchCluster.GROUP_ID);
            return new Reader() {
              @Override
              public CompletionStage<Long> read(ReadConsistency consistency) {
                return client.read(Register.Get.INSTANCE, consistency);
              }

              @Override
              public void close() {
                client.close();
              }
            };
          };
          case FOLLOWER -> id -> new Reader() {
            @Override
            public CompletionStage<Long> read(ReadConsistency consistency) {
              return followerHandle.read(Register.Get.INSTANCE, consistency);
            }

            @Override
            public void close() {}
          };
        };
        for (ReadConsistency consistency : options.consistencies()) {
          for (int clients : options.clients()) {
            Output.comment("reads: via " + via.name().toLowerCase() + ", " + consistency + ", " + clients + " clients");
            long since = System.nanoTime();
            Map<String, Object> fields = measure(readers, consistency, clients, options);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("via", via.name().toLowerCase());
            line.put("consistency", consistency.name());
            line.putAll(fields);
            line.put("served_by", switch (via) {
              case CLIENT -> consistency == ReadConsistency.FOLLOWER || consistency == ReadConsistency.STALE
                  ? "followers in turn" : "leader";
              case FOLLOWER -> consistency == ReadConsistency.FOLLOWER || consistency == ReadConsistency.STALE
                  ? "follower" : "leader, forwarded by the follower";
            });
            line.put("leader_changed", cluster.roles().latestLeader().atNanos() - since >= 0);
            line.put("follower_roles", cluster.roles().rolesOf(follower, since).stream().map(RaftRole::name).toList());
            Output.result("reads", line);
          }
        }
      }
      return true;
    } finally {
      W1.deleteRecursively(root);
    }
  }

  /** {@code n} W1 commands from 16 clients, so that the register holds a value and the log has entries. */
  private static void writeBefore(ClientPath path, int n) throws Exception {
    if (n == 0) return;
    List<ClientPath.Client> clients = new ArrayList<>();
    for (int i = 0; i < 16; i++) clients.add(path.newClient());
    try {
      for (int done = 0; done < n; ) {
        List<java.util.concurrent.CompletableFuture<Long>> inFlight = new ArrayList<>();
        for (int i = 0; i < clients.size() && done < n; i++, done++) {
          inFlight.add(clients.get(i).submit(Register.command(i, 256)).toCompletableFuture());
        }
        for (var f : inFlight) f.get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      clients.forEach(ClientPath.Client::close);
    }
  }

  /** {@code clients} closed-loop readers through a warm-up, then the measured window (as W1's throughput). */
  private static Map<String, Object> measure(Function<Integer, Reader> readers, ReadConsistency consistency,
      int clients, Options options) throws InterruptedException {
    List<ClientTally> tallies = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Reader> readerObjects = new ArrayList<>();
    CountDownLatch ready = new CountDownLatch(clients);
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2];
    for (int id = 0; id < clients; id++) {
      ClientTally tally = new ClientTally();
      tallies.add(tally);
      Reader reader = readers.apply(id);
      readerObjects.add(reader);
      Thread thread = new Thread(() -> {
        ready.countDown();
        try {
          go.await();
          while (System.nanoTime() - window[1] < 0) {
            long sent = System.nanoTime();
            try {
              long value = reader.read(consistency).toCompletableFuture()
                  .get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
              long received = System.nanoTime();
              tally.read(value, received - sent, inWindow(received, window));
            } catch (ExecutionException | TimeoutException e) {
              tally.error(inWindow(System.nanoTime(), window), false);
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "reads-" + consistency + "-" + clients + "-" + id);
      threads.add(thread);
      thread.start();
    }
    ready.await();
    window[0] = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
    window[1] = window[0] + TimeUnit.SECONDS.toNanos(options.measureSeconds());
    go.countDown();
    for (Thread thread : threads) thread.join();
    readerObjects.forEach(Reader::close);

    LatencySummary latencies = LatencySummary.of(tallies);
    long errors = tallies.stream().mapToLong(ClientTally::errors).sum();
    long wentBack = tallies.stream().mapToLong(ClientTally::orderViolations).sum();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("clients", clients);
    f.put("reads", latencies.count());
    f.put("reads_per_s", ThroughputPhase.round(latencies.count() / (double) options.measureSeconds(), 1));
    f.put("p50_ms", ThroughputPhase.millis(latencies.p50Nanos()));
    f.put("p99_ms", ThroughputPhase.millis(latencies.p99Nanos()));
    f.put("max_ms", ThroughputPhase.millis(latencies.maxNanos()));
    f.put("mean_ms", ThroughputPhase.round(latencies.meanNanos() / 1e6, 3));
    f.put("errors", errors);
    f.put("went_back", wentBack);
    return f;
  }

  private static boolean inWindow(long at, long[] window) {
    return at - window[0] >= 0 && at - window[1] <= 0;
  }
}
