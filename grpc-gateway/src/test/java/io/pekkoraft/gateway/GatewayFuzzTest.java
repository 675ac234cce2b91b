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
import io.grpc.health.v1.HealthCheckRequest;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.protocol.ServerStatus;
import io.pekkoraft.gateway.grpc.*;
import io.pekkoraft.testkit.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A malformed or hostile request never crashes or stalls a member: node-1's gateway, over a real group of
 * a real group (one member with its durable journal, over Artery, so that the run stays quick), gets well over 100,000 requests made by a seeded {@link Random} — random bytes, valid
 * messages truncated or with bits flipped, oversized fields, huge repeated and map fields, deeply nested
 * unknown fields, ten-byte varints and negative lengths, unknown methods and services, streaming calls
 * cancelled — as raw bytes through grpc-java ({@code MethodDescriptor<byte[], byte[]>}), and HTTP/2 requests
 * no gRPC client would send (wrong content types, broken frames, malformed {@code grpc-timeout}) through Pekko
 * HTTP's client. Every call ends with a status a client can act on; afterwards the member serves as before.
 *
 * <p>Commands that happen to decode are applied: the group {@value #DATA} only counts them (bytes in, a count
 * out), and the membership calls go to the group {@value #ADMIN}, which the check afterwards does not use.
 * The seed is printed; {@code -Dfuzz.seed=N} runs one again.
 */
class GatewayFuzzTest {

  private static final String DATA = "data";
  private static final String ADMIN = "admin-group";
  private static final int MAX_MESSAGE = 64 * 1024;
  /** gRPC calls in one run; {@code -Dfuzz.calls=N} for a shorter one while working on the gateway. */
  private static final int GRPC_REQUESTS = Integer.getInteger("fuzz.calls", 100_000);
  private static final int RAW_REQUESTS = 3_000;
  private static final int IN_FLIGHT = 128;
  private static final Duration STEP = Duration.ofSeconds(30);

  static LocalCluster cluster;
  static int port;

  /** Counts the commands it applies; remembers those that start with "check-". */
  static final class Counter implements StateMachine<byte[], byte[], byte[]> {
    private long count;
    private final Set<String> checks = new HashSet<>();

    @Override
    public byte[] apply(byte[] command) {
      count++;
      String s = new String(command, StandardCharsets.ISO_8859_1);
      if (s.startsWith("check-")) checks.add(s);
      return Long.toString(count).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] query(byte[] query) {
      String s = new String(query, StandardCharsets.ISO_8859_1);
      if (s.equals("count")) return Long.toString(count).getBytes(StandardCharsets.US_ASCII);
      if (s.startsWith("has:")) return (checks.contains(s.substring(4)) ? "yes" : "no").getBytes(StandardCharsets.US_ASCII);
      return new byte[0];
    }
  }

  /**
   * Loggers that report each hostile request the gateway answered (a stage that failed to parse it, Pekko
   * gRPC's handler, a connection closed): off during the run, whose statuses the test checks itself; their
   * hundreds of stack traces made the run several times slower.
   */
  static final List<String> QUIET = List.of("org.apache.pekko.grpc", "org.apache.pekko.actor.RepointableActorRef",
      "org.apache.pekko.actor.ActorSystemImpl");

  static void quiet(boolean on) {
    for (String name : QUIET) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name))
          .setLevel(on ? ch.qos.logback.classic.Level.OFF : null);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    quiet(true);
    cluster = LocalCluster.builder().members(1).config(ConfigFactory.parseResources("gateway-fuzz-test.conf",
        ConfigParseOptions.defaults().setAllowMissing(false))).start();
    for (String member : cluster.memberIds()) {
      ActorSystem<Void> system = cluster.system(member);
      PekkoRaft.get(system).init(ReplicatedStateMachine.of(DATA, Counter::new));
      PekkoRaft.get(system).init(ReplicatedStateMachine.of(ADMIN, Counter::new));
    }
    PekkoRaftGateway gateway = PekkoRaftGateway.get(cluster.system("node-1"))
        .register(DATA, GroupCodecs.bytes()).register(ADMIN, GroupCodecs.bytes());
    port = gateway.start().toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
    cluster.awaitLeader(DATA, 0, STEP);
    cluster.awaitLeader(ADMIN, 0, STEP);
  }

  @AfterAll
  static void stop() {
    quiet(false);
    if (cluster != null) cluster.close();
  }

  // ---- the methods and their valid requests -------------------------------------------------------------

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

  /** A method called with raw bytes, and valid requests to start mutating from. */
  record Target(MethodDescriptor<byte[], byte[]> method, List<byte[]> seeds) {
    String name() {
      return method.getFullMethodName();
    }

    boolean changesMembership() {
      return List.of("AddLearner", "Promote", "Remove", "ChangeVoters", "TransferLeadership")
          .contains(name().substring(name().lastIndexOf('/') + 1));
    }

    boolean streaming() {
      return method.getType() != MethodDescriptor.MethodType.UNARY;
    }
  }

  private static Target target(String fullName, MethodDescriptor.MethodType type, com.google.protobuf.MessageLite... seeds) {
    List<byte[]> bytes = new ArrayList<>();
    for (com.google.protobuf.MessageLite m : seeds) bytes.add(m.toByteArray());
    return new Target(MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName(fullName)
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build(), bytes);
  }

  private static final String SVC = "pekkoraft.v1.RaftService/";
  private static final MethodDescriptor.MethodType UNARY = MethodDescriptor.MethodType.UNARY;
  private static final MethodDescriptor.MethodType SERVER_STREAMING = MethodDescriptor.MethodType.SERVER_STREAMING;

  static List<Target> targets() {
    ByteString payload = ByteString.copyFromUtf8("fuzz-command");
    return List.of(
        target(SVC + "OpenSession", UNARY, OpenSessionRequest.newBuilder().setGroup(DATA).build()),
        target(SVC + "KeepAlive", UNARY, KeepAliveRequest.newBuilder().setGroup(DATA).setSessionId(1).build()),
        target(SVC + "Submit", UNARY, SubmitRequest.newBuilder().setGroup(DATA).setPayload(payload).build(),
            SubmitRequest.newBuilder().setGroup(DATA).setPayload(payload).setSessionId(5).setSequence(2)
                .setAckedSequence(1).build()),
        target(SVC + "Query", UNARY, QueryRequest.newBuilder().setGroup(DATA).setPayload(ByteString.copyFromUtf8("count"))
                .build(),
            QueryRequest.newBuilder().setGroup(DATA).setPayload(ByteString.copyFromUtf8("has:x"))
                .setConsistency(ReadConsistency.STALE).setMinIndex(3).build(),
            QueryRequest.newBuilder().setGroup(DATA).setPayload(ByteString.copyFromUtf8("count"))
                .setConsistency(ReadConsistency.FOLLOWER).build()),
        target(SVC + "Status", UNARY, StatusRequest.newBuilder().setGroup(DATA).build(),
            StatusRequest.newBuilder().setGroup(ADMIN).build()),
        target(SVC + "AddLearner", UNARY, AddLearnerRequest.newBuilder().setGroup(ADMIN).setMemberId("ghost")
            .setAddress("pekko://raft@127.0.0.1:1").build()),
        target(SVC + "Promote", UNARY, PromoteRequest.newBuilder().setGroup(ADMIN).setMemberId("ghost").build()),
        target(SVC + "Remove", UNARY, RemoveRequest.newBuilder().setGroup(ADMIN).setMemberId("ghost").build()),
        target(SVC + "ChangeVoters", UNARY, ChangeVotersRequest.newBuilder().setGroup(ADMIN)
                .addAllVoters(List.of("node-1", "node-2", "node-3")).build(),
            ChangeVotersRequest.newBuilder().setGroup(ADMIN).addAllVoters(List.of("node-1", "node-2", "ghost"))
                .putAddresses("ghost", "pekko://raft@127.0.0.1:1").build()),
        target(SVC + "TransferLeadership", UNARY, TransferLeadershipRequest.newBuilder().setGroup(ADMIN).build(),
            TransferLeadershipRequest.newBuilder().setGroup(ADMIN).setMemberId("node-2").build()),
        target(SVC + "WatchApplied", SERVER_STREAMING, WatchAppliedRequest.newBuilder().setGroup(DATA).setFromIndex(1)
                .build(),
            WatchAppliedRequest.newBuilder().setGroup(DATA).setFromIndex(Long.MAX_VALUE).build()),
        target("grpc.health.v1.Health/Check", UNARY, HealthCheckRequest.getDefaultInstance(),
            HealthCheckRequest.newBuilder().setService("pekkoraft.v1.RaftService").build()),
        target("grpc.health.v1.Health/Watch", SERVER_STREAMING, HealthCheckRequest.getDefaultInstance()),
        // list_services = "" (field 7), file_containing_symbol (field 4)
        new Target(MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
            .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build(),
            List.of(new byte[] {0x3a, 0x00}, concat(new byte[] {0x22, 24}, "pekkoraft.v1.RaftService".getBytes(
                StandardCharsets.US_ASCII)))),
        target(SVC + "NoSuchMethod", UNARY, StatusRequest.newBuilder().setGroup(DATA).build()),
        target("pekkoraft.v1.NoSuchService/Submit", UNARY, SubmitRequest.newBuilder().setGroup(DATA).build()),
        target("grpc.health.v1.Health/NoSuchMethod", UNARY, HealthCheckRequest.getDefaultInstance()));
  }

  // ---- mutations ---------------------------------------------------------------------------------------

  static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  static byte[] random(Random r, int length) {
    byte[] bytes = new byte[length];
    r.nextBytes(bytes);
    return bytes;
  }

  /** A protobuf field written by hand: {@code write} gets the stream. */
  interface Writer {
    void write(CodedOutputStream out) throws IOException;
  }

  static byte[] proto(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      writer.write(out);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  /** A request for {@code target}: a valid one, or one of the ways a request is broken or hostile. */
  static byte[] request(Random r, Target target, Map<String, LongAdder> kinds) {
    byte[] seed = target.seeds().get(r.nextInt(target.seeds().size()));
    int kind = r.nextInt(15);
    lastKind = kind;
    kinds.computeIfAbsent(KIND_NAMES[kind], k -> new LongAdder()).increment();
    return switch (kind) {
      case 0 -> seed;
      case 1 -> random(r, r.nextInt(64));
      case 2 -> random(r, r.nextInt(4096));
      case 3, 4 -> Arrays.copyOf(seed, seed.length == 0 ? 0 : r.nextInt(seed.length));
      case 5, 6 -> {
        byte[] flipped = seed.clone();
        if (flipped.length == 0) yield random(r, 3);
        for (int i = 1 + r.nextInt(8); i > 0; i--) flipped[r.nextInt(flipped.length)] ^= (byte) (1 << r.nextInt(8));
        yield flipped;
      }
      case 7 -> concat(seed, proto(out -> {
        // an unknown field: any number, any wire type (6 and 7 do not exist), random content
        int field = 1 + r.nextInt((1 << 29) - 1);
        out.writeUInt32NoTag((field << 3) | r.nextInt(8));
        out.writeRawBytes(random(r, r.nextInt(16)));
      }));
      case 8 -> {
        // an oversized string or bytes field: the group (1) or the payload / member id (2), sometimes
        // exactly max-message-size + 1 bytes as a whole message
        int size = switch (r.nextInt(4)) {
          case 0 -> MAX_MESSAGE + 1;
          case 1 -> 16 * 1024 + r.nextInt(1024);
          default -> 1024 + r.nextInt(8 * 1024);
        };
        int field = 1 + r.nextInt(2);
        byte[] huge = new byte[size];
        Arrays.fill(huge, (byte) ('a' + r.nextInt(26)));
        byte[] withField = concat(seed, proto(out -> out.writeByteArray(field, huge)));
        yield size == MAX_MESSAGE + 1 ? Arrays.copyOf(withField, MAX_MESSAGE + 1) : withField;
      }
      case 9 -> concat(seed, proto(out -> {
        // ten-byte varints (the largest valid), an eleventh byte (malformed), or a negative length
        int field = 1 + r.nextInt(6);
        switch (r.nextInt(3)) {
          case 0 -> {
            out.writeUInt32NoTag(field << 3);
            out.writeUInt64NoTag(-1L - r.nextInt(1000));
          }
          case 1 -> {
            out.writeUInt32NoTag(field << 3);
            out.writeRawBytes(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1});
          }
          default -> {
            out.writeUInt32NoTag((field << 3) | 2);
            out.writeUInt64NoTag(-1L - r.nextInt(1 << 20));
            out.writeRawBytes(random(r, r.nextInt(8)));
          }
        }
      }));
      case 10 -> concat(seed, proto(out -> {
        // unknown fields nested deep: groups (wire type 3) or messages in a known bytes field
        int depth = 10 + r.nextInt(2000);
        boolean closed = r.nextBoolean();
        int field = 20 + r.nextInt(100);
        for (int i = 0; i < depth; i++) out.writeUInt32NoTag((field << 3) | 3);
        if (closed) for (int i = 0; i < depth; i++) out.writeUInt32NoTag((field << 3) | 4);
      }));
      case 11 -> concat(seed, proto(out -> {
        // a huge repeated field (voters) or map (addresses): thousands of entries, within or beyond the limit
        int entries = 100 + r.nextInt(r.nextInt(8) == 0 ? 12_000 : 3_000);
        boolean map = r.nextBoolean();
        for (int i = 0; i < entries; i++) {
          if (map) {
            byte[] entry = proto(e -> {
              e.writeString(1, "m" + r.nextInt(1_000_000));
              e.writeString(2, "pekko://raft@127.0.0.1:" + r.nextInt(65536));
            });
            out.writeByteArray(3, entry);
          } else {
            out.writeString(2, "v" + r.nextInt(1_000_000));
          }
        }
      }));
      case 12 -> concat(seed, target.seeds().get(r.nextInt(target.seeds().size())));
      case 13 -> proto(out -> {
        // valid wire format, random values: random group names, numbers and enum values
        // membership calls name the group the check afterwards does not use: with random voters they would
        // leave DATA in a joint configuration no quorum can ever finish (no leader, as the caller asked)
        out.writeString(1, r.nextInt(4) == 0 ? (target.changesMembership() ? ADMIN : DATA)
            : Integer.toString(r.nextInt(100), 36));
        out.writeByteArray(2, random(r, r.nextInt(32)));
        out.writeUInt64(3 + r.nextInt(3), r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(10));
      });
      default -> new byte[0];
    };
  }

  static int lastKind;

  static final String[] KIND_NAMES = {"valid", "random-short", "random-long", "truncated", "truncated", "bit-flips",
      "bit-flips", "unknown-field", "oversized-field", "varint-10/negative-length", "deep-nesting",
      "huge-repeated/map", "two-messages", "random-values", "empty"};

  // ---- the run -----------------------------------------------------------------------------------------

  @Test
  void hostileRequestsToEveryMethodNeverCrashOrStallTheMember() throws Exception {
    long seed = Long.getLong("fuzz.seed", System.nanoTime());
    System.out.println("GatewayFuzzTest seed: " + seed + " (run again with -Dfuzz.seed=" + seed + ")");
    Random random = new Random(seed);
    long heapBefore = usedHeapAfterGc();
    Map<String, LongAdder> byStatus = new ConcurrentHashMap<>();
    Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
    Map<String, String> examples = new ConcurrentHashMap<>();
    Map<String, LongAdder> millis = new ConcurrentHashMap<>();
    Map<String, Long> slowest = new ConcurrentHashMap<>();
    List<Target> targets = targets();
    Map<Integer, String> open = new ConcurrentHashMap<>();

    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(16 * 1024 * 1024).build();
    try {
      Semaphore inFlight = new Semaphore(IN_FLIGHT);
      for (int i = 0; i < GRPC_REQUESTS; i++) {
        Target target = targets.get(random.nextInt(targets.size()));
        byte[] request = request(random, target, kinds);
        int cancelAfter = target.streaming() ? random.nextInt(4) : -1;
        long deadlineMs = target.name().contains("/Watch") || target.name().contains("Reflection")
            ? 50 + random.nextInt(300) : 300 + random.nextInt(2000);
        inFlight.acquire();
        String what = target.name() + " " + KIND_NAMES[lastKind] + " cancelAfter=" + cancelAfter + " deadline="
            + deadlineMs;
        boolean valid = lastKind == 0;
        int id = i;
        open.put(id, what);
        if (i % 20_000 == 0) System.out.println("GatewayFuzzTest: " + i + " calls sent");
        long sent = System.nanoTime();
        call(channel, target, request, cancelAfter, deadlineMs).whenComplete((status, failure) -> {
          String key = target.name().substring(target.name().lastIndexOf('/') + 1) + " "
              + (failure != null ? "client-failure " + failure : status.getCode().name())
              + (valid && status != null && status.getCode() == Status.Code.INTERNAL ? " (valid request)" : "");
          byStatus.computeIfAbsent(key, k -> new LongAdder()).increment();
          long took = (System.nanoTime() - sent) / 1_000_000;
          millis.computeIfAbsent(key, k -> new LongAdder()).add(took);
          slowest.merge(key, took, Math::max);
          if (status != null) examples.putIfAbsent(key, String.valueOf(status.getDescription()));
          open.remove(id);
          inFlight.release();
        });
      }
      assertTrue(inFlight.tryAcquire(IN_FLIGHT, STEP.toSeconds(), TimeUnit.SECONDS),
          "every call ended (no call stalls past its deadline); still open: " + open + "; so far: "
              + table(byStatus, examples));
    } finally {
      channel.shutdownNow();
    }
    Map<String, String> rawExamples = new ConcurrentHashMap<>();
    Map<String, LongAdder> rawStatus = rawHttp2(random, targets, rawExamples);

    long grpcTotal = byStatus.values().stream().mapToLong(LongAdder::sum).sum();
    long rawTotal = rawStatus.values().stream().mapToLong(LongAdder::sum).sum();
    System.out.println("GatewayFuzzTest: " + grpcTotal + " gRPC calls with raw bytes + " + rawTotal
        + " raw HTTP/2 requests = " + (grpcTotal + rawTotal) + " requests; by kind: " + new TreeMap<>(kinds));
    System.out.println(table(byStatus, examples, millis, slowest));
    System.out.println(table(rawStatus, rawExamples));
    assertEquals(GRPC_REQUESTS, grpcTotal);
    assertEquals(RAW_REQUESTS, rawTotal);

    for (Map.Entry<String, LongAdder> e : byStatus.entrySet()) {
      String code = e.getKey().substring(e.getKey().indexOf(' ') + 1);
      assertTrue(ACCEPTED.contains(code) || REFLECTION_JUNK.equals(e.getKey()), "not an answer a client can act on: "
          + e.getKey() + " x" + e.getValue().sum() + ", e.g. " + examples.get(e.getKey()));
    }
    long refused = byStatus.entrySet().stream().filter(e -> e.getKey().endsWith(" UNAVAILABLE")
        && String.valueOf(examples.get(e.getKey())).contains("REFUSED_STREAM")).mapToLong(e -> e.getValue().sum()).sum();
    System.out.println("GatewayFuzzTest: keys whose example is REFUSED_STREAM (the fuzzer's connection at Pekko"
        + " HTTP's max-concurrent-streams) count " + refused + " calls");
    for (String key : rawStatus.keySet()) {
      assertTrue(RAW_ACCEPTED.stream().anyMatch(key::endsWith), "raw HTTP/2: " + key + " x" + rawStatus.get(key)
          + ", e.g. " + rawExamples.get(key));
    }

    servesNormallyAfterwards(seed);
    long heapAfter = usedHeapAfterGc();
    System.out.println("GatewayFuzzTest: heap used after GC " + heapBefore / (1024 * 1024) + " MiB before, "
        + heapAfter / (1024 * 1024) + " MiB after");
    assertTrue(heapAfter - heapBefore < 256L * 1024 * 1024, "the heap grew by "
        + (heapAfter - heapBefore) / (1024 * 1024) + " MiB");
  }

  /** What a hostile request may get: a status a client can act on. Never INTERNAL or UNKNOWN. */
  static final Set<String> ACCEPTED = Set.of("OK", "INVALID_ARGUMENT", "NOT_FOUND", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "UNAVAILABLE", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "ABORTED",
      // the client's own cancellation of a streaming call (WatchApplied, Health/Watch, reflection)
      "CANCELLED");

  /**
   * Pekko gRPC's reflection service takes no exception mapper: a request to it that is no reflection request
   * ends INTERNAL (and is logged). Accepted for junk only: a valid reflection request that fails is keyed
   * "(valid request)" and fails the test.
   */
  static final String REFLECTION_JUNK = "ServerReflectionInfo INTERNAL";

  /** Raw HTTP/2: the same, or HTTP 415 for a content type that is not gRPC's. */
  static final Set<String> RAW_ACCEPTED = Set.of("grpc-status OK", "grpc-status INVALID_ARGUMENT",
      "grpc-status NOT_FOUND", "grpc-status RESOURCE_EXHAUSTED", "grpc-status FAILED_PRECONDITION",
      "grpc-status UNAVAILABLE", "grpc-status DEADLINE_EXCEEDED", "grpc-status UNIMPLEMENTED", "grpc-status ABORTED",
      "http 415", "http 404", "(reflection junk)", "(grpc-web: in the body)", "(a watch, open after 3 s)",
      // Pekko gRPC fails a unary or server-streaming call whose body holds a second message ("Promise already
      // completed") and Pekko HTTP closes that connection: the sender loses its own connection, nothing else.
      "(two messages)",
      // Not understood yet (see docs/ARCHITECTURE.md): a raw request's connection (its own) ends before its
      // answer arrives; counted and printed, the member serves on.
      "(connection ended without an answer)");

  static String table(Map<String, LongAdder> counts, Map<String, String> examples) {
    return table(counts, examples, Map.of(), Map.of());
  }

  /** One line a key: its count, the mean and longest time from sending to the status (if timed), an example. */
  static String table(Map<String, LongAdder> counts, Map<String, String> examples, Map<String, LongAdder> millis,
      Map<String, Long> slowest) {
    StringBuilder b = new StringBuilder();
    new TreeMap<>(counts).forEach((k, v) -> b.append(String.format("  %-48s %7d%s%s%n", k, v.sum(),
        millis.containsKey(k) ? String.format("  %5d ms mean %5d ms max", millis.get(k).sum() / v.sum(), slowest.get(k))
            : "",
        examples.containsKey(k) ? "  e.g. " + abbreviate(examples.get(k)) : "")));
    return b.toString();
  }

  static String abbreviate(String s) {
    return s.length() > 110 ? s.substring(0, 110) + "..." : s;
  }

  /**
   * One call with {@code request} as the message: unary, or streaming with the client cancelling after
   * {@code cancelAfter} messages (0: at once). The status the call ended with.
   */
  static CompletableFuture<Status> call(ManagedChannel channel, Target target, byte[] request, int cancelAfter,
      long deadlineMs) {
    CompletableFuture<Status> ended = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = channel.newCall(target.method(),
        CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS));
    call.start(new ClientCall.Listener<>() {
      int received;

      @Override
      public void onMessage(byte[] message) {
        received++;
        if (cancelAfter >= 0 && received >= cancelAfter) call.cancel("the fuzzer cancels", null);
        else call.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        ended.complete(status);
      }
    }, new Metadata());
    call.request(1);
    try {
      call.sendMessage(request);
      call.halfClose();
    } catch (IllegalStateException closedAlready) {
      // the server answered a streaming call before its request went out, and the fuzzer cancelled it
    }
    if (cancelAfter == 0) call.cancel("the fuzzer cancels at once", null);
    return ended;
  }

  // ---- raw HTTP/2: what no gRPC client sends -----------------------------------------------------------

  static Map<String, LongAdder> rawHttp2(Random r, List<Target> targets, Map<String, String> examples)
      throws Exception {
    ActorSystem<Void> system = cluster.system("node-1");
    Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    List<HttpRequest> requests = new ArrayList<>();
    List<String> described = new ArrayList<>();
    ContentType grpc = ContentTypes.create(MediaTypes.customBinary("application", "grpc", false));
    List<ContentType> contentTypes = List.of(grpc, ContentTypes.APPLICATION_JSON, ContentTypes.TEXT_PLAIN_UTF8,
        ContentTypes.APPLICATION_OCTET_STREAM,
        ContentTypes.create(MediaTypes.customBinary("application", "grpc+json", false)),
        ContentTypes.create(MediaTypes.customBinary("application", "grpc-web", false)));
    for (int i = 0; i < RAW_REQUESTS; i++) {
      Target target = targets.get(r.nextInt(targets.size()));
      byte[] message = target.seeds().get(r.nextInt(target.seeds().size()));
      int bodyKind = r.nextInt(7);
      byte[] body = switch (bodyKind) {
        case 0 -> frame(0, message.length, message);
        case 1 -> frame(1, message.length, message); // compressed, but no grpc-encoding (or a bogus one)
        case 2 -> frame(0, message.length + 1 + r.nextInt(1000), message); // ends inside the frame
        case 3 -> frame(0, -1 - r.nextInt(1000), message); // a "negative" length
        case 4 -> concat(frame(0, message.length, message), frame(0, message.length, message)); // two messages
        case 5 -> random(r, r.nextInt(5)); // not even a frame header
        default -> new byte[0];
      };
      ContentType type = r.nextInt(3) == 0 ? contentTypes.get(r.nextInt(contentTypes.size())) : grpc;
      HttpRequest request = HttpRequest.create("/" + target.name()).withMethod(r.nextInt(20) == 0 ? HttpMethods.GET
          : HttpMethods.POST).withEntity(HttpEntities.create(type, body)).addHeader(RawHeader.create("te", "trailers"));
      switch (r.nextInt(6)) {
        case 0 -> request = request.addHeader(RawHeader.create("grpc-timeout",
            List.of("abc", "999999999S", "-1m", "1x", "", "00000000n", "1H").get(r.nextInt(7))));
        case 1 -> request = request.addHeader(RawHeader.create("grpc-encoding",
            List.of("gzip", "identity", "deflate", "snappy").get(r.nextInt(4))));
        case 2 -> request = request.addHeader(RawHeader.create("grpc-accept-encoding", "bogus"));
        default -> {}
      }
      requests.add(request);
      described.add(request.method().value() + " " + target.name() + " body " + bodyKind + " (" + body.length
          + " bytes) " + type + " " + request.getHeaders());
    }
    var connection = Http.get(system).connectionTo("127.0.0.1").toPort(port).http2WithPriorKnowledge();
    Source.range(0, requests.size() - 1)
        .mapAsyncUnordered(16, i -> Source.single(requests.get(i)).via(connection).runWith(Sink.head(), system)
            .thenCompose(response -> label(response, system))
            .exceptionally(failure -> "client failure " + CallErrors.unwrap(failure).getClass().getSimpleName())
            .thenApply(label -> label + qualifier(label, described.get(i)))
            .thenApply(label -> {
              examples.putIfAbsent(label, described.get(i));
              return label;
            }))
        .runForeach(label -> counts.computeIfAbsent(label, k -> new LongAdder()).increment(), system)
        .toCompletableFuture().get(STEP.toSeconds() * 4, TimeUnit.SECONDS);
    return counts;
  }

  /**
   * What makes an answer acceptable for this request only: a reflection call's junk (INTERNAL, see
   * {@link #REFLECTION_JUNK}), a grpc-web call's status (in the body, as grpc-web sends it), or the connection
   * lost to a unary or server-streaming call with two messages in its body (see {@link #RAW_ACCEPTED}).
   */
  static String qualifier(String label, String request) {
    if (label.equals("grpc-status INTERNAL") && request.contains("ServerReflection")) return " (reflection junk)";
    if (label.equals("http 200 no grpc-status") && request.contains("grpc-web")) return " (grpc-web: in the body)";
    if (label.equals("http 200 no grpc-status") && request.contains("/Watch")) return " (a watch, open after 3 s)";
    if (label.startsWith("client failure") && request.contains(" body 4 ")) return " (two messages)";
    if (label.startsWith("client failure")) return " (connection ended without an answer)";
    return "";
  }

  static byte[] frame(int flag, int length, byte[] message) {
    byte[] header = {(byte) flag, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    return concat(header, message);
  }

  /** The grpc-status of {@code response} (headers or trailers), or its HTTP status if it has none. */
  static java.util.concurrent.CompletionStage<String> label(HttpResponse response, ActorSystem<Void> system) {
    var inHeaders = response.getHeader("grpc-status");
    if (inHeaders.isPresent()) {
      response.discardEntityBytes(system);
      return CompletableFuture.completedFuture(grpcStatus(inHeaders.get().value()));
    }
    if (!(response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Chunked chunked)) {
      response.discardEntityBytes(system);
      return CompletableFuture.completedFuture("http " + response.status().intValue());
    }
    // A stream that never ends (Health/Watch, WatchApplied without a deadline) is read for 3 seconds.
    return chunked.getChunks().takeWithin(Duration.ofSeconds(3)).filter(c -> c.isLastChunk()).runWith(Sink.seq(), system)
        .thenApply(last -> last.stream().flatMap(c -> java.util.stream.StreamSupport.stream(
                c.getTrailerHeaders().spliterator(), false))
            .filter(h -> h.name().equalsIgnoreCase("grpc-status")).findFirst().map(h -> grpcStatus(h.value()))
            .orElse("http " + response.status().intValue() + " no grpc-status"));
  }

  static String grpcStatus(String value) {
    return "grpc-status " + Status.fromCodeValue(Integer.parseInt(value)).getCode().name();
  }

  // ---- afterwards --------------------------------------------------------------------------------------

  static void servesNormallyAfterwards(long seed) throws Exception {
    RaftServiceClient client = RaftServiceClient.create(org.apache.pekko.grpc.GrpcClientSettings
        .connectToServiceAt("127.0.0.1", port, cluster.system("node-1")).withTls(false)
        .withDeadline(Duration.ofSeconds(10)), cluster.system("node-1"));
    try {
      String check = "check-after-fuzz-" + seed;
      SubmitResponse submitted = client.submit(SubmitRequest.newBuilder().setGroup(DATA)
          .setPayload(ByteString.copyFromUtf8(check)).build()).toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
      long countAtSubmit = Long.parseLong(submitted.getResult().toStringUtf8());
      assertTrue(countAtSubmit >= 1 && submitted.getIndex() > 0, submitted.toString());
      QueryResponse has = client.query(QueryRequest.newBuilder().setGroup(DATA)
          .setPayload(ByteString.copyFromUtf8("has:" + check)).build()).toCompletableFuture()
          .get(STEP.toSeconds(), TimeUnit.SECONDS);
      assertEquals("yes", has.getResult().toStringUtf8(), "a LINEARIZABLE read sees the command just applied");
      long count = Long.parseLong(client.query(QueryRequest.newBuilder().setGroup(DATA)
          .setPayload(ByteString.copyFromUtf8("count")).build()).toCompletableFuture()
          .get(STEP.toSeconds(), TimeUnit.SECONDS).getResult().toStringUtf8());
      assertTrue(count >= countAtSubmit, "the count " + count + " includes the check's " + countAtSubmit);
      StatusResponse status = client.status(StatusRequest.newBuilder().setGroup(DATA).build()).toCompletableFuture()
          .get(STEP.toSeconds(), TimeUnit.SECONDS);
      assertTrue(!status.getLeader().isEmpty() && status.getCommitIndex() >= submitted.getIndex(), status.toString());
      assertEquals("node-1", status.getServedBy());
      System.out.println("GatewayFuzzTest afterwards: Submit applied at index " + submitted.getIndex()
          + " (the group applied " + count + " commands in all, fuzz included); Status: leader " + status.getLeader()
          + ", commit index " + status.getCommitIndex());
    } finally {
      client.close();
    }
    // Every member's servers answer; none of the systems stopped.
    for (String member : cluster.memberIds()) {
      ActorSystem<Void> system = cluster.system(member);
      assertTrue(!system.getWhenTerminated().toCompletableFuture().isDone(), member + " is running");
      ServerStatus self = PekkoRaft.get(system).group(DATA).orElseThrow().clientProxy()
          .localStatus(Duration.ofSeconds(10)).toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
      assertEquals(member, self.memberId());
    }
  }

  static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
