package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.etcd.Etcdctl.Output;
import io.pekkoraft.etcd.Etcdctl.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * etcdctl 3.4's lease commands against the etcd API of three members, compared with etcd 3.4 for the same
 * sequence (lease ids, which both choose at random, and the seconds remaining, which depend on timing, masked),
 * and {@code lease keep-alive} as a stream until the lease is revoked. Skipped, with a printed line, without
 * etcdctl; the comparison also without etcd.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdctlLeaseTest {

  static EtcdTestCluster ours;

  /** "$LEASE" in a step stands for the id of the lease granted last in the same sequence. */
  static final List<Step> SEQUENCE = List.of(
      Step.of("lease", "grant", "60"),
      Step.of("put", "k1", "v1", "--lease=$LEASE"),
      Step.of("put", "k2", "v2", "--lease=$LEASE"),
      Step.of("lease", "timetolive", "$LEASE"),
      Step.of("lease", "timetolive", "$LEASE", "--keys"),
      Step.of("lease", "timetolive", "$LEASE", "--keys", "-w", "json"),
      Step.of("lease", "list"),
      Step.of("lease", "keep-alive", "--once", "$LEASE"),
      Step.of("lease", "revoke", "$LEASE"),
      Step.of("get", "k", "--prefix"),
      Step.of("lease", "timetolive", "$LEASE"),
      Step.of("lease", "revoke", "$LEASE"),
      Step.of("lease", "keep-alive", "--once", "$LEASE"),
      Step.of("lease", "list"),
      Step.of("lease", "grant", "1"),
      Step.of("lease", "grant", "9000000001"));

  static final Pattern GRANTED = Pattern.compile("lease ([0-9a-f]+) granted");

  @BeforeAll
  static void start() throws Exception {
    Etcdctl.assumeInstalled("EtcdctlLeaseTest");
    ours = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (ours != null) ours.close();
  }

  /** Runs the sequence against {@code endpoint}, putting the latest granted lease's id in for "$LEASE". */
  static List<Output> run(String endpoint) throws Exception {
    List<Output> outputs = new ArrayList<>();
    String lease = "none";
    for (Step step : SEQUENCE) {
      String id = lease;
      Output out = Etcdctl.run(endpoint, new Step(step.args().stream().map(a -> a.replace("$LEASE", id))
          .toList(), step.stdin()));
      Matcher granted = GRANTED.matcher(out.stdout());
      if (granted.find()) lease = granted.group(1);
      outputs.add(out);
    }
    return outputs;
  }

  /**
   * Lease ids (hex in text, decimal in JSON) and the seconds remaining differ by nature: masked. etcd lists a
   * lease's keys in no order (a Go map's); ours come in key order: both sorted before comparing.
   */
  static String masked(String output) {
    output = sortedWithin(output, Pattern.compile("attached keys\\(\\[([^]]*)]\\)"), " ");
    output = sortedWithin(output, Pattern.compile("\"keys\":\\[([^]]*)]"), ",");
    return EtcdctlTest.masked(output)
        .replaceAll("lease [0-9a-f]+ ", "lease ID ")
        .replaceAll("^[0-9a-f]{16}$", "ID")
        .replaceAll("(?m)^[0-9a-f]{1,16}$", "ID")
        .replaceAll("\"id\":\\d+", "\"id\":ID")
        .replaceAll("remaining\\(\\d+s\\)", "remaining(Ns)")
        .replaceAll("\"ttl\":\\d+", "\"ttl\":N");
  }

  static String sortedWithin(String output, Pattern list, String separator) {
    return list.matcher(output).replaceAll(found -> {
      String items = String.join(separator, Stream.of(found.group(1).split(Pattern.quote(separator))).sorted()
          .toList());
      return Matcher.quoteReplacement(found.group().replace(found.group(1), items));
    });
  }

  @Test
  @Order(1)
  void theLeaseCommandsPrintWhatEtcdPrints() throws Exception {
    Etcdctl.assumeEtcdInstalled("EtcdctlLeaseTest.theLeaseCommandsPrintWhatEtcdPrints");
    List<Output> reference;
    try (Etcdctl.Reference etcd = Etcdctl.Reference.start()) {
      reference = run(etcd.endpoint);
    }
    // First in this class, on a fresh cluster: the revisions start at 1 as in the fresh etcd.
    List<Output> got = run("127.0.0.1:" + ours.ports.get(ours.follower()));
    for (int i = 0; i < SEQUENCE.size(); i++) {
      assertEquals(masked(reference.get(i).toString()), masked(got.get(i).toString()),
          "etcdctl " + SEQUENCE.get(i).args() + " (step " + (i + 1) + ")");
    }
  }

  @Test
  @Order(2)
  void keepAliveStreamsThroughAFollowerUntilTheLeaseIsRevoked() throws Exception {
    String follower = "127.0.0.1:" + ours.ports.get(ours.follower());
    Output granted = Etcdctl.run(follower, Step.of("lease", "grant", "2"));
    Matcher m = GRANTED.matcher(granted.stdout());
    assertTrue(m.find(), granted.toString());
    String id = m.group(1);
    assertEquals(new Output(0, "lease " + id + " granted with TTL(2s)\n", ""), granted);

    try (Etcdctl.Running keepAlive = Etcdctl.Running.start(follower, "lease", "keep-alive", id)) {
      // Six renewals, some 2/3 s apart: about two TTLs, kept alive through the follower.
      for (int i = 0; i < 6; i++) {
        assertEquals("lease " + id + " keepalived with TTL(2)", keepAlive.line());
      }
      Output ttl = Etcdctl.run(follower, Step.of("lease", "timetolive", id));
      assertTrue(ttl.stdout().matches("lease " + id + " granted with TTL\\(2s\\), remaining\\([012]s\\)\n"),
          ttl.toString());
      assertEquals(new Output(0, "lease " + id + " revoked\n", ""),
          Etcdctl.run(follower, Step.of("lease", "revoke", id)));
      String last;
      do {
        last = keepAlive.line();
      } while (last.equals("lease " + id + " keepalived with TTL(2)"));
      assertEquals("lease " + id + " expired or revoked.", last);
      assertEquals(0, keepAlive.awaitEnd().exitCode());
    }
  }
}
