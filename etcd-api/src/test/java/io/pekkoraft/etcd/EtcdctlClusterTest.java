package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.etcd.Etcdctl.Output;
import io.pekkoraft.etcd.Etcdctl.Step;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcdctl 3.4's cluster commands against three members with auth on: {@code member list/add/promote/remove},
 * {@code endpoint status}, {@code move-leader} and {@code --user}; the layout of {@code member list -w table} and
 * the fields of {@code endpoint status -w json} compared with etcd 3.4's own (when installed). Skipped, with a
 * printed line, without etcdctl.
 */
class EtcdctlClusterTest {

  static EtcdTestCluster ours;
  static final String USER = "alice:alice-secret";

  @BeforeAll
  static void start() throws Exception {
    Etcdctl.assumeInstalled("EtcdctlClusterTest");
    ours = new EtcdTestCluster(ConfigFactory.parseString(
        "pekko-raft.etcd.auth { enabled = on, users = [ { name = alice, password = alice-secret } ] }"));
  }

  @AfterAll
  static void stop() {
    if (ours != null) ours.close();
  }

  static String endpoint(String member) {
    return "127.0.0.1:" + ours.ports.get(member);
  }

  static String all() {
    return ours.cluster.memberIds().stream().map(EtcdctlClusterTest::endpoint).collect(Collectors.joining(","));
  }

  static String hex(long id) {
    return Long.toHexString(id);
  }

  /** Every JSON field name in {@code json}. */
  static TreeSet<String> fieldNames(String json) {
    TreeSet<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("\"([A-Za-z_]+)\":").matcher(json);
    while (m.find()) names.add(m.group(1));
    return names;
  }

  @Test
  void memberCommandsAddPromoteAndRemoveALearner() throws Exception {
    String follower = endpoint(ours.follower());
    Output list = Etcdctl.run(follower, Step.of("member", "list"));
    assertEquals(0, list.exitCode(), list.toString());
    for (String member : ours.cluster.memberIds()) {
      assertTrue(list.stdout().contains(hex(EtcdIds.memberId(member)) + ", started, " + member + ", http://"),
          list.toString());
    }

    Output add = Etcdctl.run(follower, Step.of("--user", USER, "member", "add", "127.0.0.1-1",
        "--peer-urls=http://127.0.0.1:1", "--learner"));
    String id = hex(EtcdIds.memberId("127.0.0.1-1"));
    assertEquals(0, add.exitCode(), add.toString());
    // etcdctl pads this id to 16 characters (%16x), etcd's too.
    assertTrue(add.stdout().startsWith("Member " + String.format("%16s", id) + " added to cluster " + hex(EtcdIds.clusterId("etcd"))),
        add.toString());
    assertTrue(add.stdout().contains("ETCD_NAME=\"127.0.0.1-1\""), add.toString());
    assertTrue(add.stdout().contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""), add.toString());

    Output promote = Etcdctl.run(follower, Step.of("--user", USER, "member", "promote", id));
    assertEquals(new Output(1, "",
        "Error: etcdserver: can only promote a learner member which is in sync with leader\n"), promote);

    Output remove = Etcdctl.run(follower, Step.of("--user", USER, "member", "remove", id));
    assertEquals(new Output(0, "Member " + String.format("%16s", id) + " removed from cluster " + hex(EtcdIds.clusterId("etcd")) + "\n",
        ""), remove);
    assertEquals(new Output(1, "", "Error: etcdserver: member not found\n"),
        Etcdctl.run(follower, Step.of("--user", USER, "member", "remove", id)));
  }

  @Test
  void userIsRequiredAndAccepted() throws Exception {
    String follower = endpoint(ours.follower());
    assertEquals(new Output(1, "", "Error: etcdserver: user name is empty\n"),
        Etcdctl.run(follower, Step.of("put", "user/a", "1")));
    assertEquals(new Output(0, "OK\n", ""), Etcdctl.run(follower, Step.of("--user", USER, "put", "user/a",
        "1")));
    assertEquals(new Output(0, "1\n", ""), Etcdctl.run(follower, Step.of("--user", USER, "get", "user/a",
        "--print-value-only")));
    Output wrong = Etcdctl.run(follower, Step.of("--user", "alice:nope", "get", "user/a"));
    assertTrue(wrong.exitCode() != 0, wrong.toString());
    assertTrue(wrong.errors().contains("etcdserver: authentication failed, invalid user ID or password"),
        wrong.toString());
  }

  @Test
  void moveLeaderTransfersToTheTarget() throws Exception {
    String leader = ours.leader();
    String target = ours.follower();
    Output moved = Etcdctl.run(all(), Step.of("--user", USER, "move-leader",
        hex(EtcdIds.memberId(target))));
    assertEquals(new Output(0, "Leadership transferred from " + hex(EtcdIds.memberId(leader)) + " to "
        + hex(EtcdIds.memberId(target)) + "\n", ""), moved);
    Output status = Etcdctl.run(endpoint(target), Step.of("endpoint", "status"));
    assertTrue(status.stdout().contains(", true, false, "), "the target says it leads: " + status);
  }

  @Test
  void memberListTableAndEndpointStatusJsonAreShapedAsEtcds() throws Exception {
    // A key on both sides: an empty store's size estimate is 0, which etcdctl's JSON leaves out.
    Etcdctl.run(endpoint(ours.follower()), Step.of("--user", USER, "put", "shape/a", "1"));
    Output table = Etcdctl.run(endpoint(ours.follower()), Step.of("member", "list", "-w", "table"));
    // The follower answers from its own store, which applies the put a moment after the leader answered it.
    Output json = Etcdctl.run(endpoint(ours.follower()), Step.of("endpoint", "status", "-w", "json"));
    for (int asked = 1; asked < 50 && !json.stdout().contains("dbSize"); asked++) {
      json = Etcdctl.run(endpoint(ours.follower()), Step.of("endpoint", "status", "-w", "json"));
    }
    assertEquals(0, table.exitCode(), table.toString());
    assertEquals(0, json.exitCode(), json.toString());
    Etcdctl.assumeEtcdInstalled("EtcdctlClusterTest.memberListTableAndEndpointStatusJsonAreShapedAsEtcds: comparison");
    Output referenceTable;
    Output referenceJson;
    try (Etcdctl.Reference etcd = Etcdctl.Reference.start()) {
      String endpoint = etcd.endpoint;
      Etcdctl.run(endpoint, Step.of("put", "a", "1"));
      referenceTable = Etcdctl.run(endpoint, Step.of("member", "list", "-w", "table"));
      referenceJson = Etcdctl.run(endpoint, Step.of("endpoint", "status", "-w", "json"));
    }
    // The same columns; each of our rows a started voter, without client URLs (none configured: an empty
    // cell, as etcd shows for a member that has none).
    assertEquals(referenceTable.stdout().lines().toList().get(1).replaceAll(" +", " "),
        table.stdout().lines().toList().get(1).replaceAll(" +", " "), table.stdout());
    List<String> rows = table.stdout().lines().filter(l -> l.startsWith("| ") && !l.contains("STATUS")).toList();
    assertEquals(3, rows.size(), table.stdout());
    for (String row : rows) {
      assertTrue(row.matches("\\| [0-9a-f]{16} \\| started \\| node-\\d +\\| http://127\\.0\\.0\\.1:\\d+ +\\|"
          + " +\\| +false \\|"), row);
    }
    assertEquals(fieldNames(referenceJson.stdout()), fieldNames(json.stdout()),
        "ours: " + json.stdout() + "\netcd's: " + referenceJson.stdout());
  }
}
