package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthClient;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The standard health service over HTTP/2 clear text on loopback, through a real gRPC client. */
class GatewayHealthTest {

  static ActorTestKit kit;
  static HealthClient health;

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("GatewayHealthTest", ConfigFactory.parseString("pekko-raft.gateway.port = 0")
        .withFallback(ConfigFactory.load()));
    int port = PekkoRaftGateway.get(kit.system()).start().toCompletableFuture().get(30, TimeUnit.SECONDS)
        .localAddress().getPort();
    health = HealthClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", port, kit.system())
        .withTls(false), kit.system());
  }

  @AfterAll
  static void stop() {
    health.close();
    kit.shutdownTestKit();
  }

  @Test
  void theServerAndItsServicesAreServing() throws Exception {
    for (String service : new String[] {"", "pekkoraft.v1.RaftService", "grpc.health.v1.Health"}) {
      assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().setService(service).build())
          .toCompletableFuture().get(10, TimeUnit.SECONDS).getStatus(), service);
    }
  }

  @Test
  void anUnknownServiceIsNotFound() {
    CompletionException e = assertThrows(CompletionException.class, () -> health.check(
        HealthCheckRequest.newBuilder().setService("no.such.Service").build()).toCompletableFuture().join());
    assertEquals(Status.Code.NOT_FOUND, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
  }
}
