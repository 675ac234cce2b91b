package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.typesafe.config.ConfigFactory;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.pekkoraft.etcd.api.CompactionRequest;
import io.pekkoraft.etcd.api.CompactionResponse;
import io.pekkoraft.etcd.api.DeleteRangeRequest;
import io.pekkoraft.etcd.api.DeleteRangeResponse;
import io.pekkoraft.etcd.api.LeaseGrantRequest;
import io.pekkoraft.etcd.api.LeaseGrantResponse;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.PutResponse;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.TxnResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A call's deadline bounds its request on the server, as in etcd: against a member whose group has lost its quorum
 * (the two others stopped), a write or read whose client set a deadline shorter than the server's own timeout
 * ({@code pekko-raft.client.ask-timeout}, 8 s here) is answered by the server before that deadline with etcd's
 * DEADLINE_EXCEEDED "context deadline exceeded", not left running until the server's timeout; a client with a
 * longer deadline gets etcd's "etcdserver: request timed out" when the server's timeout passes.
 */
class EtcdDeadlineTest {

  static final Duration SERVER_TIMEOUT = Duration.ofSeconds(8);
  static final Duration CLIENT_DEADLINE = Duration.ofSeconds(2);

  static EtcdTestCluster etcd;
  static String survivor;
  static ManagedChannel channel;

  @BeforeAll
  static void startAndLoseQuorum() throws Exception {
    etcd = new EtcdTestCluster(ConfigFactory.parseString(
        "pekko-raft.client.ask-timeout = " + SERVER_TIMEOUT.toSeconds() + "s"));
    survivor = etcd.follower();
    for (String member : etcd.cluster.memberIds()) {
      if (!member.equals(survivor)) {
        etcd.cluster.terminate(member).get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS);
      }
    }
    channel = ManagedChannelBuilder.forTarget("127.0.0.1:" + etcd.ports.get(survivor)).usePlaintext().build();
    // Connected before the deadlines start: a serializable Range is served from the survivor's own state.
    ClientCalls.blockingUnaryCall(channel, descriptor("etcdserverpb.KV/Range", RangeRequest.getDefaultInstance(),
            RangeResponse.getDefaultInstance()),
        CallOptions.DEFAULT.withDeadlineAfter(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS),
        RangeRequest.newBuilder().setKey(key("deadline/warm-up")).setSerializable(true).build());
  }

  @SuppressWarnings("unchecked")
  static <Q extends Message, R extends Message> MethodDescriptor<Q, R> descriptor(String method, Q request,
      R responseType) {
    return MethodDescriptor.<Q, R>newBuilder().setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(method)
        .setRequestMarshaller(ProtoUtils.marshaller((Q) request.getDefaultInstanceForType()))
        .setResponseMarshaller(ProtoUtils.marshaller(responseType)).build();
  }

  @AfterAll
  static void stop() {
    if (channel != null) channel.shutdownNow();
    if (etcd != null) etcd.close();
  }

  /**
   * The status a unary etcd call with this deadline fails with, after checking that it ended before the server's
   * timeout. The deadline travels as the {@code grpc-timeout} header alone, without grpc-java's own timer (which
   * would end the call on the client's side and hide what the server does); the future's bound is only a failure
   * bound.
   */
  static <Q extends Message, R extends Message> StatusRuntimeException failure(String method, Q request, R responseType,
      Duration deadline) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER), deadline.toMillis() + "m");
    Channel withDeadline = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    long start = System.nanoTime();
    var call = ClientCalls.futureUnaryCall(withDeadline.newCall(descriptor(method, request, responseType),
        CallOptions.DEFAULT), request);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> call.get(EtcdTestCluster.STEP.toSeconds(), TimeUnit.SECONDS), method + " did not fail");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (deadline.compareTo(SERVER_TIMEOUT) < 0) {
      assertTrue(took.compareTo(SERVER_TIMEOUT) < 0, method + " took " + took.toMillis() + " ms, past the server's"
          + " timeout, though its client's deadline was " + deadline.toMillis() + " ms: " + e.getCause());
    }
    return (StatusRuntimeException) e.getCause();
  }

  /** The server answered that the client's deadline passed (not the client's own library giving up). */
  static void assertServersDeadlineExceeded(StatusRuntimeException e) {
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.toString());
    assertEquals(EtcdError.DEADLINE_EXCEEDED.message(), e.getStatus().getDescription(), e.toString());
  }

  static ByteString key(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void writesWithoutQuorumEndByTheClientsDeadline() {
    PutRequest put = PutRequest.newBuilder().setKey(key("deadline/put")).setValue(key("v")).build();
    assertServersDeadlineExceeded(failure("etcdserverpb.KV/Put", put, PutResponse.getDefaultInstance(),
        CLIENT_DEADLINE));
    assertServersDeadlineExceeded(failure("etcdserverpb.KV/DeleteRange", DeleteRangeRequest.newBuilder()
        .setKey(key("deadline/put")).build(), DeleteRangeResponse.getDefaultInstance(), CLIENT_DEADLINE));
    assertServersDeadlineExceeded(failure("etcdserverpb.KV/Txn", TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setRequestPut(put)).build(), TxnResponse.getDefaultInstance(),
        CLIENT_DEADLINE));
    assertServersDeadlineExceeded(failure("etcdserverpb.KV/Compact", CompactionRequest.newBuilder().setRevision(1)
        .build(), CompactionResponse.getDefaultInstance(), CLIENT_DEADLINE));
    assertServersDeadlineExceeded(failure("etcdserverpb.Lease/LeaseGrant", LeaseGrantRequest.newBuilder().setTTL(60)
        .build(), LeaseGrantResponse.getDefaultInstance(), CLIENT_DEADLINE));
  }

  @Test
  void aLinearizableRangeWithoutQuorumEndsByTheClientsDeadline() {
    assertServersDeadlineExceeded(failure("etcdserverpb.KV/Range", RangeRequest.newBuilder().setKey(key("deadline/r"))
        .build(), RangeResponse.getDefaultInstance(), CLIENT_DEADLINE));
  }

  @Test
  void aDeadlineLongerThanTheServersTimeoutGetsEtcdsRequestTimedOut() {
    StatusRuntimeException e = failure("etcdserverpb.KV/Put", PutRequest.newBuilder().setKey(key("deadline/long"))
        .setValue(key("v")).build(), PutResponse.getDefaultInstance(), EtcdTestCluster.STEP);
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    assertEquals(EtcdError.TIMEOUT.message(), e.getStatus().getDescription(), e.toString());
  }
}
