package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.gateway.grpc.*;
import io.pekkoraft.testkit.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What GatewayFuzzTest found, one request at a time, over a real group of one member (its durable journal)
 * and a plain grpc-java channel sending raw bytes: a member id that is no legal actor name, a status message
 * quoting a huge field, a request that is no protobuf message, one over max-message-size, a WatchApplied the
 * client cancels or lets time out. Each gets a status a client can act on, and the member serves on.
 */
class GatewayHostileRequestTest {

  private static final String DATA = "data";
  private static final String ADMIN = "admin-group";
  private static final int MAX_MESSAGE = 64 * 1024; // gateway-fuzz-test.conf
  private static final Duration STEP = Duration.ofSeconds(20);

  static LocalCluster cluster;
  static ManagedChannel channel;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().members(1).config(ConfigFactory.parseResources("gateway-fuzz-test.conf",
        ConfigParseOptions.defaults().setAllowMissing(false))).start();
    var system = cluster.system("node-1");
    PekkoRaft.get(system).init(ReplicatedStateMachine.of(DATA, GatewayFuzzTest.Counter::new));
    PekkoRaft.get(system).init(ReplicatedStateMachine.of(ADMIN, GatewayFuzzTest.Counter::new));
    port = PekkoRaftGateway.get(system).register(DATA, GroupCodecs.bytes()).register(ADMIN, GroupCodecs.bytes())
        .start().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
    cluster.awaitLeader(DATA, 0, STEP);
    cluster.awaitLeader(ADMIN, 0, STEP);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    if (channel != null) channel.shutdownNow();
    if (cluster != null) cluster.close();
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName("pekkoraft.v1.RaftService/"
        + name).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
  }

  /** What a call received and how it ended. */
  record Outcome(List<byte[]> messages, Status status) {}

  /** One call of {@code name} with {@code request}; a streaming one is cancelled after {@code cancelAfter} messages. */
  static Outcome call(String name, MethodDescriptor.MethodType type, byte[] request, int cancelAfter, Duration deadline)
      throws Exception {
    return call(channel, method(name, type), request, cancelAfter, deadline);
  }

  /** The same on {@code on}, for any method ({@code cancelAfter} 0: the client cancels at once). */
  static Outcome call(ManagedChannel on, MethodDescriptor<byte[], byte[]> method, byte[] request, int cancelAfter,
      Duration deadline) throws Exception {
    CompletableFuture<Status> ended = new CompletableFuture<>();
    List<byte[]> messages = new CopyOnWriteArrayList<>();
    ClientCall<byte[], byte[]> call = on.newCall(method,
        CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS));
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        messages.add(message);
        if (messages.size() == cancelAfter) call.cancel("the client has seen enough", null);
        else call.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        ended.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(request);
    try {
      call.halfClose();
    } catch (IllegalStateException cancelledByTheListener) {
      // A streamed answer can arrive, and the listener cancel the call after it, before this thread half-closes.
      if (cancelAfter < 1) throw cancelledByTheListener;
    }
    if (cancelAfter == 0) call.cancel("the client cancels at once", null);
    return new Outcome(messages, ended.get(STEP.toSeconds(), TimeUnit.SECONDS));
  }

  static Status unary(String name, byte[] request) throws Exception {
    return call(name, MethodDescriptor.MethodType.UNARY, request, -1, Duration.ofSeconds(10)).status();
  }

  static void assertStatus(Status.Code code, String inMessage, Status status) {
    assertEquals(code, status.getCode(), String.valueOf(status));
    assertTrue(status.getDescription() != null && status.getDescription().contains(inMessage), String.valueOf(status));
  }

  /** The member still serves: a command is applied through the gateway and Status names the leader. */
  static void servesNormally(String check) throws Exception {
    Outcome submitted = call("Submit", MethodDescriptor.MethodType.UNARY, SubmitRequest.newBuilder().setGroup(DATA)
        .setPayload(ByteString.copyFromUtf8(check)).build().toByteArray(), -1, Duration.ofSeconds(10));
    assertEquals(Status.Code.OK, submitted.status().getCode(), String.valueOf(submitted.status()));
    assertTrue(SubmitResponse.parseFrom(submitted.messages().get(0)).getIndex() > 0);
    for (String group : List.of(DATA, ADMIN)) {
      Outcome status = call("Status", MethodDescriptor.MethodType.UNARY, StatusRequest.newBuilder().setGroup(group)
          .build().toByteArray(), -1, Duration.ofSeconds(10));
      assertEquals(Status.Code.OK, status.status().getCode(), group + ": " + status.status());
      assertEquals("node-1", StatusResponse.parseFrom(status.messages().get(0)).getLeader());
    }
  }

  @Test
  void aMemberIdThatIsNoLegalActorNameOrAnAddressThatDoesNotParseIsInvalidArgument() throws Exception {
    // The server refuses them before anything is appended (MemberIds, INVALID_REQUEST); the gateway answers
    // INVALID_ARGUMENT. Appended, the first stopped the group's server (its peer actor's name was illegal), the
    // third stopped the leader (MalformedURLException).
    assertStatus(Status.Code.INVALID_ARGUMENT, "member id 'peer-J\\u0001' is not", unary("AddLearner",
        AddLearnerRequest.newBuilder().setGroup(ADMIN).setMemberId("peer-J\u0001")
            .setAddress("pekko://raft@127.0.0.1:1").build().toByteArray()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "is not 1 to 64 characters", unary("ChangeVoters",
        ChangeVotersRequest.newBuilder().setGroup(ADMIN).addVoters("node-1").addVoters("a/b").build().toByteArray()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "is not a Pekko address", unary("AddLearner",
        AddLearnerRequest.newBuilder().setGroup(ADMIN).setMemberId("ghost").setAddress("not an address").build()
            .toByteArray()));
    servesNormally("after-bad-member-ids");
  }

  @Test
  void aStatusMessageQuotingAHugeFieldIsCutAndTheConnectionServesOn() throws Exception {
    // NOT_FOUND names the group; a group name of 20,000 characters made a status message bigger than the
    // client accepts in a header block (8 KiB): grpc-java failed the whole connection ("http2 exception").
    String huge = "g".repeat(20_000);
    Status status = unary("Status", StatusRequest.newBuilder().setGroup(huge).build().toByteArray());
    assertStatus(Status.Code.NOT_FOUND, "group 'ggg", status);
    assertTrue(status.getDescription().length() <= CallErrors.MESSAGE_BYTES_MAX
        && status.getDescription().endsWith(" characters)"), status.getDescription().length() + " characters");
    servesNormally("after-huge-group-name");
  }

  @Test
  void aRequestThatIsNoProtobufMessageIsInvalidArgument() throws Exception {
    // A length-delimited field announcing 5 bytes with 1 sent: the client's mistake.
    assertStatus(Status.Code.INVALID_ARGUMENT, "not a protobuf message of the method's type",
        unary("Submit", new byte[] {0x0a, 0x05, 'd'}));
  }

  @Test
  void aRequestOverMaxMessageSizeIsResourceExhausted() throws Exception {
    // A Status request of max-message-size + 1 bytes (the group and an unknown field as padding): refused
    // whole, without a reply from the group; one of exactly max-message-size is served.
    for (int size : new int[] {MAX_MESSAGE + 1, MAX_MESSAGE}) {
      byte[] request = padded(StatusRequest.newBuilder().setGroup(DATA).build().toByteArray(), size);
      assertEquals(size, request.length);
      Status status = unary("Status", request);
      if (size > MAX_MESSAGE) {
        assertStatus(Status.Code.RESOURCE_EXHAUSTED, "larger than pekko-raft.gateway.max-message-size (65536 bytes)",
            status);
      } else {
        assertEquals(Status.Code.OK, status.getCode(), String.valueOf(status));
      }
    }
  }

  /** {@code message} with an unknown bytes field (number 99) so that it is {@code size} bytes long. */
  static byte[] padded(byte[] message, int size) throws IOException {
    for (int fill = size - message.length - 5; fill >= 0; fill--) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.writeRawBytes(message);
      out.writeByteArray(99, new byte[fill]);
      out.flush();
      if (bytes.size() == size) return bytes.toByteArray();
    }
    throw new IllegalStateException("cannot pad to " + size);
  }

  @Test
  void aWatchTheClientCancelsOrWhoseDeadlinePassesEndsAndIsLetGo() throws Exception {
    // A WatchApplied stream follows the group without end: it must end on the server when the client cancels
    // it (after its first event) or its deadline passes (waiting for an index not applied yet), and let go of
    // what it held (AppliedHistory's readers).
    RaftGroup<?, ?, ?> group = PekkoRaft.get(cluster.system("node-1")).group(DATA).orElseThrow();
    servesNormally("before-watch");
    Outcome cancelled = call("WatchApplied", MethodDescriptor.MethodType.SERVER_STREAMING, WatchAppliedRequest
        .newBuilder().setGroup(DATA).setFromIndex(1).build().toByteArray(), 1, Duration.ofSeconds(10));
    assertEquals(Status.Code.CANCELLED, cancelled.status().getCode(), String.valueOf(cancelled.status()));
    assertEquals(1, cancelled.messages().size());
    Outcome timedOut = call("WatchApplied", MethodDescriptor.MethodType.SERVER_STREAMING, WatchAppliedRequest
        .newBuilder().setGroup(DATA).setFromIndex(1_000_000).build().toByteArray(), -1, Duration.ofMillis(300));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, timedOut.status().getCode(), String.valueOf(timedOut.status()));
    TestProbe.create(cluster.system("node-1")).awaitAssert(STEP, () -> {
      assertEquals(0, group.watchesRunning(), "every watch ended on the server");
      return null;
    });
  }

  /** Calls of each kind that Pekko HTTP must let go of once answered, on one connection each. */
  static final int CALLS_PER_KIND = 300;

  @Test
  void everyAnsweredCallReleasesItsHttp2Stream() throws Exception {
    // Pekko HTTP serves at most pekko.http.server.http2.max-concurrent-streams (256) streams per connection and
    // refuses more (RST_STREAM REFUSED_STREAM, UNAVAILABLE at the client). A stream counts until the request's
    // body has been read or discarded; a call answered without reading it (an unknown method or service) held
    // its stream for as long as the connection lived, and after 256 of them the connection refused every call.
    // Here each kind of call is made 300 times, one after another, on a connection of its own; then a Status
    // call on that connection must be served.
    byte[] status = StatusRequest.newBuilder().setGroup(DATA).build().toByteArray();
    byte[] health = io.grpc.health.v1.HealthCheckRequest.getDefaultInstance().toByteArray();
    record Kind(String what, MethodDescriptor<byte[], byte[]> method, byte[] request, int cancelAfter) {}
    List<Kind> kinds = List.of(
        new Kind("an unknown method", method("NoSuchMethod", MethodDescriptor.MethodType.UNARY), status, -1),
        new Kind("an unknown service", raw("pekkoraft.v1.NoSuchService/Status", MethodDescriptor.MethodType.UNARY),
            status, -1),
        new Kind("an unknown health method", raw("grpc.health.v1.Health/NoSuchMethod",
            MethodDescriptor.MethodType.UNARY), health, -1),
        new Kind("a request that is no protobuf message", method("Status", MethodDescriptor.MethodType.UNARY),
            new byte[] {0x0a, 0x05, 'd'}, -1),
        new Kind("a request over max-message-size", method("Status", MethodDescriptor.MethodType.UNARY),
            padded(status, MAX_MESSAGE + 1), -1),
        new Kind("a Health/Watch cancelled at once", raw("grpc.health.v1.Health/Watch",
            MethodDescriptor.MethodType.SERVER_STREAMING), health, 0),
        new Kind("a Health/Watch cancelled after its first answer", raw("grpc.health.v1.Health/Watch",
            MethodDescriptor.MethodType.SERVER_STREAMING), health, 1),
        new Kind("a WatchApplied cancelled at once", method("WatchApplied", MethodDescriptor.MethodType.SERVER_STREAMING),
            WatchAppliedRequest.newBuilder().setGroup(DATA).setFromIndex(1).build().toByteArray(), 0));
    List<String> refused = new java.util.ArrayList<>();
    for (Kind kind : kinds) {
      ManagedChannel own = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        for (int i = 0; i < CALLS_PER_KIND; i++) {
          Status ended = call(own, kind.method(), kind.request(), kind.cancelAfter(), Duration.ofSeconds(10)).status();
          assertTrue(ended.getCode() != Status.Code.INTERNAL && ended.getCode() != Status.Code.UNKNOWN,
              kind.what() + ": " + ended);
          if (ended.getCode() == Status.Code.UNAVAILABLE) {
            refused.add("call " + (i + 1) + " of " + kind.what() + ": " + ended);
            break;
          }
        }
        Outcome after = call(own, method("Status", MethodDescriptor.MethodType.UNARY), status, -1,
            Duration.ofSeconds(10));
        if (after.status().getCode() != Status.Code.OK) {
          refused.add("a Status call after " + kind.what() + ": " + after.status());
        }
      } finally {
        own.shutdownNow();
      }
    }
    assertEquals(List.of(), refused, "calls refused on a connection that never had more than one call open");
  }

  static MethodDescriptor<byte[], byte[]> raw(String fullName, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName(fullName)
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
  }

  @Test
  void anUnsupportedGrpcEncodingIsUnimplementedAndTheConnectionServesOn() throws Exception {
    // grpc-java sends only encodings the server accepts; a raw HTTP/2 client can send any. Pekko gRPC threw
    // on deflate or snappy instead of answering, and Pekko HTTP closed the whole connection with every call
    // on it. Here the first request names an encoding the gateway does not support, the second is a plain
    // Status call, both on one HTTP/2 connection.
    var system = cluster.system("node-1");
    byte[] status = StatusRequest.newBuilder().setGroup(DATA).build().toByteArray();
    var grpc = org.apache.pekko.http.javadsl.model.ContentTypes.create(
        org.apache.pekko.http.javadsl.model.MediaTypes.customBinary("application", "grpc", false));
    List<org.apache.pekko.http.javadsl.model.HttpRequest> requests = new java.util.ArrayList<>();
    for (String encoding : List.of("deflate", "snappy", "identity")) {
      requests.add(rawStatus(grpc, encoding.equals("identity") ? 0 : 1, status).addHeader(
          org.apache.pekko.http.javadsl.model.headers.RawHeader.create("grpc-encoding", encoding)));
    }
    // One connection for the three, in this order; each answer waits for the one before (mapAsync(1)).
    List<String> answers = org.apache.pekko.stream.javadsl.Source.from(requests)
        .via(org.apache.pekko.http.javadsl.Http.get(system).connectionTo("127.0.0.1").toPort(port)
            .http2WithPriorKnowledge())
        .mapAsync(1, response -> GatewayFuzzTest.label(response, system))
        .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), system)
        .toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
    assertEquals(List.of("grpc-status UNIMPLEMENTED", "grpc-status UNIMPLEMENTED", "grpc-status OK"),
        answers.stream().sorted(java.util.Comparator.comparing((String a) -> a.endsWith("OK"))).toList());
  }

  @Test
  void aUint64FieldBeyondTheLargestLongIsInvalidArgument() throws Exception {
    // The proto's uint64 fields arrive in Java as longs: 2^63 and more read as negative numbers. A negative
    // session id in KeepAlive and a negative min_index in Query ended INTERNAL (IllegalArgumentException from
    // the request's own checks); a session id of 2^64 - 1 reads as -1, the id of a request that opens a session.
    long[] beyond = {-1L, Long.MIN_VALUE};
    for (long value : beyond) {
      String shown = Long.toUnsignedString(value);
      assertStatus(Status.Code.INVALID_ARGUMENT, "session_id " + shown, unary("KeepAlive", KeepAliveRequest.newBuilder()
          .setGroup(DATA).setSessionId(value).build().toByteArray()));
      assertStatus(Status.Code.INVALID_ARGUMENT, "session_id " + shown, unary("Submit", SubmitRequest.newBuilder()
          .setGroup(DATA).setPayload(ByteString.copyFromUtf8("check-never-applied")).setSessionId(value).setSequence(1)
          .build().toByteArray()));
      assertStatus(Status.Code.INVALID_ARGUMENT, "sequence " + shown, unary("Submit", SubmitRequest.newBuilder()
          .setGroup(DATA).setPayload(ByteString.copyFromUtf8("check-never-applied")).setSessionId(7).setSequence(value)
          .build().toByteArray()));
      assertStatus(Status.Code.INVALID_ARGUMENT, "min_index " + shown, unary("Query", QueryRequest.newBuilder()
          .setGroup(DATA).setPayload(ByteString.copyFromUtf8("count")).setConsistency(ReadConsistency.STALE)
          .setMinIndex(value).build().toByteArray()));
      assertStatus(Status.Code.INVALID_ARGUMENT, "max_lag_entries " + shown, unary("Query", QueryRequest.newBuilder()
          .setGroup(DATA).setPayload(ByteString.copyFromUtf8("count")).setConsistency(ReadConsistency.STALE)
          .setMaxLagEntries(value).build().toByteArray()));
    }
    Outcome has = call("Query", MethodDescriptor.MethodType.UNARY, QueryRequest.newBuilder().setGroup(DATA)
        .setPayload(ByteString.copyFromUtf8("has:check-never-applied")).build().toByteArray(), -1, Duration.ofSeconds(10));
    assertEquals(Status.Code.OK, has.status().getCode(), String.valueOf(has.status()));
    assertEquals("no", QueryResponse.parseFrom(has.messages().get(0)).getResult().toStringUtf8());
    servesNormally("after-uint64-beyond-long");
  }

  static org.apache.pekko.http.javadsl.model.HttpRequest rawStatus(
      org.apache.pekko.http.javadsl.model.ContentType type, int compressedFlag, byte[] message) {
    return org.apache.pekko.http.javadsl.model.HttpRequest.POST("/pekkoraft.v1.RaftService/Status")
        .withEntity(org.apache.pekko.http.javadsl.model.HttpEntities.create(type,
            GatewayFuzzTest.frame(compressedFlag, message.length, message)))
        .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("te", "trailers"));
  }

  @Test
  void aMessageMarkedCompressedButNotInItsEncodingIsInvalidArgument() throws Exception {
    // The client's mistake, not the gateway's: a frame marked compressed with no grpc-encoding, or marked
    // gzip but not in gzip, ended INTERNAL (and was logged as the gateway's error).
    var system = cluster.system("node-1");
    byte[] status = StatusRequest.newBuilder().setGroup(DATA).build().toByteArray();
    var grpc = org.apache.pekko.http.javadsl.model.ContentTypes.create(
        org.apache.pekko.http.javadsl.model.MediaTypes.customBinary("application", "grpc", false));
    for (var request : List.of(rawStatus(grpc, 1, status), rawStatus(grpc, 1, status).addHeader(
        org.apache.pekko.http.javadsl.model.headers.RawHeader.create("grpc-encoding", "gzip")))) {
      var response = org.apache.pekko.stream.javadsl.Source.single(request)
          .via(org.apache.pekko.http.javadsl.Http.get(system).connectionTo("127.0.0.1").toPort(port)
              .http2WithPriorKnowledge())
          .runWith(org.apache.pekko.stream.javadsl.Sink.head(), system).toCompletableFuture()
          .get(STEP.toSeconds(), TimeUnit.SECONDS);
      assertEquals("grpc-status INVALID_ARGUMENT", GatewayFuzzTest.label(response, system).toCompletableFuture()
          .get(STEP.toSeconds(), TimeUnit.SECONDS), String.valueOf(request.getHeaders()));
    }
  }
}
