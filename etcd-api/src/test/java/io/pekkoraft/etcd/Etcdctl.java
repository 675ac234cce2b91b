package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.testing.LocalPorts;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the etcdctl suites share: the etcdctl 3.4 binary run to its end ({@link #run}) or kept running while its
 * lines are read ({@link Running}), and etcd 3.4 itself as the reference ({@link Reference}).
 */
final class Etcdctl {

  static final File ETCDCTL = new File("/usr/bin/etcdctl");
  static final File ETCD = new File("/usr/bin/etcd");
  /** The bound on every wait for a process: a failure bound, never a pace. */
  static final long PROCESS_SECONDS = 30;

  private Etcdctl() {}

  /** One etcdctl call: its arguments (after --endpoints) and what it reads from stdin (null: nothing). */
  record Step(List<String> args, String stdin) {
    static Step of(String... args) {
      return new Step(List.of(args), null);
    }

    static Step withInput(String stdin, String... args) {
      return new Step(List.of(args), stdin);
    }
  }

  /** What etcdctl printed: its exit code, stdout, and the "Error: ..." lines of stderr (its retry logs left out). */
  record Output(int exitCode, String stdout, String errors) {
    /** The same, without the empty lines etcdctl prints for --keys-only values. */
    Output withoutBlankLines() {
      return new Output(exitCode, stdout.lines().filter(l -> !l.isEmpty()).map(l -> l + "\n")
          .reduce("", String::concat), errors);
    }

    @Override
    public String toString() {
      return "[exit " + exitCode + "]\n" + stdout + (errors.isEmpty() ? "" : "[stderr] " + errors);
    }
  }

  /** Skips the calling suite, with a printed line naming it, when etcdctl is not installed. */
  static void assumeInstalled(String suite) {
    if (!ETCDCTL.canExecute()) {
      System.out.println(suite + " SKIPPED: " + ETCDCTL + " is not installed (Debian package etcd-client 3.4)");
    }
    Assumptions.assumeTrue(ETCDCTL.canExecute(), "etcdctl is not installed at " + ETCDCTL);
  }

  /** Skips the calling test, with a printed line naming it, when etcd (the reference) is not installed. */
  static void assumeEtcdInstalled(String test) {
    if (!ETCD.canExecute()) {
      System.out.println(test + " SKIPPED: " + ETCD + " is not installed (Debian package etcd-server 3.4)");
    }
    Assumptions.assumeTrue(ETCD.canExecute(), "etcd is not installed at " + ETCD);
  }

  static ProcessBuilder command(String endpoint, List<String> args) {
    List<String> command = new ArrayList<>(List.of(ETCDCTL.getPath(), "--endpoints", endpoint,
        "--command-timeout=20s"));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("ETCDCTL_API", "3");
    return builder;
  }

  /** Runs etcdctl to its end (within {@link #PROCESS_SECONDS}) and returns what it printed. */
  static Output run(String endpoint, Step step) throws Exception {
    Process process = command(endpoint, step.args()).start();
    CompletableFuture<String> stdout = read(process.getInputStream());
    CompletableFuture<String> stderr = read(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      if (step.stdin() != null) in.write(step.stdin().getBytes(StandardCharsets.UTF_8));
    }
    if (!process.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("etcdctl " + step.args() + " did not end within " + PROCESS_SECONDS + " s");
    }
    return new Output(process.exitValue(), stdout.get(PROCESS_SECONDS, TimeUnit.SECONDS),
        errors(stderr.get(PROCESS_SECONDS, TimeUnit.SECONDS)));
  }

  static String errors(String stderr) {
    return stderr.lines().filter(l -> l.startsWith("Error")).reduce("", (a, b) -> a + b + "\n");
  }

  static CompletableFuture<String> read(java.io.InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /**
   * etcdctl as a process that runs until it ends or is stopped ({@code watch}, {@code lease keep-alive},
   * {@code lock}, {@code elect}): its stdout lines as they come, stderr kept for the failure messages.
   */
  static final class Running implements AutoCloseable {
    final Process process;
    final List<String> args;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final CompletableFuture<String> stderr;
    /** Completes when stdout ends (the process ended or closed it). */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    private Running(Process process, List<String> args) {
      this.process = process;
      this.args = args;
      this.stderr = read(process.getErrorStream());
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) lines.add(line);
        } catch (IOException e) {
          // the process was killed
        }
        ended.complete(null);
      }, "etcdctl-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Running start(String endpoint, String... args) throws IOException {
      List<String> list = List.of(args);
      return new Running(command(endpoint, list).start(), list);
    }

    /** The next line it prints, waited for up to {@link #PROCESS_SECONDS}; fails when it ends first. */
    String line() throws InterruptedException {
      String line = lines.poll(PROCESS_SECONDS, TimeUnit.SECONDS);
      assertNotNull(line, "etcdctl " + args + " printed no further line within " + PROCESS_SECONDS + " s"
          + (process.isAlive() ? "" : " (it ended with " + process.exitValue() + ": " + stderr.getNow("") + ")"));
      return line;
    }

    /** Its next {@code n} lines. */
    List<String> lines(int n) throws InterruptedException {
      List<String> got = new ArrayList<>();
      while (got.size() < n) got.add(line());
      return got;
    }

    /** The lines it printed so far and not yet taken, without waiting. */
    List<String> printedSoFar() {
      List<String> got = new ArrayList<>();
      lines.drainTo(got);
      return got;
    }

    /**
     * Waits for its end (within {@link #PROCESS_SECONDS}) and returns its exit code and the lines not yet taken.
     */
    Output awaitEnd() throws Exception {
      assertTrue(process.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS), "etcdctl " + args + " did not end");
      ended.get(PROCESS_SECONDS, TimeUnit.SECONDS);
      return new Output(process.exitValue(), printedSoFar().stream().map(l -> l + "\n").reduce("", String::concat),
          errors(stderr.get(PROCESS_SECONDS, TimeUnit.SECONDS)));
    }

    /** SIGTERM, as an operator's kill: etcdctl lock and elect release what they hold before ending. */
    Output terminate() throws Exception {
      process.destroy();
      return awaitEnd();
    }

    @Override
    public void close() throws InterruptedException {
      ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
      process.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** A one-member etcd 3.4 on free ports and a throwaway data directory: the reference output comes from it. */
  static final class Reference implements AutoCloseable {
    private final Path dir;
    private final Process etcd;
    final String endpoint;

    private Reference(Path dir, Process etcd, String endpoint) {
      this.dir = dir;
      this.etcd = etcd;
      this.endpoint = endpoint;
    }

    static Reference start() throws Exception {
      Path dir = Files.createTempDirectory("etcd-reference");
      List<Integer> ports = LocalPorts.free(2);
      Process etcd = new ProcessBuilder(ETCD.getPath(), "--name", "reference", "--data-dir",
          dir.resolve("data").toString(),
          "--listen-client-urls", "http://127.0.0.1:" + ports.get(0),
          "--advertise-client-urls", "http://127.0.0.1:" + ports.get(0),
          "--listen-peer-urls", "http://127.0.0.1:" + ports.get(1),
          "--initial-advertise-peer-urls", "http://127.0.0.1:" + ports.get(1),
          "--initial-cluster", "reference=http://127.0.0.1:" + ports.get(1))
          .redirectErrorStream(true).start();
      Reference reference = new Reference(dir, etcd, "127.0.0.1:" + ports.get(0));
      try {
        awaitReady(etcd);
      } catch (Exception | Error e) {
        reference.close();
        throw e;
      }
      return reference;
    }

    @Override
    public void close() throws Exception {
      etcd.destroy();
      if (!etcd.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) etcd.destroyForcibly();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  /** etcd logs "ready to serve client requests" once its client port answers. */
  static void awaitReady(Process etcd) throws Exception {
    BufferedReader log = new BufferedReader(new InputStreamReader(etcd.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
      try {
        String line;
        while ((line = log.readLine()) != null) {
          if (line.contains("ready to serve client requests")) return true;
        }
        return false;
      } catch (IOException e) {
        return false;
      }
    });
    // Then keep draining its log, so that etcd never blocks on a full pipe; ends when etcd stops.
    ready.thenRunAsync(() -> {
      try {
        log.transferTo(java.io.Writer.nullWriter());
      } catch (IOException ignored) {
        // etcd stopped
      }
    });
    assertTrue(ready.get(PROCESS_SECONDS, TimeUnit.SECONDS), "etcd did not report itself ready");
  }
}
