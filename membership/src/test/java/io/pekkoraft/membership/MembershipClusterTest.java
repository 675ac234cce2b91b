package io.pekkoraft.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.MembershipChanged;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftClient;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.testkit.LocalCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The membership module against real servers: three members, each its own ActorSystem talking over Artery
 * on 127.0.0.1 ({@link LocalCluster}), and nodes that join the Pekko Cluster outside {@code pekko-raft.members}
 * and wait until the group adds them. Every change goes through {@link RaftMembership}, on a member or from a
 * {@link RaftClient}'s system, while commands keep committing; at the end every remaining member has applied
 * the same commands in the same order.
 */
class MembershipClusterTest {

  private static final String GROUP = "items";
  /** Only a failure bound: each step normally takes well under a second. */
  private static final Duration STEP = Duration.ofSeconds(20);

  private LocalCluster cluster;
  private final Applied applied = new Applied();
  private final Map<String, RaftGroup<String, String, Long>> groups = new HashMap<>();
  /** Commands acknowledged so far: each member that stays must apply exactly these many. */
  private int committed;

  @AfterEach
  void stopCluster() {
    if (cluster != null) cluster.close();
  }

  @Test
  void aJoiningNodeCatchesUpAsALearnerIsPromotedAndAFollowerIsRemoved() throws Exception {
    // A fourth node joins as a learner, receives every command, becomes a voter, and the group
    // then runs on it instead of a removed follower, with the changes made on a member and from a client.
    start(true);
    RoleChanged leader = await(cluster.leaderKnownTo(GROUP, cluster.memberIds(), 0)).change();
    List<String> followers = others(cluster.memberIds(), leader.memberId());
    submit(followers.get(0), "before", 10);

    ActorSystem<Void> four = cluster.join("node-4");
    TestProbe<MembershipChanged> seenByFour = membershipEvents(four);
    initGroup("node-4");
    String address = four.address().toString();
    MembershipClient members = RaftMembership.get(cluster.system(followers.get(0))).group(GROUP);

    Membership added = await(members.addLearner("node-4", address));
    assertEquals(Set.of("node-1", "node-2", "node-3"), added.voters());
    assertEquals(Set.of("node-4"), added.learners());
    assertEquals(address, added.addresses().get("node-4"), "the group records where node-4 listens");
    assertTrue(added.committed());
    fish(seenByFour, m -> m.learners().contains("node-4") && m.committed(), "node-4 learns it is a learner");
    assertEquals(applied.on(leader.memberId(), committed), applied.on("node-4", committed),
        "the learner's state machine applied every command the group committed before it joined, in order");

    Membership promoted = await(members.promote("node-4"));
    assertEquals(Set.of("node-1", "node-2", "node-3", "node-4"), promoted.voters());
    assertEquals(Set.of(), promoted.learners());
    assertTrue(promoted.configurationIndex() > added.configurationIndex());
    fish(seenByFour, m -> m.voters().contains("node-4") && m.committed(), "node-4 learns it is a voter");
    assertEquals(promoted, await(members.membership()), "the membership as the leader sees it");
    submit("node-4", "voter", 10); // node-4 forwards to the leader

    // From the client's system, no member: remove a follower other than the one the member's calls went through.
    RaftClient<String, String, Long> client = RaftClient.create(cluster.clientSystem(), GROUP);
    MembershipClient fromClient = RaftMembership.get(cluster.clientSystem()).forClient(client);
    String removed = followers.get(1);
    TestProbe<MembershipChanged> seenByLeader = membershipEvents(cluster.system(leader.memberId()));
    List<CompletableFuture<Long>> during = submitAsync(leader.memberId(), "during", 10);
    Membership afterRemoval = await(fromClient.remove(removed));
    Set<String> remaining = Set.of(leader.memberId(), followers.get(0), "node-4");
    assertEquals(remaining, afterRemoval.voters());
    for (CompletableFuture<Long> command : during) await(command);
    committed += during.size();
    fish(seenByLeader, m -> m.committed() && !m.isVoter(removed) && !m.learners().contains(removed),
        "the leader publishes the committed removal");
    assertEquals(afterRemoval, await(fromClient.membership()), "read through the client too");

    // The group needs only the three voters left: the removed node's system stops, commands still commit.
    await(cluster.terminate(removed));
    for (String member : remaining) submit(member, "after-" + member, 5);
    assertEquals(committed + 1, await(client.submit("from-client")));
    committed++;
    sameOnEvery(remaining);
  }

