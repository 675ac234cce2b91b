package io.pekkoraft.gateway;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.http.javadsl.ServerBinding;

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
 * started on this member, is answered {@code NOT_FOUND}.
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
   * Bind the gateway at {@code pekko-raft.gateway.host} and {@code port} (once: later calls return the same
   * binding). The binding is unbound when the ActorSystem terminates.
   */
  public synchronized CompletionStage<ServerBinding> start() {
    if (binding == null) binding = GatewayServer.bind(system, settings, this);
    return binding;
  }
}
