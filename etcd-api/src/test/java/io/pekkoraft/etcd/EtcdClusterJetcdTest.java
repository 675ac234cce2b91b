package io.pekkoraft.etcd;

import static io.pekkoraft.etcd.EtcdTestCluster.await;
import static io.pekkoraft.etcd.EtcdTestCluster.bs;
import static io.pekkoraft.etcd.EtcdTestCluster.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.typesafe.config.ConfigFactory;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.cluster.MemberAddResponse;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.pekkoraft.etcd.api.AuthenticateRequest;
import io.pekkoraft.etcd.api.AuthenticateResponse;
import io.pekkoraft.etcd.api.MemberPromoteRequest;
import io.pekkoraft.etcd.api.MemberPromoteResponse;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * etcd's Cluster, Maintenance and Auth APIs driven by jetcd against three members with auth on: members listed
 * with their ids and peer URLs, a learner added, refused promotion while it is not in sync and removed, each
 * member's Status, leadership moved, and tokens required and checked. MemberPromote, which jetcd 0.8 lacks,
 * goes through a plain gRPC call.
 */
class EtcdClusterJetcdTest {

  static final String ALICE_PASSWORD = "alice-secret";
  static EtcdTestCluster etcd;

  @BeforeAll
  static void start() throws Exception {
    // Few PBKDF2 iterations keep the test quick; the configured hash says how many.
    String aliceHash = EtcdAuth.hash(ALICE_PASSWORD, "0123456789abcdef".getBytes(StandardCharsets.UTF_8), 1000);
    etcd = new EtcdTestCluster(ConfigFactory.parseString("pekko-raft.etcd.auth { enabled = on, users = ["
        + " { name = alice, password-hash = \"" + aliceHash + "\" }, { name = bob, password = bob-secret } ] }"),
        client -> client.user(bs("alice")).password(bs(ALICE_PASSWORD)));
  }

  @AfterAll
  static void stop() {
    if (etcd != null) etcd.close();
  }

  static String peerUrl(String member) {
    Address a = etcd.cluster.system(member).address();
    return "http://" + a.getHost().get() + ":" + a.getPort().get();
  }

