package io.pekkoraft.benchmarks;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.pekkoraft.benchmarks.EtcdOptions.Target;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Workload {@code etcd} (see benchmarks/README.md): the etcd API measured on our gateway and on etcd itself,
 * one target after the other on this machine, each a fresh three-member cluster: for each client count, the
 * closed loop of {@link EtcdLoad}; after the last one, the consistency check (each client's last acknowledged
 * Put read back); at the end, the figures side by side. Output lines carry {@code "bench":"etcd"} and the
 * target as {@code peer}. Every data directory lives under one fresh temporary directory, deleted at the end.
 */
final class EtcdBench {

  static final String BENCH = "etcd";

  /** One client count's figures for the side-by-side table; {@code cpuUsPerOp} -1 when not measured. */
  private record Row(EtcdLoad.Result result, double cpuUsPerOp) {}

  private EtcdBench() {}

  /** Runs the workload; true when every check held (a target that could not run is skipped, not failed). */
  static boolean run(EtcdOptions options) throws Exception {
    Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pekko-raft-etcd-bench-");
    Map<String, List<Row>> figures = new LinkedHashMap<>();
    boolean ok = true;
    try {
      for (Target target : options.targets()) {
        Path dir = root.resolve(target.flagName());
        Optional<EtcdTarget> started = start(target, dir);
        if (started.isEmpty()) continue;
        try (EtcdTarget cluster = started.get()) {
          List<Row> results = new ArrayList<>();
          ok &= measure(cluster, options, root, results);
          figures.put(cluster.peer(), results);
        }
        W1.deleteRecursively(dir);
      }
      sideBySide(options, figures);
      return ok;
    } finally {
      W1.deleteRecursively(root);
    }
  }

  private static Optional<EtcdTarget> start(Target target, Path dir) throws Exception {
    return switch (target) {
      case PEKKO_RAFT -> {
        Output.comment("pekko-raft: starting three members serving the etcd API");
        yield Optional.of(PekkoRaftEtcdTarget.start(dir));
      }
      case ETCD -> {
        Optional<Path> etcd = EtcdProcessTarget.onPath();
        if (etcd.isEmpty()) {
          Output.comment("etcd: skipped, there is no etcd executable on PATH (" + System.getenv("PATH")
              + "); Debian's etcd-server package installs one at /usr/bin/etcd");
          yield Optional.empty();
        }
        Output.comment("etcd: starting three etcd processes from " + etcd.get());
        yield Optional.of(EtcdProcessTarget.start(etcd.get(), dir));
      }
    };
  }

  /** Every client count on {@code target}, then the consistency check; true when no check failed. */
  private static boolean measure(EtcdTarget target, EtcdOptions options, Path root, List<Row> results)
      throws Exception {
    result(target, "settings", settings(target, options, root));
    boolean ok = true;
    List<EtcdLoad.LastPut> lastPuts = new ArrayList<>();
    for (int clients : options.clients()) {
      Output.comment(target.peer() + ": " + clients + " clients, " + options.warmupSeconds() + " s warm-up, "
          + options.measureSeconds() + " s measured");
      long cpuBefore = cpuNanos(target);
      EtcdLoad.Result r = EtcdLoad.run(target.endpoints(), clients, options);
      long cpuNanos = cpuNanos(target) - cpuBefore;
      Map<String, Object> fields = r.fields();
      double cpuUsPerOp = -1;
      if (cpuBefore >= 0 && cpuNanos >= 0 && r.answered() > 0) {
        cpuUsPerOp = Math.round(cpuNanos / 100.0 / r.answered()) / 10.0;
        fields.put("cpu_us_per_op", cpuUsPerOp);
      }
      result(target, "throughput", fields);
      results.add(new Row(r, cpuUsPerOp));
      lastPuts.addAll(r.lastPuts());
      ok &= r.staleReads() == 0 && r.putOrderViolations() == 0 && r.getRevisionWentBack() == 0;
    }
    return consistency(target, lastPuts) && ok;
  }

  /**
   * CPU time of everything the run uses: this JVM (the clients, and our members) and the target's own processes
   * (etcd's); -1 when one is not reported. Per op it shows the cost of the path even on a busy machine.
   */
  private static long cpuNanos(EtcdTarget target) {
    long jvm = W1.processCpuNanos();
    long others = target.otherProcessesCpuNanos();
    return jvm < 0 || others < 0 ? -1 : jvm + others;
  }