  @Test
  void removingTheLeaderHandsLeadershipToAnotherVoter() throws Exception {
    // A leader asked to remove itself leads until the removal commits, then hands over to a
    // voter of the new configuration, which carries on from the same log.
    start(false);
    RoleChanged leader = await(cluster.leaderKnownTo(GROUP, cluster.memberIds(), 0)).change();
    String old = leader.memberId();
    List<String> followers = others(cluster.memberIds(), old);
    submit(old, "before", 10);

    cluster.join("node-4");
    initGroup("node-4");
    MembershipClient members = RaftMembership.get(cluster.system(followers.get(0))).group(GROUP);
    Membership four = await(members.addVoter("node-4", cluster.system("node-4").address().toString()));
    assertEquals(Set.of("node-1", "node-2", "node-3", "node-4"), four.voters(), "added and promoted in one call");

    TestProbe<MembershipChanged> seenByOld = membershipEvents(cluster.system(old));
    TestProbe<RoleChanged> rolesOfOld = TestProbe.create(cluster.system(old));
    cluster.system(old).eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, rolesOfOld.getRef()));
    Membership withoutLeader = await(members.remove(old));
    List<String> remaining = List.of(followers.get(0), followers.get(1), "node-4");
    assertEquals(Set.copyOf(remaining), withoutLeader.voters());
    fish(seenByOld, m -> m.committed() && !m.isVoter(old), "the old leader saw its removal commit");

    RoleChanged next = await(cluster.leaderKnownTo(GROUP, remaining, leader.term())).change();
    assertNotEquals(old, next.memberId());
    rolesOfOld.fishForMessage(STEP, old + " steps down", r -> r.memberId().equals(old) && r.role() != RaftRole.LEADER
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    for (String member : remaining) submit(member, "after-" + member, 5);
    sameOnEvery(remaining);
  }

  @Test
  void changeVotersReplacesTwoVotersThroughJointConsensus() throws Exception {
    // With two new nodes caught up as learners, one call replaces two of the three voters at once: the leader
    // enters the joint configuration, leaves it by itself, and the group runs on the new voters. The member
    // that stays is not node-1, so that node-1, the first seed node, stops with the others (should it lead,
    // the joint change removes the leader too).
    start(false);
    await(cluster.leaderKnownTo(GROUP, cluster.memberIds(), 0));
    String stays = "node-2";
    List<String> replaced = others(cluster.memberIds(), stays);
    submit(stays, "before", 10);

    MembershipClient members = RaftMembership.get(cluster.system(stays)).group(GROUP);
    for (String node : List.of("node-4", "node-5")) {
      cluster.join(node);
      initGroup(node);
      await(members.addLearner(node, cluster.system(node).address().toString()));
    }
    for (String node : List.of("node-4", "node-5")) {
      assertEquals(applied.on(stays, committed), applied.on(node, committed), node + " caught up");
    }

    TestProbe<MembershipChanged> seenByStaying = membershipEvents(cluster.system(stays));
    Set<String> voters = Set.of(stays, "node-4", "node-5");
    List<CompletableFuture<Long>> during = submitAsync(stays, "during", 10);
    Membership changed = await(members.changeVoters(voters));
    assertEquals(voters, changed.voters());
    assertFalse(changed.isJoint(), "completes once the leader has left the joint configuration");
    assertEquals(Set.of(), changed.learners(), "the new voters are learners no more; the old ones left");
    for (CompletableFuture<Long> command : during) await(command);
    committed += during.size();
    MembershipChanged joint = fish(seenByStaying, MembershipChanged::membership, m -> m.isJoint(), "the joint step");
    assertEquals(voters, joint.membership().voters());
    assertEquals(Set.of("node-1", "node-2", "node-3"), joint.membership().votersOutgoing());
    fish(seenByStaying, m -> m.committed() && !m.isJoint() && m.voters().equals(voters), "the joint step left");

    await(CompletableFuture.allOf(replaced.stream().map(cluster::terminate).toArray(CompletableFuture[]::new)));
    for (String member : voters) submit(member, "after-" + member, 5);
    sameOnEvery(voters);

    // With node-1, the first seed node, stopped, one more node still joins the cluster and the group.
    cluster.join("node-6");
    initGroup("node-6");
    await(members.addLearner("node-6", cluster.system("node-6").address().toString()));
    assertEquals(applied.on(stays, committed), applied.on("node-6", committed), "node-6 caught up");
  }

  // ---- the cluster, the group, the commands

  private void start(boolean withClient) {
    LocalCluster.Builder builder = LocalCluster.builder()
        .members(3)
        .config(ConfigFactory.parseResources("membership-cluster-test.conf",
            ConfigParseOptions.defaults().setAllowMissing(false)));
    if (withClient) builder.withClientSystem();
    cluster = builder.start();
    for (String member : cluster.memberIds()) initGroup(member);
  }

  private void initGroup(String node) {
    groups.put(node, PekkoRaft.get(cluster.system(node)).init(
        ReplicatedStateMachine.of(GROUP, () -> new Items(node, applied))));
  }

  /** {@code count} commands submitted through {@code node} at once; every one must be acknowledged. */
  private void submit(String node, String prefix, int count) throws Exception {
    for (CompletableFuture<Long> command : submitAsync(node, prefix, count)) await(command);
    committed += count;
  }

  private List<CompletableFuture<Long>> submitAsync(String node, String prefix, int count) {
    List<CompletableFuture<Long>> commands = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      commands.add(groups.get(node).submit(prefix + "-" + i).toCompletableFuture());
    }
    return commands;
  }

  /** Every node in {@code nodes} applies exactly the commands acknowledged, the same ones in the same order. */
  private void sameOnEvery(Collection<String> nodes) throws Exception {
    List<String> reference = null;
    for (String node : nodes) {
      List<String> items = applied.on(node, committed);
      if (reference != null) assertEquals(reference, items, node + " applied the same commands in the same order");
      reference = items;
      assertEquals((long) committed, await(groups.get(node).read("size",
          io.pekkoraft.consensus.ReadConsistency.STALE)), node + " applied no more than the acknowledged commands");
    }
  }

  private TestProbe<MembershipChanged> membershipEvents(ActorSystem<Void> system) {
    TestProbe<MembershipChanged> probe = TestProbe.create(system);
    system.eventStream().tell(new EventStream.Subscribe<>(MembershipChanged.class, probe.getRef()));
    return probe;
  }

  private static MembershipChanged fish(TestProbe<MembershipChanged> probe, Predicate<Membership> wanted, String what) {
    return fish(probe, MembershipChanged::membership, wanted, what);
  }

  private static MembershipChanged fish(TestProbe<MembershipChanged> probe,
      java.util.function.Function<MembershipChanged, Membership> of, Predicate<Membership> wanted, String what) {
    List<MembershipChanged> seen = probe.fishForMessage(STEP, what,
        e -> wanted.test(of.apply(e)) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    return seen.get(seen.size() - 1);
  }

  private static List<String> others(List<String> members, String leader) {
    return members.stream().filter(m -> !m.equals(leader)).toList();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
  }

  // ---- the state machine, and what each node applied

  /** Appends each command to a list; the result is the list's size. Reports what it applied to {@link Applied}. */
  static final class Items implements StateMachine<String, String, Long> {
    private final String node;
    private final Applied applied;
    private final List<String> items = new ArrayList<>();

    Items(String node, Applied applied) {
      this.node = node;
      this.applied = applied;
    }

    @Override
    public Long apply(String command) {
      items.add(command);
      applied.record(node, command);
      return (long) items.size();
    }

    @Override
    public Long query(String query) {
      return (long) items.size();
    }
  }

  /** The commands each node's state machine applied, in order, and a wait for a node to apply so many. */
  static final class Applied {
    private final Map<String, List<String>> items = new HashMap<>();
    private final List<Waiter> waiters = new ArrayList<>();

    private record Waiter(String node, int count, CompletableFuture<List<String>> reached) {}

    synchronized void record(String node, String command) {
      items.computeIfAbsent(node, n -> new ArrayList<>()).add(command);
      waiters.removeIf(this::completed);
    }

    /** The first {@code count} commands {@code node} applied, once it has applied that many (bounded by STEP). */
    List<String> on(String node, int count) throws Exception {
      CompletableFuture<List<String>> reached = new CompletableFuture<>();
      synchronized (this) {
        Waiter waiter = new Waiter(node, count, reached);
        if (!completed(waiter)) waiters.add(waiter);
      }
      try {
        return reached.get(STEP.toSeconds(), TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        synchronized (this) {
          throw new AssertionError(node + " applied " + items.getOrDefault(node, List.of()).size() + " commands, not "
              + count + ", within " + STEP, e);
        }
      }
    }

    private boolean completed(Waiter waiter) {
      List<String> applied = items.getOrDefault(waiter.node(), List.of());
      if (applied.size() < waiter.count()) return false;
      waiter.reached().complete(List.copyOf(applied.subList(0, waiter.count())));
      return true;
    }
  }
}
