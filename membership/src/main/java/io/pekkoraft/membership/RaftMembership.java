package io.pekkoraft.membership;

import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;

/**
 * The entry point of the membership module: a {@link MembershipClient} per group.
 *
 * <pre>{@code
 * // on a member of the group (after PekkoRaft.get(system).init(...)):
 * MembershipClient members = RaftMembership.get(system).group("counter");
 * // on any other node of the cluster:
 * MembershipClient members = RaftMembership.get(system).forClient(raftClient);
 * }</pre>
 *
 * Each returned client has its own {@link MembershipCoordinator} actor, started once per group on a member
 * (as the system actor {@code pekko-raft-membership-<group>}) and once per client connection elsewhere.
 * On a member, {@link #group} also starts the {@link ClusterMembershipBridge} for that group when
 * {@code pekko-raft.membership.cluster-bridge.enabled = on}.
 */
public final class RaftMembership implements Extension {

  private static final ExtensionId<RaftMembership> ID = new ExtensionId<>() {
    @Override
    public RaftMembership createExtension(ActorSystem<?> system) {
      return new RaftMembership(system);
    }
  };

  private final ActorSystem<?> system;
  private final MembershipSettings settings;
  private final Map<String, MembershipClient> groups = new ConcurrentHashMap<>();
  private final Map<RequestLoop.Route, MembershipClient> clients = new ConcurrentHashMap<>();
  private final AtomicInteger clientCoordinators = new AtomicInteger();

  private RaftMembership(ActorSystem<?> system) {
    this.system = system;
    this.settings = MembershipSettings.fromConfig(system.settings().config());
  }

  public static RaftMembership get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public MembershipSettings settings() {
    return settings;
  }

  /**
   * The membership of {@code groupId}, which this node started with {@code PekkoRaft.init}: requests go to
   * this node's own server, which forwards them to the leader.
   *
   * @throws IllegalArgumentException if this node has not started the group
   */
  public MembershipClient group(String groupId) {
    return groups.computeIfAbsent(groupId, id -> {
      PekkoRaft raft = PekkoRaft.get(system);
      RaftGroup<?, ?, ?> group = raft.group(id).orElseThrow(() -> new IllegalArgumentException("group " + id
          + " is not started on this node; call PekkoRaft.get(system).init(...) first, or use forClient"));
      ActorRef<MembershipCoordinator.Command> coordinator = system.systemActorOf(
          MembershipCoordinator.create(id, localServer(group.server()), settings),
          "pekko-raft-membership-" + id, Props.empty());
      if (settings.bridgeEnabled()) {
        system.systemActorOf(ClusterMembershipBridge.create(id, raft.selfId(), group.server(), coordinator, settings),
            "pekko-raft-membership-bridge-" + id, Props.empty());
      }
      return new MembershipClient(id, coordinator, system, settings);
    });
  }

  /**
   * The membership of {@code client}'s group, from a node that is not a member: requests go to the leader,
   * found through the client's connection, which follows the group's membership (also a leader added at run time).
   */
  public MembershipClient forClient(RaftClient<?, ?, ?> client) {
    return clients.computeIfAbsent(client.route(), route -> new MembershipClient(client.groupId(),
        system.systemActorOf(MembershipCoordinator.create(client.groupId(), route, settings),
            "pekko-raft-membership-client-" + client.groupId() + "-" + clientCoordinators.incrementAndGet(),
            Props.empty()),
        system, settings));
  }

  /** A member's route: always its own server, which forwards once to the leader it knows (hops 0). */
  static RequestLoop.Route localServer(ActorRef<ServerCommand> server) {
    return new RequestLoop.Route() {
      @Override
      public ActorRef<ServerCommand> next() {
        return server;
      }

      @Override
      public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
        return false; // the server forwards itself; NotLeader means none is known right now: wait a little
      }

      @Override
      public void served(ActorRef<ServerCommand> asked) {}

      @Override
      public void noAnswer(ActorRef<ServerCommand> asked) {}

      @Override
      public int hops() {
        return 0;
      }
    };
  }
}
