package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.impl.RaftSettings;
import io.pekkoraft.consensus.impl.client.MemberRoute;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * Where a RaftClient's requests go ({@link MemberRoute}, the route of its connection), on real servers in
 * simulated time: FOLLOWER and STALE reads go to a member other than the leader, and to the leader when no
 * other one answers; a command whose leader died goes to the new leader, not again and again to the dead one
 * that the followers still name.
 */
class ClientRouteScenariosTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * The members as a RaftClient's connection sees them: each at its server, and a member whose node was
   * {@link #killed} at an address where nothing answers (its node is gone; nothing tells the client) unless
   * marked unreachable.
   */
  private static final class ClientView implements MemberRoute.Members {
    final SimCluster c;
    final Map<String, ActorRef<ServerCommand>> servers = new HashMap<>();
    final Set<String> unreachable = new HashSet<>();

    ClientView(SimCluster c) {
      this.c = c;
      for (String m : c.members()) servers.put(m, c.server(m));
    }

    @Override
    public List<String> ids() {
      return c.members();
    }

    @Override
    public ActorRef<ServerCommand> usable(String member, boolean named) {
      return unreachable.contains(member) ? null : servers.get(member);
    }

    @Override
    public boolean isServerOf(String member, ActorRef<ServerCommand> ref) {
      return ref.equals(servers.get(member));
    }

    @Override
    public void unknownMember(String member) {
      throw new AssertionError("the members are fixed here; " + member + " is not one");
    }

    /**
     * Crash {@code member} as a killed node: what is sent to it vanishes. (A crashed server in one simulated
     * system would fail an ask at once, as a local actor known to be stopped does; a killed remote node
     * gives no answer at all.)
     */
    void killed(String member) {
      c.crash(member);
      servers.put(member, c.testKit.spawn(Behaviors.<ServerCommand>ignore(), "killed-" + member));
    }

    String memberOf(ActorRef<ServerCommand> ref) {
      for (Map.Entry<String, ActorRef<ServerCommand>> e : servers.entrySet()) {
        if (e.getValue().equals(ref)) return e.getKey();
      }
      throw new AssertionError(ref + " is no member's server");
    }
  }

  /** {@code route}, recording the server each attempt asked and the one that served. */
  private static final class Recorded implements RequestLoop.Route {
    final RequestLoop.Route route;
    final ClientView view;
    final List<String> asked = new ArrayList<>();
    final List<String> served = new ArrayList<>();

    Recorded(RequestLoop.Route route, ClientView view) {
      this.route = route;
      this.view = view;
    }

    @Override
    public ActorRef<ServerCommand> next() {
      ActorRef<ServerCommand> next = route.next();
      if (next != null) asked.add(view.memberOf(next));
      return next;
    }

    @Override
    public boolean notLeader(ActorRef<ServerCommand> a, String leaderId) {
      return route.notLeader(a, leaderId);
    }

    @Override
    public void served(ActorRef<ServerCommand> a) {
      served.add(view.memberOf(a));
      route.served(a);
    }

    @Override
    public void noAnswer(ActorRef<ServerCommand> a) {
      route.noAnswer(a);
    }

    @Override
    public int hops() {
      return route.hops();
    }
  }

  private static RequestLoop loop(SimCluster c) {
    RaftSettings settings = RaftSettings.fromConfig(c.testKit.system().settings().config());
    return new RequestLoop(c.testKit.system(), RaftSerialization.get(c.testKit.system()).codec(), settings.session(),
        c::nanoTime);
  }

  private static MemberRoute route(SimCluster c, ClientView view) {
    RaftSettings settings = RaftSettings.fromConfig(c.testKit.system().settings().config());
    return new MemberRoute(view, c::nanoTime, settings.session().attemptTimeout());
  }

  private static <T> T await(SimCluster c, CompletionStage<T> stage) throws Exception {
    CompletableFuture<T> f = stage.toCompletableFuture();
    assertTrue(c.advanceUntil(f::isDone, WAIT), "no answer");
    return f.get();
  }

  /**
   * A FOLLOWER read through the client's route goes to a follower, which asks the leader for a read index
   * and serves it from its own state once it applied that far: it sees the write acknowledged just before it
   * (which the follower had not applied when the read arrived), and the leader serves no read.
   */
  @Test
  void aFollowerReadIsServedByAFollowerAndSeesTheWriteAcknowledgedBeforeIt() throws Exception {
    try (SimCluster c = SimCluster.start(3, 1401)) {
      String leader = c.awaitOneLeader(WAIT);
      ClientView view = new ClientView(c);
      MemberRoute route = route(c, view);
      RequestLoop loop = loop(c);
      Map<String, AtomicInteger> readIndexAsks = new HashMap<>();
      c.network.dropWhen((from, to, m) -> {
        if (m instanceof RaftMessage.ReadIndexRequest) readIndexAsks.computeIfAbsent(from, k -> new AtomicInteger()).incrementAndGet();
        return false;
      });
      Long written = await(c, loop.<Long>command("write-1", route, Duration.ofSeconds(8)));
      assertEquals(leader, route.leaderHint(), "the leader applied the command");

      for (int i = 0; i < 4; i++) {
        long appliedBefore = c.members().stream().filter(m -> !m.equals(leader))
            .mapToLong(m -> c.checker.applied(m).size()).min().orElseThrow();
        Recorded reads = new Recorded(route.forReads(ReadConsistency.FOLLOWER), view);
        Long read = await(c, loop.<Long>query("count", ReadConsistency.FOLLOWER, reads, Duration.ofSeconds(8)));
        assertEquals(1, reads.served.size(), "served once: " + reads.served);
        String server = reads.served.get(0);
        assertNotEquals(leader, server, "read " + i + " was served by the leader");
        assertTrue(readIndexAsks.getOrDefault(server, new AtomicInteger()).get() > 0,
            server + " served a FOLLOWER read without asking the leader for a read index");
        assertEquals(written + i, read, "read " + i + " at " + server + " missed a write acknowledged before it"
            + " (a follower had applied " + appliedBefore + " commands when it was sent)");
        assertEquals(leader, route.leaderHint(), "a follower that served a read is not taken for the leader");
        if (i < 3) assertEquals(written + i + 1, await(c, loop.<Long>command("write-" + (i + 2), route, Duration.ofSeconds(8))));
      }
      assertEquals(0, readIndexAsks.getOrDefault(leader, new AtomicInteger()).get());
      loop.close();
    }
  }

  /** STALE reads go off the leader too, to the followers in turn. */
  @Test
  void staleReadsGoToTheFollowersInTurn() throws Exception {
    try (SimCluster c = SimCluster.start(3, 1402)) {
      String leader = c.awaitOneLeader(WAIT);
      ClientView view = new ClientView(c);
      MemberRoute route = route(c, view);
      RequestLoop loop = loop(c);
      await(c, loop.<Long>command("write-1", route, Duration.ofSeconds(8)));
      Set<String> servedBy = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        Recorded reads = new Recorded(route.forReads(ReadConsistency.STALE), view);
        await(c, loop.<Long>query("count", ReadConsistency.STALE, reads, Duration.ofSeconds(8)));
        servedBy.addAll(reads.served);
      }
      Set<String> followers = new HashSet<>(c.members());
      followers.remove(leader);
      assertEquals(followers, servedBy, "both followers, and only they, served the STALE reads");
      loop.close();
    }
  }

  /**
   * The only follower the client can reach was killed: the FOLLOWER read sent there gets no answer, and after
   * the attempt timeout it goes to the leader, which serves it; the next read goes to the leader at once.
   */
  @Test
  void aFollowerReadGoesToTheLeaderWhenTheFollowerDoesNotAnswer() throws Exception {
    try (SimCluster c = SimCluster.start(3, 1403)) {
      String leader = c.awaitOneLeader(WAIT);
      List<String> followers = c.members().stream().filter(m -> !m.equals(leader)).toList();
      ClientView view = new ClientView(c);
      view.unreachable.add(followers.get(1)); // the client sees it unreachable; it still votes and replicates
      MemberRoute route = route(c, view);
      RequestLoop loop = loop(c);
      Long written = await(c, loop.<Long>command("write-1", route, Duration.ofSeconds(8)));
      view.killed(followers.get(0)); // the client still asks it

      Duration attemptTimeout = RaftSettings.fromConfig(c.testKit.system().settings().config()).session().attemptTimeout();
      Recorded first = new Recorded(route.forReads(ReadConsistency.FOLLOWER), view);
      long start = c.nanoTime();
      assertEquals(written, await(c, loop.<Long>query("count", ReadConsistency.FOLLOWER, first, Duration.ofSeconds(8))));
      assertEquals(List.of(followers.get(0), leader), first.asked, "the dead follower first, then the leader");
      assertEquals(List.of(leader), first.served);
      assertTrue(c.nanoTime() - start < attemptTimeout.toNanos() + Duration.ofMillis(500).toNanos(),
          "served one attempt timeout after it was sent, not at its deadline");

      Recorded second = new Recorded(route.forReads(ReadConsistency.FOLLOWER), view);
      await(c, loop.<Long>query("count", ReadConsistency.FOLLOWER, second, Duration.ofSeconds(8)));
      assertEquals(List.of(leader), second.asked, "the follower that did not answer is passed over for a while");
      loop.close();
    }
  }

  /**
   * The leader's node is killed. The client's command waits one attempt timeout for it, then asks a follower,
   * which still names the dead leader (its election timeout, set longer than the attempt timeout here, has
   * not passed): the client does not go back to the dead leader at once, each time, for another attempt
   * timeout, but asks the followers until one names the new leader, and the command is applied there, once.
   */
  @Test
  void aCommandFollowsTheNewLeaderNotTheDeadOneTheFollowersStillName() throws Exception {
    try (SimCluster c = SimCluster.start(3, 1404, """
        pekko-raft.election-timeout-min = 3s
        pekko-raft.election-timeout-max = 4s
        pekko-raft.session.attempt-timeout = 500ms
        """)) {
      String leader = c.awaitOneLeader(WAIT);
      ClientView view = new ClientView(c);
      MemberRoute route = route(c, view);
      RequestLoop loop = loop(c);
      await(c, loop.<Long>command("write-1", route, Duration.ofSeconds(20)));
      view.killed(leader);

      Recorded command = new Recorded(route, view);
      long start = c.nanoTime();
      CompletableFuture<Long> result = loop.<Long>command("write-2", command, Duration.ofSeconds(20)).toCompletableFuture();
      assertTrue(c.advanceUntil(result::isDone, WAIT), "no answer");
      assertEquals(2L, result.get());
      String newLeader = command.served.get(0);
      assertNotEquals(leader, newLeader);
      long toDead = command.asked.stream().filter(leader::equals).count();
      long elapsedMs = (c.nanoTime() - start) / 1_000_000;
      // Followed at every NotLeader naming it, the dead leader would take every other 500 ms attempt, about
      // once per 500 ms until the election; passed over while silent (0.5 s, then 1 s, then 2 s), 3 times.
      assertTrue(toDead <= 3, "the dead leader was asked " + toDead + " times in " + elapsedMs + " ms: " + command.asked);
      c.advance(Duration.ofSeconds(1)); // the other follower applies it too
      for (String m : c.members()) {
        if (c.isRunning(m)) assertEquals(1, java.util.Collections.frequency(c.checker.applied(m), "write-2"), m);
      }
      loop.close();
    }
  }
}
