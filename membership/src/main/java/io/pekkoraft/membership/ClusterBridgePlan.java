package io.pekkoraft.membership;

import io.pekkoraft.consensus.Membership;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the {@link ClusterMembershipBridge} does next, decided from the Pekko Cluster's state and the
 * group's membership alone: a pure function, one change at a time, in this order:
 * <ol>
 *   <li>remove a member whose node is leaving the cluster gracefully (Leaving, Exiting, or gone after
 *       leaving);</li>
 *   <li>add as a learner an Up and reachable node that is not a member;</li>
 *   <li>with fewer than {@code targetVoters} voters, promote an Up and reachable learner;</li>
 *   <li>only when {@code removeUnreachable}: remove a member whose node has been unreachable or downed
 *       longer than {@code remove-unreachable-after} ({@link Node#lostLongEnough}).</li>
 * </ol>
 * It never removes the last voter, never removes a member it has no cluster node for (members managed
 * by hand stay), and never demotes. Members are taken in id order, so the result is deterministic.
 */
public final class ClusterBridgePlan {

  private ClusterBridgePlan() {}

  /** How the bridge sees a cluster node that carries its role. */
  public enum NodeStatus {
    /** Up (or WeaklyUp) and reachable. */
    UP,
    /** Leaving or Exiting, or removed after leaving: it left on purpose. */
    LEAVING,
    /** Unreachable, Down, or removed after being downed. */
    LOST
  }

  /**
   * A cluster node with the bridge's role: its Raft member id, its address, its status, and, for a LOST
   * node, whether it has been lost longer than {@code remove-unreachable-after}.
   */
  public record Node(String id, String address, NodeStatus status, boolean lostLongEnough) {}

  /** One change to ask for. */
  public sealed interface Action {
    String id();
  }

  public record AddLearner(String id, String address) implements Action {}

  public record Promote(String id) implements Action {}

  public record Remove(String id, String why) implements Action {}

  public static Optional<Action> next(List<Node> nodes, Membership membership, int targetVoters,
      boolean removeUnreachable) {
    List<Node> sorted = nodes.stream().sorted(Comparator.comparing(Node::id)).toList();
    Set<String> voters = membership.voters();
    for (Node n : sorted) {
      if (n.status() == NodeStatus.LEAVING && isMember(membership, n.id()) && !lastVoter(membership, n.id())) {
        return Optional.of(new Remove(n.id(), "its node is leaving the cluster"));
      }
    }
    for (Node n : sorted) {
      if (n.status() == NodeStatus.UP && !isMember(membership, n.id())) {
        return Optional.of(new AddLearner(n.id(), n.address()));
      }
    }
    if (voters.size() < targetVoters) {
      for (Node n : sorted) {
        if (n.status() == NodeStatus.UP && membership.learners().contains(n.id())) return Optional.of(new Promote(n.id()));
      }
    }
    if (removeUnreachable) {
      for (Node n : sorted) {
        if (n.status() == NodeStatus.LOST && n.lostLongEnough() && isMember(membership, n.id())
            && !lastVoter(membership, n.id())) {
          return Optional.of(new Remove(n.id(), "its node has been unreachable or down longer than remove-unreachable-after"));
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isMember(Membership m, String id) {
    return m.isVoter(id) || m.learners().contains(id) || m.learnersNext().contains(id);
  }

  private static boolean lastVoter(Membership m, String id) {
    return m.voters().size() == 1 && m.voters().contains(id);
  }
}
