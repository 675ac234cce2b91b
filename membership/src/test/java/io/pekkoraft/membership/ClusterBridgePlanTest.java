package io.pekkoraft.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.membership.ClusterBridgePlan.Action;
import io.pekkoraft.membership.ClusterBridgePlan.Node;
import io.pekkoraft.membership.ClusterBridgePlan.NodeStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cluster bridge's decisions, one narrative per rule, on plain values. */
class ClusterBridgePlanTest {

  private static Membership membership(Set<String> voters, Set<String> learners) {
    return new Membership(voters, learners, Set.of(), Set.of(), Map.of(), 7, true);
  }

  private static Node up(String id) {
    return new Node(id, "pekko://app@" + id + ":1", NodeStatus.UP, false);
  }

  private static Node leaving(String id) {
    return new Node(id, "pekko://app@" + id + ":1", NodeStatus.LEAVING, false);
  }

  private static Node lost(String id, boolean longEnough) {
    return new Node(id, "pekko://app@" + id + ":1", NodeStatus.LOST, longEnough);
  }

  private static Optional<Action> next(List<Node> nodes, Membership m, boolean removeUnreachable) {
    return ClusterBridgePlan.next(nodes, m, 3, removeUnreachable);
  }

  @Test
  void aNewNodeThatComesUpJoinsAsALearnerWithItsClusterAddress() {
    Membership m = membership(Set.of("a", "b", "c"), Set.of());
    assertEquals(Optional.of(new ClusterBridgePlan.AddLearner("d", "pekko://app@d:1")),
        next(List.of(up("a"), up("b"), up("c"), up("d")), m, false));
  }

  @Test
  void learnersArePromotedOnlyUpToTheTargetNumberOfVoters() {
    assertEquals(Optional.of(new ClusterBridgePlan.Promote("c")),
        next(List.of(up("a"), up("b"), up("c"), up("d")), membership(Set.of("a", "b"), Set.of("c", "d")), false));
    assertEquals(Optional.empty(),
        next(List.of(up("a"), up("b"), up("c"), up("d")), membership(Set.of("a", "b", "c"), Set.of("d")), false),
        "three voters already: d stays a learner");
  }

  @Test
  void aMemberLeavingTheClusterGracefullyIsRemovedBeforeAnythingElse() {
    Membership m = membership(Set.of("a", "b", "c"), Set.of());
    assertEquals(Optional.of(new ClusterBridgePlan.Remove("c", "its node is leaving the cluster")),
        next(List.of(up("a"), up("b"), leaving("c"), up("d")), m, false));
  }

  @Test
  void anUnreachableOrDownedMemberIsNeverRemovedUnlessConfigured() {
    Membership m = membership(Set.of("a", "b", "c"), Set.of());
    List<Node> nodes = List.of(up("a"), up("b"), lost("c", true));
    assertEquals(Optional.empty(), next(nodes, m, false), "remove-unreachable-after = off");
    assertEquals(Optional.empty(), next(List.of(up("a"), up("b"), lost("c", false)), m, true),
        "not lost long enough yet");
    assertEquals("c", next(nodes, m, true).orElseThrow().id());
  }

  @Test
  void membersWithoutAClusterNodeAndTheLastVoterAreLeftAlone() {
    assertEquals(Optional.empty(), next(List.of(up("a")), membership(Set.of("a", "x"), Set.of("y")), true),
        "x and y are managed by hand: no node carries their ids");
    assertEquals(Optional.empty(), next(List.of(leaving("a")), membership(Set.of("a"), Set.of()), true),
        "the last voter stays");
  }
}
