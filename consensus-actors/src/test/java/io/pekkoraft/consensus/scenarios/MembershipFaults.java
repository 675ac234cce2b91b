package io.pekkoraft.consensus.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.LogEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * What the membership fault and recovery scenarios share: asking for changes as a client outside the group
 * would (retrying what may pass later, reading the membership again when the outcome is unknown), reading
 * the leader's view, and recognising configuration entries on the wire to stop a change at an exact step.
 */
final class MembershipFaults {

  static final long ANY = MembershipRequest.ANY_CONFIGURATION;

  private MembershipFaults() {}

  /** Ask member {@code via} for {@code change}; the answer, or null when none came within {@code max}. */
  static MembershipReply ask(SimCluster c, String via, ConfigurationChange change, Duration max) {
    var reply = c.changeMembership(via, change, ANY);
    c.advanceUntil(reply::isDone, max);
    return reply.getNow(null);
  }

  /** The leader's view (Status), asked of each running member in turn; null when none answered. */
  static MembershipReply.Status status(SimCluster c, List<String> nodes) {
    for (String via : nodes) {
      if (!c.isRunning(via)) continue;
      var reply = c.getMembership(via);
      c.advanceUntil(reply::isDone, Duration.ofMillis(300));
      if (reply.getNow(null) instanceof MembershipReply.Status s) return s;
    }
    return null;
  }

  /** Within {@code max}, the leader's configuration is simple (not joint) and committed; returns it. */
  static Membership awaitSimpleCommitted(SimCluster c, List<String> nodes, Duration max) {
    Membership[] found = new Membership[1];
    boolean ok = c.advanceUntil(() -> {
      MembershipReply.Status s = status(c, nodes);
      if (s == null || s.membership().isJoint() || !s.membership().committed()) return false;
      found[0] = s.membership();
      return true;
    }, max);
    assertTrue(ok, "the group did not settle on a committed simple configuration: " + status(c, nodes));
    return found[0];
  }

  /**
   * Make {@code change} as a client would, through any running member: asks again while the answer is a
   * retryable refusal, NotLeader or nothing; after OutcomeUnknown (or a final refusal, which may follow a
   * lost success) it reads the membership and is done once {@code done} holds for a committed one.
   */
  static Membership changeAsAClient(SimCluster c, List<String> nodes, ConfigurationChange change,
      Predicate<Membership> done, Duration max) {
    long end = c.nowMs() + max.toMillis();
    List<String> answers = new ArrayList<>();
    int turn = 0;
    while (c.nowMs() < end) {
      List<String> running = nodes.stream().filter(c::isRunning).toList();
      String via = running.get(turn++ % running.size());
      MembershipReply reply = ask(c, via, change, Duration.ofSeconds(2));
      answers.add(String.valueOf(reply));
      if (reply instanceof MembershipReply.Changed ok && done.test(ok.membership())) return ok.membership();
      if (reply instanceof MembershipReply.Refused r && !r.reason().retryable && !(r.membership().committed()
          && done.test(r.membership()))) {
        throw new AssertionError(change + " refused for good: " + r);
      }
      MembershipReply.Status s = status(c, running);
      if (s != null && s.membership().committed() && done.test(s.membership())) return s.membership();
      c.advance(Duration.ofMillis(200));
    }
    throw new AssertionError(change + " not made within " + max + "; answers: " + answers);
  }

  /** Promote {@code id} once caught up (the leader refuses NOT_CAUGHT_UP until then). */
  static Membership promote(SimCluster c, List<String> nodes, String id) {
    return changeAsAClient(c, nodes, new ConfigurationChange.Promote(id), m -> m.voters().contains(id),
        Duration.ofSeconds(20));
  }

  static Membership addLearner(SimCluster c, List<String> nodes, String id) {
    return changeAsAClient(c, nodes, new ConfigurationChange.AddLearner(id, null), m -> m.learners().contains(id),
        Duration.ofSeconds(20));
  }

  /** The configuration entries {@code message} carries (none unless it is an AppendEntries). */
  static List<Configuration> configurations(ServerCommand message) {
    List<Configuration> out = new ArrayList<>();
    if (!(message instanceof AppendEntries ae)) return out;
    for (LogEntry e : ae.entries()) {
      if (e.type() == LogEntry.Type.CONFIGURATION) out.add(ConfigurationCodec.decode(e.data()));
    }
    return out;
  }

  static boolean carriesJoint(ServerCommand message) {
    return configurations(message).stream().anyMatch(Configuration::isJoint);
  }

  /** Carries a simple configuration whose voters are {@code voters} (C(new) of a joint change, say). */
  static boolean carriesSimple(ServerCommand message, Set<String> voters) {
    return configurations(message).stream().anyMatch(k -> !k.isJoint() && k.voters().equals(voters));
  }

  static Set<String> sorted(Set<String> s) {
    return new TreeSet<>(s);
  }

  /** Every member of {@code m} applied exactly the same commands, and every acknowledged one is among them. */
  static void assertAllMembersApplied(SimCluster c, Membership m, List<String> acknowledged) {
    List<String> members = new ArrayList<>(sorted(m.voters()));
    members.addAll(sorted(m.learners()));
    boolean same = c.advanceUntil(() -> {
      List<String> first = c.checker.applied(members.get(0));
      for (String member : members) if (!c.checker.applied(member).equals(first)) return false;
      return true;
    }, Duration.ofSeconds(10));
    StringBuilder lengths = new StringBuilder();
    for (String member : members) lengths.append(member).append('=').append(c.checker.applied(member).size()).append(' ');
    assertTrue(same, "the members of " + m + " did not apply the same commands: " + lengths);
    for (String member : members) {
      List<String> applied = c.checker.applied(member);
      List<String> missing = acknowledged.stream().filter(a -> !applied.contains(a)).toList();
      assertEquals(List.of(), missing, member + " never applied acknowledged commands");
    }
  }
}
