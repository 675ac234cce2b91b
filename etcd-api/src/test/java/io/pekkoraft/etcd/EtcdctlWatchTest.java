package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdctlTest.ETCD;
import static io.pekkoraft.etcd.EtcdctlTest.ETCDCTL;
import static io.pekkoraft.etcd.EtcdctlTest.PROCESS_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.pekkoraft.consensus.testing.LocalPorts;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code etcdctl watch --rev N --prefix} (etcdctl 3.4, as a process that runs until killed) prints the same lines
 * against three of our members as against etcd 3.4 itself, for the same writes: history first, then live events.
 * Skipped, with a printed line, without etcdctl or etcd.
 */
class EtcdctlWatchTest {

  /** Written before the watch starts (revisions 2 to 5 on a fresh store), then while it runs. */
  static final List<EtcdctlTest.Step> BEFORE = List.of(EtcdctlTest.Step.of("put", "w/a", "1"),
      EtcdctlTest.Step.of("put", "w/b", "2"), EtcdctlTest.Step.of("put", "w/a", "3"),
      EtcdctlTest.Step.of("del", "w/b"), EtcdctlTest.Step.of("put", "x", "not watched"));
  static final List<EtcdctlTest.Step> DURING = List.of(EtcdctlTest.Step.of("put", "w/c", "4"),
      EtcdctlTest.Step.of("del", "w/", "--prefix"));
  /** Three lines per event: PUT or DELETE, the key, the value (empty for a delete). */
  static final int LINES_BEFORE = 4 * 3;
  static final int LINES_DURING = 3 * 3;

  @Test
  void watchWithRevAndPrefixPrintsWhatEtcdPrints() throws Exception {
    if (!ETCDCTL.canExecute() || !ETCD.canExecute()) {
      System.out.println("EtcdctlWatchTest SKIPPED: " + ETCDCTL + " or " + ETCD + " is not installed (Debian packages"
          + " etcd-client and etcd-server 3.4)");
    }
    Assumptions.assumeTrue(ETCDCTL.canExecute() && ETCD.canExecute(), "etcdctl or etcd is not installed");
    List<String> reference;
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
    try {
      EtcdctlTest.awaitReady(etcd);
      reference = watched("127.0.0.1:" + ports.get(0), "127.0.0.1:" + ports.get(0));
    } finally {
      etcd.destroy();
      if (!etcd.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) etcd.destroyForcibly();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
    // Written out too, so that a change on both sides shows.
    assertEquals(List.of("PUT", "w/a", "1", "PUT", "w/b", "2", "PUT", "w/a", "3", "DELETE", "w/b", "PUT", "w/c", "4",
        "DELETE", "w/a", "DELETE", "w/c"), reference.stream().filter(l -> !l.isEmpty()).toList(),
        "etcd 3.4's output: " + reference);
    try (EtcdTestCluster fresh = new EtcdTestCluster()) {
      // the watch on a follower, the writes through the leader
      List<String> ours = watched("127.0.0.1:" + fresh.ports.get(fresh.follower()),
          "127.0.0.1:" + fresh.ports.get(fresh.leader()));
      assertEquals(reference, ours);
    }
  }

  /** Writes BEFORE, runs etcdctl watch --rev 2 --prefix w/ on {@code watchAt}, writes DURING, its lines. */
  static List<String> watched(String watchAt, String writeAt) throws Exception {
    for (EtcdctlTest.Step step : BEFORE) assertEquals(0, EtcdctlTest.etcdctl(writeAt, step).exitCode(), "" + step);
    ProcessBuilder builder = new ProcessBuilder(ETCDCTL.getPath(), "--endpoints", watchAt, "watch", "--rev", "2",
        "--prefix", "w/");
    builder.environment().put("ETCDCTL_API", "3");
    Process watch = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(watch.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) lines.add(line);
        } catch (IOException e) {
          // etcdctl was killed
        }
      }, "etcdctl-watch-reader");
      reader.setDaemon(true);
      reader.start();
      List<String> got = new ArrayList<>(take(lines, LINES_BEFORE));
      for (EtcdctlTest.Step step : DURING) assertEquals(0, EtcdctlTest.etcdctl(writeAt, step).exitCode(), "" + step);
      got.addAll(take(lines, LINES_DURING));
      return got;
    } finally {
      ProcessHandle.of(watch.pid()).ifPresent(ProcessHandle::destroyForcibly);
      watch.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS);
    }
  }

  static List<String> take(BlockingQueue<String> lines, int n) throws InterruptedException {
    List<String> got = new ArrayList<>();
    while (got.size() < n) {
      String line = lines.poll(PROCESS_SECONDS, TimeUnit.SECONDS);
      assertNotNull(line, "etcdctl watch printed only " + got + " within " + PROCESS_SECONDS + " s");
      got.add(line);
    }
    return got;
  }
}
