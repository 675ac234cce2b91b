package io.pekkoraft.gateway.cli;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.protobuf.ProtoUtils;
import io.pekkoraft.gateway.grpc.AppliedEvent;
import io.pekkoraft.gateway.grpc.WatchAppliedRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * raftctl's connection to the gateways: grpc-java channels (Netty, shaded) to each endpoint, opened when first
 * needed, and the calls of {@code pekkoraft.v1.RaftService} made by hand on them with the generated message
 * classes' protobuf marshallers. No ActorSystem: the command line starts in well under a second.
 *
 * <p>Each call waits for a connection to an endpoint first, in the order given; an endpoint it cannot connect to
 * within the connect timeout is skipped, and then nothing was sent there. Once connected, the request is sent
 * with the call's deadline; an UNAVAILABLE answer moves on to the next endpoint only for a call that is safe to
 * send twice (reads, and commands in a session).
 */
final class GatewayClient implements AutoCloseable {

  static final String SERVICE = "pekkoraft.v1.RaftService";

  /** A unary method of the service, with its request and response marshallers. */
  static <Q extends Message, A extends Message> MethodDescriptor<Q, A> unary(String method, Q request, A response) {
    return MethodDescriptor.<Q, A>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
        .setRequestMarshaller(ProtoUtils.marshaller(request)).setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }

