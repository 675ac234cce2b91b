package io.pekkoraft.consensus.protocol;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.Map;
import java.util.Set;

/**
 * One membership change a leader can make in one configuration entry (or, for {@link ChangeVoters} of more
 * than one voter, in the two entries of a joint change). Which configuration results is the planner's
 * business ({@code rules.ConfigurationChanges}); when it may be appended, {@code rules.ChangeAdmission}'s.
 */
public sealed interface ConfigurationChange extends RaftSerializable {

  /** Thesis §4.2.1: a new member joins as a learner; {@code address} is its Pekko address, or null if known otherwise. */
  record AddLearner(String id, String address) implements ConfigurationChange {}

  /**
   * A learner becomes a voter, only once it has caught up (its match index within
   * {@code pekko-raft.membership.catch-up-gap} of the commit index, at or past the entry that added it,
   * and heard from recently); otherwise refused with {@code NOT_CAUGHT_UP}, to be asked again.
   */
  record Promote(String id) implements ConfigurationChange {}

  /** A voter becomes a learner. */
  record Demote(String id) implements ConfigurationChange {}

  /**
   * A new member becomes a voter at once, without catching up as a learner first (thesis §4.1). It may
   * make the group unavailable until it has caught up (§4.2.1); the membership layer adds a learner and
   * promotes it instead.
   */
  record AddVoter(String id, String address) implements ConfigurationChange {}

  /** A voter or a learner leaves the group. */
  record Remove(String id) implements ConfigurationChange {}

  /**
   * The voters become {@code voters} and the learners {@code learners}: a simple change when at most one
   * voter changes, else through joint consensus (thesis §4.3), entered and then left by the leader on its
   * own (a new leader finishes a joint change it finds). {@code addresses} gives the addresses of members
   * it adds.
   */
  record ChangeVoters(Set<String> voters, Set<String> learners, Map<String, String> addresses)
      implements ConfigurationChange {
    public ChangeVoters {
      voters = Set.copyOf(voters);
      learners = Set.copyOf(learners);
      addresses = Map.copyOf(addresses);
    }
  }
}
