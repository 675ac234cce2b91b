package io.pekkoraft.benchmarks;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.RoleChanged;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Every {@link RoleChanged} the Raft servers of one cluster publish, with the {@link System#nanoTime()} at
 * which this JVM saw it. The benchmark times elections by these events: the first leader, and the new
 * leader after a failover.
 */
final class RoleWatch {

  /** A role change and when it was seen. */
  record Seen(RoleChanged change, long atNanos) {}

  private final String groupId;
  private final List<Seen> seen = new ArrayList<>();

  RoleWatch(String groupId) {
    this.groupId = groupId;
  }

  /** Listens on {@code system}'s event stream, where its Raft server publishes. */
  void watch(ActorSystem<?> system) {
    ActorRef<RoleChanged> listener = system.systemActorOf(
        Behaviors.receive(RoleChanged.class)
            .onMessage(RoleChanged.class, change -> {
              record(change);
              return Behaviors.same();
            })
            .build(),
        "w1-role-watch", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, listener));
  }

  private synchronized void record(RoleChanged change) {
    if (!change.groupId().equals(groupId)) return;
    seen.add(new Seen(change, System.nanoTime()));
    notifyAll();
  }

  /** The first change, in the order seen, that matches; waits up to {@code timeout} for it. */
  synchronized Seen await(Predicate<Seen> match, Duration timeout, String what) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Seen s : seen) if (match.test(s)) return s;
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new TimeoutException("no " + what + " within " + timeout.toMillis() + " ms; role changes seen: " + seen);
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** The first leader seen. */
  Seen awaitLeader(Duration timeout) throws InterruptedException, TimeoutException {
    return await(s -> s.change().role() == RaftRole.LEADER, timeout, "leader");
  }

  /** The first leader of a term above {@code term}, seen at or after {@code sinceNanos}. */
  Seen awaitLeaderAfter(long term, long sinceNanos, Duration timeout) throws InterruptedException, TimeoutException {
    return await(s -> s.change().role() == RaftRole.LEADER && s.change().term() > term && s.atNanos() - sinceNanos >= 0,
        timeout, "leader above term " + term);
  }

  /** The leader of the highest term seen so far. */
  synchronized Seen latestLeader() {
    Seen latest = null;
    for (Seen s : seen) {
      if (s.change().role() == RaftRole.LEADER && (latest == null || s.change().term() > latest.change().term())) latest = s;
    }
    if (latest == null) throw new IllegalStateException("no leader seen yet; role changes: " + seen);
    return latest;
  }

  /** The roles {@code memberId} took since {@code sinceNanos}, in order. */
  synchronized List<RaftRole> rolesOf(String memberId, long sinceNanos) {
    List<RaftRole> roles = new ArrayList<>();
    for (Seen s : seen) {
      if (s.change().memberId().equals(memberId) && s.atNanos() - sinceNanos >= 0) roles.add(s.change().role());
    }
    return roles;
  }
}