  static final MethodDescriptor<WatchAppliedRequest, AppliedEvent> WATCH_APPLIED =
      MethodDescriptor.<WatchAppliedRequest, AppliedEvent>newBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "WatchApplied"))
          .setRequestMarshaller(ProtoUtils.marshaller(WatchAppliedRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(AppliedEvent.getDefaultInstance()))
          .build();

  /** The standard health check, only to learn why an endpoint cannot be connected to (it fails fast then). */
  private static final MethodDescriptor<HealthCheckRequest, HealthCheckResponse> HEALTH_CHECK =
      MethodDescriptor.<HealthCheckRequest, HealthCheckResponse>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("grpc.health.v1.Health", "Check"))
          .setRequestMarshaller(ProtoUtils.marshaller(HealthCheckRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(HealthCheckResponse.getDefaultInstance()))
          .build();

  /** Largest message accepted from a gateway (a result or an applied event). */
  static final int INBOUND_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

  /** What a call needs besides its endpoints: credentials, authority, token and time limits. */
  record Settings(ChannelCredentials credentials, String authority, String token, Duration timeout,
      Duration connectTimeout) {}

  private final List<Endpoint> endpoints;
  private final Settings settings;
  /** Notes about endpoints skipped or resumed from; never results. */
  private final PrintWriter err;
  private final Map<Endpoint, ManagedChannel> channels = new LinkedHashMap<>();

  GatewayClient(List<Endpoint> endpoints, Settings settings, PrintWriter err) {
    if (endpoints.isEmpty()) throw new IllegalArgumentException("no endpoints");
    this.endpoints = List.copyOf(endpoints);
    this.settings = settings;
    this.err = err;
  }

  private ManagedChannel channel(Endpoint endpoint) {
    return channels.computeIfAbsent(endpoint, e -> {
      ManagedChannelBuilder<?> builder = Grpc.newChannelBuilderForAddress(e.host(), e.port(), settings.credentials())
          .userAgent("raftctl").maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX);
      if (settings.authority() != null) builder.overrideAuthority(settings.authority());
      return builder.build();
    });
  }

  private Metadata headers() {
    Metadata headers = new Metadata();
    if (settings.token() != null && !settings.token().isEmpty()) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + settings.token());
    }
    return headers;
  }

  /**
   * Calls {@code method} on the first endpoint that can be connected to. {@code retrySafe}: an UNAVAILABLE answer
   * moves on to the next endpoint (the request may then reach the group twice).
   *
   * @throws CallFailure when no endpoint answered with success
   */
  <Q, A> A call(MethodDescriptor<Q, A> method, Q request, boolean retrySafe) {
    List<String> unreachable = new ArrayList<>();
    CallFailure answered = null;
    for (int i = 0; i < endpoints.size(); i++) {
      Endpoint endpoint = endpoints.get(i);
      String unready = connect(endpoint);
      if (unready != null) {
        unreachable.add(endpoint + " (" + unready + ")");
        continue;
      }
      try {
        return unaryOn(channel(endpoint), method, request);
      } catch (StatusRuntimeException e) {
        CallFailure failure = CallFailure.answered(e.getStatus(), endpoint.toString());
        boolean more = i + 1 < endpoints.size();
        if (!(retrySafe && more && e.getStatus().getCode() == Status.Code.UNAVAILABLE)) throw failure;
        err.println("raftctl: " + failure.getMessage() + "; trying " + endpoints.get(i + 1));
        answered = failure;
      }
    }
    if (answered != null) throw answered;
    throw unreachable(unreachable);
  }

  private static CallFailure unreachable(List<String> unreachable) {
    String message = "cannot connect to any endpoint: " + String.join(", ", unreachable);
    return new CallFailure(Status.UNAVAILABLE.withDescription(message), null, false, message);
  }

  private <Q, A> A unaryOn(ManagedChannel channel, MethodDescriptor<Q, A> method, Q request) {
    ClientCall<Q, A> call = channel.newCall(method,
        CallOptions.DEFAULT.withDeadlineAfter(settings.timeout().toNanos(), TimeUnit.NANOSECONDS));
    CompletableFuture<A> answer = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      private A response;

      @Override
      public void onMessage(A message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!status.isOk()) {
          answer.completeExceptionally(status.asRuntimeException(trailers));
        } else if (response == null) {
          answer.completeExceptionally(Status.INTERNAL.withDescription("the gateway closed the call without a"
              + " response").asRuntimeException());
        } else {
          answer.complete(response);
        }
      }
    }, headers());
    call.request(2);
    call.sendMessage(request);
    call.halfClose();
    return await(answer, call);
  }

  /** The call's answer; its deadline ends it, the bound here only guards against a call that never closes. */
  private <A> A await(CompletableFuture<A> answer, ClientCall<?, ?> call) {
    try {
      return answer.get(settings.timeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) throw s;
      throw Status.INTERNAL.withCause(e.getCause()).asRuntimeException();
    } catch (TimeoutException e) {
      call.cancel("no answer within the deadline", null);
      throw Status.DEADLINE_EXCEEDED.withDescription("the call did not close after its deadline").asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel("interrupted", e);
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  /** Null once a connection to {@code endpoint} is ready; otherwise why there is none. */
  private String connect(Endpoint endpoint) {
    ManagedChannel channel = channel(endpoint);
    Duration wait = settings.connectTimeout().compareTo(settings.timeout()) < 0 ? settings.connectTimeout()
        : settings.timeout();
    long deadline = System.nanoTime() + wait.toNanos();
    ConnectivityState state = channel.getState(true);
    try {
      while (state != ConnectivityState.READY) {
        if (state == ConnectivityState.TRANSIENT_FAILURE || state == ConnectivityState.SHUTDOWN) {
          return whyNotReady(channel);
        }
        CountDownLatch changed = new CountDownLatch(1);
        channel.notifyWhenStateChanged(state, changed::countDown);
        long left = deadline - System.nanoTime();
        if (left <= 0 || !changed.await(left, TimeUnit.NANOSECONDS)) {
          return "no connection within " + wait.toMillis() + " ms";
        }
        state = channel.getState(true);
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** A channel in TRANSIENT_FAILURE fails a call at once with the connection's error, sending nothing. */
  private String whyNotReady(ManagedChannel channel) {
    try {
      unaryOnProbe(channel);
      return "connection failed";
    } catch (StatusRuntimeException e) {
      String tls = tlsProblem(e.getStatus());
      return tls != null ? tls : e.getStatus().getCode() + ": " + CallFailure.describe(e.getStatus());
    }
  }

  /**
   * What went wrong in a failed TLS handshake, in words that say which side refused which certificate, or null
   * when {@code status} is not a TLS failure. Netty reports both cases as an SSL exception whose own message
   * ("General OpenSslEngine problem", an OpenSSL alert code) does not say what happened; the reason is further
   * down the cause chain.
   */
  static String tlsProblem(Status status) {
    boolean tls = false;
    boolean untrustedServer = false;
    String root = null;
    for (Throwable t = status.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) tls = true;
      if (t instanceof java.security.cert.CertificateException
          || t instanceof java.security.cert.CertPathValidatorException
          || t instanceof java.security.cert.CertPathBuilderException) {
        untrustedServer = true;
      }
      if (t.getMessage() != null) root = t.getMessage().strip();
    }
    if (!tls && !untrustedServer) return null;
    String why = root == null ? "" : " (" + root + ")";
    if (untrustedServer) {
      return "TLS handshake failed: the gateway's certificate is not trusted" + why + "; name the CA that signed it"
          + " with --cacert, and the name it was issued for with --authority if that is not the endpoint's host";
    }
    String upper = root == null ? "" : root.toUpperCase(java.util.Locale.ROOT);
    if (upper.contains("BAD_CERTIFICATE") || upper.contains("CERTIFICATE_REQUIRED")
        || upper.contains("UNKNOWN_CA") || upper.contains("CERTIFICATE_UNKNOWN")) {
      return "TLS handshake failed: the gateway refused this client's certificate, or its absence" + why
          + "; it requires mutual TLS: give --cert and --key with a certificate from a CA the gateway trusts";
    }
    return "TLS handshake failed" + why;
  }

  private void unaryOnProbe(ManagedChannel channel) {
    ClientCall<HealthCheckRequest, HealthCheckResponse> call = channel.newCall(HEALTH_CHECK,
        CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS));
    CompletableFuture<HealthCheckResponse> answer = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.isOk()) answer.complete(null);
        else answer.completeExceptionally(status.asRuntimeException());
      }
    }, headers());
    call.request(1);
    call.sendMessage(HealthCheckRequest.getDefaultInstance());
    call.halfClose();
    await(answer, call);
  }

  /**
   * Streams what the group applies from {@code fromIndex} on to {@code onEvent}, resuming on the next endpoint
   * from the last index seen + 1 when a stream ends or its connection breaks (UNAVAILABLE, CANCELLED by the
   * server, or a stream that completed), until {@code limit} events (0: no limit). Gives up once every endpoint
   * in turn failed without delivering an event.
   *
   * @throws CallFailure when a gateway refuses the watch (e.g. FAILED_PRECONDITION: from before the history it
   *     holds), or no endpoint serves it
   */
  void watch(WatchAppliedRequest request, long limit, Consumer<AppliedEvent> onEvent) {
    long next = request.getFromIndex();
    long delivered = 0;
    int fruitless = 0;
    List<String> unreachable = new ArrayList<>();
    CallFailure lastEnd = null;
    for (int i = 0; ; i++) {
      if (fruitless >= endpoints.size()) {
        if (lastEnd != null) throw lastEnd;
        throw unreachable(unreachable);
      }
      Endpoint endpoint = endpoints.get(i % endpoints.size());
      String unready = connect(endpoint);
      if (unready != null) {
        unreachable.add(endpoint + " (" + unready + ")");
        err.println("raftctl: watch: cannot connect to " + endpoint + " (" + unready + ")");
        fruitless++;
        continue;
      }
      Stream stream = new Stream(channel(endpoint), request.toBuilder().setFromIndex(next).build(), limit - delivered,
          limit > 0, onEvent);
      Status end = stream.run();
      delivered += stream.count;
      if (stream.count > 0) {
        next = stream.lastIndex + 1;
        fruitless = 0;
        unreachable.clear();
      }
      if (limit > 0 && delivered >= limit) return;
      if (Thread.currentThread().isInterrupted()) throw CallFailure.answered(end, endpoint.toString());
      boolean resumable = end.isOk() || end.getCode() == Status.Code.UNAVAILABLE
          || end.getCode() == Status.Code.CANCELLED || (end.getCode() == Status.Code.INTERNAL && end.getCause() != null);
      CallFailure failure = CallFailure.answered(end, endpoint.toString());
      if (!resumable) throw failure;
      lastEnd = failure;
      fruitless++;
      err.println("raftctl: watch: the stream from " + endpoint + " ended (" + (end.isOk() ? "completed"
          : end.getCode() + ": " + CallFailure.describe(end)) + "); resuming from index " + next + " on "
          + endpoints.get((i + 1) % endpoints.size()));
    }
  }

  /** One WatchApplied stream on one channel, one event requested at a time. */
  private final class Stream {
    private final ClientCall<WatchAppliedRequest, AppliedEvent> call;
    private final WatchAppliedRequest request;
    private final long limit;
    private final boolean limited;
    private final Consumer<AppliedEvent> onEvent;
    private final CompletableFuture<Status> closed = new CompletableFuture<>();
    long count;
    long lastIndex;

    Stream(ManagedChannel channel, WatchAppliedRequest request, long limit, boolean limited,
        Consumer<AppliedEvent> onEvent) {
      this.call = channel.newCall(WATCH_APPLIED, CallOptions.DEFAULT);
      this.request = request;
      this.limit = limit;
      this.limited = limited;
      this.onEvent = onEvent;
    }

    Status run() {
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(AppliedEvent event) {
          if (limited && count >= limit) return;
          count++;
          lastIndex = event.getIndex();
          onEvent.accept(event);
          if (limited && count >= limit) {
            closed.complete(Status.OK);
            call.cancel("raftctl saw the events it was asked for", null);
          } else {
            call.request(1);
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, headers());
      call.request(1);
      call.sendMessage(request);
      call.halfClose();
      try {
        return closed.get();
      } catch (ExecutionException e) {
        return Status.INTERNAL.withCause(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        call.cancel("interrupted", e);
        return Status.CANCELLED.withDescription("interrupted");
      }
    }
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels.values()) channel.shutdownNow();
    for (ManagedChannel channel : channels.values()) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
