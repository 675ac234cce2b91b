package io.pekkoraft.consensus.rules;

import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Majority arithmetic over a {@link Configuration}. Joint configurations need both majorities; learners
 * never count. This class is the only place that decides what "a quorum" means.
 */
public final class Quorum {

  /** The outcome of an election (or pre-vote) so far. */
  public enum VoteResult {
    /** Not decided: more answers are needed. */
    PENDING,
    /** A quorum granted the vote. */
    WON,
    /** Enough voters refused that a quorum can no longer be reached. */
    LOST
  }

  private Quorum() {}

  /**
   * The highest log index stored on a quorum, given each voter's match index. For a joint configuration
   * it is the lower of the two majorities' indexes.
   */
  public static long quorumIndex(Configuration config, ToLongFunction<String> matchIndex) {
    long incoming = majorityIndex(config.voters(), matchIndex);
    if (!config.isJoint()) return incoming;
    return Math.min(incoming, majorityIndex(config.votersOutgoing(), matchIndex));
  }

  /** The highest index that a majority of {@code voters} has at least: the median from the top. */
  static long majorityIndex(Set<String> voters, ToLongFunction<String> matchIndex) {
    long[] indexes = voters.stream().mapToLong(matchIndex).sorted().toArray();
    // Sorted ascending; a majority (n/2 + 1 voters) has at least the value at position n - (n/2 + 1).
    return indexes[indexes.length - (indexes.length / 2 + 1)];
  }

  /** Tally votes: {@code votes} maps each voter that answered to whether it granted. */
  public static VoteResult voteResult(Configuration config, Map<String, Boolean> votes) {
    VoteResult incoming = majorityVote(config.voters(), votes);
    if (!config.isJoint()) return incoming;
    VoteResult outgoing = majorityVote(config.votersOutgoing(), votes);
    if (incoming == VoteResult.LOST || outgoing == VoteResult.LOST) return VoteResult.LOST;
    if (incoming == VoteResult.WON && outgoing == VoteResult.WON) return VoteResult.WON;
    return VoteResult.PENDING;
  }

  static VoteResult majorityVote(Set<String> voters, Map<String, Boolean> votes) {
    int granted = 0;
    int rejected = 0;
    for (String voter : voters) {
      Boolean vote = votes.get(voter);
      if (vote == null) continue;
      if (vote) granted++;
      else rejected++;
    }
    int majority = voters.size() / 2 + 1;
    if (granted >= majority) return VoteResult.WON;
    if (rejected > voters.size() - majority) return VoteResult.LOST;
    return VoteResult.PENDING;
  }

  /** Does {@code responders} contain a quorum of the configuration (both halves when joint)? */
  public static boolean isQuorum(Configuration config, Set<String> responders) {
    return containsMajority(config.voters(), responders)
        && (!config.isJoint() || containsMajority(config.votersOutgoing(), responders));
  }

  private static boolean containsMajority(Set<String> voters, Set<String> responders) {
    long present = voters.stream().filter(responders::contains).count();
    return present >= voters.size() / 2 + 1;
  }
}
