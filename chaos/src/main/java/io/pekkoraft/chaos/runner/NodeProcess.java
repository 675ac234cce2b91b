package io.pekkoraft.chaos.runner;

import io.pekkoraft.chaos.ChaosCluster;
import io.pekkoraft.chaos.node.ChaosNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * One {@link ChaosNode} JVM, as the runner sees it: started (again) on the same data directory, killed with
 * SIGKILL, paused with SIGSTOP and resumed with SIGCONT, told whom to cut off, and followed through the lines
 * it prints (READY, its role changes, its answers). Its stderr (logging) is appended to {@code <id>.log}.
 * Each start names the members the node lists ({@code pekko-raft.members}); a restart after a kill lists the
 * same as the start before it. A node removed from the group is stopped and {@linkplain #wipe wiped}: it may
 * later start again, under the same id, on an empty data directory, as a joining node.
 */
final class NodeProcess {

  /** A role the node reported, with its term. */
  record Role(String role, long term, String leaderId) {}

  final String id;
  final int port;
  private final List<Integer> seedPorts;
  private final Path data;
  /** HOCON the run adds to the node's configuration. */
  private final String settings;
  /** The rate its clock runs at (1: real time), which every duration Raft times on it follows. */
  final double clockRate;
  /** The etcd workload: the port of its gateway serving the etcd API; 0 for the other workloads. */
  final int etcdPort;
  /** Its pekko-raft.members (id to port) for the current incarnation and its restarts. */
  private volatile Map<String, Integer> members = Map.of();
  final Path log;
  private volatile Process process;
  private volatile Writer stdin;
  private volatile Role role = new Role("NONE", 0, null);
  private volatile boolean paused;
  /** Completes with the next answer line (BLOCKED, HEALED, LEAD, ERROR) of the current incarnation. */
  private volatile CompletableFuture<String> answer = new CompletableFuture<>();
  /** Completes with the answer (LEAD, LEAD-FAILED) to the last {@link #lead} of the current incarnation. */
  private volatile CompletableFuture<String> leadAnswer = new CompletableFuture<>();
  private volatile long dropped;

  NodeProcess(String id, int port, List<Integer> seedPorts, Path runDir, String settings, double clockRate) {
    this(id, port, seedPorts, runDir, settings, clockRate, 0);
  }

  /** {@code etcdPort}: the etcd workload's gateway port of this node (0: the key-value store, no gateway). */
  NodeProcess(String id, int port, List<Integer> seedPorts, Path runDir, String settings, double clockRate, int etcdPort) {
    this.etcdPort = etcdPort;
    this.id = id;
    this.settings = settings;
    this.clockRate = clockRate;
    this.port = port;
    this.seedPorts = List.copyOf(seedPorts);
    this.data = runDir.resolve(id);
    this.log = runDir.resolve(id + ".log");
  }

  /** The node's Pekko address. */
  String address() {
    return ChaosCluster.address(port);
  }

  /** Starts the JVM listing {@code members} (id to port); completes when it prints READY, fails if it exits first. */
  synchronized CompletableFuture<Void> start(Map<String, Integer> members) throws IOException {
    this.members = Map.copyOf(new LinkedHashMap<>(members));
    return start();
  }

  /** Starts the JVM again with the members of its last start (after a kill). */
  synchronized CompletableFuture<Void> start() throws IOException {
    if (members.isEmpty()) throw new IllegalStateException(id + " was never started with its members");
    Files.createDirectories(data);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process started = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-Dchaos.log=INFO",
        "-cp", System.getProperty("java.class.path"), ChaosNode.class.getName(),
        "--id", id, "--port", String.valueOf(port),
        "--seeds", seedPorts.stream().map(String::valueOf).collect(Collectors.joining(",")),
        "--members", members.entrySet().stream().sorted(Map.Entry.comparingByKey())
            .map(m -> m.getKey() + "=" + m.getValue()).collect(Collectors.joining(",")),
        "--data", data.toString(), "--settings", settings, "--clock-rate", String.valueOf(clockRate), "--etcd-port", String.valueOf(etcdPort))
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    process = started;
    stdin = new OutputStreamWriter(started.getOutputStream(), StandardCharsets.UTF_8);
    role = new Role("NONE", 0, null);
    paused = false;
    dropped = 0; // a new incarnation counts from 0
    answer = new CompletableFuture<>();
    leadAnswer = new CompletableFuture<>();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> follow(started, ready), "chaos-" + id + "-stdout");
    reader.setDaemon(true);
    reader.start();
    return ready;
  }

  private void follow(Process started, CompletableFuture<Void> ready) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        String[] words = line.split(" ");
        switch (words[0]) {
          case "READY" -> ready.complete(null);
          case "ROLE" -> role = new Role(words[1], Long.parseLong(words[2]), words[3].equals("-") ? null : words[3]);
          case "HEALED" -> {
            dropped = Long.parseLong(words[1]);
            answer.complete(line);
          }
          case "LEAD", "LEAD-FAILED" -> leadAnswer.complete(line); // apart: it may come after its wait ended
          default -> answer.complete(line);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process was killed
    }
    ready.completeExceptionally(new IllegalStateException(id + " exited before it was ready; see " + log));
  }

  boolean alive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  boolean paused() {
    return paused;
  }

  Role role() {
    return role;
  }

  /** Messages to blocked peers the node has dropped, as of its last HEALED answer. */
  long dropped() {
    return dropped;
  }

  /** SIGKILL (Process.destroyForcibly on Linux): no shutdown hook, no flush, no goodbye. Waits for the exit. */
  void kill() throws Exception {
    Process p = process;
    if (p == null) return;
    p.destroyForcibly();
    p.onExit().get(30, TimeUnit.SECONDS);
    paused = false;
    role = new Role("DEAD", role.term(), null);
  }

  void pause() throws Exception {
    signal("STOP");
    paused = true;
  }

  void resume() throws Exception {
    signal("CONT");
    paused = false;
  }

  private void signal(String name) throws Exception {
    Process p = process;
    if (p == null || !p.isAlive()) throw new IllegalStateException(id + " is not running");
    Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(p.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + p.pid() + " failed");
    }
  }

  /** Sends one command line and waits for the answer that starts with {@code expected}. */
  String command(String line, String expected) throws Exception {
    CompletableFuture<String> next;
    synchronized (this) {
      next = new CompletableFuture<>();
      answer = next;
      stdin.write(line + "\n");
      stdin.flush();
    }
    String reply;
    try {
      reply = next.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(id + " did not answer '" + line + "' within 10 s");
    }
    if (!reply.startsWith(expected)) throw new IllegalStateException(id + " answered '" + line + "' with '" + reply + "'");
    return reply;
  }

  /**
   * Asks the node to take the leadership (a transfer to itself); its answer, {@code LEAD <leader>} or
   * {@code LEAD-FAILED <why>}, or null when none came within {@code seconds}.
   */
  String lead(long seconds) throws Exception {
    CompletableFuture<String> next;
    synchronized (this) {
      next = new CompletableFuture<>();
      leadAnswer = next;
      stdin.write("lead\n");
      stdin.flush();
    }
    try {
      return next.get(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return null;
    }
  }

  /** Ends the node for good: closing its stdin makes it halt; SIGKILL if it is paused or slow to go. */
  void stop() {
    Process p = process;
    if (p == null) return;
    try {
      if (paused) resume();
      stdin.close();
      if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
    } catch (Exception e) {
      p.destroyForcibly();
    }
    try {
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    paused = false;
    role = new Role("STOPPED", role.term(), null);
  }

  /**
   * Deletes the data directory of a node that is {@linkplain #stop stopped}: its next start begins with an
   * empty journal (a new replica id), as a disk replaced.
   */
  void wipe() throws IOException {
    if (alive()) throw new IllegalStateException(id + " is running: stop it before wiping its data");
    if (!Files.exists(data)) return;
    try (var paths = Files.walk(data)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(path);
    }
  }

  /** Log lines matching {@code which}, for the summary. */
  List<String> logLines(Predicate<String> which) {
    try (var lines = Files.lines(log)) {
      return lines.filter(which).toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
