package io.pekkoraft.etcd;

import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.transport.Transport;
import io.pekkoraft.etcd.api.Auth;
import io.pekkoraft.etcd.api.AuthHandlerFactory;
import io.pekkoraft.etcd.api.Cluster;
import io.pekkoraft.etcd.api.ClusterHandlerFactory;
import io.pekkoraft.etcd.api.Election;
import io.pekkoraft.etcd.api.ElectionHandlerFactory;
import io.pekkoraft.etcd.api.KV;
import io.pekkoraft.etcd.api.KVPowerApiHandlerFactory;
import io.pekkoraft.etcd.api.Maintenance;
import io.pekkoraft.etcd.api.MaintenanceHandlerFactory;
import io.pekkoraft.etcd.api.Watch;
import io.pekkoraft.etcd.api.WatchHandlerFactory;
import io.pekkoraft.etcd.api.lock.Lock;
import io.pekkoraft.etcd.api.lock.LockHandlerFactory;
import io.pekkoraft.etcd.api.Lease;
import io.pekkoraft.etcd.api.LeasePowerApiHandlerFactory;
import io.pekkoraft.gateway.PekkoRaftGateway;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.Materializer;
import java.util.function.UnaryOperator;

/**
 * The etcd v3 API of this member: starts the etcd group ({@code pekko-raft.etcd.group}, an
 * {@link EtcdStateMachine}) and adds etcd's gRPC services to this member's gateway
 * ({@link PekkoRaftGateway#addService}), so that etcd clients reach it at the gateway's address.
 *
 * <pre>{@code
 * PekkoRaftEtcd.get(system).start();                     // or pekko-raft.etcd.enabled = on
 * PekkoRaftGateway.get(system).start();                  // or pekko-raft.gateway.enabled = on
 * // etcdctl --endpoints 127.0.0.1:9090 put foo bar
 * }</pre>
 *
 * Every member of the group runs the same: any member's gateway serves every call (writes reach the leader
 * through the group). Services of the etcd API are added in {@link #start}, on the same {@link #group()}; Auth
 * comes first, since its gate checks etcd's token (when {@code pekko-raft.etcd.auth.enabled}) in front of every
 * etcd service added after it.
 */
public final class PekkoRaftEtcd implements Extension {

  /**
   * The extension's id. Loadable by name from {@code pekko.actor.typed.extensions}
   * ({@code "io.pekkoraft.etcd.PekkoRaftEtcd$Id"}), through {@link #getInstance()}.
   */
  public static final class Id extends ExtensionId<PekkoRaftEtcd> {
    private static final Id INSTANCE = new Id();

    private Id() {}

    /** The one instance: Pekko looks this method up when it loads the extension by class name. */
    public static Id getInstance() {
      return INSTANCE;
    }

    @Override
    public PekkoRaftEtcd createExtension(ActorSystem<?> system) {
      return new PekkoRaftEtcd(system);
    }
  }

  private static final Id ID = Id.getInstance();

  private final ActorSystem<?> system;
  private final EtcdSettings settings;
  private RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group;

  private PekkoRaftEtcd(ActorSystem<?> system) {
    this.system = system;
    this.settings = EtcdSettings.fromConfig(system.settings().config());
    if (settings.enabled()) start();
  }

  public static PekkoRaftEtcd get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public EtcdSettings settings() {
    return settings;
  }

  /**
   * Starts the etcd group on this member and adds the etcd services to the gateway (once: later calls return the
   * same group). The gateway itself is bound by {@code PekkoRaftGateway.get(system).start()} or
   * {@code pekko-raft.gateway.enabled = on}, before or after this.
   */
  public synchronized RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> start() {
    return start(UnaryOperator.identity());
  }

  /**
   * {@link #start()} with the group's Raft transport wrapped by {@code transport}
   * ({@link ReplicatedStateMachine#withTransport}): the chaos runner cuts the etcd group's Raft traffic this way.
   * Once: a later call returns the group started first, whatever its {@code transport}.
   */
  public synchronized RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> start(UnaryOperator<Transport> transport) {
    if (group != null) return group;
    group = PekkoRaft.get(system).init(ReplicatedStateMachine.of(settings.group(), EtcdStateMachine::new)
        .withTransport(transport));
    PekkoRaftGateway gateway = PekkoRaftGateway.get(system);
    EtcdMembers members = new EtcdMembers(system, group);
    EtcdAuth auth = EtcdAuth.fromConfig(system.settings().config(), System::nanoTime);
    // Auth first: its gate checks etcd's token in front of every etcd service added after it.
    gateway.addService(auth.gate(AuthHandlerFactory.partial(new AuthService(auth, members), Auth.name, system),
        Materializer.matFromSystem(system)), Auth.description);
    java.time.Duration askTimeout = system.settings().config().getDuration("pekko-raft.client.ask-timeout");
    KvService kv = new KvService(group, settings, askTimeout);
    gateway.addService(KVPowerApiHandlerFactory.partial(kv, KV.name, system), KV.description);
    gateway.addService(ClusterHandlerFactory.partial(new ClusterService(members), Cluster.name, system),
        Cluster.description);
    gateway.addService(MaintenanceHandlerFactory.partial(new MaintenanceService(group, members), Maintenance.name,
        system), Maintenance.description);
    WatchService watch = new WatchService(group, WatchSettings.fromConfig(system.settings().config()), system);
    gateway.addService(WatchHandlerFactory.partial(watch, Watch.name, system), Watch.description);
    LeaseSettings leases = LeaseSettings.fromConfig(system.settings().config());
    LeaseService lease = new LeaseService(group, leases, system.systemActorOf(
        LessorActor.create(group, leases, System::nanoTime), "etcd-lessor-" + settings.group(),
        org.apache.pekko.actor.typed.Props.empty()), system);
    gateway.addService(LeasePowerApiHandlerFactory.partial(lease, Lease.name, system), Lease.description);
    // Lock and Election stand on the same services, called in this member as a client would call them.
    KeyQueue queue = new KeyQueue(kv, watch, lease, Materializer.matFromSystem(system));
    gateway.addService(LockHandlerFactory.partial(new LockService(queue), Lock.name, system), Lock.description);
    gateway.addService(ElectionHandlerFactory.partial(new ElectionService(queue), Election.name, system),
        Election.description);
    return group;
  }

  /** The etcd group on this member; fails when {@link #start} was not called. */
  public synchronized RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group() {
    if (group == null) throw new IllegalStateException("the etcd API is not started: call PekkoRaftEtcd.start()");
    return group;
  }
}
