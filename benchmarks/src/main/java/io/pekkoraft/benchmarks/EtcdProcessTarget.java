package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.testing.LocalPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * etcd's side of {@code bin/bench etcd}: three etcd processes on this machine, started from the {@code etcd}
 * on PATH, each with a fresh data directory under {@code dataDir} (on the same disk as our journals), client
 * and peer ports picked free on 127.0.0.1, {@code --initial-cluster} of the three, every other setting at
 * etcd's default (fsync of its WAL included). Each process's output goes to {@code <name>.log} beside its data.
 * {@link #close()} stops the three (SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}).
 */
final class EtcdProcessTarget implements EtcdTarget {

  /** Bound on the three members becoming healthy. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** How long a member may take to stop after SIGTERM. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private record Member(String name, int clientPort, int peerPort, Path dataDir, Path log, Process process) {}

  private final Path executable;
  private final String version;
  private final List<Member> members = new ArrayList<>();
  private final List<String> commandLine = new ArrayList<>();
  private final Thread killOnExit = new Thread(this::destroyAll, "etcd-bench-stop-etcd");

  private EtcdProcessTarget(Path executable, String version) {
    this.executable = executable;
    this.version = version;
  }

  /** The {@code etcd} executable on PATH, if there is one. */
  static Optional<Path> onPath() {
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path candidate = Path.of(dir, "etcd");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.of(candidate);
    }
    return Optional.empty();
  }

  /** Starts the three members and waits until each answers healthy on {@code /health}. */
  static EtcdProcessTarget start(Path executable, Path dataDir) throws IOException, InterruptedException {
    EtcdProcessTarget target = new EtcdProcessTarget(executable, versionOf(executable));
    Runtime.getRuntime().addShutdownHook(target.killOnExit);
    try {
      target.startMembers(dataDir);
      target.awaitHealthy();
      return target;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      target.close();
      throw e;
    }
  }

  private void startMembers(Path dataDir) throws IOException {
    List<Integer> ports = LocalPorts.free(2 * BenchCluster.NODE_COUNT);
    String token = "etcd-bench-" + Long.toHexString(System.nanoTime());
    List<String> initialCluster = new ArrayList<>();
    for (int i = 0; i < BenchCluster.NODE_COUNT; i++) {
      initialCluster.add("etcd-" + (i + 1) + "=http://127.0.0.1:" + ports.get(2 * i + 1));
    }
    Files.createDirectories(dataDir);
    for (int i = 0; i < BenchCluster.NODE_COUNT; i++) {
      String name = "etcd-" + (i + 1);
      int clientPort = ports.get(2 * i);
      int peerPort = ports.get(2 * i + 1);
      String clientUrl = "http://127.0.0.1:" + clientPort;
      String peerUrl = "http://127.0.0.1:" + peerPort;
      Path data = dataDir.resolve(name);
      List<String> command = List.of(executable.toString(), "--name", name, "--data-dir", data.toString(),
          "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
          "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
          "--initial-cluster", String.join(",", initialCluster), "--initial-cluster-state", "new",
          "--initial-cluster-token", token);
      if (i == 0) commandLine.addAll(command);
      Path log = dataDir.resolve(name + ".log");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      members.add(new Member(name, clientPort, peerPort, data, log, process));
    }
  }

  /** Polls each member's {@code /health} until it says {"health":"true"}; fails when one exits or time runs out. */
  private void awaitHealthy() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    for (Member m : members) {
      while (true) {
        if (!m.process().isAlive()) {
          throw new IllegalStateException("etcd member " + m.name() + " exited with " + m.process().exitValue()
              + " while starting; its output: " + tail(m.log()));
        }
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.clientPort() + "/health"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"")) break;
        } catch (IOException notYet) {
          // not listening yet
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("etcd member " + m.name() + " was not healthy within " + START_TIMEOUT.toSeconds()
              + " s; its output: " + tail(m.log()));
        }
        Thread.sleep(100);
      }
    }
  }

  /** {@code etcd --version}'s first line's version, e.g. 3.4.23. */
  private static String versionOf(Path executable) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
    for (String line : out.split("\n")) {
      if (line.startsWith("etcd Version:")) return line.substring("etcd Version:".length()).trim();
    }
    throw new IllegalStateException(executable + " --version printed no 'etcd Version:' line: " + out.strip());
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  @Override
  public String peer() {
    return EtcdOptions.Target.ETCD.flagName();
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public List<String> endpoints() {
    return members.stream().map(m -> "http://127.0.0.1:" + m.clientPort()).toList();
  }

  @Override
  public long otherProcessesCpuNanos() {
    long sum = 0;
    for (Member m : members) {
      java.util.Optional<Duration> cpu = m.process().info().totalCpuDuration();
      if (cpu.isEmpty()) return -1;
      sum += cpu.get().toNanos();
    }
    return sum;
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("members", "three etcd processes on this machine (the benchmark's clients are in the JVM, apart)");
    s.put("executable", executable.toString());
    s.put("command_line_of_etcd_1", commandLine);
    s.put("etcd_settings", "etcd's defaults otherwise: heartbeat 100 ms, election 1000 ms, WAL fsync on,"
        + " snapshot every 100000 entries, no auto-compaction, max request 1.5 MiB");
    s.put("data_dir", members.isEmpty() ? "" : members.get(0).dataDir().getParent().toString());
    return s;
  }

  @Override
  public void close() {
    destroyAll();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is exiting: the hook runs anyway
    }
  }

  private void destroyAll() {
    for (Member m : members) m.process().destroy();
    for (Member m : members) {
      try {
        if (!m.process().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          Output.comment("etcd member " + m.name() + " did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM: killed");
          m.process().destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        m.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
