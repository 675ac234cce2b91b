package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.rules.ChangeAdmission;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ConfigurationChangeException;
import io.pekkoraft.consensus.rules.ConfigurationChanges;
import io.pekkoraft.consensus.rules.ConfigurationCodec;
import io.pekkoraft.consensus.rules.LearnerCatchUp;
import io.pekkoraft.consensus.rules.MemberIds;
import io.pekkoraft.persistence.LogEntry;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.apache.pekko.actor.AddressFromURIString;

/**
 * A leader's side of membership changes (thesis §4): admits a change ({@link ChangeAdmission}), checks that
 * a learner to promote has caught up ({@link LearnerCatchUp}), plans the next configuration
 * ({@link ConfigurationChanges}), appends it as a configuration entry (in effect at once, thesis §4.1),
 * and answers once it is committed. A joint configuration is left as soon as it is committed, by whichever
 * leader holds it then: the one that entered it, or a new one after a leader change (etcd #12136 was a
 * cluster stuck in joint). Owned by {@link Leader}, for one term.
 */
final class LeaderMembership {

  /** The longest member address a change may name (pekko://system@host:port is far shorter). */
  static final int ADDRESS_LENGTH_MAX = 512;

  private final ServerState state;
  private final ToLongFunction<String> matchIndex;
  private final Predicate<String> recentlyHeard;
  private final Consumer<LogEntry> append;
  /** The index of our first entry of this term (the no-op): until it commits, no change is admitted. */
  private long firstIndexOfTerm = Long.MAX_VALUE;
  /** The change being made, answered when its entry commits (a joint change: when the joint configuration is left). */
  private Pending pending;

  private record Pending(MembershipRequest.ChangeMembership request, long entryIndex) {}

  LeaderMembership(ServerState state, ToLongFunction<String> matchIndex, Predicate<String> recentlyHeard,
      Consumer<LogEntry> append) {
    this.state = state;
    this.matchIndex = matchIndex;
    this.recentlyHeard = recentlyHeard;
    this.append = append;
  }

  /** Our term's first entry is at {@code index}. */
  void termStarted(long index) {
    firstIndexOfTerm = index;
  }

  /** A request to this leader; {@code handingOver}: a leadership transfer is under way. */
  void onRequest(MembershipRequest request, boolean handingOver) {
    if (request instanceof MembershipRequest.GetMembership g) {
      g.replyTo().tell(status());
      return;
    }
    MembershipRequest.ChangeMembership c = (MembershipRequest.ChangeMembership) request;
    if (handingOver) {
      refuse(c, RefusalReason.LEADERSHIP_TRANSFER_IN_PROGRESS, "the leader is handing its leadership over");
      return;
    }
    String invalid = invalid(c.change());
    if (invalid != null) {
      refuse(c, RefusalReason.INVALID_REQUEST, invalid);
      return;
    }
    long expected = c.expectedConfigurationIndex() == MembershipRequest.ANY_CONFIGURATION
        ? ChangeAdmission.ANY_CONFIGURATION : c.expectedConfigurationIndex();
    if (expected < 0 && expected != ChangeAdmission.ANY_CONFIGURATION) {
      refuse(c, RefusalReason.INVALID_REQUEST, "expected configuration index " + expected + " is negative");
      return;
    }
    ChangeAdmission.Decision admission =
        ChangeAdmission.check(state.configurationIndex(), state.commitIndex, firstIndexOfTerm, expected);
    if (!admission.accepted()) {
      refuse(c, switch (admission) {
        case NOT_COMMITTED_IN_TERM -> RefusalReason.NOT_COMMITTED_IN_TERM;
        case CHANGE_IN_PROGRESS -> RefusalReason.CONFIGURATION_CHANGE_IN_PROGRESS;
        case CONFIGURATION_CHANGED -> RefusalReason.CONFIGURATION_CHANGED;
        case ACCEPT -> throw new IllegalStateException("unreachable");
      }, admission.rule + " (latest configuration at " + state.configurationIndex() + ", commit index "
          + state.commitIndex + ")");
      return;
    }
    if (c.change() instanceof ConfigurationChange.Promote p && state.config.isLearner(p.id())) {
      LearnerCatchUp.Decision caughtUp = LearnerCatchUp.check(matchIndex.applyAsLong(p.id()), state.commitIndex,
          Math.max(0, state.memberSince(p.id())), state.settings.catchUpGap(), recentlyHeard.test(p.id()));
      if (!caughtUp.caughtUp()) {
        refuse(c, RefusalReason.NOT_CAUGHT_UP, p.id() + " cannot be promoted yet: " + caughtUp.reason
            + " (its match index " + matchIndex.applyAsLong(p.id()) + ", commit index " + state.commitIndex + ")");
        return;
      }
    }
    Configuration next;
    try {
      next = plan(state.config, c.change());
    } catch (ConfigurationChangeException e) {
      refuse(c, RefusalReason.valueOf(e.reason().name()), e.getMessage());
      return;
    }
    if (next.equals(state.config)) {
      c.replyTo().tell(new MembershipReply.Changed(state.membership())); // already so: nothing to append
      return;
    }
    long index = appendConfiguration(next);
    pending = new Pending(c, index);
    state.ctx.getLog().info("{}, leader of group {} in term {}: {} appended at {}: {}", state.selfId, state.groupId,
        state.currentTerm, c.change(), index, next);
  }