  /** A unary etcd call through plain gRPC, with {@code token} in its metadata unless null. */
  static <Q extends Message, R extends Message> R call(String member, String method, Q request, R responseType,
      String token) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget("127.0.0.1:" + etcd.ports.get(member)).usePlaintext()
        .build();
    try {
      Channel c = channel;
      if (token != null) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of(EtcdAuth.TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER), token);
        c = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      @SuppressWarnings("unchecked")
      MethodDescriptor<Q, R> descriptor = MethodDescriptor.<Q, R>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(method)
          .setRequestMarshaller(ProtoUtils.marshaller((Q) request.getDefaultInstanceForType()))
          .setResponseMarshaller(ProtoUtils.marshaller(responseType)).build();
      return ClientCalls.blockingUnaryCall(c, descriptor,
          CallOptions.DEFAULT.withDeadlineAfter(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS), request);
    } finally {
      channel.shutdownNow();
    }
  }

  static String aliceToken(String member) {
    return call(member, "etcdserverpb.Auth/Authenticate", AuthenticateRequest.newBuilder().setName("alice")
        .setPassword(ALICE_PASSWORD).build(), AuthenticateResponse.getDefaultInstance(), null).getToken();
  }

  @Test
  void memberListShowsEveryMemberWithItsIdNameAndPeerUrl() throws Exception {
    String follower = etcd.follower();
    var list = await(etcd.client(follower).getClusterClient().listMember());
    assertEquals(EtcdIds.memberId(follower), list.getHeader().getMemberId());
    assertEquals(EtcdIds.clusterId("etcd"), list.getHeader().getClusterId());
    assertEquals(3, list.getMembers().size());
    for (Member m : list.getMembers()) {
      assertEquals(EtcdIds.memberId(m.getName()), m.getId(), m.getName());
      assertEquals(List.of(URI.create(peerUrl(m.getName()))), m.getPeerURIs(), m.getName());
      assertEquals(List.of(), m.getClientURIs(), "no client-urls configured: none shown");
      assertFalse(m.isLearner());
    }
  }

  @Test
  void aLearnerIsAddedRefusedPromotionWhileNotInSyncAndRemoved() throws Exception {
    var cluster = etcd.client(etcd.follower()).getClusterClient();
    // Nothing listens there: the learner never catches up.
    URI unreachable = URI.create("http://127.0.0.1:1");
    MemberAddResponse added = await(cluster.addMember(List.of(unreachable), true));
    assertEquals("127.0.0.1-1", added.getMember().getName());
    assertEquals(EtcdIds.memberId("127.0.0.1-1"), added.getMember().getId());
    assertTrue(added.getMember().isLearner());
    assertEquals(List.of(unreachable), added.getMember().getPeerURIs());
    assertEquals(4, added.getMembers().size());
    long id = added.getMember().getId();

    assertEquals("etcdserver: Peer URLs already exists", failure(cluster.addMember(List.of(unreachable), true)));
    String leaderUrl = peerUrl(etcd.leader());
    assertEquals("etcdserver: Peer URLs already exists", failure(cluster.addMember(List.of(URI.create(leaderUrl)))));

    String follower = etcd.follower();
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> call(follower,
        "etcdserverpb.Cluster/MemberPromote", MemberPromoteRequest.newBuilder().setID(id).build(),
        MemberPromoteResponse.getDefaultInstance(), aliceToken(follower)));
    assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertEquals(EtcdError.LEARNER_NOT_READY.message(), refused.getStatus().getDescription());
    StatusRuntimeException voter = assertThrows(StatusRuntimeException.class, () -> call(follower,
        "etcdserverpb.Cluster/MemberPromote", MemberPromoteRequest.newBuilder()
            .setID(EtcdIds.memberId(follower)).build(), MemberPromoteResponse.getDefaultInstance(),
        aliceToken(follower)));
    assertEquals("etcdserver: can only promote a learner member", voter.getStatus().getDescription());

    var removed = await(cluster.removeMember(id));
    assertEquals(3, removed.getMembers().size());
    assertEquals(3, await(cluster.listMember()).getMembers().size());
    assertEquals("etcdserver: member not found", failure(cluster.removeMember(id)));
    assertTrue(failure(cluster.updateMember(EtcdIds.memberId(follower), List.of(unreachable)))
        .contains("peer URL is its Pekko address"));
  }

  @Test
  void statusOfEachMemberNamesTheLeaderAndItsOwnIndexes() throws Exception {
    String leader = etcd.leader();
    await(etcd.client(leader).getKVClient().put(bs("status/a"), bs("1")));
    for (String member : etcd.cluster.memberIds()) {
      // Each member answers from its own store: a follower applies the put a moment after the leader answered it.
      StatusResponse status = await(etcd.client(leader).getMaintenanceClient().statusMember(etcd.endpoint(member)));
      for (int asked = 1; asked < 100 && status.getDbSize() == 0; asked++) {
        status = await(etcd.client(leader).getMaintenanceClient().statusMember(etcd.endpoint(member)));
      }
      assertEquals(EtcdIds.memberId(member), status.getHeader().getMemberId(), member);
      assertEquals("3.4.0", status.getVersion());
      assertEquals(EtcdIds.memberId(leader), status.getLeader(), member);
      assertTrue(status.getRaftTerm() > 0 && status.getRaftIndex() > 0, member + ": " + status);
      assertTrue(status.getDbSize() > 0, member + " holds status/a: " + status.getDbSize());
    }
    // Fields jetcd 0.8 does not read: through plain gRPC.
    var raw = call(leader, "etcdserverpb.Maintenance/Status", io.pekkoraft.etcd.api.StatusRequest.getDefaultInstance(),
        io.pekkoraft.etcd.api.StatusResponse.getDefaultInstance(), null);
    assertTrue(raw.getRaftAppliedIndex() > 0);
    assertFalse(raw.getIsLearner());
    assertEquals(List.of(), raw.getErrorsList());
  }

  @Test
  void moveLeaderHandsLeadershipToTheTarget() throws Exception {
    String leader = etcd.leader();
    String target = etcd.follower();
    var maintenance = etcd.client(leader).getMaintenanceClient();
    assertEquals("etcdserver: bad leader transferee", failure(maintenance.moveLeader(12345)));
    await(maintenance.moveLeader(EtcdIds.memberId(target)));
    StatusResponse status = await(maintenance.statusMember(etcd.endpoint(target)));
    assertEquals(EtcdIds.memberId(target), status.getLeader());
  }

  @Test
  void callsNeedAValidTokenFromConfiguredUsers() throws Exception {
    String member = etcd.follower();
    try (Client anonymous = Client.builder().endpoints(etcd.endpoint(member)).build();
        Client wrong = Client.builder().endpoints(etcd.endpoint(member)).user(bs("alice")).password(bs("nope"))
            .build();
        Client bob = Client.builder().endpoints(etcd.endpoint(member)).user(bs("bob")).password(bs("bob-secret"))
            .build()) {
      assertTrue(failure(anonymous.getKVClient().get(bs("auth/a"))).endsWith("etcdserver: user name is empty"));
      failure(wrong.getKVClient().get(bs("auth/a"))); // jetcd wraps etcd's AUTH_FAILED in its own message
      await(bob.getKVClient().put(bs("auth/a"), bs("1")));
      assertEquals(1, await(etcd.client(member).getKVClient().get(bs("auth/a"))).getCount());
      // Status and MemberList pass without a token, as in etcd.
      assertEquals(3, await(anonymous.getClusterClient().listMember()).getMembers().size());
    }
    StatusRuntimeException bogus = assertThrows(StatusRuntimeException.class, () -> call(member,
        "etcdserverpb.KV/Range", RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("auth/a")).build(),
        RangeResponse.getDefaultInstance(), "bogus"));
    assertEquals(io.grpc.Status.Code.UNAUTHENTICATED, bogus.getStatus().getCode());
    assertEquals("etcdserver: invalid auth token", bogus.getStatus().getDescription());
    // A token is this member's own: another member does not know it.
    String token = aliceToken(member);
    assertEquals(1, call(member, "etcdserverpb.KV/Range", RangeRequest.newBuilder()
        .setKey(com.google.protobuf.ByteString.copyFromUtf8("auth/a")).build(), RangeResponse.getDefaultInstance(), token).getCount());
    String other = etcd.cluster.memberIds().stream().filter(m -> !m.equals(member)).findFirst().orElseThrow();
    StatusRuntimeException elsewhere = assertThrows(StatusRuntimeException.class, () -> call(other,
        "etcdserverpb.KV/Range", RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("auth/a")).build(),
        RangeResponse.getDefaultInstance(), token));
    assertEquals("etcdserver: invalid auth token", elsewhere.getStatus().getDescription());
  }
}
