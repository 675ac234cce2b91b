package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcdctl 3.4, the operator's etcd client, against the etcd API of three members: the commands an operator types,
 * and the same sequence against etcd itself (when installed), whose output must be the same once the cluster id,
 * member id and Raft term (which differ by nature) are masked. Skipped, with a printed line, without etcdctl.
 */
class EtcdctlTest {

  static final File ETCDCTL = new File("/usr/bin/etcdctl");
  static final File ETCD = new File("/usr/bin/etcd");
  static final long PROCESS_SECONDS = 30;

  static EtcdTestCluster ours;

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

  /** The sequence an operator might type on a fresh cluster; revisions match etcd's since both start empty. */
  static final List<Step> SEQUENCE = List.of(
      Step.of("put", "foo", "bar"),
      Step.of("put", "foo2", "baz"),
      Step.of("put", "fop", "x"),
      Step.of("get", "foo"),
      Step.of("get", "foo", "--prefix"),
      Step.of("get", "foo", "--prefix", "--limit", "1"),
      Step.of("get", "foo", "--prefix", "--keys-only"),
      Step.of("get", "foo", "--print-value-only"),
      Step.of("get", "foo", "--rev=2"),
      Step.of("get", "foo", "-w", "json"),
      Step.of("get", "foo", "--prefix", "--limit", "1", "-w", "json"),
      Step.of("put", "foo", "bar2", "--prev-kv"),
      Step.of("del", "foo"),
      Step.of("del", "nothing"),
      Step.withInput("value(\"foo2\") = \"baz\"\n\nput foo2 qux\nget foo2\n\nget foo2\n\n", "txn"),
      Step.withInput("value(\"foo2\") = \"nope\"\n\nput foo2 qux\n\nget foo2\n\n", "txn", "-w", "json"),
      Step.withInput("mod(\"fop\") < \"100\"\nversion(\"foo2\") > \"1\"\n\ndel fop\n\n\n", "txn"),
      Step.of("compaction", "3"),
      Step.of("get", "foo2", "--rev=2"),
      Step.of("get", "foo", "--rev=100"),
      Step.of("put", "k", "v", "--lease=1234"),
      Step.of("get", "--from-key", ""),
      Step.of("del", "fo", "--prefix", "--prev-kv"),
      Step.of("get", "foo", "--prefix", "-w", "json"));

  @BeforeAll
  static void start() throws Exception {
    if (!ETCDCTL.canExecute()) {
      System.out.println("EtcdctlTest SKIPPED: " + ETCDCTL + " is not installed (Debian package etcd-client 3.4)");
    }
    Assumptions.assumeTrue(ETCDCTL.canExecute(), "etcdctl is not installed at " + ETCDCTL);
    ours = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (ours != null) ours.close();
  }

  static Output etcdctl(String endpoint, Step step) throws Exception {
    List<String> command = new ArrayList<>(List.of(ETCDCTL.getPath(), "--endpoints", endpoint,
        "--command-timeout=20s"));
    command.addAll(step.args());
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("ETCDCTL_API", "3");
    Process process = builder.start();
    CompletableFuture<String> stdout = read(process.getInputStream());
    CompletableFuture<String> stderr = read(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      if (step.stdin() != null) in.write(step.stdin().getBytes(StandardCharsets.UTF_8));
    }
    if (!process.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("etcdctl " + step.args() + " did not end within " + PROCESS_SECONDS + " s");
    }
    String errors = stderr.get(PROCESS_SECONDS, TimeUnit.SECONDS).lines().filter(l -> l.startsWith("Error"))
        .reduce("", (a, b) -> a + b + "\n");
    return new Output(process.exitValue(), stdout.get(PROCESS_SECONDS, TimeUnit.SECONDS), errors);
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

  /** The cluster id, member id and Raft term differ between any two clusters: masked before comparing. */
  static String masked(String output) {
    return output.replaceAll("\"cluster_id\":\\d+", "\"cluster_id\":ID")
        .replaceAll("\"member_id\":\\d+", "\"member_id\":ID")
        .replaceAll("\"raft_term\":\\d+", "\"raft_term\":TERM");
  }

  String endpoint(String member) {
    return "127.0.0.1:" + ours.ports.get(member);
  }

  @Test
  void theOperatorsCommandsPrintWhatEtcdPrints() throws Exception {
    // Known output, written out, so that this test means something without etcd installed too.
    String follower = endpoint(ours.follower());
    String leader = endpoint(ours.leader());
    assertEquals(new Output(0, "OK\n", ""), etcdctl(follower, Step.of("put", "op/a", "1")));
    assertEquals(new Output(0, "OK\n", ""), etcdctl(leader, Step.of("put", "op/b", "2")));
    assertEquals(new Output(0, "op/a\n1\nop/b\n2\n", ""), etcdctl(leader, Step.of("get", "op/", "--prefix")));
    assertEquals(new Output(0, "op/a\n", ""),
        etcdctl(follower, Step.of("get", "op/", "--prefix", "--keys-only", "--limit", "1")).withoutBlankLines());
    assertEquals(new Output(0, "2\n", ""), etcdctl(follower, Step.of("get", "op/b", "--print-value-only")));
    assertEquals(new Output(0, "SUCCESS\n\nOK\n", ""), etcdctl(follower,
        Step.withInput("value(\"op/a\") = \"1\"\n\nput op/a 3\n\n\n", "txn")));
    assertEquals(new Output(0, "2\n", ""), etcdctl(leader, Step.of("del", "op/", "--prefix")));
    Output lease = etcdctl(leader, Step.of("put", "op/c", "v", "--lease=1234"));
    assertEquals(1, lease.exitCode());
    assertEquals("Error: etcdserver: requested lease not found\n", lease.errors());
  }

  @Test
  void theSameSequenceAsEtcd34() throws Exception {
    if (!ETCD.canExecute()) {
      System.out.println("EtcdctlTest.theSameSequenceAsEtcd34 SKIPPED: " + ETCD + " is not installed"
          + " (Debian package etcd-server 3.4)");
    }
    Assumptions.assumeTrue(ETCD.canExecute(), "etcd is not installed at " + ETCD);
    // Our side: a group of its own in the same members would share nothing with the other tests' keys, but the
    // revisions must start at 1 like a fresh etcd: a fresh cluster for this sequence.
    List<Output> reference = new ArrayList<>();
    Path dir = Files.createTempDirectory("etcd-reference");
    List<Integer> ports = LocalPorts.free(2);
    Process etcd = new ProcessBuilder(ETCD.getPath(), "--name", "reference", "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", "http://127.0.0.1:" + ports.get(0),
        "--advertise-client-urls", "http://127.0.0.1:" + ports.get(0),
        "--listen-peer-urls", "http://127.0.0.1:" + ports.get(1),
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + ports.get(1),
        "--initial-cluster", "reference=http://127.0.0.1:" + ports.get(1))
        .redirectErrorStream(true).start();
    try {
      awaitReady(etcd);
      for (Step step : SEQUENCE) reference.add(etcdctl("127.0.0.1:" + ports.get(0), step));
    } finally {
      etcd.destroy();
      if (!etcd.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) etcd.destroyForcibly();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
    try (EtcdTestCluster fresh = new EtcdTestCluster()) {
      String follower = "127.0.0.1:" + fresh.ports.get(fresh.follower());
      for (int i = 0; i < SEQUENCE.size(); i++) {
        Output got = etcdctl(follower, SEQUENCE.get(i));
        assertEquals(masked(reference.get(i).toString()), masked(got.toString()),
            "etcdctl " + SEQUENCE.get(i).args() + " (step " + (i + 1) + ")");
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