  /** The next configuration for {@code change}; a refusal of the planner is the request's. */
  private static Configuration plan(Configuration config, ConfigurationChange change)
      throws ConfigurationChangeException {
    if (change instanceof ConfigurationChange.AddLearner a) return ConfigurationChanges.addLearner(config, a.id(), a.address());
    if (change instanceof ConfigurationChange.Promote p) return ConfigurationChanges.promote(config, p.id());
    if (change instanceof ConfigurationChange.Demote d) return ConfigurationChanges.demote(config, d.id());
    if (change instanceof ConfigurationChange.AddVoter a) return ConfigurationChanges.addVoter(config, a.id(), a.address());
    if (change instanceof ConfigurationChange.Remove r) return ConfigurationChanges.removeMember(config, r.id());
    ConfigurationChange.ChangeVoters v = (ConfigurationChange.ChangeVoters) change;
    return ConfigurationChanges.needsJoint(config, v.voters())
        ? ConfigurationChanges.enterJoint(config, v.voters(), v.learners(), v.addresses())
        : ConfigurationChanges.simple(config, v.voters(), v.learners(), v.addresses());
  }

  /** What is wrong with the request itself (an id that is not a {@link MemberIds valid id}, an address that is not a Pekko address), or null. */
  private static String invalid(ConfigurationChange change) {
    Map<String, String> addresses = new TreeMap<>();
    java.util.List<String> ids = new java.util.ArrayList<>();
    if (change instanceof ConfigurationChange.AddLearner a) {
      ids.add(a.id());
      if (a.address() != null) addresses.put(String.valueOf(a.id()), a.address());
    } else if (change instanceof ConfigurationChange.AddVoter a) {
      ids.add(a.id());
      if (a.address() != null) addresses.put(String.valueOf(a.id()), a.address());
    } else if (change instanceof ConfigurationChange.Promote p) {
      ids.add(p.id());
    } else if (change instanceof ConfigurationChange.Demote d) {
      ids.add(d.id());
    } else if (change instanceof ConfigurationChange.Remove r) {
      ids.add(r.id());
    } else if (change instanceof ConfigurationChange.ChangeVoters v) {
      ids.addAll(v.voters());
      ids.addAll(v.learners());
      addresses.putAll(v.addresses());
    } else {
      return "unknown change " + change;
    }
    // An id names actors and is stored in every configuration entry: checked before anything is appended
    // (an id that is no valid actor name would stop every member's server that follows it).
    for (String id : ids) {
      String problem = MemberIds.problem(id);
      if (problem != null) return problem;
    }
    for (Map.Entry<String, String> a : addresses.entrySet()) {
      String problem = MemberIds.problem(a.getKey());
      if (problem != null) return "addresses: " + problem;
      String address = a.getValue();
      if (address == null || address.length() > ADDRESS_LENGTH_MAX) {
        return "the address of " + a.getKey() + " is " + (address == null ? "missing" : "longer than "
            + ADDRESS_LENGTH_MAX + " characters");
      }
      try {
        AddressFromURIString.parse(address);
      } catch (Exception e) { // also java.net.MalformedURLException, checked but thrown from Scala
        return "the address of " + a.getKey() + ", " + MemberIds.quoted(address) + ", is not a Pekko address like"
            + " pekko://system@host:port";
      }
    }
    return null;
  }

  private long appendConfiguration(Configuration next) {
    long index = state.log.lastIndex() + 1;
    append.accept(new LogEntry(index, state.currentTerm, LogEntry.Type.CONFIGURATION, ConfigurationCodec.encode(next)));
    return index;
  }

  /**
   * The commit index rose (or may have): answer the change whose entry committed, leave a committed joint
   * configuration, and say whether this leader must now step down because the committed configuration
   * no longer makes it a voter (thesis §4.2.2: it leads until then, without counting itself).
   */
  boolean afterCommit() {
    boolean committedInTerm = state.commitIndex >= firstIndexOfTerm;
    if (committedInTerm && state.config.isJoint() && state.configurationCommitted()) {
      Configuration leave;
      try {
        leave = ConfigurationChanges.leaveJoint(state.config);
      } catch (ConfigurationChangeException e) {
        throw new IllegalStateException(state.selfId + ": cannot leave the joint configuration " + state.config, e);
      }
      long index = appendConfiguration(leave);
      state.ctx.getLog().info("{}, leader of group {} in term {}: the joint configuration is committed; leaving it"
          + " at {}: {}", state.selfId, state.groupId, state.currentTerm, index, leave);
      if (pending != null) pending = new Pending(pending.request(), index);
    }
    if (pending != null && state.commitIndex >= pending.entryIndex() && state.configurationCommitted()) {
      pending.request().replyTo().tell(new MembershipReply.Changed(state.membership()));
      pending = null;
    }
    return committedInTerm && state.configurationCommitted() && !state.config.isVoter(state.selfId);
  }

  /** This leadership ends: a change appended but not committed may still take effect under the next leader. */
  void leadershipEnded(String why) {
    if (pending == null) return;
    pending.request().replyTo().tell(new MembershipReply.OutcomeUnknown(why + "; the configuration entry at "
        + pending.entryIndex() + " may still commit under the next leader: ask for the membership"));
    pending = null;
  }

  private MembershipReply.Status status() {
    Map<String, MembershipReply.MemberProgress> progress = new TreeMap<>();
    for (String member : state.config.members()) {
      if (member.equals(state.selfId)) continue;
      progress.put(member, new MembershipReply.MemberProgress(matchIndex.applyAsLong(member),
          recentlyHeard.test(member), state.config.replicaId(member)));
    }
    return new MembershipReply.Status(state.membership(), state.selfId, state.currentTerm, state.commitIndex, progress);
  }

  private void refuse(MembershipRequest.ChangeMembership c, RefusalReason reason, String message) {
    state.ctx.getLog().debug("{} refuses {}: {} ({})", state.selfId, c.change(), reason, message);
    c.replyTo().tell(new MembershipReply.Refused(reason, message, state.membership()));
  }
}
