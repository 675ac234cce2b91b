package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.etcd.Etcdctl.Output;
import io.pekkoraft.etcd.Etcdctl.Running;
import io.pekkoraft.etcd.Etcdctl.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcdctl 3.4's {@code lock} and {@code elect}, which etcdctl builds itself on KV, Watch and Lease (a session
 * lease kept alive, a key under the name with that lease, a watch for the deletion of the key created just
 * before its own): a second locker waits for the first and gets a strictly greater create revision (its fencing
 * token); a second candidate takes over when the first ends, and an observer prints each leader. Each scenario's
 * transcript is compared with etcd 3.4's for the same steps (lease ids masked) when etcd is installed. Skipped,
 * with a printed line, without etcdctl.
 */
class EtcdctlLockTest {

  static EtcdTestCluster ours;

  static final Pattern CREATE_REVISION = Pattern.compile("\"create_revision\":(\\d+)");

  @BeforeAll
  static void start() throws Exception {
    Etcdctl.assumeInstalled("EtcdctlLockTest");
    ours = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (ours != null) ours.close();
  }

  static String endpoint(String member) {
    return "127.0.0.1:" + ours.ports.get(member);
  }

  /** The lease id etcdctl puts after the name (16 hex digits) differs between runs: masked. */
  static List<String> masked(List<String> transcript) {
    return transcript.stream().map(l -> l.replaceAll("/[0-9a-f]{1,16}\\b", "/LEASE")).toList();
  }

  /** The create revisions of the keys under {@code prefix}, in key order, as {@code get --prefix -w json} says. */
  static List<Long> createRevisions(String endpoint, String prefix) throws Exception {
    Output json = Etcdctl.run(endpoint, Step.of("get", "--prefix", prefix, "-w", "json"));
    assertEquals(0, json.exitCode(), json.toString());
    List<Long> revisions = new ArrayList<>();
    Matcher m = CREATE_REVISION.matcher(json.stdout());
    while (m.find()) revisions.add(Long.parseLong(m.group(1)));
    return revisions;
  }

