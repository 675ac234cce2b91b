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

  private EtcdBench() {}

  /** Runs the workload; true when every check held (a target that could not run is skipped, not failed). */
  static boolean run(EtcdOptions options) throws Exception {
    Path root = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pekko-raft-etcd-bench-");
    Map<String, List<EtcdLoad.Result>> figures = new LinkedHashMap<>();
    boolean ok = true;
    try {
      for (Target target : options.targets()) {
        Path dir = root.resolve(target.flagName());
        Optional<EtcdTarget> started = start(target, dir);
        if (started.isEmpty()) continue;
        try (EtcdTarget cluster = started.get()) {
          List<EtcdLoad.Result> results = new ArrayList<>();
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
  private static boolean measure(EtcdTarget target, EtcdOptions options, Path root, List<EtcdLoad.Result> results)
      throws Exception {
    result(target, "settings", settings(target, options, root));
    boolean ok = true;
    List<EtcdLoad.LastPut> lastPuts = new ArrayList<>();
    for (int clients : options.clients()) {
      Output.comment(target.peer() + ": " + clients + " clients, " + options.warmupSeconds() + " s warm-up, "
          + options.measureSeconds() + " s measured");
      EtcdLoad.Result r = EtcdLoad.run(target.endpoints(), clients, options);
      result(target, "throughput", r.fields());
      results.add(r);
      lastPuts.addAll(r.lastPuts());
      ok &= r.staleReads() == 0 && r.putOrderViolations() == 0 && r.getRevisionWentBack() == 0;
    }
    return consistency(target, lastPuts) && ok;
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

  private static String jetcdVersion() {
    String v = Client.class.getPackage().getImplementationVersion();
    return v == null ? "(version not in its manifest)" : v;
  }

  /** The figures of both targets per client count, for people: ops/s, p50 and p99 of Put and Get together. */
  private static void sideBySide(EtcdOptions options, Map<String, List<EtcdLoad.Result>> figures) {
    if (figures.isEmpty()) return;
    List<String> peers = List.copyOf(figures.keySet());
    StringBuilder head = new StringBuilder(String.format("%-8s", "clients"));
    for (String peer : peers) head.append(String.format(" | %-40s", peer + ": ops/s, p50 / p99 ms (put, get)"));
    Output.comment("side by side, Put and Get together (ops/s, p50 / p99 ms), then Put and Get p50 ms:");
    Output.comment(head.toString());
    for (int i = 0; i < options.clients().size(); i++) {
      StringBuilder line = new StringBuilder(String.format("%-8d", options.clients().get(i)));
      for (String peer : peers) {
        EtcdLoad.Result r = figures.get(peer).get(i);
        line.append(String.format(" | %9.1f  %7.3f / %7.3f  (%.3f, %.3f)%s", r.opsPerSecond(),
            r.all().p50Nanos() / 1e6, r.all().p99Nanos() / 1e6, r.puts().p50Nanos() / 1e6, r.gets().p50Nanos() / 1e6,
            r.putErrors() + r.getErrors() > 0 ? " errors " + (r.putErrors() + r.getErrors()) : ""));
      }
      Output.comment(line.toString());
    }
  }

  private static void result(EtcdTarget target, String result, Map<String, ?> fields) {
    Output.result(BENCH, target.peer(), target.version(), result, fields);
  }
}
