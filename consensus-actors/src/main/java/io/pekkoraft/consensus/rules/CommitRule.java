package io.pekkoraft.consensus.rules;

import java.util.function.LongUnaryOperator;

/**
 * The whole commit rule of the leader, in one place (§5.3, §5.4.2 and Figure 8 of the Raft paper).
 *
 * <p>An entry is committed once it is stored on a quorum, but a leader may only conclude that by
 * counting replicas for an entry of its own current term. Entries of earlier terms commit indirectly,
 * when an entry of the current term after them commits. Counting replicas of an old-term entry is
 * exactly the mistake of Figure 8: such an entry can still be overwritten by a later leader.
 */
public final class CommitRule {

  private CommitRule() {}

  /**
   * The new commit index.
   *
   * @param commitIndex the current commit index
   * @param quorumIndex the highest index stored on a quorum ({@link Quorum#quorumIndex})
   * @param termAt the term of the entry at an index of the leader's log
   * @param currentTerm the leader's current term
   */
  public static long advance(long commitIndex, long quorumIndex, LongUnaryOperator termAt, long currentTerm) {
    if (quorumIndex <= commitIndex) return commitIndex;
    // §5.4.2: only an entry of the current term commits by counting replicas.
    if (termAt.applyAsLong(quorumIndex) != currentTerm) return commitIndex;
    return quorumIndex;
  }
}
