package io.pekkoraft.chaos.runner;

import io.pekkoraft.chaos.ChaosCluster;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * {@code --reads follower}: sends each read, with {@link ReadConsistency#FOLLOWER}, to a node other than the
 * leader, so that followers serve them (a {@code RaftClient} sends every request to the leader, which serves a
 * FOLLOWER read as LINEARIZABLE). The node is chosen at random among those Up and reachable in the cluster,
 * the leader the client last heard of left out when another is reachable; a node that answers NotLeader (it
 * knows no leader) is followed by another after a short wait, until the deadline. No answer in time is an
 * unknown outcome, as for any read.
 */
final class FollowerRoute implements RequestLoop.Route {

  private final ActorSystem<?> system;
  private final Map<String, ActorRef<ServerCommand>> servers;
  private final Map<String, Address> addresses;
  private final Supplier<String> leaderHint;
  private final RequestLoop requests;
  /** Reads sent to a node that was not the leader the client knew, and those sent to that leader. */
  final AtomicLong toFollowers = new AtomicLong();
  final AtomicLong toLeader = new AtomicLong();

  /** {@code nodes}: every node that may serve (id to port); {@code leaderHint}: the leader the client knows. */
  FollowerRoute(ActorSystem<?> system, Map<String, Integer> nodes, Supplier<String> leaderHint) {
    this.system = system;
    this.leaderHint = leaderHint;
    this.servers = nodes.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e ->
        ActorRefResolver.get(system).resolveActorRef(ChaosCluster.address(e.getValue()) + "/system/"
            + RaftServer.actorName(ChaosCluster.GROUP_ID))));
    this.addresses = nodes.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
        e -> AddressFromURIString.parse(ChaosCluster.address(e.getValue()))));
    this.requests = new RequestLoop(system, RaftSerialization.get(system).codec());
  }

  /** A FOLLOWER read of {@code query}, answered by a follower, within {@code timeout}. */
  <R> CompletionStage<R> read(Object query, Duration timeout) {
    return requests.query(query, ReadConsistency.FOLLOWER, this, timeout);
  }

  @Override
  public ActorRef<ServerCommand> next() {
    var state = Cluster.get(system).state();
    Set<Member> unreachable = state.getUnreachable();
    Set<Address> up = new java.util.HashSet<>();
    for (Member member : state.getMembers()) {
      if (member.status() == MemberStatus.up() && !unreachable.contains(member)) up.add(member.address());
    }
    String leader = leaderHint.get();
    List<String> followers = new ArrayList<>();
    boolean leaderUp = false;
    for (Map.Entry<String, Address> node : addresses.entrySet()) {
      if (!up.contains(node.getValue())) continue;
      if (node.getKey().equals(leader)) leaderUp = true;
      else followers.add(node.getKey());
    }
    if (followers.isEmpty()) {
      if (!leaderUp) return null; // the request loop waits and asks again
      toLeader.incrementAndGet();
      return servers.get(leader);
    }
    toFollowers.incrementAndGet();
    return servers.get(followers.get(ThreadLocalRandom.current().nextInt(followers.size())));
  }

  /** A node that knows no leader: wait a little (the loop does), then choose again. */
  @Override
  public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
    return false;
  }

  @Override
  public void served(ActorRef<ServerCommand> asked) {}

  @Override
  public void noAnswer(ActorRef<ServerCommand> asked) {}

  /** A FOLLOWER read is served where it arrives; it is never forwarded. */
  @Override
  public int hops() {
    return 1;
  }

  void close() {
    requests.close();
  }
}
