package io.pekkoraft.benchmarks;

import com.google.protobuf.UnsafeByteOperations;
import io.pekkoraft.gateway.grpc.OpenSessionRequest;
import io.pekkoraft.gateway.grpc.RaftServiceClient;
import io.pekkoraft.gateway.grpc.SubmitRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * W1 through the gRPC gateway: each logical client is its own Pekko gRPC {@link RaftServiceClient} (its own
 * channel, so its own HTTP/2 connection) to one member's gateway on 127.0.0.1, in clear text (h2c). With
 * sessions, a client opens its own session once ({@code OpenSession}) and numbers its commands 1, 2, ...,
 * acknowledging every earlier one; without, each {@code Submit} carries session 0. The clients run on the
 * clients' ActorSystem, which only lends them its dispatcher: the calls go over gRPC, not Artery.
 */
final class GrpcClientPath implements ClientPath {

  private final ActorSystem<?> system;
  private final String member;
  private final int port;
  private final boolean sessions;

  /** Clients of {@code member}'s gateway at {@code port}; {@code sessions}: each opens its own session. */
  GrpcClientPath(ActorSystem<?> system, String member, int port, boolean sessions) {
    this.system = system;
    this.member = member;
    this.port = port;
    this.sessions = sessions;
  }

  @Override
  public String description() {
    return "Pekko gRPC RaftServiceClient (generated from pekkoraft/v1/raft.proto, netty backend), one per client"
        + " and each its own channel and HTTP/2 connection in clear text (h2c) over loopback to the gRPC gateway"
        + " of " + member + ", the leader when the gRPC clients started; Submit(group, payload, session_id,"
        + " sequence, acked_sequence) is decoded by the gateway into the same Register.Add and submitted through"
        + " that member's RaftGroup, which forwards to the leader when it is not";
  }

  /** What the gRPC variant adds to the settings line. */
  Map<String, Object> settings(int payloadBytes) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("grpc_gateway_member", member);
    s.put("grpc_channel", "one per client (Pekko gRPC client, backend netty = grpc-java's netty-shaded), h2c, no TLS,"
        + " no token");
    s.put("grpc_deadline", "none: the gateway gives each request pekko-raft.client.ask-timeout");
    s.put("grpc_sessions", sessions ? "OpenSession once per client, then (session_id, sequence 1, 2, ...,"
        + " acked_sequence = sequence - 1) per Submit" : "off: session_id 0 on every Submit");
    s.put("grpc_codec", "payload = the command bytes (Register.Add), result = the new value as 8 bytes big-endian");
    s.put("grpc_submit_request_bytes", request(Register.command(0, payloadBytes), sessions ? 1 : 0, 1_000_000, 999_999)
        .getSerializedSize());
    return s;
  }

  @Override
  public Client newClient() {
    Channel channel = new Channel(settings(null));
    try {
      long session = 0;
      if (sessions) {
        session = channel.client.openSession(OpenSessionRequest.newBuilder().setGroup(BenchCluster.GROUP_ID).build())
            .toCompletableFuture().get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).getSessionId();
      }
      return new GrpcClient(new Session(session), channel);
    } catch (InterruptedException e) {
      channel.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a gRPC client opened its session", e);
    } catch (ExecutionException | TimeoutException e) {
      channel.close();
      throw new IllegalStateException("a gRPC client could not open its session through " + member + "'s gateway", e);
    }
  }

  private GrpcClientSettings settings(Duration deadline) {
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", port, system).withTls(false);
    return deadline == null ? settings : settings.withDeadline(deadline);
  }

  static SubmitRequest request(Register.Add command, long session, long sequence, long acked) {
    SubmitRequest.Builder request = SubmitRequest.newBuilder().setGroup(BenchCluster.GROUP_ID)
        // The command's bytes are never changed after it is made: the request reads them without a copy.
        .setPayload(UnsafeByteOperations.unsafeWrap(command.payload()));
    if (session != 0) request.setSessionId(session).setSequence(sequence).setAckedSequence(acked);
    return request.build();
  }

  /** A client's session and the sequence of its last command, shared by the client and its other-deadline twin. */
  private static final class Session {
    final long id;
    long sequence;

    Session(long id) {
      this.id = id;
    }
  }

  /** One gRPC channel, and the client generated over it. */
  private final class Channel {
    final RaftServiceClient client;

    Channel(GrpcClientSettings settings) {
      this.client = RaftServiceClient.create(settings, system);
    }

    void close() {
      try {
        client.close().toCompletableFuture().get(BenchCluster.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        Output.comment("a gRPC channel did not close in time: " + e);
      }
    }
  }

  /**
   * A closed-loop client: one command at a time, so every earlier sequence has been answered (or given up)
   * when the next is sent. A command that failed is not retried by the benchmark (the gateway retries
   * within the call); its sequence is passed over.
   */
  private final class GrpcClient implements Client {
    private final Session session;
    private final Channel channel;

    GrpcClient(Session session, Channel channel) {
      this.session = session;
      this.channel = channel;
    }

    @Override
    public CompletionStage<Long> submit(Register.Add command) {
      SubmitRequest request;
      synchronized (session) {
        long sequence = session.id == 0 ? 0 : ++session.sequence;
        request = request(command, session.id, sequence, sequence - 1);
      }
      return channel.client.submit(request).thenApply(
          response -> RegisterCodec.decodeResult(response.getResult().asReadOnlyByteBuffer()));
    }

    @Override
    public Client withAskTimeout(Duration askTimeout) {
      return new GrpcClient(session, new Channel(settings(askTimeout)));
    }

    @Override
    public void close() {
      channel.close();
    }
  }
}
