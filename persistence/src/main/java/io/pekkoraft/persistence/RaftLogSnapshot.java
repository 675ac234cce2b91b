package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;

/**
 * The durable state of a Raft node up to one event of its journal, as saved in a Pekko snapshot store, so
 * that the journal before it can be deleted: currentTerm and votedFor, the state machine snapshot that
 * covers the log up to {@code snapshotIndex} (its data, {@code snapshotBytes} long, is in the snapshot file
 * named by index and term; none when snapshotIndex is 0), and the point the log is compacted to
 * ({@code compactedIndex}, whose entry has {@code compactedTerm}). No entries: they stay in the journal.
 *
 * <p>Term, vote and snapshot are as of journal sequence number {@code stateAsOf}; the saved state itself
 * stands at {@code replayFrom}, at most stateAsOf, the event before the first one that holds an entry
 * after compactedIndex. Recovery replays from replayFrom + 1: the events up to stateAsOf only for their
 * entries (their term, vote and snapshot are already here), the later ones whole.
 *
 * <p>{@code configuration} is the encoded cluster configuration the state machine snapshot covers, from
 * the configuration entry at {@code configurationIndex} (empty with index 0: the bootstrap configuration).
 * {@code replicaId} is this disk's replica id ({@link RaftEvent.ReplicaIdCreated}; 0 when the journal had
 * none), kept here since the event that created it is cut from the journal with everything before.
 */
public record RaftLogSnapshot(
    long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm, long snapshotBytes,
    long compactedIndex, long compactedTerm, long replayFrom, long stateAsOf, long configurationIndex,
    byte[] configuration, long replicaId) implements RaftSerializable {

  public RaftLogSnapshot {
    if (configuration == null) configuration = new byte[0];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RaftLogSnapshot s && s.currentTerm == currentTerm && java.util.Objects.equals(s.votedFor, votedFor)
        && s.snapshotIndex == snapshotIndex && s.snapshotTerm == snapshotTerm && s.snapshotBytes == snapshotBytes
        && s.compactedIndex == compactedIndex && s.compactedTerm == compactedTerm && s.replayFrom == replayFrom
        && s.stateAsOf == stateAsOf && s.configurationIndex == configurationIndex
        && java.util.Arrays.equals(s.configuration, configuration) && s.replicaId == replicaId;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(currentTerm, votedFor, snapshotIndex, snapshotTerm, snapshotBytes, compactedIndex,
        compactedTerm, replayFrom, stateAsOf, configurationIndex, java.util.Arrays.hashCode(configuration),
        replicaId);
  }

  @Override
  public String toString() {
    return "RaftLogSnapshot[term " + currentTerm + ", votedFor " + votedFor + ", snapshot " + snapshotIndex + "@"
        + snapshotTerm + " (" + snapshotBytes + " bytes), compacted to " + compactedIndex + "@" + compactedTerm
        + ", replayFrom " + replayFrom + ", stateAsOf " + stateAsOf + ", configuration at " + configurationIndex
        + " (" + configuration.length + " bytes), replica id " + replicaId + "]";
  }
}
