package io.pekkoraft.membership;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.membership.ClusterBridgePlan.Node;
import io.pekkoraft.membership.ClusterBridgePlan.NodeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The opt-in bridge from Pekko Cluster membership to a Raft group's membership
 * ({@code pekko-raft.membership.cluster-bridge}): every {@code interval} it asks its own server for the
 * membership; only on the leader's node does it act, one change at a time through the group's
 * {@link MembershipCoordinator}, as {@link ClusterBridgePlan} decides.
 *
 * <p>A cluster node's Raft member id is its cluster role {@value #ID_ROLE_PREFIX}{@code <id>}; nodes
 * without the bridge's role are ignored, nodes with it but without an id role are ignored with a warning.
 * A node that left the cluster gracefully is remembered as leaving after it is gone from the cluster's
 * state, so that it is still removed; how long a node has been unreachable or down is counted in ticks of
 * the bridge, not on the wall clock.
 */
public final class ClusterMembershipBridge extends AbstractBehavior<ClusterMembershipBridge.Command> {

  /** The cluster role prefix that names a node's Raft member id, e.g. {@code pekko-raft-id=node-4}. */
  public static final String ID_ROLE_PREFIX = "pekko-raft-id=";

  public sealed interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record StatusRead(MembershipReply reply, Throwable failure) implements Command {}

  private record ChangeAnswered(ClusterBridgePlan.Action action, MembershipCoordinator.Reply reply, Throwable failure)
      implements Command {}

