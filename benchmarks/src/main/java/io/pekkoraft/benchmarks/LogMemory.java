package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.testkit.TestNetwork;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Workload {@code log-memory}: the log's memory is bounded by configuration, not by snapshots. W1's
 * register (which takes no snapshots) on W1's three-member cluster, {@code --commands} commands of
 * {@code --payload} bytes from {@code --clients} closed-loop clients. Every {@code --sample-every}
 * acknowledged commands the JVM (all three members and the clients) is collected and the heap in use
 * printed ({@code heap} lines). After {@code --stop-at} commands one follower is cut off from the Raft
 * traffic; after the last command it is let back, and the time it takes to apply everything (read back
 * from the leader's journal, since it is far behind the leader's memory) is printed ({@code catch_up}).
 *
 * <pre>bin/bench log-memory [--commands 2000000] [--stop-at 1000000] [--clients 64] [--payload 256] [--sample-every 250000]</pre>
 */
final class LogMemory {

  private LogMemory() {}

  static final String USAGE = "usage: bench log-memory [--commands N] [--stop-at N] [--clients N] [--payload BYTES]"
      + " [--sample-every N]\n";

  record Options(long commands, long stopAt, int clients, int payload, long sampleEvery) {
    static Options parse(List<String> args) {
      Map<String, Long> values = new LinkedHashMap<>(Map.of("--commands", 2_000_000L, "--stop-at", 1_000_000L,
          "--clients", 64L, "--payload", 256L, "--sample-every", 250_000L));
      for (int i = 0; i < args.size(); i += 2) {
        String flag = args.get(i);
        if (!values.containsKey(flag)) throw new IllegalArgumentException("unknown flag " + flag);
        if (i + 1 >= args.size()) throw new IllegalArgumentException(flag + " needs a value");
        long v;
        try {
          v = Long.parseLong(args.get(i + 1).replace("_", ""));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(flag + " takes a whole number, got '" + args.get(i + 1) + "'");
        }
        if (v < 1) throw new IllegalArgumentException(flag + " must be at least 1, got " + v);
        values.put(flag, v);
      }
      Options o = new Options(values.get("--commands"), values.get("--stop-at"), values.get("--clients").intValue(),
          values.get("--payload").intValue(), values.get("--sample-every"));
      if (o.stopAt >= o.commands) throw new IllegalArgumentException("--stop-at must be below --commands");
      if (o.payload < 8) throw new IllegalArgumentException("--payload must be at least 8 bytes");
      return o;
    }
  }

  static boolean run(Options options) throws Exception {
    Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pekko-raft-log-memory-");
    TestNetwork network = new TestNetwork();
    try (BenchCluster cluster = BenchCluster.start(root, network)) {
      RoleWatch.Seen first = cluster.roles().awaitLeader(BenchCluster.STEP_TIMEOUT);
      String leader = first.change().memberId();
      String follower = cluster.nodes().keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      Output.result("log_memory_settings", Map.of("commands", options.commands(), "stop_at", options.stopAt(),
          "clients", options.clients(), "payload_bytes", options.payload(), "leader", leader, "cut_off", follower,
          "max_bytes_in_memory", cluster.memberConfig().getBytes("pekko-raft.log.memory-bytes-max"),
          "max_heap_mb", Runtime.getRuntime().maxMemory() >> 20));
      sampleHeap(0);

      ClientPath path = new RaftClientPath(cluster.clientSystem());
      AtomicLong issued = new AtomicLong();
      AtomicLong acked = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      long nextSample = options.sampleEvery();
      boolean cut = false;
      List<ClientPath.Client> clients = new ArrayList<>();
      List<CompletableFuture<Void>> loops = new ArrayList<>();
      long start = System.nanoTime();
      for (int c = 0; c < options.clients(); c++) {
        ClientPath.Client client = path.newClient();
        clients.add(client);
        CompletableFuture<Void> done = new CompletableFuture<>();
        loops.add(done);
        loop(client, Register.command(c, options.payload()), options.commands(), issued, acked, failed, done);
      }
      CompletableFuture<Void> all = CompletableFuture.allOf(loops.toArray(new CompletableFuture<?>[0]));
      while (!all.isDone()) {
        long a = acked.get();
        if (!cut && a >= options.stopAt()) {
          network.isolate(follower);
          cut = true;
          Output.comment(follower + " cut off from the Raft traffic after " + a + " acknowledged commands");
        }
        if (a >= nextSample) {
          sampleHeap(a);
          nextSample += options.sampleEvery();
        } else {
          try {
            all.get(50, TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.TimeoutException notYet) {
            // the load goes on: look at the counts again
          }
        }
      }
      long elapsed = System.nanoTime() - start;
      all.get();
      long total = acked.get();
      sampleHeap(total);
      Output.result("log_memory_load", Map.of("acknowledged", total, "failed", failed.get(),
          "ops_per_s", Math.round(total / (elapsed / 1e9))));

      long leaderValue = cluster.node(leader).group().read(Register.Get.INSTANCE, ReadConsistency.LINEARIZABLE)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      long behind = leaderValue - cluster.node(follower).group().read(Register.Get.INSTANCE, ReadConsistency.STALE)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      long healed = System.nanoTime();
      network.heal();
      Map<String, Long> values = cluster.registersReaching(leaderValue, Duration.ofMinutes(10));
      long catchUpNanos = System.nanoTime() - healed;
      boolean caughtUp = values.get(follower) >= leaderValue;
      Output.result("catch_up", Map.of("member", follower, "entries_behind", behind, "ms",
          Math.round(catchUpNanos / 1e6), "entries_per_s", Math.round(behind / (catchUpNanos / 1e9)),
          "caught_up", caughtUp, "values", values));
      sampleHeap(total);
      Output.result("journals", journalSizes(root));
      for (ClientPath.Client client : clients) client.close();
      return caughtUp && failed.get() == 0 && values.values().stream().allMatch(v -> v == leaderValue)
          && leaderValue == total;
    } finally {
      W1.deleteRecursively(root);
    }
  }

  private static void loop(ClientPath.Client client, Register.Add command, long total, AtomicLong issued,
      AtomicLong acked, AtomicLong failed, CompletableFuture<Void> done) {
    if (issued.incrementAndGet() > total) {
      done.complete(null);
      return;
    }
    client.submit(command).whenComplete((value, error) -> {
      if (error != null) failed.incrementAndGet();
      else acked.incrementAndGet();
      loop(client, command, total, issued, acked, failed, done);
    });
  }

  /** Collects the whole JVM and prints the heap in use. */
  private static void sampleHeap(long acknowledged) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    System.gc();
    long used = memory.getHeapMemoryUsage().getUsed();
    Output.result("heap", Map.of("acknowledged", acknowledged, "used_after_gc_mb", used >> 20));
  }

  private static Map<String, Object> journalSizes(Path root) throws Exception {
    Map<String, Object> sizes = new LinkedHashMap<>();
    try (Stream<Path> members = Files.list(root)) {
      for (Path member : members.sorted().toList()) {
        long bytes;
        try (Stream<Path> files = Files.walk(member)) {
          bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        sizes.put(member.getFileName().toString() + "_mb", bytes >> 20);
      }
    }
    return sizes;
  }
}
