package io.pekkoraft.consensus;

import io.pekkoraft.consensus.rules.Configuration;
import java.util.Map;
import java.util.Set;

/**
 * Who is in a Raft group, as its leader (or the member asked) sees it: the voters, the learners and,
 * while a joint change is under way (thesis §4.3), the outgoing voters and the voters that leaving the
 * joint configuration turns into learners; the index of the configuration entry that holds it (0: the
 * bootstrap configuration of {@code pekko-raft.members}), and whether that entry is committed.
 * {@code addresses} are the addresses recorded for members added at run time.
 */
public record Membership(
    Set<String> voters, Set<String> learners, Set<String> votersOutgoing, Set<String> learnersNext,
    Map<String, String> addresses, long configurationIndex, boolean committed) {

  public Membership {
    voters = Set.copyOf(voters);
    learners = Set.copyOf(learners);
    votersOutgoing = Set.copyOf(votersOutgoing);
    learnersNext = Set.copyOf(learnersNext);
    addresses = Map.copyOf(addresses);
  }

  public static Membership of(Configuration c, long configurationIndex, boolean committed) {
    return new Membership(c.voters(), c.learners(), c.votersOutgoing(), c.learnersNext(), c.addresses(),
        configurationIndex, committed);
  }

  /** Is a joint change under way (elections and commitment need a majority of both voter sets)? */
  public boolean isJoint() {
    return !votersOutgoing.isEmpty();
  }

  /** Does {@code member} vote, in either half of a joint configuration? */
  public boolean isVoter(String member) {
    return voters.contains(member) || votersOutgoing.contains(member);
  }
}
