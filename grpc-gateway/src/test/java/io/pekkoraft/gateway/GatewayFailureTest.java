package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.gateway.grpc.*;
import io.pekkoraft.testkit.LocalCluster;
import io.pekkoraft.testkit.TestNetwork;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's answers when the group cannot finish what it was asked, over a real group of three members
 * whose Raft traffic a {@link TestNetwork} can cut: a command the leader cannot commit before the client's
 * deadline, a membership change asked for while another is uncommitted, a command applied whose result is too
 * large to send. Each answer's message says what became of the request.
 */
class GatewayFailureTest {

  private static final String GROUP = "notes";
  private static final Duration STEP = Duration.ofSeconds(20);

  static LocalCluster cluster;
  static final TestNetwork network = new TestNetwork();
  static final Map<String, RaftServiceClient> clients = new HashMap<>();
  static final Map<String, Integer> ports = new HashMap<>();

  /** Keeps the commands; the command "big:N" is answered with N bytes. */
  static final class Notes implements StateMachine<byte[], byte[], byte[]> {
    private final List<String> notes = new ArrayList<>();

    @Override
    public byte[] apply(byte[] command) {
      String note = new String(command, StandardCharsets.UTF_8);
      notes.add(note);
      if (note.startsWith("big:")) return new byte[Integer.parseInt(note.substring(4))];
      return Integer.toString(notes.size()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] query(byte[] query) {
      return String.join(",", notes).getBytes(StandardCharsets.UTF_8);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().members(3).config(ConfigFactory.parseResources("gateway-failure-test.conf",
        ConfigParseOptions.defaults().setAllowMissing(false))).start();
    for (String member : cluster.memberIds()) {
      var system = cluster.system(member);
      PekkoRaft.get(system).init(ReplicatedStateMachine.of(GROUP, Notes::new).withTransport(network::decorate));
      int port = PekkoRaftGateway.get(system).register(GROUP, GroupCodecs.bytes()).start().toCompletableFuture()
          .get(30, TimeUnit.SECONDS).localAddress().getPort();
      ports.put(member, port);
      clients.put(member, client(member, Duration.ofSeconds(10)));
    }
    cluster.awaitLeader(GROUP, 0, STEP);
  }

  static RaftServiceClient client(String member, Duration deadline) {
    return RaftServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", ports.get(member),
        cluster.system(member)).withTls(false).withDeadline(deadline), cluster.system(member));
  }

  @AfterAll
  static void stop() {
    clients.values().forEach(RaftServiceClient::close);
    if (cluster != null) cluster.close();
  }

  @AfterEach
  void heal() {
    network.heal();
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
  }

  static Status failure(CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof StatusRuntimeException, "a gRPC status, not " + e.getCause());
    return ((StatusRuntimeException) e.getCause()).getStatus();
  }

  static void assertStatus(Status.Code code, String inMessage, Status status) {
    assertEquals(code, status.getCode(), status.toString());
    assertTrue(status.getDescription() != null && status.getDescription().contains(inMessage),
        "'" + inMessage + "' in " + status.getDescription());
  }

  static SubmitRequest submit(String command) {
    return SubmitRequest.newBuilder().setGroup(GROUP).setPayload(ByteString.copyFromUtf8(command)).build();
  }

  static String notes(String member) throws Exception {
    return await(clients.get(member).query(QueryRequest.newBuilder().setGroup(GROUP).build())).getResult()
        .toStringUtf8();
  }

  /** The leader hears no answer from its followers: it stays leader (no check-quorum) and commits nothing. */
  static String cutFollowersAnswers() {
    String leader = cluster.awaitLeader(GROUP, 0, STEP).memberId();
    for (String member : cluster.memberIds()) {
      if (!member.equals(leader)) network.block(member, Set.of(leader));
    }
    return leader;
  }

  @Test
  void aCommandThatCannotCommitBeforeTheDeadlineIsDeadlineExceededWithItsOutcomeUnknown() throws Exception {
    String leader = cutFollowersAnswers();
    RaftServiceClient shortDeadline = client(leader, Duration.ofSeconds(2));
    try {
      assertStatus(Status.Code.DEADLINE_EXCEEDED, "may have been applied (outcome unknown)",
          failure(shortDeadline.submit(submit("stuck"))));
    } finally {
      shortDeadline.close();
    }
    // The command was appended, not lost: once the answers flow again it commits, as the message warned.
    network.heal();
    await(clients.get(leader).submit(submit("after-heal")));
    assertTrue(notes(leader).contains("stuck"), notes(leader));
  }

  @Test
  void aMembershipChangeWhileAnotherIsUncommittedIsFailedPrecondition() throws Exception {
    String leader = cutFollowersAnswers();
    RaftServiceClient shortDeadline = client(leader, Duration.ofSeconds(2));
    try {
      assertStatus(Status.Code.DEADLINE_EXCEEDED, "the change may have been made",
          failure(shortDeadline.addLearner(AddLearnerRequest.newBuilder().setGroup(GROUP).setMemberId("ghost-1")
              .setAddress("pekko://raft@127.0.0.1:1").build())));
      assertStatus(Status.Code.FAILED_PRECONDITION, "a membership change is in progress",
          failure(shortDeadline.addLearner(AddLearnerRequest.newBuilder().setGroup(GROUP).setMemberId("ghost-2")
              .setAddress("pekko://raft@127.0.0.1:2").build())));
    } finally {
      shortDeadline.close();
    }
    network.heal();
    await(clients.get(leader).submit(submit("after-heal"))); // committed after the change: so is the change
    MembershipResponse removed = await(clients.get(leader).remove(RemoveRequest.newBuilder().setGroup(GROUP)
        .setMemberId("ghost-1").build()));
    assertEquals(List.of(), removed.getConfiguration().getLearnersList(), "ghost-1 was added, then removed");
  }

  @Test
  void aResultTooLargeToSendSaysTheCommandWasAppliedAndWhere() throws Exception {
    String via = cluster.memberIds().get(1);
    Status status = failure(clients.get(via).submit(submit("big:" + (128 * 1024))));
    assertStatus(Status.Code.RESOURCE_EXHAUSTED, "the command WAS applied, at index ", status);
    assertTrue(status.getDescription().contains("pekko-raft.gateway.max-message-size"), status.getDescription());
    assertTrue(notes(via).contains("big:131072"), "applied: " + notes(via));
  }
}
