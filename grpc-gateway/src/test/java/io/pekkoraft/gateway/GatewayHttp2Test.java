package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthClient;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Test;

/**
 * The gateway serves gRPC (HTTP/2) even when the configuration says HTTP/2 is off, as it does when
 * pekko-http-core's reference.conf comes before this module's on the class path (the libraries first).
 */
class GatewayHttp2Test {

  @Test
  void grpcIsServedWhenTheConfigurationTurnsHttp2Off() throws Exception {
    ActorTestKit kit = ActorTestKit.create("GatewayHttp2Test", ConfigFactory.parseString(
        "pekko-raft.gateway.port = 0\npekko.http.server.preview.enable-http2 = off").withFallback(ConfigFactory.load()));
    try {
      int port = PekkoRaftGateway.get(kit.system()).start().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .localAddress().getPort();
      HealthClient health = HealthClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", port, kit.system())
          .withTls(false), kit.system());
      try {
        assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().setService("").build())
            .toCompletableFuture().get(30, TimeUnit.SECONDS).getStatus());
      } finally {
        health.close();
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
