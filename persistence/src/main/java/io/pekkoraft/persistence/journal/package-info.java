/**
 * The durable embedded journal: a Pekko Persistence journal plugin ({@link
 * io.pekkoraft.persistence.journal.SegmentJournal}) over an append-only log of segment files
 * ({@link io.pekkoraft.persistence.journal.JournalStore}), built for the Raft log.
 *
 * <ul>
 *   <li>One log for every persistence id, in one directory, so that one fsync acknowledges the writes
 *       of every writer (group commit, {@link io.pekkoraft.persistence.journal.GroupCommitWriter}). A
 *       write is acknowledged only after its fsync.
 *   <li>Every record carries its length and a CRC32C; an AtomicWrite is one record, so after a crash it
 *       is there whole or not at all. The format is in {@link io.pekkoraft.persistence.journal.SegmentFormat}.
 *   <li>An in-memory index (persistence id to record positions) is rebuilt at start by scanning the
 *       segments ({@link io.pekkoraft.persistence.journal.SegmentScanner}); replays read the files.
 *   <li>A torn write at the tail of the last segment is cut with a WARN; anything else that fails a
 *       check stops the start with an error naming the file and the offset.
 *   <li>A failed write or fsync fails the writes of its batch, cuts the file back to its last durable
 *       byte, and the journal takes the next writes as soon as the disk does.
 *   <li>Deletes write a marker; segments whose records are all deleted or superseded leave the disk.
 * </ul>
 *
 * Enable it with {@code pekko.persistence.journal.plugin = "pekko-raft.journal"}; the settings are
 * documented in reference.conf under {@code pekko-raft.journal}. {@code JournalContractSuite} in
 * pekko-raft-testkit checks any journal against the Pekko Persistence journal contract.
 */
package io.pekkoraft.persistence.journal;
