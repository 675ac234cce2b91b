package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pekkoraft.etcd.Etcdctl.Output;
import io.pekkoraft.etcd.Etcdctl.Step;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcdctl 3.4, the operator's etcd client, against the etcd API of three members: the commands an operator types,
 * and the same sequence against etcd itself (when installed), whose output must be the same once the cluster id,
 * member id and Raft term (which differ by nature) are masked. Skipped, with a printed line, without etcdctl.
 */
class EtcdctlTest {

  static EtcdTestCluster ours;

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
    Etcdctl.assumeInstalled("EtcdctlTest");
    ours = new EtcdTestCluster();
  }

  @AfterAll
  static void stop() {
    if (ours != null) ours.close();
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
    assertEquals(new Output(0, "OK\n", ""), Etcdctl.run(follower, Step.of("put", "op/a", "1")));
    assertEquals(new Output(0, "OK\n", ""), Etcdctl.run(leader, Step.of("put", "op/b", "2")));
    assertEquals(new Output(0, "op/a\n1\nop/b\n2\n", ""), Etcdctl.run(leader, Step.of("get", "op/", "--prefix")));
    assertEquals(new Output(0, "op/a\n", ""),
        Etcdctl.run(follower, Step.of("get", "op/", "--prefix", "--keys-only", "--limit", "1")).withoutBlankLines());
    assertEquals(new Output(0, "2\n", ""), Etcdctl.run(follower, Step.of("get", "op/b", "--print-value-only")));
    assertEquals(new Output(0, "SUCCESS\n\nOK\n", ""), Etcdctl.run(follower,
        Step.withInput("value(\"op/a\") = \"1\"\n\nput op/a 3\n\n\n", "txn")));
    assertEquals(new Output(0, "2\n", ""), Etcdctl.run(leader, Step.of("del", "op/", "--prefix")));
    Output lease = Etcdctl.run(leader, Step.of("put", "op/c", "v", "--lease=1234"));
    assertEquals(1, lease.exitCode());
    assertEquals("Error: etcdserver: requested lease not found\n", lease.errors());
  }

  @Test
  void theSameSequenceAsEtcd34() throws Exception {
    Etcdctl.assumeEtcdInstalled("EtcdctlTest.theSameSequenceAsEtcd34");
    // Our side: a group of its own in the same members would share nothing with the other tests' keys, but the
    // revisions must start at 1 like a fresh etcd: a fresh cluster for this sequence.
    List<Output> reference = new ArrayList<>();
    try (Etcdctl.Reference etcd = Etcdctl.Reference.start()) {
      for (Step step : SEQUENCE) reference.add(Etcdctl.run(etcd.endpoint, step));
    }
    try (EtcdTestCluster fresh = new EtcdTestCluster()) {
      String follower = "127.0.0.1:" + fresh.ports.get(fresh.follower());
      for (int i = 0; i < SEQUENCE.size(); i++) {
        Output got = Etcdctl.run(follower, SEQUENCE.get(i));
        assertEquals(masked(reference.get(i).toString()), masked(got.toString()),
            "etcdctl " + SEQUENCE.get(i).args() + " (step " + (i + 1) + ")");
      }
    }
  }
}
