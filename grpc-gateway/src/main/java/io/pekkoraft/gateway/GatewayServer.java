package io.pekkoraft.gateway;

import io.grpc.health.v1.Health;
import io.grpc.health.v1.HealthHandlerFactory;
import io.pekkoraft.gateway.grpc.RaftService;
import io.pekkoraft.gateway.grpc.RaftServicePowerApiHandlerFactory;
import io.pekkoraft.gateway.security.BearerTokenAuth;
import io.pekkoraft.gateway.security.GatewayTls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.grpc.ServiceDescription;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;

/** Binds the gateway's gRPC services (HTTP/2) at the configured address. */
final class GatewayServer {

  private GatewayServer() {}

  static CompletionStage<ServerBinding> bind(ActorSystem<?> system, GatewaySettings settings, PekkoRaftGateway gateway) {
    if (!settings.tls().enabled() && !settings.allowPlaintextNonLoopback() && !settings.loopbackOnly()) {
      throw new IllegalArgumentException(GatewaySettings.PATH + ".host '" + settings.host() + "' is not a loopback"
          + " address and the gateway has no TLS: set " + GatewaySettings.PATH + ".tls.enabled = on (with its"
          + " cert-chain-file and private-key-file), or"
          + " allow-plaintext-non-loopback = on to serve clear text to the network");
    }
    List<Function<HttpRequest, CompletionStage<HttpResponse>>> handlers = new ArrayList<>();
    List<ServiceDescription> described = new ArrayList<>();
    // Malformed requests are INVALID_ARGUMENT, not INTERNAL, and not logged as errors (CallErrors.mapper).
    Materializer materializer = Materializer.matFromSystem(system);
    handlers.add(HealthHandlerFactory.partial(new HealthService(), Health.name, materializer, CallErrors.mapper(),
        system));
    described.add(Health.description);
    handlers.add(RaftServicePowerApiHandlerFactory.partial(new RaftServiceImpl(system, gateway, settings),
        RaftService.name, materializer, CallErrors.mapper(), system));
    described.add(RaftService.description);
    // Services added with PekkoRaftGateway.addService (before or after the start), then reflection over all.
    handlers.add(gateway.addedServices(described, settings.reflection()));
    @SuppressWarnings("unchecked")
    Function<HttpRequest, CompletionStage<HttpResponse>>[] all = handlers.toArray(new Function[0]);
    // Every service combined here is behind the bearer tokens (if pekko-raft.gateway.auth is on), checked
    // before the body is read; the size limit applies to the calls let through. Whatever the services throw
    // or leave unread, every request is answered and gives its HTTP/2 stream back (AnsweredCalls).
    Function<HttpRequest, CompletionStage<HttpResponse>> handler = AnsweredCalls.around(
        BearerTokenAuth.wrap(settings.auth(),
            MessageSizeLimit.around(ServiceHandler.concatOrNotFound(all), settings.maxMessageSize(), system),
            materializer),
        materializer, system);
    // gRPC needs HTTP/2 whatever pekko.http.server.preview.enable-http2 says: this module's reference.conf turns it
    // on, but pekko-http-core's turns it off, and the first reference.conf on the class path wins (a class path
    // with the libraries before this module's jar served only HTTP/1.1, and gRPC clients saw the connection close).
    ServerBuilder server = Http.get(system).newServerAt(settings.host(), settings.port())
        .adaptSettings(s -> s.withPreviewServerSettings(s.getPreviewServerSettings().withEnableHttp2(true)));
    if (settings.tls().enabled()) server = server.enableHttps(GatewayTls.httpsContext(settings.tls()));
    return server.bind(handler)
        .thenApply(binding -> {
          system.log().info("Pekko Raft gRPC gateway listening on {} ({}, {})", binding.localAddress(),
              settings.tls().summary(), settings.auth().summary());
          return binding.addToCoordinatedShutdown(java.time.Duration.ofSeconds(5), system);
        });
  }
}
