package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.behavior.EntityMessages.Proposal;
import io.pekkoraft.consensus.behavior.EntityMessages.SeqNrQuery;
import io.pekkoraft.consensus.impl.client.ClientConnection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;

/**
 * Replicated entities on this node, like Cluster Sharding: {@code ReplicatedEntities.get(system).init(
 * ReplicatedEntity.of(groupId, entityId -> behavior))} starts the group's Raft server
 * ({@link PekkoRaft#init}, with an {@link EntityStore} as its state machine) and this member's
 * {@link EntityHost}, a system actor named {@code pekko-raft-behavior-<group>}, the same path on every
 * member, which is how the hosts reach each other: at the member addresses of {@code pekko-raft.members}, and
 * at those the configuration in effect records for members added at run time.
 */
public final class ReplicatedEntities implements Extension {

  private static final ExtensionId<ReplicatedEntities> ID = new ExtensionId<>() {
    @Override
    public ReplicatedEntities createExtension(ActorSystem<?> system) {
      return new ReplicatedEntities(system);
    }
  };

  private final ActorSystem<?> system;
  private final Map<String, ReplicatedEntityGroup<?>> groups = new ConcurrentHashMap<>();

  private ReplicatedEntities(ActorSystem<?> system) {
    this.system = system;
  }

  public static ReplicatedEntities get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The host's actor name for a group: the same on every member. */
  public static String hostName(String groupId) {
    return "pekko-raft-behavior-" + groupId;
  }

  /** Start the group on this member (once; later calls return the same handle). */
  @SuppressWarnings("unchecked")
  public <C, E, S> ReplicatedEntityGroup<C> init(ReplicatedEntity<C, E, S> entity) {
    return (ReplicatedEntityGroup<C>) groups.computeIfAbsent(entity.groupId(), groupId -> {
      AtomicReference<EntityStore<C, E, S>> store = new AtomicReference<>();
      RaftGroup<Proposal, SeqNrQuery, Object> group = PekkoRaft.get(system).init(ReplicatedStateMachine.of(groupId, () -> {
        EntityStore<C, E, S> s = entity.newStore();
        store.set(s);
        return s;
      }));
      HostDirectory hosts = HostDirectory.onMember(hostName(groupId), ActorRefResolver.get(system),
          HostDirectory.bootstrapAddresses(system.settings().config()));
      ActorRef<EntityHost.HostCommand> host = system.systemActorOf(EntityHost.create(group.memberId(), group,
          () -> {
            EntityStore<C, E, S> s = store.get();
            if (s == null) throw new IllegalStateException("group " + groupId + " leads before its state machine exists");
            return s;
          }, entity, hosts), hostName(groupId), Props.empty());
      Duration askTimeout = system.settings().config().getDuration("pekko-raft.client.ask-timeout");
      return new ReplicatedEntityGroup<C>(groupId, host, system, askTimeout);
    });
  }

  /**
   * Reach the group's entities from a node outside the group (no Raft server here), like {@code RaftClient}:
   * this node's host sends its commands to the leader's host, found by asking the hosts of the members in
   * turn, and sends them again, never applied twice, as on a member. It knows the members as a
   * {@code RaftClient} does (it shares this system's client connection of the group): those of
   * {@code pekko-raft.members}, then those the group's membership holds, added at run time too. Every
   * member must have called {@link #init} with the same declaration.
   */
  @SuppressWarnings("unchecked")
  public <C, E, S> ReplicatedEntityGroup<C> initClient(ReplicatedEntity<C, E, S> entity) {
    return (ReplicatedEntityGroup<C>) groups.computeIfAbsent(entity.groupId(), groupId -> {
      // The connection a RaftClient of the group would share: it follows the group's membership, so this
      // host finds members added at run time at the addresses their configuration records.
      RaftClient<Object, Object, Object> client = RaftClient.create(system, groupId);
      if (!(client.route() instanceof ClientConnection connection)) {
        throw new IllegalStateException("group " + groupId + ": a RaftClient's route is not its ClientConnection");
      }
      HostDirectory hosts = HostDirectory.onClient(hostName(groupId), ActorRefResolver.get(system),
          HostDirectory.bootstrapAddresses(system.settings().config()), connection);
      ActorRef<EntityHost.HostCommand> host = system.systemActorOf(EntityHost.createCaller(
          system.address().toString(), entity, hosts), "pekko-raft-behavior-client-" + groupId, Props.empty());
      Duration askTimeout = system.settings().config().getDuration("pekko-raft.client.ask-timeout");
      return new ReplicatedEntityGroup<C>(groupId, host, system, askTimeout);
    });
  }
}
