package io.pekkoraft.chaos.runner;

import io.etcd.jetcd.Client;
import io.pekkoraft.chaos.checker.LeaseChecker;
import io.pekkoraft.chaos.checker.WatchChecker;
import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.history.HistoryWriter;
import io.pekkoraft.consensus.testing.LocalPorts;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * A chaos run of the etcd workload ({@code --workload etcd}): the nodes run the etcd API's store as the Raft
 * group "chaos" ({@code PekkoRaftEtcd}, its Raft transport cut by the partitions like the key-value store's) and
 * serve it from their gRPC gateways; the runner drives the gateways with jetcd ({@link EtcdClients}) while the
 * {@link Nemesis} kills, pauses and partitions. The history of the register clients is checked like the register
 * workload's (by {@link io.pekkoraft.chaos.ChaosRunner}); the watches ({@link WatchChecker}) and the leases
 * ({@link LeaseChecker}) are checked here and handed over as {@link ChaosRun.Check}s.
 */
public final class EtcdRun {

  private static final long READY_SECONDS = 90;
  /** How long the clients go on after the last fault is healed, and how long calls in flight are given to land. */
  private static final long SETTLE_SECONDS = 3;

  private final ChaosOptions options;
  private final PrintStream out;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  private final RunLog log;

  public EtcdRun(ChaosOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.log = new RunLog(out, startNanos);
  }

  public ChaosRun.Outcome run() throws Exception {
    Path dir = options.dir().toAbsolutePath();
    ChaosRun.clearRunDirectory(dir);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(ChaosRun.MARKER), "a chaos run directory: the next run with this directory deletes it\n");
    say("seed " + options.seed() + ": " + options.nodes() + " nodes serving the etcd API, " + options.clients()
        + " register clients, " + EtcdClients.WATCHERS + " watchers, " + EtcdClients.LEASE_KEEPERS + " lease keepers (TTL "
        + EtcdClients.LEASE_TTL_SECONDS + " s), each its own jetcd client; faults " + (options.faults().isEmpty() ? "none"
        : options.faults().stream().map(f -> f.name().toLowerCase()).collect(Collectors.joining(","))) + " for "
        + options.duration().toSeconds() + " s; call deadline " + options.requestTimeout().toMillis() + " ms, routes "
        + options.routes().name().toLowerCase() + "; run directory " + dir);
    Thread killer = new Thread(() -> nodes.forEach(NodeProcess::stop));
    Runtime.getRuntime().addShutdownHook(killer); // nodes never outlive the runner
    ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "chaos-progress");
      t.setDaemon(true);
      return t;
    });
    EtcdClients clients = null;
    try (HistoryWriter history = new HistoryWriter(options.history())) {
      int n = options.nodes();
      List<Integer> ports = LocalPorts.free(2 * n);
      List<Integer> nodePorts = ports.subList(0, n);
      Map<String, Integer> members = new LinkedHashMap<>();
      List<String> endpoints = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = io.pekkoraft.chaos.ChaosCluster.memberId(i);
        members.put(id, nodePorts.get(i));
        endpoints.add("http://127.0.0.1:" + ports.get(n + i));
        nodes.add(new NodeProcess(id, nodePorts.get(i), nodePorts, dir, options.nodeSettings(), 1, ports.get(n + i)));
      }
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      for (NodeProcess node : nodes) ready.add(node.start(members));
      CompletableFuture.allOf(ready.toArray(CompletableFuture<?>[]::new)).get(READY_SECONDS, TimeUnit.SECONDS);
      say("all " + n + " nodes are serving; gateways " + endpoints);

      clients = new EtcdClients(endpoints, options.routes() == ChaosOptions.Routes.HOME, history,
          options.requestTimeout(), startNanos, options.clients(), options.seed());
      // The runner's own client (every member): the first leader, the final reads, the final revision, the reference log.
      Client admin = Client.builder().endpoints(endpoints.toArray(String[]::new)).retryMaxAttempts(0).build();
      awaitLeader(clients, admin);

      Nemesis nemesis = new Nemesis(nodes, options.faults(), new ReentrantLock(true), options.seed(), out, log::elapsedMillis);
      EtcdClients running = clients;
      progress.scheduleAtFixedRate(() -> progressLine(running, nemesis), 5, 5, TimeUnit.SECONDS);
      clients.start();
      try {
        nemesis.runUntil(System.nanoTime() + options.duration().toNanos());
      } catch (Exception e) {
        clients.close(); // the run ends here: the clients' calls fail at once, before the history closes
        clients.stop();
        throw e;
      }
      String faults = options.duration().toSeconds() + " s of faults: " + nemesis.kills.get() + " kills ("
          + nemesis.leaderKills.get() + " of the leader), " + nemesis.pauses.get() + " pauses (" + nemesis.leaderPauses.get()
          + " of the leader), " + nemesis.partitions.get() + " partitions";
      say("faults over (" + faults + "); every node is running and connected");
      Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));
      clients.stop();
      // A call abandoned at its deadline may still be applied (the gateway's own deadline is shorter): give it time.
      Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));
      progress.shutdownNow();
      progressLine(clients, nemesis);

      Set<String> keys = new LinkedHashSet<>();
      for (Event e : history.events()) keys.add(e.key());
      Map<String, Object> finalValues = new LinkedHashMap<>();
      for (String key : keys) finalValues.put(key, clients.finalRead(admin, key, Duration.ofSeconds(60)));
      say("final reads: " + (finalValues.size() <= 5 ? finalValues : finalValues.size() + " keys"));

      long finalRevision = awaitLeader(clients, admin);
      List<WatchChecker.WatchEvent> reference = EtcdClients.referenceLog(admin, finalRevision, Duration.ofSeconds(60));
      long lastKvRevision = reference.stream().filter(e -> e.key().startsWith(EtcdClients.KV_PREFIX) && e.revision() <= finalRevision)
          .mapToLong(WatchChecker.WatchEvent::revision).max().orElse(0);
      say("final revision " + finalRevision + ", reference log of " + reference.size() + " events; waiting for the watches"
          + " to reach revision " + lastKvRevision);
      long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < waitUntil && clients.watchers.stream().anyMatch(w -> w.lastRevision < lastKvRevision)) {
        Thread.sleep(100);
      }
      List<WatchChecker.Watch> watches = clients.watchers.stream().map(EtcdClients.Watcher::result).toList();
      say("the watches' streams failed " + clients.watchers.stream().mapToInt(w -> w.errors.get()).sum()
          + " times (jetcd watched again from the last revision + 1)");
      WatchChecker.Result watchResult = WatchChecker.check(reference, finalRevision, List.copyOf(clients.acknowledged), watches);
      LeaseChecker.Result leaseResult = LeaseChecker.check(clients.leases.stream().map(EtcdClients.LeaseRecord::result).toList());
      writeRecords(dir, reference, watches, clients.leases);
      log.reportNodeLogs(nodes);
      admin.close();
      return new ChaosRun.Outcome(history.events(), finalValues, faults, null, "watch and lease records: "
          + dir.resolve("watches.txt") + ", " + dir.resolve("leases.txt"),
          List.of(new ChaosRun.Check("watches", watchResult.holds(), watchResult.toString()),
              new ChaosRun.Check("leases", leaseResult.holds(), leaseResult.toString())));
    } finally {
      progress.shutdownNow();
      if (clients != null) clients.close();
      for (NodeProcess node : nodes) node.stop();
      Runtime.getRuntime().removeShutdownHook(killer);
    }
  }

  /** A linearizable Get succeeds: a leader is elected and serves reads. Returns the store's revision it read at. */
  private long awaitLeader(EtcdClients clients, Client admin) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        long revision = clients.await(admin.getKVClient().get(EtcdClients.bytes(EtcdClients.ALL_PREFIX))).getHeader().getRevision();
        say("a leader serves linearizable reads through the gateways (revision " + revision + ")");
        return revision;
      } catch (EtcdClients.Failure e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw new TimeoutException("no leader served a read within " + READY_SECONDS + " s: " + last);
  }

  /** What the watches saw and the leases' keep-alives, for a look after the run. */
  private static void writeRecords(Path dir, List<WatchChecker.WatchEvent> reference, List<WatchChecker.Watch> watches,
      List<EtcdClients.LeaseRecord> leases) throws java.io.IOException {
    StringBuilder w = new StringBuilder("# reference log (revision key type value)\n");
    reference.forEach(e -> w.append(e.revision()).append(' ').append(e.key()).append(' ').append(e.type()).append(' ')
        .append(e.value()).append('\n'));
    for (WatchChecker.Watch watch : watches) {
      w.append("# ").append(watch.name()).append(" from revision ").append(watch.startRevision()).append(", started again ")
          .append(watch.resumes()).append(" times\n");
      watch.events().forEach(e -> w.append(e.revision()).append(' ').append(e.key()).append(' ').append(e.type())
          .append(' ').append(e.value()).append('\n'));
    }
    Files.writeString(dir.resolve("watches.txt"), w);
    StringBuilder l = new StringBuilder("# per lease: acks (sent ack ttl, seconds since the start) and observations gone\n");
    for (EtcdClients.LeaseRecord lease : leases) {
      l.append(String.format("lease %x key %s%n", lease.id, lease.key));
      lease.acks.forEach(a -> l.append(String.format("  ack sent %.3f acked %.3f ttl %d%n", a.sentNanos() / 1e9,
          a.ackNanos() / 1e9, a.ttlSeconds())));
      lease.gone.forEach(g -> l.append(String.format("  gone %.3f-%.3f %s%n", g.invokeNanos() / 1e9, g.completeNanos() / 1e9,
          g.how())));
    }
    Files.writeString(dir.resolve("leases.txt"), l);
  }

  private void progressLine(EtcdClients clients, Nemesis nemesis) {
    NodeProcess leader = nemesis.leader();
    say(String.format("%d ops (%d ok, %d fail, %d info), %d watch events, %d leases, %d faults, leader %s, now: %s",
        clients.tally.total(), clients.tally.ok.get(), clients.tally.fail.get(), clients.tally.info.get(),
        clients.watchers.stream().mapToInt(w -> w.events.size()).sum(), clients.leases.size(), nemesis.total(),
        leader == null ? "none" : leader.id + " (term " + leader.role().term() + ")", nemesis.current));
  }

  private void say(String line) {
    log.say(line);
  }
}
