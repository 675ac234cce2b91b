package io.pekkoraft.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.gateway.GroupCodecs;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.testkit.LocalCluster;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/**
 * raftctl against a real cluster: three members, each its own ActorSystem over Artery with its durable journal
 * ({@link LocalCluster}), each serving the gateway on a free port, a counter group with the JSON codec. raftctl
 * runs in this JVM ({@link CommandLine#execute}) with its output captured; each test checks what it printed and
 * its exit code. The watch that outlives the member it was served by runs last: it stops that member.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftCtlClusterTest {

  private static final String GROUP = "counter";
  /** Started on node-1 only: its other two voters never run it, so it never has a leader. */
  private static final String LONELY = "lonely";
  private static final Duration STEP = Duration.ofSeconds(30);

  static LocalCluster cluster;
  static final Map<String, String> endpoints = new HashMap<>();

  /** Commands are numbers to add, the result is the new value; the query "value" reads it. */
  static final class Counter implements StateMachine<Long, String, Long> {
    private long value;

    @Override
    public Long apply(Long add) {
      value += add;
      return value;
    }

    @Override
    public Long query(String query) {
      if (!query.equals("value")) throw new IllegalArgumentException("the counter answers only \"value\"");
      return value;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().members(3).config(ConfigFactory.parseResources("gateway-cluster-test.conf",
        ConfigParseOptions.defaults().setAllowMissing(false))).start();
    for (String member : cluster.memberIds()) {
      var system = cluster.system(member);
      PekkoRaft.get(system).init(ReplicatedStateMachine.of(GROUP, Counter::new));
      PekkoRaftGateway gateway = PekkoRaftGateway.get(system).register(GROUP, GroupCodecs.json(Long.class, String.class));
      if (member.equals("node-1")) {
        PekkoRaft.get(system).init(ReplicatedStateMachine.of(LONELY, Counter::new));
        gateway.register(LONELY, GroupCodecs.json(Long.class, String.class));
      }
      int port = gateway.start().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
      endpoints.put(member, "127.0.0.1:" + port);
    }
    cluster.awaitLeader(GROUP, 0, STEP);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static String leader() {
    return cluster.awaitLeader(GROUP, 0, STEP).memberId();
  }

  static String follower() {
    String leader = leader();
    return cluster.memberIds().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
  }

  /** Output that counts the lines written to it, for a watch running on another thread. */
  static final class Lines extends Writer {
    private final StringBuilder text = new StringBuilder();
    private final List<CountDownLatch> waiting = new ArrayList<>();
    private int lines;

    @Override
    public synchronized void write(char[] buffer, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        text.append(buffer[i]);
        if (buffer[i] == '\n') lines++;
      }
      notifyAll();
    }

    /** Waits (at most STEP) until {@code count} lines were written by {@code run}, which must not end first. */
    synchronized void awaitLines(int count, CompletableFuture<Run> run) throws InterruptedException {
      long deadline = System.nanoTime() + STEP.toNanos();
      while (lines < count) {
        assertFalse(run.isDone(), () -> "ended after " + lines + " of " + count + " lines: " + run.join());
        long left = deadline - System.nanoTime();
        assertTrue(left > 0, "only " + lines + " of " + count + " lines:\n" + text);
        TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
      }
    }

    @Override
    public synchronized String toString() {
      return text.toString();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  record Run(int exit, String out, String err) {
    Run ok() {
      assertEquals(Outcome.OK, exit, "stderr: " + err + " stdout: " + out);
      assertEquals("", err);
      return this;
    }

    Run failed(int code, String... inErr) {
      assertEquals(code, exit, "stderr: " + err + " stdout: " + out);
      assertEquals("", out);
      for (String s : inErr) assertTrue(err.contains(s), "'" + s + "' in " + err);
      return this;
    }

    JsonNode json() {
      JsonNode node = Formats.parseJson(out);
      assertTrue(node != null, "JSON: " + out);
      return node;
    }
  }

  static Run raftctl(Writer out, Writer err, String... args) {
    CommandLine cmd = RaftCtl.commandLine(Map.of());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** raftctl through {@code via}'s gateway for the counter group, with {@code args}. */
  static Run raftctl(String via, String... args) {
    List<String> all = new ArrayList<>(List.of("--endpoints", endpoints.get(via), "--group", GROUP));
    all.addAll(List.of(args));
    return raftctl(new Lines(), new Lines(), all.toArray(String[]::new));
  }

  static long value(String via) {
    return Long.parseLong(raftctl(via, "query", "\"value\"").ok().out().trim());
  }

  @Test
  @Order(1)
  void submitAndQueryPrintTheGroupsJson() {
    // A command through a follower's gateway prints the counter's new value, a read through another shows it;
    // --output json adds the command's log index.
    long before = value(leader());
    assertEquals(String.valueOf(before + 5), raftctl(follower(), "submit", "5").ok().out().trim());
    assertEquals(before + 5, value(leader()));
    JsonNode submitted = raftctl(follower(), "--output", "json", "submit", "2").ok().json();
    assertEquals(before + 7, submitted.get("result").asLong());
    assertTrue(submitted.get("index").asLong() > 0, submitted.toString());
    assertEquals(before + 7, raftctl(follower(), "query", "\"value\"", "--consistency", "follower", "-o", "json")
        .ok().json().get("result").asLong());
  }

  @Test
  @Order(2)
  void statusAndMembersShowTheGroupAsItsLeaderSeesIt() {
    String leader = leader();
    Run text = raftctl(follower(), "status").ok();
    assertTrue(text.out().contains("leader     " + leader + "\n"), text.out());
    assertTrue(text.out().contains("config     voters node-1,node-2,node-3; learners -;"), text.out());
    JsonNode json = raftctl(follower(), "status", "-o", "json").ok().json();
    assertEquals(leader, json.get("leader").asText());
    assertEquals(follower(), json.get("served_by").asText());
    assertEquals(3, json.get("members").size());
    String[] rows = raftctl(leader, "members").ok().out().trim().split("\n");
    assertEquals(4, rows.length, String.join("\n", rows));
    assertTrue(rows[0].startsWith("MEMBER  ROLE"), rows[0]);
    for (int i = 1; i < rows.length; i++) {
      String id = rows[i].split(" +")[0];
      assertEquals(id.equals(leader) ? "LEADER" : "FOLLOWER", rows[i].split(" +")[1], rows[i]);
    }
  }

  @Test
  @Order(3)
  void aRetryInASessionIsAnsweredWithTheFirstResultAndAppliedOnce() {
    // open-session, then the same --session/--sequence sent twice through two gateways: one apply, one answer.
    long session = Long.parseLong(raftctl(follower(), "open-session").ok().out().trim());
    long before = value(leader());
    String first = raftctl(follower(), "submit", "3", "--session", String.valueOf(session), "--sequence", "1")
        .ok().out();
    String retry = raftctl(leader(), "submit", "3", "--session", String.valueOf(session), "--sequence", "1")
        .ok().out();
    assertEquals(first, retry);
    assertEquals(String.valueOf(before + 3), first.trim());
    assertEquals(before + 3, value(leader()), "applied once");
    raftctl(leader(), "keep-alive", String.valueOf(session)).ok();
  }

  @Test
  @Order(4)
  void failuresExitWithTheirCodeAndSayWhetherTheCommandWasApplied() throws Exception {
    String via = follower();
    // No codec for the group: exit 2, for a read and for a command.
    raftctl(new Lines(), new Lines(), "-e", endpoints.get(via), "-g", "nope", "status")
        .failed(Outcome.NOT_FOUND_OR_INVALID, "status failed: NOT_FOUND from " + endpoints.get(via), "'nope'");
    raftctl(new Lines(), new Lines(), "-e", endpoints.get(via), "-g", "nope", "submit", "1")
        .failed(Outcome.NOT_FOUND_OR_INVALID, "NOT_FOUND", "raftctl: the command was not applied");
    // JSON the codec cannot read into the command type: INVALID_ARGUMENT, exit 2.
    raftctl(via, "submit", "\"seven\"").failed(Outcome.NOT_FOUND_OR_INVALID, "INVALID_ARGUMENT",
        "is not JSON of Long", "the command was not applied");
    // The state machine refuses the query: exit 5.
    raftctl(via, "query", "\"size\"").failed(Outcome.REFUSED, "ABORTED", "answers only");
    // A group without a leader: exit 3, saying so.
    raftctl(new Lines(), new Lines(), "-e", endpoints.get("node-1"), "-g", LONELY, "--timeout", "3s", "status")
        .failed(Outcome.UNAVAILABLE, "UNAVAILABLE", "no leader of group lonely");
    // An endpoint nobody listens on is skipped: the next one answers.
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    long before = value(via);
    Run skipped = raftctl(new Lines(), new Lines(), "-e", "127.0.0.1:" + closed + "," + endpoints.get(via), "-g",
        GROUP, "submit", "1").ok();
    assertEquals(String.valueOf(before + 1), skipped.out().trim());
  }

  @Test
  @Order(5)
  void membershipCommandsAddPromoteRemoveAndTransferLeadership() {
    // A learner that never runs is added and removed; promoting it is refused (exit 5, not applied); the
    // leadership goes to a named voter and then to any other.
    String via = follower();
    Run added = raftctl(via, "add-learner", "ghost", "pekko://raft@127.0.0.1:1").ok();
    assertTrue(added.out().startsWith("voters node-1,node-2,node-3; learners ghost; index "), added.out());
    assertTrue(added.out().trim().endsWith(" committed") && !added.out().contains("not committed"), added.out());
    raftctl(via, "promote", "ghost").failed(Outcome.REFUSED, "FAILED_PRECONDITION", "NOT_CAUGHT_UP",
        "raftctl: the change was not applied");
    raftctl(via, "remove", "nobody").failed(Outcome.REFUSED, "NOT_A_MEMBER");
    JsonNode removed = raftctl(via, "-o", "json", "remove", "ghost").ok().json();
    assertEquals(0, removed.get("learners").size(), removed.toString());
    assertEquals(3, removed.get("voters").size(), removed.toString());
    JsonNode voters = raftctl(via, "-o", "json", "change-voters", "node-1,node-2,node-3").ok().json();
    assertEquals(List.of("node-1", "node-2", "node-3"), List.of(voters.get("voters").get(0).asText(),
        voters.get("voters").get(1).asText(), voters.get("voters").get(2).asText()));

    String target = follower();
    assertEquals(target, raftctl(via, "transfer-leadership", target).ok().out().trim());
    assertEquals(target, leader());
    String next = raftctl(via, "-o", "json", "transfer-leadership").ok().json().get("leader").asText();
    assertFalse(next.equals(target), "the leadership moved on from " + target);
  }

  @Test
  @Order(100)
  void aWatchResumesOnTheNextEndpointWhenItsMemberStopsWithNoGapAndNoDuplicate() throws Exception {
    // The watch is served by a follower that is then stopped: raftctl resumes on the next endpoint from the last
    // index + 1 and prints every command once, in log order, with its result.
    String served = follower();
    String other = cluster.memberIds().stream().filter(m -> !m.equals(served) && !m.equals(leader())).findFirst()
        .orElse(leader());
    long first = raftctl(leader(), "-o", "json", "submit", "100").ok().json().get("index").asLong();
    raftctl(leader(), "submit", "101").ok();
    raftctl(leader(), "submit", "102").ok();

    Lines out = new Lines();
    Lines err = new Lines();
    CompletableFuture<Run> watch = CompletableFuture.supplyAsync(() -> raftctl(out, err, "-e",
        endpoints.get(served) + "," + endpoints.get(other), "-g", GROUP, "watch", "--from", String.valueOf(first),
        "--limit", "6"));
    out.awaitLines(3, watch);
    cluster.terminate(served).toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
    long session = Long.parseLong(raftctl(other, "open-session").ok().out().trim());
    for (int i = 1; i <= 3; i++) {
      raftctl(other, "submit", String.valueOf(102 + i), "--session", String.valueOf(session), "--sequence",
          String.valueOf(i)).ok();
    }
    Run run = watch.get(STEP.toSeconds(), TimeUnit.SECONDS);
    assertEquals(Outcome.OK, run.exit(), run.err());
    assertTrue(run.err().contains("resuming from index "), run.err());
    String[] lines = run.out().trim().split("\n");
    assertEquals(6, lines.length, run.out());
    long previous = first - 1;
    for (int i = 0; i < lines.length; i++) {
      JsonNode event = Formats.parseJson(lines[i]);
      assertTrue(event != null, lines[i]);
      assertEquals(100 + i, event.get("payload").asLong(), lines[i]);
      assertTrue(event.get("index").asLong() > previous, "in log order, no duplicate: " + run.out());
      assertTrue(event.has("result"), lines[i]);
      previous = event.get("index").asLong();
    }
    assertEquals(first, Formats.parseJson(lines[0]).get("index").asLong());
  }
}
