package io.pekkoraft.gateway;

import io.grpc.health.v1.Health;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The standard gRPC health service (grpc.health.v1): the server ("") and each service it serves answer
 * SERVING while the gateway is bound; any other service name NOT_FOUND, as the protocol asks.
 */
final class HealthService implements Health {

  private static final java.util.Set<String> SERVED = java.util.Set.of("", Health.name, "pekkoraft.v1.RaftService");

  @Override
  public CompletionStage<HealthCheckResponse> check(HealthCheckRequest in) {
    if (!SERVED.contains(in.getService())) {
      return CompletableFuture.failedFuture(new GrpcServiceException(
          Status.NOT_FOUND.withDescription("unknown service '" + in.getService() + "'")));
    }
    return CompletableFuture.completedFuture(serving());
  }

  @Override
  public Source<HealthCheckResponse, NotUsed> watch(HealthCheckRequest in) {
    if (!SERVED.contains(in.getService())) {
      return Source.single(HealthCheckResponse.newBuilder().setStatus(ServingStatus.SERVICE_UNKNOWN).build())
          .concat(Source.never());
    }
    return Source.single(serving()).concat(Source.never());
  }

  private static HealthCheckResponse serving() {
    return HealthCheckResponse.newBuilder().setStatus(ServingStatus.SERVING).build();
  }
}
