package io.pekkoraft.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.pekkoraft.gateway.grpc.AppliedEvent;
import io.pekkoraft.gateway.grpc.Configuration;
import io.pekkoraft.gateway.grpc.Member;
import io.pekkoraft.gateway.grpc.StatusResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** raftctl's own parts without a gateway: its command line, exit codes, endpoints and output formats. */
class RaftCtlCommandLineTest {

  /** What one run of raftctl printed and answered. */
  record Run(int exit, String out, String err) {}

  static Run raftctl(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = RaftCtl.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Run raftctl(String... args) {
    return raftctl(Map.of(), args);
  }

  /** A local port nothing listens on (bound, then closed). */
  static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void usageErrorsExitOneAndSendNothing() {
    // Each malformed command line is refused before any connection, with exit code 1 and a message on stderr.
    List<List<String>> malformed = List.of(
        List.of(),
        List.of("bogus"),
        List.of("-g", "g", "promote"),
        List.of("-g", "g", "submit", "{not json"),
        List.of("-g", "g", "submit", "{}", "--session", "5"),
        List.of("-g", "g", "submit", "{}", "--session", "5", "--sequence", "0"),
        List.of("-g", "g", "query", "{}", "--consistency", "SOMETIMES"),
        List.of("-g", "g", "status", "--timeout", "soon"),
        List.of("-g", "g", "status", "--endpoints", "nohostport"),
        List.of("-g", "g", "status", "--endpoints", "::1:9090"),
        List.of("-g", "g", "status", "--cert", "c.pem"),
        List.of("-g", "g", "watch", "--from", "0"),
        List.of("status"));
    for (List<String> args : malformed) {
      Run run = raftctl(args.toArray(String[]::new));
      assertEquals(Outcome.USAGE, run.exit(), args + ": " + run.err());
      assertTrue(run.err().startsWith("raftctl: "), args + ": " + run.err());
      assertEquals("", run.out(), args.toString());
    }
    assertTrue(raftctl("status").err().contains("no group: give --group or set PEKKO_RAFT_GROUP"));
    assertTrue(raftctl("-g", "g", "submit", "{not json").err().contains("the command is not JSON"));
  }

  @Test
  void helpListsTheCommandsAndTheExitCodes() {
    Run run = raftctl("--help");
    assertEquals(0, run.exit());
    for (String command : List.of("status", "members", "add-learner", "promote", "remove", "change-voters",
        "transfer-leadership", "open-session", "submit", "query", "watch")) {
      assertTrue(run.out().contains("\n  " + command + " "), command + " in\n" + run.out());
    }
    assertTrue(run.out().contains("Exit codes:"), run.out());
    for (String code : Outcome.HELP) {
      String first = code.substring(code.indexOf(':') + 1).split(" ")[0];
      assertTrue(run.out().contains(first), first + " in\n" + run.out());
    }
    assertTrue(raftctl("submit", "--help").out().contains("DEADLINE_EXCEEDED"), "every command's help has them");
  }

  @Test
  void anUnreachableEndpointIsSkippedAndNoneReachableExitsThreeSayingNothingWasSent() throws Exception {
    // Two endpoints nobody listens on: both are tried, the command was not sent anywhere, exit 3.
    String endpoints = "127.0.0.1:" + closedPort() + ",127.0.0.1:" + closedPort();
    Run run = raftctl("--endpoints", endpoints, "-g", "g", "submit", "{\"add\":1}");
    assertEquals(Outcome.UNAVAILABLE, run.exit(), run.err());
    assertTrue(run.err().contains("cannot connect to any endpoint: " + endpoints.split(",")[0]), run.err());
    assertTrue(run.err().contains(endpoints.split(",")[1] + " ("), run.err());
    assertTrue(run.err().contains("nothing was sent: the command was not applied"), run.err());
    assertEquals("", run.out());
  }

  @Test
  void globalOptionsGoBeforeOrAfterTheCommandAndDefaultFromTheEnvironment() throws Exception {
    // The group and endpoints come from the command line wherever they stand, else from the environment; the
    // failure names the endpoint that was tried, so it shows which one was used.
    String endpoint = "127.0.0.1:" + closedPort();
    Run before = raftctl("-e", endpoint, "--group", "g", "--timeout", "2s", "status");
    Run after = raftctl("status", "-e", endpoint, "--group", "g", "--timeout", "2s");
    Run fromEnv = raftctl(Map.of("PEKKO_RAFT_GROUP", "g", "PEKKO_RAFT_ENDPOINTS", endpoint), "status");
    for (Run run : List.of(before, after, fromEnv)) {
      assertEquals(Outcome.UNAVAILABLE, run.exit(), run.err());
      assertTrue(run.err().contains("cannot connect to any endpoint: " + endpoint), run.err());
    }
    CommandLine cmd = RaftCtl.commandLine(Map.of("PEKKO_RAFT_TOKEN", "from-env"));
    cmd.parseArgs("status");
    RaftCtl ctl = cmd.getCommand();
    assertEquals(List.of(Endpoint.parse(RaftCtl.DEFAULT_ENDPOINTS)), ctl.endpoints(cmd));
    assertEquals("from-env", ctl.token(cmd));
  }

  @Test
  void everyStatusCodeHasItsExitCode() {
    // The exit codes scripts branch on, one per class of status.
    assertEquals(0, Outcome.exitCode(Status.Code.OK));
    for (Status.Code code : List.of(Status.Code.NOT_FOUND, Status.Code.INVALID_ARGUMENT)) {
      assertEquals(2, Outcome.exitCode(code), code.toString());
    }
    assertEquals(3, Outcome.exitCode(Status.Code.UNAVAILABLE));
    assertEquals(4, Outcome.exitCode(Status.Code.DEADLINE_EXCEEDED));
    assertEquals(5, Outcome.exitCode(Status.Code.FAILED_PRECONDITION));
    assertEquals(5, Outcome.exitCode(Status.Code.ABORTED));
    assertEquals(6, Outcome.exitCode(Status.Code.UNAUTHENTICATED));
    assertEquals(6, Outcome.exitCode(Status.Code.PERMISSION_DENIED));
    for (Status.Code code : List.of(Status.Code.RESOURCE_EXHAUSTED, Status.Code.INTERNAL, Status.Code.UNIMPLEMENTED,
        Status.Code.UNKNOWN, Status.Code.CANCELLED, Status.Code.DATA_LOSS)) {
      assertEquals(7, Outcome.exitCode(code), code.toString());
    }
  }

  @Test
  void theAppliedNoteSaysWhetherACommandMayHaveBeenApplied() {
    // A read has no note; a refusal or a call never sent was not applied; a lost answer may have been, and the
    // note says how to retry safely.
    assertNull(Outcome.appliedNote(Outcome.Kind.READ, Status.Code.UNAVAILABLE, true, "x"));
    assertEquals("the command was not applied",
        Outcome.appliedNote(Outcome.Kind.COMMAND, Status.Code.ABORTED, true, "refused"));
    assertEquals("nothing was sent: the command was not applied",
        Outcome.appliedNote(Outcome.Kind.COMMAND, Status.Code.UNAVAILABLE, false, "cannot connect"));
    assertEquals("the command was not applied", Outcome.appliedNote(Outcome.Kind.COMMAND, Status.Code.UNAVAILABLE,
        true, "no leader ...; the command was not applied: safe to retry"));
    assertTrue(Outcome.appliedNote(Outcome.Kind.COMMAND, Status.Code.UNAVAILABLE, true, "the leader lost its quorum")
        .contains("may have been applied (outcome unknown); outside a session a retry may apply it twice"));
    assertTrue(Outcome.appliedNote(Outcome.Kind.SESSION_COMMAND, Status.Code.DEADLINE_EXCEEDED, true, null)
        .contains("the same --session and --sequence applies it at most once"));
    assertTrue(Outcome.appliedNote(Outcome.Kind.CHANGE, Status.Code.DEADLINE_EXCEEDED, true, null)
        .startsWith("the change may have been made"));
    assertEquals("the change was not applied",
        Outcome.appliedNote(Outcome.Kind.CHANGE, Status.Code.FAILED_PRECONDITION, true, "in progress"));
  }

  @Test
  void endpointsAreHostPortListsWithIpv6InBrackets() {
    assertEquals(List.of(new Endpoint("a", 1), new Endpoint("::1", 9090), new Endpoint("10.0.0.2", 65535)),
        Endpoint.parseList("a:1, [::1]:9090,10.0.0.2:65535,"));
    assertEquals("[::1]:9090", new Endpoint("::1", 9090).toString());
    for (String bad : List.of("", "a", "a:", ":1", "a:b", "a:0", "a:70000", "::1:9090", "[]:1")) {
      assertThrows(IllegalArgumentException.class, () -> Endpoint.parseList(bad), bad);
    }
  }

  @Test
  void durationsTakeAUnitOrMeanSeconds() {
    RaftCtl.DurationConverter convert = new RaftCtl.DurationConverter();
    assertEquals(Duration.ofMillis(500), convert.convert("500ms"));
    assertEquals(Duration.ofSeconds(7), convert.convert("7"));
    assertEquals(Duration.ofMinutes(2), convert.convert("2m"));
    assertEquals(Duration.ofHours(1), convert.convert("1h"));
    for (String bad : List.of("0", "0s", "-1s", "1d", "soon")) {
      assertThrows(CommandLine.TypeConversionException.class, () -> convert.convert(bad), bad);
    }
  }

  @Test
  void outputIsAlignedTextOrOneJsonDocumentPerLine() {
    Configuration config = Configuration.newBuilder().addAllVoters(List.of("n1", "n2", "n3")).addLearners("n4")
        .setIndex(7).setCommitted(true).build();
    StatusResponse status = StatusResponse.newBuilder().setGroup("counter").setLeader("n1").setTerm(3)
        .setCommitIndex(42).setConfiguration(config).setServedBy("n2").setServedByRole("FOLLOWER")
        .setServedByAppliedIndex(41)
        .addMembers(Member.newBuilder().setId("n1").setRole("LEADER").setVoter(true).setMatchIndex(42)
            .setRecentlyHeard(true).setAddress("pekko://raft@h1:25520"))
        .addMembers(Member.newBuilder().setId("n4").setRole("LEARNER").setMatchIndex(0))
        .build();
    assertEquals("""
        group      counter
        leader     n1
        term       3
        commit     42
        served by  n2 (FOLLOWER, applied 41)
        config     voters n1,n2,n3; learners n4; index 7 committed
        MEMBER  ROLE     VOTER  MATCH  HEARD  ADDRESS
        n1      LEADER   yes    42     yes    pekko://raft@h1:25520
        n4      LEARNER  no     0      no     -""", Formats.statusText(status));
    assertEquals("{\"group\":\"counter\",\"leader\":\"n1\",\"term\":3,\"commit_index\":42,\"served_by\":\"n2\","
        + "\"served_by_role\":\"FOLLOWER\",\"served_by_applied_index\":41,\"configuration\":{\"voters\":[\"n1\","
        + "\"n2\",\"n3\"],\"old_voters\":[],\"learners\":[\"n4\"],\"index\":7,\"committed\":true},\"members\":["
        + "{\"id\":\"n1\",\"role\":\"LEADER\",\"voter\":true,\"match_index\":42,\"recently_heard\":true,"
        + "\"address\":\"pekko://raft@h1:25520\"},{\"id\":\"n4\",\"role\":\"LEARNER\",\"voter\":false,"
        + "\"match_index\":0,\"recently_heard\":false,\"address\":\"\"}]}", Formats.statusJson(status));
    assertEquals("voters n1,n2 (joint, leaving n1,n3); learners -; index 9 not committed", Formats.configurationText(
        Configuration.newBuilder().addVoters("n1").addVoters("n2").addOldVoters("n1").addOldVoters("n3").setIndex(9)
            .build()));
    assertEquals("{\"index\":5,\"result\":{\"value\":3}}", Formats.submitted(5, ByteString.copyFromUtf8("{\"value\":3}")));
    assertEquals("{\"result_base64\":\"/w==\"}", Formats.queried(ByteString.copyFrom(new byte[] {(byte) 0xff})));
    assertEquals("{\"index\":8,\"term\":2,\"payload\":{\"add\":1},\"result\":4,\"session_id\":11,\"sequence\":3}",
        Formats.event(AppliedEvent.newBuilder().setIndex(8).setTerm(2).setPayload(ByteString.copyFromUtf8("{\"add\":1}"))
            .setResult(ByteString.copyFromUtf8("4")).setSessionId(11).setSequence(3).build()));
    assertEquals("{\"index\":9,\"term\":2,\"payload\":\"boom\",\"error\":\"refused\"}",
        Formats.event(AppliedEvent.newBuilder().setIndex(9).setTerm(2).setPayload(ByteString.copyFromUtf8("\"boom\""))
            .setError("refused").build()));
  }
}
