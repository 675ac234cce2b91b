package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.gateway.grpc.*;
import io.pekkoraft.testkit.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The gateway's RaftService against a real cluster: three members, each its own ActorSystem over Artery with its
 * durable journal ({@link LocalCluster}), each serving the gateway on a free port, called through a real Pekko
 * gRPC client. One cluster for the whole class; the failover, which stops the leader, runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftServiceTest {

  private static final String GROUP = "items";
  /** Started on node-1 only: its other two voters never run it, so it never has a leader. */
  private static final String LONELY = "lonely";
  private static final Duration STEP = Duration.ofSeconds(20);

  static LocalCluster cluster;
  /** What each member's state machine applied, in order. */
  static final Map<String, List<String>> applied = new ConcurrentHashMap<>();
  static final Map<String, RaftServiceClient> clients = new HashMap<>();
  static final Map<String, Integer> ports = new HashMap<>();

  /** Commands are strings; "fail" is refused by the state machine; the result is the list's size. */
  static final class Items implements StateMachine<Object, String, String> {
    private final List<String> list;

    Items(String member) {
      this.list = applied.computeIfAbsent(member, m -> Collections.synchronizedList(new ArrayList<>()));
    }

    @Override
    public String apply(Object command) {
      if (command.equals("fail")) throw new IllegalArgumentException("items refuses 'fail'");
      list.add((String) command);
      return String.valueOf(list.size());
    }

    @Override
    public String query(String query) {
      return query.equals("count") ? String.valueOf(list.size()) : String.join(",", list);
    }
  }

  /** Strict UTF-8 strings; the command "unserializable" decodes to an object Kryo is not allowed to write. */
  static final GroupCodec<Object, String, String> CODEC = new GroupCodec<>() {
    @Override
    public Object decodeCommand(byte[] payload) {
      String s = utf8(payload);
      return s.equals("unserializable") ? new AtomicLong() : s;
    }

    @Override
    public String decodeQuery(byte[] payload) {
      return utf8(payload);
    }

    @Override
    public byte[] encodeCommand(Object command) {
      return command.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] encodeResult(String result) {
      return result.getBytes(StandardCharsets.UTF_8);
    }
  };

  static String utf8(byte[] payload) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(payload)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not UTF-8: " + e.getMessage());
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().members(3).config(ConfigFactory.parseResources("gateway-cluster-test.conf",
        ConfigParseOptions.defaults().setAllowMissing(false))).start();
    for (String member : cluster.memberIds()) {
      var system = cluster.system(member);
      PekkoRaft.get(system).init(ReplicatedStateMachine.of(GROUP, () -> new Items(member)));
      PekkoRaftGateway gateway = PekkoRaftGateway.get(system).register(GROUP, CODEC).register("no-such-group", CODEC);
      if (member.equals("node-1")) {
        PekkoRaft.get(system).init(ReplicatedStateMachine.of(LONELY, () -> new Items("lonely")));
        gateway.register(LONELY, CODEC);
      }
      int port = gateway.start().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
      ports.put(member, port);
      clients.put(member, RaftServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", port, system)
          .withTls(false).withDeadline(Duration.ofSeconds(10)), system));
    }
    cluster.awaitLeader(GROUP, 0, STEP);
  }

  @AfterAll
  static void stop() {
    for (RaftServiceClient client : clients.values()) client.close();
    if (cluster != null) cluster.close();
  }

  static String leader() {
    return cluster.awaitLeader(GROUP, 0, STEP).memberId();
  }

  static String follower() {
    String leader = leader();
    return cluster.memberIds().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
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

  static SubmitRequest submit(String group, String command) {
    return SubmitRequest.newBuilder().setGroup(group).setPayload(ByteString.copyFromUtf8(command)).build();
  }

  static QueryRequest query(String group, String query) {
    return QueryRequest.newBuilder().setGroup(group).setPayload(ByteString.copyFromUtf8(query)).build();
  }

  @Test
  @Order(1)
  void commandsAndReadsGoThroughTheLeadersAndAFollowersGateway() throws Exception {
    // A command through either gateway is applied once by every member; a read through either sees it.
    String leader = leader();
    String follower = follower();
    SubmitResponse first = await(clients.get(leader).submit(submit(GROUP, "a")));
    SubmitResponse second = await(clients.get(follower).submit(submit(GROUP, "b")));
    assertTrue(second.getIndex() > first.getIndex(), first + " then " + second);
    int size = Integer.parseInt(second.getResult().toStringUtf8());
    for (String member : List.of(leader, follower)) {
      assertEquals(String.valueOf(size), await(clients.get(member).query(query(GROUP, "count"))).getResult()
          .toStringUtf8(), "a linearizable read on " + member);
    }
    QueryRequest followerRead = query(GROUP, "count").toBuilder().setConsistency(ReadConsistency.FOLLOWER).build();
    assertEquals(String.valueOf(size), await(clients.get(follower).query(followerRead)).getResult().toStringUtf8());
  }

  @Test
  @Order(2)
  void statusShowsTheGroupAsTheLeaderSeesItAndTheServingMember() throws Exception {
    String leader = leader();
    String follower = follower();
    await(clients.get(leader).submit(submit(GROUP, "status")));
    StatusResponse status = await(clients.get(follower).status(StatusRequest.newBuilder().setGroup(GROUP).build()));
    assertEquals(leader, status.getLeader());
    assertTrue(status.getTerm() > 0 && status.getCommitIndex() > 0, status.toString());
    assertEquals(List.of("node-1", "node-2", "node-3"), status.getConfiguration().getVotersList());
    assertEquals(3, status.getMembersCount());
    for (Member m : status.getMembersList()) {
      assertEquals(m.getId().equals(leader) ? "LEADER" : "FOLLOWER", m.getRole(), m.toString());
      assertTrue(m.getVoter());
      assertFalse(m.getAddress().isEmpty(), "bootstrap members are shown with their address: " + m);
    }
    assertEquals(follower, status.getServedBy());
    assertEquals("FOLLOWER", status.getServedByRole());
    assertTrue(status.getServedByAppliedIndex() > 0 && status.getServedByAppliedIndex() <= status.getCommitIndex(),
        status.toString());
  }

  @Test
  @Order(3)
  void everyFailureIsAStatusCodeWithAMessage() throws Exception {
    // One call per way to fail, through a follower's gateway; the group keeps serving afterwards.
    RaftServiceClient client = clients.get(follower());
    assertStatus(Status.Code.NOT_FOUND, "no codec is registered", failure(client.submit(submit("unknown", "x"))));
    assertStatus(Status.Code.NOT_FOUND, "is not started on member",
        failure(client.submit(submit("no-such-group", "x"))));
    assertStatus(Status.Code.INVALID_ARGUMENT, "group must not be empty", failure(client.submit(submit("", "x"))));
    assertStatus(Status.Code.INVALID_ARGUMENT, "cannot be read by group items's codec: not UTF-8",
        failure(client.submit(SubmitRequest.newBuilder().setGroup(GROUP)
            .setPayload(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xfe})).build())));
    assertStatus(Status.Code.INVALID_ARGUMENT, "need a session_id",
        failure(client.submit(submit(GROUP, "x").toBuilder().setSequence(3).build())));
    assertStatus(Status.Code.INVALID_ARGUMENT, "unknown consistency",
        failure(client.query(query(GROUP, "count").toBuilder().setConsistencyValue(17).build())));
    assertStatus(Status.Code.RESOURCE_EXHAUSTED, "pekko-raft.client.request-bytes-max",
        failure(client.submit(submit(GROUP, "x".repeat(100 * 1024)))));
    assertStatus(Status.Code.RESOURCE_EXHAUSTED, "pekko-raft.gateway.max-message-size",
        failure(client.submit(submit(GROUP, "x".repeat(300 * 1024)))));
    assertStatus(Status.Code.ABORTED, "refused and not applied",
        failure(client.submit(submit(GROUP, "unserializable"))));
    assertStatus(Status.Code.FAILED_PRECONDITION, "items refuses 'fail'", failure(client.submit(submit(GROUP, "fail"))));
    assertStatus(Status.Code.FAILED_PRECONDITION, "the command was not applied", failure(client.submit(
        submit(GROUP, "x").toBuilder().setSessionId(987_654_321).setSequence(1).build())));
    assertStatus(Status.Code.FAILED_PRECONDITION, "too far behind", failure(client.query(query(GROUP, "count")
        .toBuilder().setConsistency(ReadConsistency.STALE).setMinIndex(1_000_000_000L).build())));
    RaftServiceClient lonely = clients.get("node-1");
    assertStatus(Status.Code.UNAVAILABLE, "the command was not applied: safe to retry",
        failure(lonely.submit(submit(LONELY, "x")).toCompletableFuture()));
    assertStatus(Status.Code.UNAVAILABLE, "no leader of group lonely",
        failure(lonely.status(StatusRequest.newBuilder().setGroup(LONELY).build())));
    assertFalse(applied.values().stream().anyMatch(l -> l.contains("unserializable") || l.contains("fail")));
    assertEquals("ok", "ok", "the group still serves:");
    await(client.submit(submit(GROUP, "after-failures")));
  }

  @Test
  @Order(4)
  void aRetryInASessionIsAnsweredWithTheFirstResultAndAppliedOnce() throws Exception {
    // The same (session, sequence) sent twice, through two members' gateways: one apply, one answer.
    String leader = leader();
    String follower = follower();
    OpenSessionResponse session = await(clients.get(follower).openSession(
        OpenSessionRequest.newBuilder().setGroup(GROUP).build()));
    assertTrue(session.getSessionId() > 0 && session.getTtlMs() > 0, session.toString());
    SubmitRequest once = submit(GROUP, "once").toBuilder().setSessionId(session.getSessionId()).setSequence(1).build();
    SubmitResponse first = await(clients.get(follower).submit(once));
    SubmitResponse retry = await(clients.get(leader).submit(once));
    assertEquals(first, retry, "the retry gets the first result and index");
    await(clients.get(leader).keepAlive(KeepAliveRequest.newBuilder().setGroup(GROUP)
        .setSessionId(session.getSessionId()).build()));
    await(clients.get(leader).submit(submit(GROUP, "next").toBuilder().setSessionId(session.getSessionId())
        .setSequence(2).setAckedSequence(1).build()));
    for (String member : cluster.memberIds()) {
      awaitApplied(member, "next");
      assertEquals(1, Collections.frequency(applied.get(member), "once"), member + " applied it once");
    }
  }

  static void awaitApplied(String member, String command) throws Exception {
    // Read through the member's own gateway at a bound that includes every committed entry it knows.
    long deadline = System.nanoTime() + STEP.toNanos();
    while (!applied.get(member).contains(command)) {
      assertTrue(System.nanoTime() < deadline, member + " never applied " + command);
      await(clients.get(member).query(query(GROUP, "count").toBuilder().setConsistency(ReadConsistency.FOLLOWER)
          .build()));
    }
  }

  @Test
  @Order(5)
  void membershipCallsAddPromoteAndRemoveALearner() throws Exception {
    // A learner that never runs is added and removed; promoting it is refused: it never caught up.
    RaftServiceClient client = clients.get(follower());
    MembershipResponse added = await(client.addLearner(AddLearnerRequest.newBuilder().setGroup(GROUP)
        .setMemberId("ghost").setAddress("pekko://raft@127.0.0.1:1").build()));
    assertEquals(List.of("ghost"), added.getConfiguration().getLearnersList());
    assertTrue(added.getConfiguration().getCommitted());
    assertStatus(Status.Code.FAILED_PRECONDITION, "NOT_CAUGHT_UP",
        failure(client.promote(PromoteRequest.newBuilder().setGroup(GROUP).setMemberId("ghost").build())));
    assertStatus(Status.Code.FAILED_PRECONDITION, "NOT_A_MEMBER",
        failure(client.remove(RemoveRequest.newBuilder().setGroup(GROUP).setMemberId("nobody").build())));
    assertStatus(Status.Code.INVALID_ARGUMENT, "member_id must not be empty",
        failure(client.promote(PromoteRequest.newBuilder().setGroup(GROUP).build())));
    MembershipResponse removed = await(client.remove(RemoveRequest.newBuilder().setGroup(GROUP)
        .setMemberId("ghost").build()));
    assertEquals(List.of(), removed.getConfiguration().getLearnersList());
    assertEquals(List.of("node-1", "node-2", "node-3"), removed.getConfiguration().getVotersList());
  }

  @Test
  @Order(6)
  void reflectionListsTheRaftService() throws Exception {
    // grpc.reflection.v1alpha's list_services, by hand: a ServerReflectionRequest whose field 7 is "".
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", ports.get("node-1")).usePlaintext().build();
    try {
      MethodDescriptor.Marshaller<byte[]> raw = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        }
      };
      MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
          .setRequestMarshaller(raw).setResponseMarshaller(raw).build();
      CompletableFuture<byte[]> answer = new CompletableFuture<>();
      ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          answer.complete(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          answer.completeExceptionally(status.asRuntimeException());
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(new byte[] {0x3a, 0x00});
      call.halfClose();
      String listed = new String(answer.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
      assertTrue(listed.contains("pekkoraft.v1.RaftService"), listed);
      assertTrue(listed.contains("grpc.health.v1.Health"), listed);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @Order(100)
  void aLeaderFailoverLosesNoAcknowledgedCommandAndAppliesNoneTwice() throws Exception {
    // A client submits in a session through a follower's gateway while the leader stops: every command
    // acknowledged is applied exactly once on the members that remain, and none is applied twice.
    String leader = leader();
    String via = follower();
    RaftServiceClient client = clients.get(via);
    long session = await(client.openSession(OpenSessionRequest.newBuilder().setGroup(GROUP).build())).getSessionId();
    Set<String> acknowledged = new HashSet<>();
    CompletableFuture<Void> stopped = null;
    for (int sequence = 1; sequence <= 60; sequence++) {
      if (sequence == 20) stopped = cluster.terminate(leader);
      String command = "fo-" + sequence;
      try {
        await(client.submit(submit(GROUP, command).toBuilder().setSessionId(session).setSequence(sequence)
            .setAckedSequence(sequence - 1).build()));
        acknowledged.add(command);
      } catch (ExecutionException e) {
        // an unknown outcome after the deadline is allowed; it must not have been applied twice either
      }
    }
    await(stopped);
    assertTrue(acknowledged.size() >= 40, "most commands acknowledged: " + acknowledged.size());
    for (String member : cluster.memberIds()) {
      if (member.equals(leader)) continue;
      awaitApplied(member, "fo-60");
      List<String> seen = new ArrayList<>(applied.get(member));
      for (String command : acknowledged) {
        assertEquals(1, Collections.frequency(seen, command), member + " applied " + command + " exactly once");
      }
      for (int sequence = 1; sequence <= 60; sequence++) {
        assertTrue(Collections.frequency(seen, "fo-" + sequence) <= 1, member + " applied fo-" + sequence + " twice");
      }
    }
  }
}
