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
 * The gateway serves HTTP/2 on its own binding, whatever {@code pekko.http.server.preview.enable-http2} says.
 * That key is off in pekko-http-core's reference.conf, and the first reference.conf on the class path wins:
 * a gateway that relied on its own reference.conf to turn it on answered HTTP/1.1 to every gRPC client of
 * the benchmark ("First received frame was not SETTINGS").
 */
class GatewayHttp2Test {

  @Test
  void grpcIsServedWithHttp2TurnedOffInTheSystemsConfiguration() throws Exception {
    ActorTestKit kit = ActorTestKit.create("GatewayHttp2Test", ConfigFactory.parseString(
            "pekko-raft.gateway.port = 0\npekko.http.server.preview.enable-http2 = off")
        .withFallback(ConfigFactory.load()));
    try {
      int port = PekkoRaftGateway.get(kit.system()).start().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .localAddress().getPort();
      HealthClient health = HealthClient.create(
          GrpcClientSettings.connectToServiceAt("127.0.0.1", port, kit.system()).withTls(false), kit.system());
      try {
        assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().setService("").build())
            .toCompletableFuture().get(10, TimeUnit.SECONDS).getStatus());
      } finally {
        health.close();
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
