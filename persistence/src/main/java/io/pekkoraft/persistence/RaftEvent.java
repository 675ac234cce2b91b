package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

/**
 * The durable state of a Raft node, as events of an event-sourced journal. Replaying them in order
 * rebuilds currentTerm, votedFor and the log. A node persists these before it answers the RPC that
 * caused them (§5.1: "updated on stable storage before responding to RPCs").
 */
public sealed interface RaftEvent extends RaftSerializable {

  /** currentTerm rose to {@code term}; votedFor is cleared. Terms never go down. */
  record TermAdvanced(long term) implements RaftEvent {}

  /** In {@code term} this node gave its vote to {@code candidateId}; at most one per term. */
  record VoteCast(long term, String candidateId) implements RaftEvent {}

  /**
   * This disk's replica id, {@code replicaId}, random and never 0, written with the first journal write of a
   * server whose journal holds none. A server that comes back under a member's name with another replica
   * id lost its disk (and the votes and entries on it); its peers refuse it until it is removed and added
   * again. Written once per journal.
   */
  record ReplicaIdCreated(long replicaId) implements RaftEvent {}

  /** Entries appended at the end of the log, contiguous and in index order. */
  record EntriesAppended(List<LogEntry> entries) implements RaftEvent {}

  /** Entries from {@code fromIndex} on were removed because they conflicted with the leader's (§5.3). */
  record EntriesTruncated(long fromIndex) implements RaftEvent {}

  /**
   * A snapshot of the state machine covers the log up to {@code index}, whose entry has {@code term}; its
   * data ({@code bytes} long) is in the snapshot file named by index and term, written and made durable
   * before this event, so the journal records only where it is. The log itself is compacted up to
   * {@code compactTo} (at most {@code index}, whose entry has {@code compactToTerm}): entries after
   * compactTo stay when the log holds that same entry, otherwise the whole log goes (§7). Keeping some
   * entries before the snapshot's index lets a follower that is a little behind catch up from the log
   * instead of receiving the whole snapshot.
   *
   * <p>{@code configuration} is the cluster configuration in effect at {@code index}, encoded (an opaque
   * payload here, like a CONFIGURATION entry's), from the configuration entry at {@code configurationIndex};
   * empty with configurationIndex 0 while the group still runs on its bootstrap configuration.
   */
  record SnapshotStored(long index, long term, long bytes, long compactTo, long compactToTerm,
      long configurationIndex, byte[] configuration) implements RaftEvent {

    public SnapshotStored {
      if (configuration == null) configuration = new byte[0];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SnapshotStored s && s.index == index && s.term == term && s.bytes == bytes
          && s.compactTo == compactTo && s.compactToTerm == compactToTerm && s.configurationIndex == configurationIndex
          && java.util.Arrays.equals(s.configuration, configuration);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(index, term, bytes, compactTo, compactToTerm, configurationIndex,
          java.util.Arrays.hashCode(configuration));
    }

    @Override
    public String toString() {
      return "SnapshotStored[" + index + "@" + term + " (" + bytes + " bytes), compactTo " + compactTo + "@"
          + compactToTerm + ", configuration at " + configurationIndex + " (" + configuration.length + " bytes)]";
    }
  }
}