  public static Behavior<Command> create(String groupId, String selfId, ActorRef<ServerCommand> server,
      ActorRef<MembershipCoordinator.Command> coordinator, MembershipSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.bridgeInterval());
      return new ClusterMembershipBridge(ctx, groupId, selfId, server, coordinator, settings);
    }));
  }

  private final String groupId;
  private final String selfId;
  private final ActorRef<ServerCommand> server;
  private final ActorRef<MembershipCoordinator.Command> coordinator;
  private final MembershipSettings settings;
  private final Cluster cluster;
  /** The nodes seen with the role: id to the node as last seen (kept after it is gone from the cluster). */
  private final Map<String, Node> seen = new HashMap<>();
  /** How long each node has been LOST, in ticks. */
  private final Map<String, Integer> lostTicks = new HashMap<>();
  private final Set<String> warnedWithoutId = new HashSet<>();
  /** A status read or a change is under way: ticks meanwhile do nothing. */
  private boolean busy;

  private ClusterMembershipBridge(ActorContext<Command> ctx, String groupId, String selfId,
      ActorRef<ServerCommand> server, ActorRef<MembershipCoordinator.Command> coordinator,
      MembershipSettings settings) {
    super(ctx);
    this.groupId = groupId;
    this.selfId = selfId;
    this.server = server;
    this.coordinator = coordinator;
    this.settings = settings;
    this.cluster = Cluster.get(ctx.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(StatusRead.class, this::onStatusRead)
        .onMessage(ChangeAnswered.class, this::onChangeAnswered)
        .build();
  }

  private Behavior<Command> onTick() {
    observe(cluster.state());
    if (busy) return this;
    busy = true;
    getContext().ask(MembershipReply.class, server, settings.attemptTimeout(),
        replyTo -> new MembershipRequest.GetMembership(0, replyTo), StatusRead::new);
    return this;
  }

  private Behavior<Command> onStatusRead(StatusRead read) {
    busy = false;
    if (!(read.reply() instanceof MembershipReply.Status status) || !selfId.equals(status.leaderId())) {
      return this; // not the leader's node (or no leader now): another bridge acts, or none until one is elected
    }
    Membership m = status.membership();
    if (!m.committed() || m.isJoint()) return this; // a change is in progress
    seen.keySet().removeIf(id -> seen.get(id).status() != NodeStatus.UP && !isMember(m, id));
    lostTicks.keySet().retainAll(seen.keySet());
    Optional<ClusterBridgePlan.Action> action = ClusterBridgePlan.next(nodes(), m, settings.targetVoters(),
        settings.removeUnreachableAfter().isPresent());
    if (action.isEmpty()) return this;
    ClusterBridgePlan.Action a = action.get();
    getContext().getLog().info("Group {}: the cluster bridge asks to {}", groupId, a);
    busy = true;
    Duration bound = settings.operationTimeout().plus(settings.promoteTimeout()).multipliedBy(settings.queueSizeMax() + 1L);
    getContext().ask(MembershipCoordinator.Reply.class, coordinator, bound, replyTo -> toRequest(a, replyTo), (reply, failure) -> new ChangeAnswered(a, reply, failure));
    return this;
  }

  private static MembershipCoordinator.Request toRequest(ClusterBridgePlan.Action a,
      ActorRef<MembershipCoordinator.Reply> replyTo) {
    if (a instanceof ClusterBridgePlan.AddLearner l) return new MembershipCoordinator.AddLearner(l.id(), l.address(), replyTo);
    if (a instanceof ClusterBridgePlan.Promote p) return new MembershipCoordinator.Promote(p.id(), replyTo);
    return new MembershipCoordinator.Remove(a.id(), replyTo);
  }

  private Behavior<Command> onChangeAnswered(ChangeAnswered answered) {
    busy = false;
    if (answered.reply() instanceof MembershipCoordinator.Done) {
      getContext().getLog().info("Group {}: the cluster bridge's {} is done", groupId, answered.action());
    } else {
      getContext().getLog().warn("Group {}: the cluster bridge's {} did not succeed: {}", groupId, answered.action(),
          answered.reply() != null ? answered.reply() : answered.failure());
    }
    return this;
  }

  private static boolean isMember(Membership m, String id) {
    return m.isVoter(id) || m.learners().contains(id) || m.learnersNext().contains(id);
  }

  /** Record what the cluster's state says about the nodes with the role; count ticks of nodes LOST. */
  private void observe(CurrentClusterState state) {
    Set<Member> unreachable = state.getUnreachable();
    Set<String> present = new HashSet<>();
    for (Member member : state.getMembers()) {
      if (!member.getRoles().contains(settings.bridgeRole())) continue;
      String id = raftId(member);
      if (id == null) {
        if (warnedWithoutId.add(member.address().toString())) {
          getContext().getLog().warn("Group {}: cluster node {} has role {} but no {}<id> role: the cluster bridge"
              + " ignores it", groupId, member.address(), settings.bridgeRole(), ID_ROLE_PREFIX);
        }
        continue;
      }
      NodeStatus status = status(member, unreachable.contains(member));
      if (status == null) continue; // joining: not yet
      present.add(id);
      seen.put(id, new Node(id, member.address().toString(), status, false));
    }
    for (Map.Entry<String, Node> e : seen.entrySet()) {
      Node n = e.getValue();
      if (!present.contains(e.getKey()) && n.status() == NodeStatus.UP) {
        // Gone from the cluster without being seen leaving: removed after a downing.
        e.setValue(new Node(n.id(), n.address(), NodeStatus.LOST, false));
      }
    }
    for (Node n : seen.values()) {
      if (n.status() == NodeStatus.LOST) lostTicks.merge(n.id(), 1, Integer::sum);
      else lostTicks.remove(n.id());
    }
  }

  private List<Node> nodes() {
    long ticksNeeded = settings.removeUnreachableAfter()
        .map(d -> (d.toMillis() + settings.bridgeInterval().toMillis() - 1) / settings.bridgeInterval().toMillis())
        .orElse(Long.MAX_VALUE);
    List<Node> nodes = new ArrayList<>();
    for (Node n : seen.values()) {
      boolean longEnough = n.status() == NodeStatus.LOST && lostTicks.getOrDefault(n.id(), 0) >= ticksNeeded;
      nodes.add(new Node(n.id(), n.address(), n.status(), longEnough));
    }
    return nodes;
  }

  /** The node's Raft member id from its {@value #ID_ROLE_PREFIX} role, or null. */
  static String raftId(Member member) {
    for (String role : member.getRoles()) {
      if (role.startsWith(ID_ROLE_PREFIX) && role.length() > ID_ROLE_PREFIX.length()) {
        return role.substring(ID_ROLE_PREFIX.length());
      }
    }
    return null;
  }

  private static NodeStatus status(Member member, boolean unreachable) {
    MemberStatus s = member.status();
    if (s == MemberStatus.leaving() || s == MemberStatus.exiting()) return NodeStatus.LEAVING;
    if (s == MemberStatus.down() || unreachable) return NodeStatus.LOST;
    if (s == MemberStatus.up() || s == MemberStatus.weaklyUp()) return NodeStatus.UP;
    return null;
  }
}
