package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.Etcdctl.ETCD;
import static io.pekkoraft.etcd.Etcdctl.ETCDCTL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code etcdctl watch --rev N --prefix} (etcdctl 3.4, as a process that runs until killed) prints the same lines
 * against three of our members as against etcd 3.4 itself, for the same writes: history first, then live events.
 * Skipped, with a printed line, without etcdctl or etcd.
 */
class EtcdctlWatchTest {

  /** Written before the watch starts (revisions 2 to 5 on a fresh store), then while it runs. */
  static final List<Etcdctl.Step> BEFORE = List.of(Etcdctl.Step.of("put", "w/a", "1"),
      Etcdctl.Step.of("put", "w/b", "2"), Etcdctl.Step.of("put", "w/a", "3"),
      Etcdctl.Step.of("del", "w/b"), Etcdctl.Step.of("put", "x", "not watched"));
  static final List<Etcdctl.Step> DURING = List.of(Etcdctl.Step.of("put", "w/c", "4"),
      Etcdctl.Step.of("del", "w/", "--prefix"));
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
    try (Etcdctl.Reference etcd = Etcdctl.Reference.start()) {
      reference = watched(etcd.endpoint, etcd.endpoint);
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
    for (Etcdctl.Step step : BEFORE) assertEquals(0, Etcdctl.run(writeAt, step).exitCode(), "" + step);
    try (Etcdctl.Running watch = Etcdctl.Running.start(watchAt, "watch", "--rev", "2", "--prefix", "w/")) {
      List<String> got = new ArrayList<>(watch.lines(LINES_BEFORE));
      for (Etcdctl.Step step : DURING) assertEquals(0, Etcdctl.run(writeAt, step).exitCode(), "" + step);
      got.addAll(watch.lines(LINES_DURING));
      return got;
    }
  }
}
