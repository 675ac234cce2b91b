package io.pekkoraft.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.grpc.ServiceDescription;
import org.apache.pekko.grpc.javadsl.ServerReflection;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * The gRPC gateway of this member: serves the Raft groups registered with {@link #register} over gRPC.
 *
 * <pre>{@code
 * RaftGroup<Cmd, Query, Long> group = PekkoRaft.get(system).init(declaration);
 * PekkoRaftGateway gateway = PekkoRaftGateway.get(system);
 * gateway.register("counter", codec);
 * gateway.start().toCompletableFuture().join();    // or pekko-raft.gateway.enabled = on
 * }</pre>
 *
 * Groups may be registered before or after the start; a call for a group that is not registered, or not
 * started on this member, is answered {@code NOT_FOUND}. Other gRPC services (the etcd API of module
 * {@code etcd-api}) join the same server with {@link #addService}.
 */
public final class PekkoRaftGateway implements Extension {

  private static final ExtensionId<PekkoRaftGateway> ID = new ExtensionId<>() {
    @Override
    public PekkoRaftGateway createExtension(ActorSystem<?> system) {
      return new PekkoRaftGateway(system);
    }
  };

  private final ActorSystem<?> system;
  private final GatewaySettings settings;
  private final Map<String, GroupCodec<?, ?, ?>> codecs = new ConcurrentHashMap<>();
  private volatile CompletionStage<ServerBinding> binding;
  /** Services added with {@link #addService}, in the order added. */
  private final List<AddedService> added = new CopyOnWriteArrayList<>();
  /** The added services and reflection combined; null when it must be built again (a service was added). */
  private volatile Function<HttpRequest, CompletionStage<HttpResponse>> addedHandler;

  private record AddedService(Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      ServiceDescription description) {}

  private PekkoRaftGateway(ActorSystem<?> system) {
    this.system = system;
    this.settings = GatewaySettings.fromConfig(system.settings().config());
    if (settings.enabled()) start();
  }

  public static PekkoRaftGateway get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public GatewaySettings settings() {
    return settings;
  }

  /** Serve {@code groupId} with {@code codec} (replacing an earlier codec for it). */
  public <C, Q, R> PekkoRaftGateway register(String groupId, GroupCodec<C, Q, R> codec) {
    if (groupId == null || groupId.isBlank()) throw new IllegalArgumentException("group id must not be empty");
    codecs.put(groupId, java.util.Objects.requireNonNull(codec, "codec"));
    return this;
  }

  /** The codec registered for {@code groupId}, if any. */
  public Optional<GroupCodec<?, ?, ?>> codec(String groupId) {
    return Optional.ofNullable(codecs.get(groupId));
  }

  /**
   * Serve one more gRPC service on this gateway, before or after its start: {@code handler} is the generated
   * {@code ...HandlerFactory.partial(impl, Service.name, system)} (answering 404 for paths that are not its own),
   * {@code description} its {@code Service.description}, listed by reflection. Its calls pass the gateway's
   * bearer tokens and message size limit like every other service.
   */
  public PekkoRaftGateway addService(Function<HttpRequest, CompletionStage<HttpResponse>> handler,
      ServiceDescription description) {
    added.add(new AddedService(java.util.Objects.requireNonNull(handler, "handler"),
        java.util.Objects.requireNonNull(description, "description")));
    addedHandler = null;
    return this;
  }

  /**
   * For {@link GatewayServer}: one handler for the services added with {@link #addService} (whenever added),
   * then reflection over {@code described} and theirs if {@code reflection}.
   */
  Function<HttpRequest, CompletionStage<HttpResponse>> addedServices(List<ServiceDescription> described,
      boolean reflection) {
    List<ServiceDescription> base = List.copyOf(described);
    return request -> {
      Function<HttpRequest, CompletionStage<HttpResponse>> handler = addedHandler;
      if (handler == null) {
        List<Function<HttpRequest, CompletionStage<HttpResponse>>> handlers = new ArrayList<>();
        List<ServiceDescription> all = new ArrayList<>(base);
        for (AddedService service : added) {
          handlers.add(service.handler());
          all.add(service.description());
        }
        if (reflection) handlers.add(ServerReflection.create(all, system));
        @SuppressWarnings("unchecked")
        Function<HttpRequest, CompletionStage<HttpResponse>>[] array = handlers.toArray(new Function[0]);
        handler = ServiceHandler.concatOrNotFound(array);
        addedHandler = handler;
      }
      return handler.apply(request);
    };
  }

  /**
   * Bind the gateway at {@code pekko-raft.gateway.host} and {@code port} (once: later calls return the same
   * binding). The binding is unbound when the ActorSystem terminates.
   */
  public synchronized CompletionStage<ServerBinding> start() {
    if (binding == null) binding = GatewayServer.bind(system, settings, this);
    return binding;
  }
}