  /** Each client's last acknowledged Put, of every client count, read back linearizably through a fresh client. */
  private static boolean consistency(EtcdTarget target, List<EtcdLoad.LastPut> lastPuts) throws Exception {
    long mismatched = 0;
    List<String> examples = new ArrayList<>();
    long revision = 0;
    try (Client client = EtcdLoad.client(target.endpoints())) {
      for (EtcdLoad.LastPut put : lastPuts) {
        GetResponse got = client.getKVClient().get(ByteSequence.from(put.key(), StandardCharsets.UTF_8))
            .get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        revision = Math.max(revision, got.getHeader().getRevision());
        byte[] read = got.getKvs().isEmpty() ? null : got.getKvs().get(0).getValue().getBytes();
        if (!put.matches(read)) {
          mismatched++;
          if (examples.size() < 5) examples.add(put.key());
        }
      }
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("keys_checked", lastPuts.size());
    fields.put("mismatched", mismatched);
    if (!examples.isEmpty()) fields.put("mismatched_keys", examples);
    fields.put("revision", revision);
    fields.put("ok", mismatched == 0);
    result(target, "consistency", fields);
    return mismatched == 0;
  }

  private static Map<String, Object> settings(EtcdTarget target, EtcdOptions options, Path root) throws Exception {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("clients", options.clients());
    s.put("warmup_s", options.warmupSeconds());
    s.put("measure_s", options.measureSeconds());
    s.put("payload_bytes", options.payloadBytes());
    s.put("workload", "closed loop per client: Put k/<C>/<client>/<n mod " + EtcdLoad.KEYS_PER_CLIENT
        + "> = a fresh value, then a linearizable Get (Range, serializable=false) of that key");
    s.put("client", "one jetcd " + jetcdVersion() + " Client per client, to every member's endpoint (jetcd's"
        + " round robin), one platform thread per client blocking on each answer");
    s.put("endpoints", target.endpoints());
    s.putAll(target.settings());
    FileStore store = Files.getFileStore(root);
    s.put("data_filesystem", store.type() + " " + store.name());
    s.put("cores", Runtime.getRuntime().availableProcessors());
    s.put("jvm_flags", ManagementFactory.getRuntimeMXBean().getInputArguments());
    s.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    String commit = System.getProperty("bench.commit", "");
    if (!commit.isEmpty()) s.put("commit", commit);
    List<String> deviations = new ArrayList<>();
    deviations.add(target instanceof PekkoRaftEtcdTarget
        ? "the members share this JVM (heap, GC, CPU) with the jetcd clients; etcd's run in processes of their own"
        : "etcd is three Go processes apart from the clients' JVM; our members share the clients' JVM");
    if (store.type().equalsIgnoreCase("tmpfs")) deviations.add("data directory is on tmpfs, not a real disk");
    s.put("deviations", deviations);
    return s;
  }

  /** jetcd-core's version, from its jar's name on the class path (its manifest has none). */
  private static String jetcdVersion() {
    try {
      String jar = Path.of(Client.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
      return jar.startsWith("jetcd-core-") && jar.endsWith(".jar")
          ? jar.substring("jetcd-core-".length(), jar.length() - ".jar".length()) : "(from " + jar + ")";
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return "(version unknown: " + e + ")";
    }
  }

  /**
   * The figures of the targets per client count, for people: ops/s, p50 and p99 of Put and Get together, then
   * the p50 of Put and of Get apart, the errors, and the CPU time per op.
   */
  private static void sideBySide(EtcdOptions options, Map<String, List<Row>> figures) {
    if (figures.isEmpty()) return;
    String column = " | %9s %8s %8s %8s %8s %6s %7s";
    StringBuilder peers = new StringBuilder(String.format("%7s", ""));
    StringBuilder head = new StringBuilder(String.format("%7s", "clients"));
    for (String peer : figures.keySet()) {
      peers.append(String.format(" | %-62s", peer));
      head.append(String.format(column, "ops/s", "p50 ms", "p99 ms", "put p50", "get p50", "errors", "cpu us"));
    }
    Output.comment("side by side (ops/s, p50 and p99 of Put and Get together; p50 of each; errors; CPU us per op):");
    Output.comment(peers.toString());
    Output.comment(head.toString());
    for (int i = 0; i < options.clients().size(); i++) {
      StringBuilder line = new StringBuilder(String.format("%7d", options.clients().get(i)));
      for (List<Row> rows : figures.values()) {
        EtcdLoad.Result r = rows.get(i).result();
        double cpu = rows.get(i).cpuUsPerOp();
        line.append(String.format(column, String.format("%.1f", r.opsPerSecond()), ms(r.all().p50Nanos()),
            ms(r.all().p99Nanos()), ms(r.puts().p50Nanos()), ms(r.gets().p50Nanos()), r.putErrors() + r.getErrors(),
            cpu < 0 ? "-" : String.format("%.0f", cpu)));
      }
      Output.comment(line.toString());
    }
  }

  private static String ms(long nanos) {
    return String.format("%.3f", nanos / 1e6);
  }

  private static void result(EtcdTarget target, String result, Map<String, ?> fields) {
    Output.result(BENCH, target.peer(), target.version(), result, fields);
  }
}