  /**
   * Waits until {@code n} keys are under {@code prefix}: a waiter's key exists before it starts waiting, so this is
   * the moment it waits (asked again, each ask a process run; bounded).
   */
  static void awaitKeys(String endpoint, String prefix, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Etcdctl.PROCESS_SECONDS);
    List<Long> revisions;
    do {
      revisions = createRevisions(endpoint, prefix);
      if (revisions.size() == n) return;
    } while (System.nanoTime() < deadline);
    throw new AssertionError(n + " keys under " + prefix + " expected, found " + revisions);
  }

  /** {@code lock NAME cmd...}: the command runs while the lock is held (its output only), then the key is gone. */
  static List<String> lockWithACommand(String at, String name) throws Exception {
    Output out = Etcdctl.run(at, Step.of("lock", name, "echo", "hi"));
    assertEquals(List.of(), createRevisions(at, name), "the lock is released after its command");
    return List.of(out.toString());
  }

  /**
   * Two {@code lock NAME} processes (on {@code first} and {@code second}): the first prints its key and holds it;
   * the second waits (its key exists, it prints nothing) until the first is terminated, then prints its own key,
   * whose create revision is strictly greater.
   */
  static List<String> secondLockerWaits(String first, String second, String name) throws Exception {
    List<String> transcript = new ArrayList<>();
    try (Running holder = Running.start(first, "lock", name)) {
      String key = holder.line();
      assertTrue(key.startsWith(name + "/"), key);
      assertEquals("", holder.line());
      List<Long> held = createRevisions(second, name);
      assertEquals(1, held.size(), "one lock key: " + held);
      transcript.add(key + "\n");
      try (Running waiter = Running.start(second, "lock", name)) {
        awaitKeys(first, name, 2);
        // The waiter's key exists and the holder's is older: the waiter is waiting, and prints nothing.
        assertEquals(List.of(), waiter.printedSoFar(), "the second locker got the lock while the first held it");
        Output released = holder.terminate();
        assertEquals(0, released.exitCode(), released.toString());
        String next = waiter.line();
        assertTrue(next.startsWith(name + "/") && !next.equals(key), next + " after " + key);
        assertEquals("", waiter.line());
        List<Long> now = createRevisions(second, name);
        assertEquals(1, now.size(), "only the second holder's key: " + now);
        assertTrue(now.get(0) > held.get(0), "fencing token " + now.get(0) + " after " + held.get(0));
        transcript.add(next + "\n");
        assertEquals(0, waiter.terminate().exitCode());
      }
    }
    assertEquals(List.of(), createRevisions(first, name), "both locks released");
    return transcript;
  }

  /**
   * {@code elect NAME p1} campaigns and wins; {@code elect -l NAME} prints the leader; {@code elect NAME p2} waits
   * until p1's process ends, then leads, and the observer prints the new leader.
   */
  static List<String> secondCandidateTakesOver(String first, String second, String observeAt, String name)
      throws Exception {
    List<String> transcript = new ArrayList<>();
    try (Running p1 = Running.start(first, "elect", name, "p1")) {
      List<String> won = p1.lines(2);
      assertTrue(won.get(0).startsWith(name + "/"), won.toString());
      assertEquals("p1", won.get(1));
      transcript.addAll(won);
      try (Running observer = Running.start(observeAt, "elect", "-l", name);
          Running p2 = Running.start(second, "elect", name, "p2")) {
        assertEquals(won, observer.lines(2));
        awaitKeys(first, name, 2);
        assertEquals(List.of(), p2.printedSoFar(), "p2 won while p1 led");
        assertEquals(0, p1.terminate().exitCode());
        List<String> next = p2.lines(2);
        assertTrue(next.get(0).startsWith(name + "/") && !next.get(0).equals(won.get(0)), next.toString());
        assertEquals("p2", next.get(1));
        assertEquals(next, observer.lines(2), "the observer prints the new leader");
        transcript.addAll(next);
        assertEquals(0, p2.terminate().exitCode());
      }
    }
    return transcript;
  }

  @Test
  void aLockRunsItsCommandWhileHeld() throws Exception {
    String follower = endpoint(ours.follower());
    List<String> got = lockWithACommand(follower, "cmd-lock");
    assertEquals(List.of("[exit 0]\nhi\n"), got);
    assertReference(at -> lockWithACommand(at, "cmd-lock"), got);
  }

  @Test
  void aSecondLockerWaitsAndGetsAGreaterFencingToken() throws Exception {
    List<String> got = secondLockerWaits(endpoint(ours.follower()), endpoint(ours.leader()), "held-lock");
    assertReference(at -> secondLockerWaits(at, at, "held-lock"), got);
  }

  @Test
  void aSecondCandidateTakesOverWhenTheFirstEnds() throws Exception {
    String follower = endpoint(ours.follower());
    String leader = endpoint(ours.leader());
    List<String> got = secondCandidateTakesOver(follower, leader, follower, "election");
    assertReference(at -> secondCandidateTakesOver(at, at, at, "election"), got);
  }

  interface Scenario {
    List<String> run(String endpoint) throws Exception;
  }

  /** The same scenario against etcd 3.4 prints the same (lease ids masked); skipped without etcd. */
  static void assertReference(Scenario scenario, List<String> ours) throws Exception {
    if (!Etcdctl.ETCD.canExecute()) {
      System.out.println("EtcdctlLockTest: comparison with etcd SKIPPED: " + Etcdctl.ETCD + " is not installed"
          + " (Debian package etcd-server 3.4)");
      return;
    }
    try (Etcdctl.Reference etcd = Etcdctl.Reference.start()) {
      assertEquals(masked(scenario.run(etcd.endpoint)), masked(ours), "etcd 3.4's transcript, then ours");
    }
  }
}
