package io.pekkoraft.persistence;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;

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
 */
public record RaftLogSnapshot(
    long currentTerm, String votedFor, long snapshotIndex, long snapshotTerm, long snapshotBytes,
    long compactedIndex, long compactedTerm, long replayFrom, long stateAsOf) implements RaftSerializable {}
